"""Imports of friches inventories (CNIG Friches CSV, Cartofriches, GeoJSON) and their quarantine."""
