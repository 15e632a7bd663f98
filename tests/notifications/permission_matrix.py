"""Outbox routes classified for tests/test_permissions.py; tested in test_permissions.py in
this folder (every refused role, and the database unchanged)."""

COVERED = {
    ("/admin/outbox/", "GET"),
    ("/admin/outbox/<int:email_id>", "GET"),
    ("/admin/outbox/<int:email_id>/retry", "POST"),
}
