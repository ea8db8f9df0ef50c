"""Constants shared by the plugin, the API, the RPC layer and the agent."""

# Marks an attribute the REST body did not give (distinct from an explicit null).
class _NotSpecified:
    def __repr__(self) -> str:
        return "ATTR_NOT_SPECIFIED"

    def __bool__(self) -> bool:
        return False


ATTR_NOT_SPECIFIED = _NotSpecified()

# Port and network statuses.
PORT_STATUS_ACTIVE = "ACTIVE"
PORT_STATUS_BUILD = "BUILD"
PORT_STATUS_DOWN = "DOWN"
PORT_STATUS_ERROR = "ERROR"
NET_STATUS_ACTIVE = "ACTIVE"

DEVICE_OWNER_DHCP = "network:dhcp"

# Network types (provider extension) and the segmentation id of flat networks.
TYPE_FLAT = "flat"
TYPE_VLAN = "vlan"
TYPE_LOCAL = "local"
FLAT_VLAN_ID = -1

# RPC topics (Quantum names).
TOPIC_PLUGIN = "q-plugin"
# State reports of current (Neutron) agents; Quantum-era agents report on q-plugin.
TOPIC_REPORTS = "q-reports-plugin"
TOPIC_AGENT = "q-agent-notifier"
TOPIC_DHCP_AGENT = "dhcp_agent"
PORT = "port"
NETWORK = "network"
UPDATE = "update"
DELETE = "delete"

# Agents.
AGENT_TYPE_ZVM = "z/VM agent"
AGENT_TYPE_DHCP = "DHCP agent"
# What report_state returns (neutron_lib.agent.constants).
AGENT_NEW = "new"
AGENT_ALIVE = "alive"
AGENT_REVIVED = "revived"
AGENT_BINARY_ZVM = "quantum-zvm-agent"
# The longest ``configurations`` (as ``json.dumps(..., sort_keys=True)``) a state report may carry.
AGENT_CONFIGURATIONS_MAX = 4095

# Binding extension.
VIF_TYPE_ZVM = "zvm"
# neutron_lib/api/definitions/portbindings.py (neutron-lib 5.0.1): no host asked for, and
# a host no agent could bind the port on
VIF_TYPE_UNBOUND = "unbound"
VIF_TYPE_BINDING_FAILED = "binding_failed"
VNIC_NORMAL = "normal"
MIN_MTU = 68  # IPv4's minimum (RFC 791)
PROFILE_USERID = "zvm_userid"
PROFILE_VDEV = "vdev"

# Defaults of the agent options dsh_request_seconds, smcli_call_seconds and
# dirmaint_call_seconds: half of Apache's default Timeout (60 s) on the xCAT MN; a
# conservative SMAPI call; a directory (*_DM) call, which goes through DirMaint one
# request at a time: DirMaint waits 1 s between requests by default (IBM "Tuning
# DirMaint Performance", DVHWAIT_BATCH_INTERVAL) and SMAPI directory queries take
# 1-2 s (feilong issue #901).
DSH_REQUEST_SECONDS = 30.0
SMCLI_CALL_SECONDS = 1.0
DIRMAINT_CALL_SECONDS = 2.0
# Default of the agent option smapi_workers: a standard SMAPI has three worker servers,
# VSMWORK1..3 (IBM z/VM Systems Management Application Programming, SC24-6234, "Worker
# Servers"; xcat-core xCAT-server/lib/xcat/plugins/zvm.pm --resetsmapi restarts them).
SMAPI_WORKERS = 3
