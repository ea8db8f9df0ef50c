"""Device numbers in use and the next free NIC vdev."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xcat import vdevs

DIRECTORY = [
    "USER LINUX01 PASSWORD 512M 1G G",
    "MDISK 0100 3390 0001 3338 VOL001 MR",
    "LINK MAINT 0190 0190 RR",
    "NICDEF 1000 TYPE QDIO LAN SYSTEM VSW1 MACID 000001",
    "NICDEF 1006 TYPE QDIO DEVICES 6",
    "SPOOL 000C 2540 READER *",
    "MDISK 1004 3390 0001 0010 VOL001 MR",
]


def test_devices_in_use():
    assert vdevs.devices_in_use(DIRECTORY) == [
        (0x100, 1), (0x190, 1), (0x1000, 3), (0x1006, 6), (0xC, 1), (0x1004, 1)]


def test_next_free_skips_nics_and_other_devices():
    # 1000-1002 NIC, 1004 minidisk, 1006-100B NIC -> 1003 overlaps 1004, 1006.. used -> 100C
    assert vdevs.next_free_nic_vdev(vdevs.devices_in_use(DIRECTORY)) == "100C"
    assert vdevs.next_free_nic_vdev([]) == "1000"
    assert vdevs.next_free_nic_vdev([(0x1000, 3)]) == "1003"


def test_overlap():
    assert vdevs.overlap([(0x1000, 3)], 0x1002) == (0x1000, 3)
    assert vdevs.overlap([(0x1000, 3)], 0x1003) is None
    assert vdevs.overlap([(0x1004, 1)], 0x1002) == (0x1004, 1)


@given(st.lists(st.tuples(st.integers(0x0FF0, 0x1100), st.integers(1, 8)), max_size=20))
def test_next_free_never_overlaps(spans):
    vdev = int(vdevs.next_free_nic_vdev(spans), 16)
    assert vdevs.overlap(spans, vdev) is None
    assert (vdev - 0x1000) % 3 == 0


def test_exhausted():
    with pytest.raises(ValueError, match="no free device numbers"):
        vdevs.next_free_nic_vdev([(0x1000, 0xF000)])
