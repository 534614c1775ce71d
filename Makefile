# The two commands (README): `make up` serves the demo, `make test` runs the whole suite.
.PHONY: up test lint web

up:
	@scripts/up.sh

test:
	@scripts/test.sh $(ARGS)

lint:
	@.venv/bin/ruff check app migrations tests && .venv/bin/ruff format --check app migrations tests

# Rebuild the map page's bundle (web/ → app/web/static/bundle, committed) with Node.js and npm.
web:
	@cd web && npm ci --no-audit --no-fund && npm run check && npm run build
