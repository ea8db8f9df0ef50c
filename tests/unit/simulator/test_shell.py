"""The safe shell: separators, $?, echo -e, files, redirections, never executing data."""
from __future__ import annotations

from xcat.simulator.shell import Host, Shell
from xcat.simulator.smcli import Output


def _shell(**commands):
    host = Host(node="zhcp1", commands=commands)
    return host, Shell(host)


def _fake(status):
    return lambda argv, stdin: Output(stdout=f"ran {' '.join(argv[1:])}\n", status=status)


def test_separators_and_exit_status_markers():
    _, sh = _shell(ok=_fake(0), bad=_fake(1))
    out = sh.run("ok a; echo \"rc=$?\"\nbad b;echo rc=$?\nok c && echo yes || echo no\n"
                 "bad d && echo yes || echo no")
    assert out.stdout == "ran a\nrc=0\nran b\nrc=1\nran c\nyes\nran d\nno\n"
    assert out.status == 0


def test_unknown_command_and_missing_path():
    _, sh = _shell()
    out = sh.run("frobnicate x")
    assert (out.stderr, out.status) == ("sh: frobnicate: command not found\n", 127)
    out = sh.run("/opt/zhcp/bin/smcli System_Info_Query; echo $?")
    assert out.stderr == "sh: /opt/zhcp/bin/smcli: No such file or directory\n"
    assert out.stdout == "127\n"


def test_regrant_script_pattern_of_the_anchor_agent():
    host, sh = _shell(smcli=_fake(0))
    script = ("smcli Virtual_Network_Vswitch_Set_Extended -T user01 -k switch_name=sw "
              "-k grant_userid=user01\\nsmcli X -T user02")
    first = sh.run(f'echo -e "#!/bin/sh\\n{script}" > grant.sh')
    assert first.stdout == "" and first.status == 0
    assert host.files["/root/grant.sh"].startswith("#!/bin/sh\nsmcli Virtual_Network")
    second = Shell(host).run("sh grant.sh;rm -f grant.sh")
    assert second.stdout == ("ran Virtual_Network_Vswitch_Set_Extended -T user01 -k "
                             "switch_name=sw -k grant_userid=user01\nran X -T user02\n")
    assert "/root/grant.sh" not in host.files


def test_metacharacters_are_data():
    calls = []

    def record(argv, stdin):
        calls.append(argv)
        return Output()
    _, sh = _shell(smcli=record)
    out = sh.run("echo '$(rm -rf /)' \"`reboot`\" $(halt) ; smcli -T 'a;b' \"c|d\" e\\&f")
    assert out.stdout == "$(rm -rf /) `reboot` $(halt)\n"
    assert calls == [["smcli", "-T", "a;b", "c|d", "e&f"]]


def test_redirections_and_cat_and_pipes():
    host, sh = _shell(fail=lambda argv, stdin: Output(stdout="o\n", stderr="e\n", status=3))
    out = sh.run("fail > out.txt 2>&1; echo $?; cat out.txt; fail 2>/dev/null; "
                 "echo abc >> out.txt; cat < out.txt | grep -c .")
    assert out.stdout == "3\no\ne\no\n3\n"
    assert out.stderr == ""
    assert sh.run("cat missing").stderr == "cat: missing: No such file or directory\n"
    assert sh.run("echo hi | grep -q hi; echo $?").stdout == "0\n"


def test_echo_options():
    _, sh = _shell()
    assert sh.run(r"echo -e 'a\tb\nc'").stdout == "a\tb\nc\n"
    assert sh.run(r"echo 'a\nb'").stdout == "a\\nb\n"
    assert sh.run("echo -n x; echo y").stdout == "xy\n"


def test_syntax_errors_stop_at_the_line():
    _, sh = _shell()
    out = sh.run("echo first\necho 'unterminated\necho never")
    assert out.stdout == "first\n" and out.status == 2
    assert "unexpected EOF while looking for matching `''" in out.stderr
    out = sh.run("echo a ;; echo b")
    assert out.stdout == "" and "syntax error near unexpected token `;;'" in out.stderr
    out = sh.run("echo ok\n| echo b")
    assert out.stdout == "ok\n" and out.status == 2


def test_thousand_commands_with_markers():
    _, sh = _shell(smcli=_fake(0))
    script = "\n".join(f"smcli F -T U{i}; echo \"#rc {i} $?\"" for i in range(1000))
    out = sh.run(script)
    lines = out.stdout.splitlines()
    assert len(lines) == 2000 and lines[-1] == "#rc 999 0"


def test_exit_and_nested_sh_c():
    _, sh = _shell()
    out = sh.run("echo a; exit 4; echo b")
    assert (out.stdout, out.status) == ("a\n", 4)
    assert sh.run("sh -c 'echo inner; false'; echo $?").stdout == "inner\n1\n"
