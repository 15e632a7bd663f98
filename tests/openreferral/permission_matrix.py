"""Open Referral and OpenAPI routes classified for tests/test_permissions.py.

All are public, read-only GETs (open data, the ORUK standard expects no authentication);
tests/openreferral/test_permissions.py proves anonymous callers get 200 on each, that they
only ever show published listings (test_read_api.py), and that no other method is served."""

COVERED = {
    ("/openreferral/", "GET"),
    ("/openreferral/openapi.json", "GET"),
    ("/openreferral/services", "GET"),
    ("/openreferral/services/<string:service_id>", "GET"),
    ("/openreferral/service_at_locations", "GET"),
    ("/openreferral/service_at_locations/<string:sal_id>", "GET"),
    ("/openreferral/organizations", "GET"),
    ("/openreferral/organizations/<string:org_id>", "GET"),
    ("/openreferral/taxonomies", "GET"),
    ("/openreferral/taxonomies/<string:taxonomy_id>", "GET"),
    ("/openreferral/taxonomy_terms", "GET"),
    ("/openreferral/taxonomy_terms/<string:term_id>", "GET"),
    ("/api/v1/openapi.json", "GET"),
}
