"""The map page: a single-page app (sources in ``web/``) served at ``/`` with its built assets."""
