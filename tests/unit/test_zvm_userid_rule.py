"""One userid rule everywhere a userid is accepted: z/VM names no user with a leading '-'
(``-TPWN15`` would reach ``smcli ... -T -TPWN15`` as an option)."""
from __future__ import annotations

import pytest

from quantum_zvm.agent import desired
from quantum_zvm.api import validators
from xcat import smcli, zvm_names
from xcat.simulator import scenario
from xcat.simulator.smcli import Smcli

LEADING_DASH = ("-TPWN15", "-", "-LINUX01"[:8], "-t")
GOOD = ("LINUX01", "A-B", "L-", "@#$_-1", "1", "_X", "$A", "linux-01")


def test_the_rule_refuses_a_leading_dash_and_keeps_dash_elsewhere():
    for name in LEADING_DASH:
        with pytest.raises(ValueError, match="not a z/VM userid"):
            zvm_names.userid(name)
    assert [zvm_names.userid(n) for n in GOOD] == [n.upper() for n in GOOD]
    for name in GOOD:
        assert zvm_names.USERID_RE.fullmatch(name.upper())
    assert not any(zvm_names.USERID_RE.fullmatch(n) for n in LEADING_DASH)


def test_command_builders_refuse_it():
    for name in LEADING_DASH:
        for build in (lambda u: smcli.vswitch_grant("VSW1", u), smcli.image_query_dm,
                      lambda u: smcli.vswitch_create(u, "VSW1")):
            with pytest.raises(ValueError):
                build(name)


def test_api_profile_and_xcat_rows_refuse_it():
    with pytest.raises(validators.ConversionError, match="not a z/VM userid"):
        validators.to_zvm_profile({"zvm_userid": "-TPWN15"})
    nodes = desired.zvm_nodes([{"node": "pwn15", "hcp": "zhcp1", "userid": "-TPWN15"},
                               {"node": "linux01", "hcp": "zhcp1", "userid": "LINUX01"}],
                              "zhcp1")
    assert dict(nodes.userids) == {"linux01": "LINUX01"}
    assert "not a z/VM userid" in nodes.bad["pwn15"]


def test_the_simulated_smapi_refuses_it_as_invalid_data():
    model = scenario.build(scenario.read(None))[0]["zhcp1"]
    out = Smcli(model).run(["/opt/zhcp/bin/smcli", "Virtual_Network_Vswitch_Set_Extended",
                            "-T", "ZHCP", "-k", "switch_name=XCATVSW2",
                            "-k", "grant_userid=-TPWN15"])
    assert "  Return Code: 24\n" in out.stdout and out.status == 1
