"""``quantum-zvm-demo``: the whole system on one machine, from nothing, in one command.

The demo starts ``xcat-zvm-simulator``, ``quantum-zvm-server`` (SQLite) and
``quantum-zvm-agent`` (embedded RPC transport) as real processes on loopback,
attaches guest NICs through the REST API and through ``quantum-zvm-nic``, and
prints the simulated z/VM host before and after, including an IPL.

- :mod:`.services`: start, watch and stop the child processes.
- :mod:`.setup`: the state directory's configuration file and TLS files.
- :mod:`.clients`: the simulator control plane over HTTP (the REST API is
  :class:`quantum_zvm.quantum_client.QuantumClient`).
- :mod:`.render`: pure functions turning state into tables.
- :mod:`.runner`: the steps, in order, with progress and failure reports.
- :mod:`.main`: the command line.
"""
