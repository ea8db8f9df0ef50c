"""The simulator's xCAT v1 REST API over real HTTP, against the reference's exact samples
(xcat-rest-api.md §1.3, §1.4, §2, §3; zvm-smapi.md §0, §3, §4).  Raw requests only."""
from __future__ import annotations

import json

import requests

SWITCH_HEADER = "#node,switch,port,vlan,interface,comments,disable"


def test_auth_query_headers_and_failures(simulator):
    ok = simulator.xcat("GET", "version")
    assert ok.status_code == 200
    assert ok.text == '{"data":[{"data":["Version 2.8.3.5 (built Mon Apr 27 10:50:11 EDT 2015)"]}]}'
    by_header = requests.get(f"{simulator.xcat_url}/version?format=json",
                             headers={"userName": "root", "password": "cluster"}, timeout=10)
    assert by_header.status_code == 200
    bad = requests.get(f"{simulator.xcat_url}/tables/switch?userName=root&password=x&format=json",
                       timeout=10)
    assert (bad.status_code, bad.text) == (401, "<p>Authentication failure</p>")
    assert bad.headers["Content-Type"] == "application/json"
    none = requests.get(f"{simulator.xcat_url}/tables/switch?format=json", timeout=10)
    assert (none.status_code, none.text) == (401, "<p>Permission denied for request</p>")
    unknown = simulator.xcat("GET", "frobs")
    assert unknown.status_code == 404 and "Resource 'frobs' does not exist" in unknown.text
    html = requests.get(f"{simulator.xcat_url}/version?userName=root&password=cluster",
                        timeout=10)
    assert html.status_code == 200 and html.text.startswith("<html>")


def test_tabdump_gettab_and_tabch_cycle_of_nova_and_the_agent(simulator):
    x = simulator.xcat
    assert x("GET", "tables/switch").json() == {"data": [{"data": [SWITCH_HEADER]}]}
    put = x("PUT", "tables/switch", body=["switch.node=os000001 switch.port=5f3c-port "
                                          "switch.interface=1000 switch.comments=zhcp1"])
    assert (put.status_code, put.text) == (200, '{"data":[]}')
    dump = x("GET", "tables/switch").json()["data"][0]["data"]
    assert dump == [SWITCH_HEADER, '"os000001",,"5f3c-port",,"1000","zhcp1",']
    x("PUT", "tables/switch", body=["port=5f3c-port switch.switch=XCATVSW2 switch.vlan=-1"])
    assert x("GET", "tables/switch").json()["data"][0]["data"][1] == \
        '"os000001","XCATVSW2","5f3c-port","-1","1000","zhcp1",'
    one = x("GET", "tables/switch", "&col=port&value=5f3c-port&attribute=interface")
    assert one.text == '{"data":[{"data":["1000"]}]}'
    two = x("GET", "tables/switch", "&col=port&value=5f3c-port&attribute=node&attribute=interface")
    assert two.json() == {"data": [{"data": ["switch.node: os000001"]},
                                   {"data": ["switch.interface: 1000"]}]}
    assert x("GET", "tables/switch", "&col=port&value=nope&attribute=node").text == '{"data":[]}'
    bad_key = x("GET", "tables/switch", "&col=bogus&value=1&attribute=node")
    assert bad_key.status_code == 200
    assert bad_key.json() == {"data": [{"error": ["Unkown key bogus to switch"],
                                        "errorcode": ["1"]}]}
    nova_style = x("GET", "tables/zvm", "&col=node=linux01&attribute=userid")
    assert nova_style.json() == {"data": [{"data": ["LINUX01"]}]}
    bad_col = x("PUT", "tables/switch", body=["port=5f3c-port switch.bogus=1"])
    assert bad_col.status_code == 200 and bad_col.json()["data"][0]["errorcode"] == ["1"]
    # The CGI joins the words of all body strings into ONE tabch argument list.
    split = x("PUT", "tables/mac", body=["node=n1", "mac.mac=fa:16:3e:00:00:01",
                                         "mac.interface=1000"])
    assert split.text == '{"data":[]}'
    two_rows = x("PUT", "tables/mac", body=["node=n2 mac.mac=fa:16:3e:00:00:02",
                                            "node=n3 mac.mac=fa:16:3e:00:00:03"])
    assert two_rows.status_code == 200
    assert two_rows.json() == {"data": [{"error": [
        "node=n3 not a valid table.column description"], "errorcode": ["1"]}]}
    assert x("GET", "tables/mac").json()["data"][0]["data"] == [
        "#node,interface,mac,comments,disable", '"n1","1000","fa:16:3e:00:00:01",,']
    x("PUT", "tables/switch", body=["-d node=os000001 switch"])
    assert x("GET", "tables/switch").json()["data"][0]["data"] == [SWITCH_HEADER]


