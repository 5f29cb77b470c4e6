"""Open311 use cases, shared by the GeoReport routes, the admin API and the CLI."""
