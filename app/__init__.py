"""Agora's wiring: HTTP, settings, database, auth, CLI."""
