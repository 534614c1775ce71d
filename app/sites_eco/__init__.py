"""Import of CNIG Sites économiques (SITE-ECO zones, TERRAIN-ECO plots) as turnkey sites/plots."""
