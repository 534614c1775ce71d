# The two commands (README): `make up` serves the demo, `make test` runs the whole suite.
.PHONY: up test lint

up:
	@scripts/up.sh

test:
	@scripts/test.sh $(ARGS)

lint:
	@.venv/bin/ruff check app migrations tests && .venv/bin/ruff format --check app migrations tests
