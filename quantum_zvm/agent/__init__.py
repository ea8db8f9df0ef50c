"""The z/VM agent (``quantum-zvm-agent``): a level-triggered reconcile loop.

Each cycle builds the *desired* state (xCAT ``switch``/``zvm`` rows plus
ports bound to this host through the API, with network details from the
plugin), compares it with the *observed* z/VM state and applies the
difference:

- :mod:`.model`     dataclasses for desired/observed state and operations
- :mod:`.desired`   desired state from table rows and device details
- :mod:`.observed`  observed state from parsed smcli outputs
- :mod:`.planner`   the pure ``plan(desired, observed) -> Plan``
- :mod:`.executor`  batches a plan into few xCAT requests, checks results
- :mod:`.startup`   vswitch creation, rdev drift, management NIC 0800
- :mod:`.dhcp`      TRUNK grants for the DHCP agent's guest
- :mod:`.daemon`    main loop, heartbeat, RPC consumers, fault handling
- :mod:`.main`      the command line
"""
