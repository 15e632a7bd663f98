"""Open Referral UK 3.0 (HSDS-UK-3.0): the public read API (`api.py`, `/openreferral`),
our models as ORUK JSON (`serialise.py`), our vocabularies as taxonomies with stable ids
(`taxonomy.py`), OpenAPI documents (`openapi.py`); import, feed pull and aggregation of
other directories' feeds (`importer.py`, `feed.py`, `mapping.py`, `aggregation.py`).
See docs/openreferral.md."""
