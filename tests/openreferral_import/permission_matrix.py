"""Duplicate-review routes classified for tests/test_permissions.py; tested in
test_permissions.py in this folder (every refused role, and the database unchanged)."""

COVERED = {
    ("/admin/duplicates/", "GET"),
    ("/admin/duplicates/<int:candidate_id>", "POST"),
}
