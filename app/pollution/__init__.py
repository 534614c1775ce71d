"""Polluted-site registers (BASOL, ADEME) and what lies near each site."""
