"""ZAN (zéro artificialisation nette): NAF-consumption envelopes of territories, sites' land take.

``rules.py`` is pure (DOMAIN.md §4); ``cerema.py`` reads Cerema's consumption file; the service
imports it and answers ``GET /api/v1/territories/{code}/zan``.
"""
