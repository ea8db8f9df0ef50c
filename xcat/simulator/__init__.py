"""xcat-zvm-simulator: an xCAT management node + zHCP + z/VM host in one process.

It speaks the old xCAT REST API (``/xcatws``) byte for byte where clients
parse bytes, runs ``dsh`` scripts through a safe shell that offers zHCP's
``smcli`` and CP's ``vmcp``, and models z/VM vswitches, grants, directory
NICDEFs and active NICs.  A control plane under ``/_sim/`` fires events,
injects faults and reads counters.
"""
