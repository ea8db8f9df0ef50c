"""RPC over AMQP (kombu) in the Quantum wire format.

Modules, each with one job:

- :mod:`.wire` — pure functions: envelope, request/reply frames, ``_context_*``
  keys, failures, duplicate filter, version rules.
- :mod:`.transport` — which broker to use (``transport_url``, legacy
  ``rabbit_*`` options or the embedded transport) and kombu connections.
- :mod:`.embedded` — the broker-less transport for one host (a directory).
- :mod:`.consumer` — a consuming connection that reconnects with backoff.
- :mod:`.publisher` — a publishing connection that retries within a deadline.
- :mod:`.dispatcher` — method lookup with Quantum's version semantics.
- :mod:`.client` — ``call``, ``cast`` and ``fanout_cast``.
- :mod:`.server` — topic and fanout consumers dispatching to endpoints.
- :mod:`.agent_api` — what an L2 (z/VM) agent uses to talk to the plugin.
"""
