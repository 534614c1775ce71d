"""Matching projects to sites; ``permits`` estimates the time to permits (DOMAIN.md §5)."""
