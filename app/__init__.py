"""Foncier: industrial land in France, matched to investors' projects."""

from pathlib import Path

#: The checkout (or the Docker image's /app): holds migrations/ and data/.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
