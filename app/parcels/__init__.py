"""Cadastre parcels: import from Etalab GeoJSON, lookup."""
