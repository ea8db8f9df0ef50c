"""Shared pytest configuration: fixture modules live in tests/fixtures/."""
pytest_plugins = [
    "tests.fixtures.plugin",
    "tests.fixtures.postgres",
    "tests.fixtures.mysql",
    "tests.fixtures.server",
    "tests.fixtures.rabbitmq",
    "tests.fixtures.simulator",
    "tests.fixtures.agent",
    "tests.fixtures.installed",
    "tests.fixtures.neutron",
]
