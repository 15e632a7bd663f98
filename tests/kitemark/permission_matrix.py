"""Kite-mark routes classified for tests/test_permissions.py; tested in test_permissions.py in
this folder (every refused role, and the database unchanged)."""

COVERED = {
    ("/kite-mark/your-organisation", "GET"),
    ("/kite-mark/applications", "POST"),
    ("/kite-mark/applications/<int:application_id>", "GET"),
    ("/kite-mark/applications/<int:application_id>/edit", "GET"),
    ("/kite-mark/applications/<int:application_id>/edit", "POST"),
    ("/kite-mark/applications/<int:application_id>/evidence/<int:evidence_id>/delete", "POST"),
    ("/kite-mark/evidence/<int:evidence_id>", "GET"),
    ("/kite-mark/review", "GET"),
    ("/kite-mark/applications/<int:application_id>/decision", "POST"),
    ("/kite-mark/organisations/<int:organisation_id>", "GET"),
    ("/kite-mark/organisations/<int:organisation_id>/suspend", "POST"),
    ("/kite-mark/organisations/<int:organisation_id>/reinstate", "POST"),
    ("/kite-mark/questions", "GET"),
    ("/kite-mark/questions/new", "GET"),
    ("/kite-mark/questions/new", "POST"),
    ("/kite-mark/questions/<int:question_id>/edit", "GET"),
    ("/kite-mark/questions/<int:question_id>/edit", "POST"),
}