def test_tabch_lines_on_the_management_node(simulator):
    script = "\n".join(f"/opt/xcat/sbin/tabch port=p{i} switch.node=linux0{i} "
                       f"switch.switch=VSW1 switch.vlan={100 + i}; echo \"#rc $?\""
                       for i in (1, 2, 3))
    script += "\ntabch port=p4 switch.bogus=1; echo \"#rc $?\""
    reply = simulator.dsh("xcat", script)
    out = reply["data"][0]["data"][0].split("\n")
    assert out == ["xcat: #rc 0", "xcat: #rc 0", "xcat: #rc 0", "xcat: #rc 1"]
    assert reply["data"][1]["error"] == [
        "xcat: Error: switch.bogus not a valid table.column description"]
    rows = simulator.xcat("GET", "tables/switch").json()["data"][0]["data"]
    assert rows[1:] == [f'"linux0{i}","VSW1","p{i}","{100 + i}",,,' for i in (1, 2, 3)]
    dump = simulator.dsh("xcat", "/opt/xcat/sbin/tabdump site")["data"][0]["data"][0]
    assert dump.split("\n")[:2] == ["xcat: #key,value,comments,disable",
                                    'xcat: "master","10.1.0.1",,']
    assert simulator.dsh("zhcp1", "tabch x=1 site.value=2")["data"][0]["error"] == [
        "zhcp1: sh: tabch: command not found"]


def test_default_scenario_tables(simulator):
    x = simulator.xcat
    assert x("GET", "tables/site", "&col=key&value=master&attribute=value").json() == \
        {"data": [{"data": ["10.1.0.1"]}]}
    assert x("GET", "tables/hosts", "&col=ip&value=10.1.0.1&attribute=node").json() == \
        {"data": [{"data": ["xcat"]}]}
    zvm = x("GET", "tables/zvm").json()["data"][0]["data"]
    assert zvm[0] == "#node,hcp,userid,nodetype,parent,comments,disable"
    assert '"zhcp1","zhcp1","ZHCP",,,,' in zvm and '"linux06","zhcp1","LINUX06",,,,' in zvm
    assert x("GET", "tables/zvm", "&col=node&value=zhcp1&attribute=userid").json() == \
        {"data": [{"data": ["ZHCP"]}]}


