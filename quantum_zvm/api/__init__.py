"""The Quantum v2.0 REST API: WSGI router, resource controller, attribute
validation, authentication context, policy and NeutronError bodies."""
