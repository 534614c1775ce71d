"""Pure geographic helpers (no database, no HTTP): CRS constants, GeoJSON checks, bboxes."""
