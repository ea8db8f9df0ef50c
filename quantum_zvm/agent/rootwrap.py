"""``quantum-zvm-rootwrap /etc/quantum/rootwrap.conf COMMAND...``: oslo.rootwrap for the agent.

The agent reaches z/VM through xCAT and runs no local privileged command, so
``[AGENT] root_helper`` is not used and the shipped filters
(``etc/quantum/rootwrap.d/zvm-agent.filters``) allow no command: this program
refuses every command with them.  It is kept so that the Quantum-era
``root_helper = sudo quantum-zvm-rootwrap /etc/quantum/rootwrap.conf`` names
a program that exists and lets nothing run.
"""
from __future__ import annotations


def main() -> None:
    from oslo_rootwrap import cmd

    cmd.main()
