"""Report routes classified for tests/test_permissions.py; tested in test_permissions.py in
this folder (every refused role, and the database unchanged)."""

COVERED = {
    ("/reports/", "GET"),
    ("/reports/cell", "GET"),
    ("/reports/export.csv", "GET"),
    ("/reports/export.xlsx", "GET"),
    ("/reports/decisions", "POST"),
    ("/reports/fund", "GET"),
    ("/reports/fund/pledges", "POST"),
    ("/reports/fund/split", "POST"),
    ("/reports/areas", "GET"),
    ("/reports/areas", "POST"),
    ("/reports/areas/template.csv", "GET"),
    ("/reports/cpi", "POST"),
    ("/api/v1/reports/capacity-gaps", "GET"),
}
