"""What an smcli rc/rs means for an idempotent caller (xcat.outcomes)."""
from __future__ import annotations

from xcat import smcli
from xcat.outcomes import Outcome, classify

SET = "Virtual_Network_Vswitch_Set_Extended"


def test_persisted_revoke_of_a_grant_not_in_system_config_is_already_done():
    # zhcp rcdescriptions.c: 620/58 "MODIFY VSWITCH statement to userid not found in system
    # config"; CP's access list no longer holds the user, which is what the revoke wanted.
    argv = smcli.vswitch_revoke("VSW1", "LINUX01", persist=True)
    assert classify(SET, 620, 58, argv) is Outcome.ALREADY_DONE


def test_620_58_is_a_failure_for_anything_but_a_revoke():
    grant = smcli.vswitch_grant("VSW1", "LINUX01", vlans=[100], persist=True)
    assert classify(SET, 620, 58, grant) is Outcome.FAILED
    assert classify(SET, 620, 58) is Outcome.FAILED


def test_classify_without_argv_keeps_the_function_rules():
    assert classify(SET, 212, 44) is Outcome.ALREADY_DONE
    assert classify("Virtual_Network_Adapter_Connect_Vswitch", 200, 12) is Outcome.INACTIVE
