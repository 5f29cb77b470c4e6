"""Open311 GeoReport v2 interface over the complaint cases, and bulk import of external case history."""
