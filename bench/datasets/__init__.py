"""Reusable benchmark datasets (built in the benchmark database, never in foncier or the tests)."""
