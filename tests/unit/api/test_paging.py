"""Pagination links and emulated paging (pure helpers of the controller)."""
import urllib.parse

import webob

from quantum_zvm.api.controller import Paging, emulate_paging, page_links

IDS = [f"00000000-0000-4000-8000-{n:012d}" for n in range(10)]
ITEMS = [{"id": i, "name": f"n{9 - k}"} for k, i in enumerate(IDS)]


def query(href):
    return urllib.parse.parse_qs(urllib.parse.urlsplit(href).query)


def test_first_page_has_next_only():
    request = webob.Request.blank("/v2.0/ports?limit=3&name=x")
    items, links = page_links(request, ITEMS[:4], Paging(3, None, False))
    assert [i["id"] for i in items] == IDS[:3]
    assert [link["rel"] for link in links] == ["next"]
    q = query(links[0]["href"])
    assert q == {"limit": ["3"], "marker": [IDS[2]], "name": ["x"]}


def test_middle_and_last_pages():
    request = webob.Request.blank(f"/v2.0/ports?limit=3&marker={IDS[2]}")
    items, links = page_links(request, ITEMS[3:7], Paging(3, IDS[2], False))
    assert [link["rel"] for link in links] == ["next", "previous"]
    assert query(links[1]["href"])["page_reverse"] == ["True"]
    assert query(links[1]["href"])["marker"] == [IDS[3]]
    items, links = page_links(request, ITEMS[9:], Paging(3, IDS[8], False))
    assert [link["rel"] for link in links] == ["previous"]


def test_reverse_page_trims_the_front():
    request = webob.Request.blank("/v2.0/ports")
    items, links = page_links(request, ITEMS[2:6], Paging(3, IDS[6], True))
    assert [i["id"] for i in items] == IDS[3:6]
    assert {link["rel"] for link in links} == {"next", "previous"}


def test_emulated_paging_sorts_and_pages():
    page = emulate_paging(ITEMS, [("name", True), ("id", True)], Paging(2, None, False))
    assert [i["name"] for i in page] == ["n0", "n1", "n2"]      # limit + 1
    page = emulate_paging(ITEMS, [("id", True)], Paging(2, IDS[4], False))
    assert [i["id"] for i in page] == IDS[5:8]
    page = emulate_paging(ITEMS, [("id", True)], Paging(2, IDS[4], True))
    assert [i["id"] for i in page] == IDS[1:4]
    assert len(emulate_paging(ITEMS, [], Paging(None, None, False))) == 10


def test_emulated_sort_handles_none():
    items = [{"id": "b", "d": None}, {"id": "a", "d": "x"}]
    assert [i["id"] for i in emulate_paging(items, [("d", False)], Paging(None, None, False))] \
        == ["a", "b"]
