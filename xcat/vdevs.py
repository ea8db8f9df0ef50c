"""Virtual device numbers a guest's directory uses, and the next free NIC vdev.

A QDIO NIC occupies ``DEVICES`` consecutive device numbers (3 by default);
the convention (nova-zvm) is a first NIC at 1000 and the next ones at 1003,
1006, ...  A new NIC must not overlap any device the directory defines: NICs,
minidisks, links, dedicated devices, spool devices and the console.
"""
from __future__ import annotations

from collections.abc import Iterable

FIRST_NIC_VDEV = 0x1000
NIC_DEVICES = 3

# Statement -> index of the virtual device number among its words (after the keyword).
_DEVICE_WORD = {"MDISK": 1, "LINK": 3, "DEDICATE": 1, "SPOOL": 1, "CONSOLE": 1, "NICDEF": 1,
                "SPECIAL": 1}

Span = tuple[int, int]  # (first device number, count)


def _hex(text: str) -> int | None:
    text = text.strip()
    if 1 <= len(text) <= 4 and all(c in "0123456789abcdefABCDEF" for c in text):
        return int(text, 16)
    return None


def _nicdef_count(words: list[str]) -> int:
    upper = [w.upper() for w in words]
    if "DEVICES" in upper:
        index = upper.index("DEVICES")
        if index + 1 < len(upper) and upper[index + 1].isdigit():
            return int(upper[index + 1])
    return NIC_DEVICES


def devices_in_use(statements: Iterable[str]) -> list[Span]:
    """The device spans a directory entry's statements occupy.

    Statements are directory lines as ``Image_Query_DM`` prints them
    (``MDISK 0100 3390 ...``, ``LINK MAINT 0190 0190 RR``,
    ``NICDEF 1000 TYPE QDIO DEVICES 3 ...``); others are ignored.
    """
    spans: list[Span] = []
    for statement in statements:
        words = statement.split()
        if not words:
            continue
        position = _DEVICE_WORD.get(words[0].upper())
        if position is None or position >= len(words):
            continue
        first = _hex(words[position])
        if first is None:
            continue
        count = _nicdef_count(words) if words[0].upper() == "NICDEF" else 1
        spans.append((first, count))
    return spans


def overlap(spans: Iterable[Span], first: int, count: int = NIC_DEVICES) -> Span | None:
    """The first span that overlaps ``first .. first+count-1``, or None."""
    for start, length in spans:
        if start < first + count and first < start + length:
            return (start, length)
    return None


def next_free_nic_vdev(spans: Iterable[Span], first: int = FIRST_NIC_VDEV,
                       count: int = NIC_DEVICES) -> str:
    """The lowest of ``first``, ``first+3``, ... whose ``count`` devices are all free."""
    spans = list(spans)
    vdev = first
    while overlap(spans, vdev, count) is not None:
        vdev += count
        if vdev + count - 1 > 0xFFFF:
            raise ValueError("no free device numbers left for a NIC")
    return format(vdev, "04X")
