"""Bulk import of historical cases from other systems (311-style CSV exports, GeoReport v2 documents)."""
