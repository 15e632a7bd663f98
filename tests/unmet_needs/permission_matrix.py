"""Unmet-need routes classified for tests/test_permissions.py; tested in test_permissions.py
in this folder (every refused role, and the database unchanged)."""

COVERED = {
    ("/unmet-needs/new", "GET"),
    ("/unmet-needs/new", "POST"),
    ("/api/v1/unmet-needs", "POST"),
}
