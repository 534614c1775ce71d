"""API keys and who may do what (roles: investor, territory_staff, admin)."""
