"""Referral routes classified for tests/test_permissions.py; tested in test_permissions.py
in this folder (every refused role, and the database unchanged)."""

COVERED = {
    ("/referrals/new/<int:activity_id>", "GET"),
    ("/referrals/new/<int:activity_id>", "POST"),
    ("/referrals/<int:referral_id>", "GET"),
    ("/referrals/<int:referral_id>/contact", "GET"),
    ("/referrals/<int:referral_id>/status", "POST"),
    ("/referrals/<int:referral_id>/outcomes", "POST"),
    ("/referrals/activities/<int:activity_id>/promote", "POST"),
    ("/referrals/inbox", "GET"),
    ("/referrals/caseload", "GET"),
    ("/api/v1/referrals", "POST"),
    ("/api/v1/referrals/<int:referral_id>", "GET"),
    ("/api/v1/referrals/<int:referral_id>/status", "POST"),
}
