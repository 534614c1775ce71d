"""The site catalogue: friches, turnkey sites and serviced plots."""