def test_dsh_prefixes_stderr_and_errorcode(simulator):
    reply = simulator.dsh("zhcp1", "/opt/zhcp/bin/smcli Virtual_Network_Adapter_Query "
                                   "-T XCAT -v 0800")
    assert reply == {"data": [
        {"data": ["zhcp1: Failed\nzhcp1:   Return Code: 212\nzhcp1:   Reason Code: 8\n"
                  "zhcp1:   Description: Adapter does not exist"]},
        {"errorcode": ["1"]}]}
    found = simulator.dsh("zhcp1", "smcli Virtual_Network_Adapter_Query -T XCAT -v 0700")
    lines = found["data"][0]["data"][0].split("\n")
    assert len(lines) == 7 and lines[4].split(": ")[2] == "Coupled and active"
    info = simulator.dsh("zhcp1", "smcli System_Info_Query")
    assert info["data"][0]["data"][0].split("\n")[4].split(": ", 3)[2] == "2014-06-11 01:38:37 EDT"
    uptime = simulator.dsh("zhcp1", "smcli Image_Query_Activate_Time -T XCAT -f 4")
    assert uptime["data"][0]["data"][0] == "zhcp1: XCAT was activated on 2014-06-11 at 01:38:37"
    mixed = simulator.dsh("zhcp1", "echo out; nosuch")
    assert mixed == {"data": [{"data": ["zhcp1: out"]},
                              {"error": ["zhcp1: sh: nosuch: command not found"],
                               "NoErrorPrefix": ["1"], "errorcode": ["0"]},
                              {"errorcode": ["1"]}]}
    silent = simulator.dsh("zhcp1", "true")
    assert silent == {"data": [{"errorcode": ["0"]}]}


def test_dsh_on_the_mn_lists_admin_vswitches(simulator):
    reply = simulator.dsh("xcat", "vmcp q v nic")
    text = reply["data"][0]["data"][0]
    lines = text.split("\n")
    assert lines[0] == "xcat: Adapter 0600.P00 Type: QDIO      Name: UNASSIGNED  Devices: 3"
    names = [lines[i + 1].split()[-1] for i, ln in enumerate(lines) if "0600" in ln or "0700" in ln]
    assert names == ["XCATVSW1", "XCATVSW2"]
    missing = simulator.dsh("xcat", "vmcp q v nic 800")
    assert "does not exist" in missing["data"][0]["data"][0]
    assert missing["data"][-1] == {"errorcode": ["1"]}
    no_smcli = simulator.dsh("xcat", "smcli System_Info_Query")
    assert no_smcli["data"][0]["error"] == ["xcat: sh: smcli: command not found"]


def test_dsh_output_is_chunked_at_4k_without_cutting_lines(simulator):
    reply = simulator.dsh("zhcp1", "\n".join(f"echo line-{i:04d}-{'x' * 40}" for i in range(300)))
    chunks = reply["data"][0]["data"]
    assert len(chunks) == 4
    lines = [line for chunk in chunks for line in chunk.split("\n")]
    assert lines == [f"zhcp1: line-{i:04d}-{'x' * 40}" for i in range(300)]
    # A chunk is one 4096-byte read plus the line the previous read cut.
    assert all(len(c.replace("zhcp1: ", "").encode()) <= 4096 + 51 for c in chunks)


def test_batched_script_with_status_markers(simulator):
    lines = []
    for i in range(1, 7):
        lines.append(f"/opt/zhcp/bin/smcli Virtual_Network_Vswitch_Set_Extended -T LINUX0{i} "
                     f"-k switch_name=XCATVSW2 -k grant_userid=LINUX0{i}")
        lines.append(f'echo "#rc LINUX0{i} $?"')
    lines.append("smcli Virtual_Network_Vswitch_Set_Extended -T X -k switch_name=NOPE "
                 "-k grant_userid=X; echo \"#rc NOPE $?\"")
    reply = simulator.dsh("zhcp1", "\n".join(lines))
    text = "\n".join(reply["data"][0]["data"])
    markers = [ln.split(": ", 1)[1] for ln in text.split("\n") if "#rc" in ln]
    assert markers == [f"#rc LINUX0{i} 0" for i in range(1, 7)] + ["#rc NOPE 1"]
    assert reply["data"][-1] == {"errorcode": ["0"]}
    grants = simulator.control.state()["model"]["vswitches"]["XCATVSW2"]["grants"]
    assert {f"LINUX0{i}" for i in range(1, 7)} <= set(grants)


