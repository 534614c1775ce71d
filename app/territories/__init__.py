"""Reference territories: loading (CLI) and reading."""
