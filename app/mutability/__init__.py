"""ADEME's industrial mutability index (Mutafriches): the pure method and its API route."""