def test_regrant_two_call_pattern(simulator):
    cmds = "\\n".join(f"/opt/zhcp/bin/smcli Virtual_Network_Vswitch_Set_Extended -T LINUX0{i} "
                      f"-k switch_name=XCATVSW2 -k grant_userid=LINUX0{i}" for i in (1, 2))
    first = simulator.dsh("zhcp1", f'echo -e "#!/bin/sh\\n{cmds}" > grant.sh')
    assert first == {"data": [{"errorcode": ["0"]}]}
    second = simulator.dsh("zhcp1", "sh grant.sh;rm -f grant.sh")
    assert second["data"][0]["data"] == [
        "zhcp1: Changing virtual switch configuration ... Done\n"
        "zhcp1: Changing virtual switch configuration ... Done"]


def test_unknown_and_unreachable_nodes(simulator):
    unknown = simulator.xcat("PUT", "nodes/nosuch/dsh", body=["command=true"])
    assert (unknown.status_code, unknown.text) == (
        403, "<p>Invalid nodes and/or groups in noderange: nosuch</p>")
    down = simulator.dsh("linux04", "true")
    assert down["data"][0]["error"] == [
        "linux04: ssh: connect to host linux04 port 22: No route to host"]
    assert down["data"][-1] == {"errorcode": ["1"]}
    broken = simulator.xcat("PUT", "nodes/zhcp1/dsh", body=None, data="{not json")
    assert broken.status_code == 500


def test_vms_lsvm_checknics_and_chvm_smcli(simulator):
    x = simulator.xcat
    chvm = x("PUT", "vms/linux01", body=[
        "--smcli", "Image_Definition_Update_DM -T %userid% -k 'NICDEF=VDEV=1000 TYPE=QDIO "
        "MACID=0e4e8e LAN=SYSTEM SWITCHNAME=XCATVSW2'"])
    assert chvm.json() == {"data": [{"info": [
        "linux01: Updating LINUX01 virtual machine directory entry... Done"]}]}
    lsvm = x("GET", "vms/linux01").json()["data"][0]["info"][0].split("\n")
    assert "linux01: NICDEF 1000 TYPE QDIO LAN SYSTEM XCATVSW2 MACID 0E4E8E" in lsvm
    assert lsvm[0] == "linux01: USER LINUX01 XXXXXXXX 2048M 2048M G"
    ok = x("GET", "vms/linux01", "&checknics=1000").json()
    assert "errorcode" not in json.dumps(ok)
    missing = x("GET", "vms/linux02", "&checknics=1000").json()
    assert missing == {"data": [{"error": ["linux02: (Error) not able to find 1000 in user "
                                           "direct"], "errorcode": ["1"]}]}
    failed = x("PUT", "vms/linux01", body=["--smcli", "Virtual_Network_Adapter_Delete_DM "
                                                      "-T %userid% -v 2000"])
    body = failed.json()["data"][0]
    assert body["errorcode"] == ["1"] and "linux01:   Return Code: 404" in body["error"][0]


def test_makehosts_power_and_node_definitions(simulator):
    x = simulator.xcat
    assert x("PUT", "networks/makehosts").text == '{"data":[]}'
    assert x("GET", "nodes/linux04/power").json() == {"data": [{"info": ["linux04: off\n"]}]}
    assert x("PUT", "nodes/linux04/power", body=["on"]).json() == \
        {"data": [{"info": ["linux04: on\n"]}]}
    assert simulator.dsh("linux04", "vmcp q v nic") == {"data": [{"errorcode": ["0"]}]}
    created = x("POST", "nodes/os000001", body=["userid=OS000001", "hcp=zhcp1", "mgt=zvm",
                                                "groups=all"])
    assert created.status_code == 201
    assert created.json() == {"data": [{"info": [
        "1 object definitions have been created or modified."]}]}
    assert x("GET", "tables/zvm", "&col=node&value=os000001&attribute=userid").json() == \
        {"data": [{"data": ["OS000001"]}]}
    assert x("DELETE", "nodes/os000001").status_code == 200
    assert x("GET", "tables/zvm", "&col=node&value=os000001&attribute=userid").text == \
        '{"data":[]}'
