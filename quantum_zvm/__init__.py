"""quantum-zvm: Quantum/OpenStack networking for z/VM guests through xCAT."""

__version__ = "0.1.0"
