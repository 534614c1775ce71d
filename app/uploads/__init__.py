"""File uploads over the API: accepted at once (202), imported in the background."""
