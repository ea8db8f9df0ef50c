"""Shared pytest configuration: fixture modules live in tests/fixtures/."""
pytest_plugins = [
    "tests.fixtures.server",
    "tests.fixtures.rabbitmq",
]
