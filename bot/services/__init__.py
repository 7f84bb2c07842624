"""The application layer: use cases that tie the core, storage and the clock together."""
