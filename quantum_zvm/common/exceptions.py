"""Quantum exceptions.

Every exception carries the HTTP status the REST API answers with
(``status_code``) and a message made from ``message % kwargs``.  The API turns
them into ``{"NeutronError": {"type": <class name>, "message", "detail"}}``.
Names and messages follow Quantum's so clients see familiar errors.
"""
from __future__ import annotations


class QuantumException(Exception):
    """Base class; subclasses set ``message`` (a %-format) and ``status_code``."""
    message = "An unknown exception occurred."
    status_code = 500

    def __init__(self, **kwargs: object):
        self.kwargs = kwargs
        try:
            text = self.message % kwargs
        except (KeyError, TypeError, ValueError):
            text = self.message
        super().__init__(text)

    @property
    def msg(self) -> str:
        return str(self)


class BadRequest(QuantumException):
    message = "Bad %(resource)s request: %(msg)s"
    status_code = 400


class InvalidInput(BadRequest):
    message = "Invalid input for operation: %(error_message)s."


class NotAuthorized(QuantumException):
    message = "Not authorized."
    status_code = 403


class AdminRequired(NotAuthorized):
    message = "User does not have admin privileges: %(reason)s"


class PolicyNotAuthorized(NotAuthorized):
    message = "Policy doesn't allow %(action)s to be performed."


class NotFound(QuantumException):
    message = "%(resource)s %(id)s could not be found"
    status_code = 404


class NetworkNotFound(NotFound):
    message = "Network %(net_id)s could not be found"


class SubnetNotFound(NotFound):
    message = "Subnet %(subnet_id)s could not be found"


class PortNotFound(NotFound):
    message = "Port %(port_id)s could not be found"


class AgentNotFound(NotFound):
    message = "Agent %(id)s could not be found"


class AgentNotFoundByTypeHost(NotFound):
    message = "Agent with agent_type=%(agent_type)s and host=%(host)s could not be found"


class Conflict(QuantumException):
    message = "Conflict: %(msg)s"
    status_code = 409


class InUse(Conflict):
    message = "The resource is inuse"


class NetworkInUse(InUse):
    message = ("Unable to complete operation on network %(net_id)s. "
               "There are one or more ports still in use on the network.")


class SubnetInUse(InUse):
    message = ("Unable to complete operation on subnet %(subnet_id)s. "
               "One or more ports have an IP allocation from this subnet.")


class PortInUse(InUse):
    message = ("Unable to complete operation on port %(port_id)s for network %(net_id)s. "
               "Port already has an attached device %(device_id)s.")


class MacAddressInUse(InUse):
    message = ("Unable to complete operation for network %(net_id)s. "
               "The mac address %(mac)s is in use.")


class IpAddressInUse(InUse):
    message = ("Unable to complete operation for network %(net_id)s. "
               "The IP address %(ip_address)s is in use.")


class VlanIdInUse(InUse):
    message = ("Unable to create the network. The VLAN %(vlan_id)s on physical network "
               "%(physical_network)s is in use.")


class FlatNetworkInUse(InUse):
    message = ("Unable to create the flat network. Physical network %(physical_network)s "
               "is in use.")


class IpAddressGenerationFailure(Conflict):
    message = "No more IP addresses available on network %(net_id)s."


class InvalidSharedSetting(Conflict):
    message = "Unable to reconfigure sharing settings for network %(network)s. " \
              "Multiple tenants are using it"


class OverlappingAllocationPools(Conflict):
    message = ("Found overlapping allocation pools:%(pool_1)s %(pool_2)s for subnet "
               "%(subnet_cidr)s.")


class GatewayConflictWithAllocationPools(InUse):
    message = "Gateway ip %(ip_address)s conflicts with allocation pool %(pool)s"


class InvalidAllocationPool(BadRequest):
    message = "The allocation pool %(pool)s is not valid."


class OutOfBoundsAllocationPool(BadRequest):
    message = "The allocation pool %(pool)s spans beyond the subnet cidr %(subnet_cidr)s."


class ServiceUnavailable(QuantumException):
    message = "The service is unavailable"
    status_code = 503


class ResourceExhausted(ServiceUnavailable):
    pass


class NoNetworkAvailable(ResourceExhausted):
    message = ("Unable to create the network. No tenant network is available for "
               "allocation.")


class NoVlanAvailable(ResourceExhausted):
    message = ("Unable to create the network. No VLAN is available for allocation on "
               "vswitch %(physical_network)s.")


class MacAddressGenerationFailure(ServiceUnavailable):
    message = "Unable to generate unique mac on network %(net_id)s."


class DatabaseUnavailable(ServiceUnavailable):
    message = "The database is unavailable: %(reason)s"


class TenantNetworksDisabled(ServiceUnavailable):
    message = "Tenant network creation is not enabled."


class TenantNetworkNotAuthorized(NotAuthorized):
    message = "Tenant %(tenant_id)s not allowed to create %(resource)s on this network"


class NicInUse(InUse):
    message = ("binding:profile: NIC %(vdev)s of z/VM user %(userid)s is already used by "
               "another port")


class InvalidDHCPAgent(BadRequest):
    message = "Agent %(id)s is not a valid DHCP Agent or has been disabled"


class NetworkHostedByDHCPAgent(Conflict):
    message = "The network %(network_id)s has been already hosted by the DHCP Agent %(agent_id)s."


class NetworkNotHostedByDhcpAgent(Conflict):
    message = "The network %(network_id)s is not hosted by the DHCP agent %(agent_id)s."


class RevisionNumberConstraintFailed(QuantumException):
    message = "Constrained to %(expected)s, but current revision is %(current)s"
    status_code = 412


class TagNotFound(NotFound):
    message = "Tag %(tag)s could not be found for %(resource)s %(resource_id)s."
