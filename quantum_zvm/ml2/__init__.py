"""The Neutron ML2 mechanism driver ``zvm`` (extra ``[ml2]``; runs inside neutron-server).

Nothing here is imported by the rest of quantum_zvm: only neutron-server loads
:mod:`quantum_zvm.ml2.mech_zvm`, through the entry point ``zvm`` of
``neutron.ml2.mechanism_drivers``.
"""
