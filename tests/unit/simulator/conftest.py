"""A fresh default-scenario model for each unit test."""
from __future__ import annotations

import pytest

from xcat.simulator import scenario
from xcat.simulator.smcli import Smcli


@pytest.fixture
def built():
    return scenario.build(scenario.read(None))


@pytest.fixture
def model(built):
    return built[0]["zhcp1"]


@pytest.fixture
def tables(built):
    return built[1]


@pytest.fixture
def smcli(model):
    cli = Smcli(model)

    def run(*args: str):
        return cli.run(["/opt/zhcp/bin/smcli", *args])
    return run
