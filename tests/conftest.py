"""Shared pytest configuration: fixture modules live in tests/fixtures/."""
pytest_plugins = [
]
