"""Derived site figures: mutability, ZAN take, labour pool, time to permits (stored)."""
