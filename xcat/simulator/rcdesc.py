"""SMAPI return/reason codes and the description texts zHCP's smcli prints
(reference zvm-smapi.md §2 and §2.1).  Descriptions are class-sensitive: the
same 212/8 reads "Adapter does not exist" for the adapter queries."""
from __future__ import annotations

_DESCRIPTIONS: dict[tuple[int, int], str] = {
    (0, 8): "Request successful; object directory offline",
    (0, 40): "Request successful; new virtual switch created",
    (0, 44): "Request successful; virtual switch removed",
    (100, 0): "Request not authorized by external security manager",
    (100, 4): "Authorization deferred to directory manager",
    (100, 8): "Request not authorized by external security manager",
    (100, 12): "Request not authorized by directory manager",
    (100, 16): "Request not authorized by server",
    (200, 0): "Image operation error",
    (200, 4): "Image not found",
    (200, 8): "Image already active",
    (200, 12): "Image not active",
    (200, 16): "Image being deactivated",
    (204, 0): "Image device usage error",
    (204, 2): "Input image device number not valid",
    (204, 4): "Image device already exists",
    (204, 8): "Image device does not exist",
    (204, 12): "Image device is busy",
    (204, 20): "Image device already connected",
    (204, 28): "Image device already defined as type other than network adapter",
    (204, 48): "Virtual network adapter is already disconnected",
    (212, 8): "Image not authorized to connect",
    (212, 12): "LAN does not exist",
    (212, 28): "Image device not correct type for requested connection",
    (212, 32): "Image device not connected to LAN",
    (212, 36): "Virtual switch already exists",
    (212, 40): "Virtual switch does not exist",
    (212, 44): "Image already authorized",
    (212, 48): "VLAN does not exist",
    (212, 52): "Maximum number of connections reached",
    (400, 4): "Image or profile definition not found",
    (400, 8): "Image or profile name already defined",
    (400, 12): "Image or profile definition is locked",
    (404, 4): "Image device already defined",
    (404, 8): "Image device not defined",
    (404, 12): "Image device is locked",
    (412, 28): "Image device not correct type for requested connection",
    (500, 0): "Directory manager request could not be completed",
    (500, 4): "Directory manager is not accepting updates",
    (500, 8): "Directory manager is not available",
    # VMRELOCATE(_Status): zhcp/src/rcdescriptions.c (zVMopenstack/zhcp b6f01c6), word for
    # word; feilong a63e67755 zthin-parts/zthin/src/rcdescriptions.c has the same texts.
    (4, 3000): "VMRELOCATE TEST error",
    (4, 3001): "No active relocations found",
    (4, 3008): "System is not a member of an SSI cluster",
    (8, 1821): "Relocation domain domain_name does not exist",
    (8, 1823): "A multiconfiguration virtual machine cannot be relocated",
    (8, 3000): "VMRELOCATE MOVE error",
    (8, 3002): "Invalid parameter name",
    (8, 3003): "Invalid parameter operand",
    (8, 3004): "Required Parameter is missing",
    (8, 3006): "SSI is not in a STABLE state",
    (8, 3008): "System is not a member of an SSI cluster",
    # 620/x: zhcp/src/rcdescriptions.c (zVMopenstack/zhcp b6f01c6), word for word.
    (620, 54): "DEFINE VSWITCH statement already exists in system config",
    (620, 58): "MODIFY VSWITCH statement to userid not found in system config",
    (620, 60): "DEFINE VSWITCH statement does not exist in system config",
    (620, 62): "DEFINE operands conflict, cannot be updated in the system config",
    (620, 64): "Multiple DEFINE or MODIFY statements found in system config",
}

_ADAPTER_QUERIES = ("Virtual_Network_Adapter_Query", "Virtual_Network_Adapter_Query_Extended")

# Negative rc: smcli could not talk to SMAPI (printAndLogSmapiCallReturnCode).
SOCKET_ERRORS: dict[int, str] = {
    -2: "Invalid data",
    -3: "Processing error",
    -100: "Socket obtain error",
    -101: "Socket connect refused error",
    -102: "Socket connect try again error",
    -103: "Socket timeout error",
    -104: "Socket read error",
    -106: "Socket write error",
    -109: "Socket not connected error",
    -999: "Memory error",
}


def description(function: str, rc: int, rs: int) -> str:
    if (rc, rs) == (212, 8) and function in _ADAPTER_QUERIES:
        return "Adapter does not exist"
    if (rc, rs) in _DESCRIPTIONS:
        return _DESCRIPTIONS[(rc, rs)]
    if rc == 8:
        return f"The RS {rs} represents the HCP/DMS {rs} message number"
    if rc == 24:
        return f"Syntax error in function parameter {rs // 100}"
    if rc == 396:
        return f"Internal error found. - product-specific return code : {rs}"
    if rc == 596:
        return f"Internal directory manager error - product-specific return code : {rs}"
    if rc == 592:
        return "Asynchronous operation started"
    return "Unknown"


def failure_lines(function: str, rc: int, rs: int) -> list[str]:
    """The lines after the progress text of a failed call (``Failed`` first)."""
    if rc < 0:
        return ["Failed", f"  Return Code: {rc}",
                f"  Description: {SOCKET_ERRORS.get(rc, 'Unknown')}", ""]
    head = "Started" if rc == 592 else "Failed"
    return [head, f"  Return Code: {rc}", f"  Reason Code: {rs}",
            f"  Description: {description(function, rc, rs)}"]
