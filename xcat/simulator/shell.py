"""The shell that ``xdsh`` reaches on a simulated node: a small, safe interpreter.

It is never a real shell.  It understands what clients send through
``PUT /xcatws/nodes/<n>/dsh``:

- commands separated by newlines, ``;``, ``&&``, ``||`` and pipelines ``|``;
- quoting as sh does it (``'...'``, ``"..."``, backslashes), ``$?`` (exit
  status of the previous command) and ``$NAME`` from a fixed environment or
  from shell variables set by assignments (``NAME=value``, alone on a
  simple command, several allowed, as the agent's batch guards use them);
- redirections ``>``, ``>>``, ``<``, ``2>``, ``2>>``, ``2>&1``, ``>&2`` to
  files of a per-node in-memory file system (``/dev/null`` discards);
- builtins ``echo`` (``-n``, ``-e``, ``-E``), ``cat``, ``sh``/``bash`` (run a
  file, or ``-c``), ``rm``, ``chmod``, ``grep``, ``true``, ``false``, ``:``,
  ``exit``, ``hostname``, ``test``/``[`` (``-z``, ``-n``, ``=``, ``!=``, one
  string); plus the commands a host provides (``smcli`` on the
  zHCP, ``vmcp`` and ``ip`` on z/VM guests).

Anything else answers ``sh: <cmd>: command not found`` with status 127.
Command substitution (``$(...)``, backticks) is kept as literal text: shell
metacharacters in arguments are data and nothing is ever executed outside
this module.  Like bash, a script is parsed and run one line at a time, so a
syntax error stops the script at that line (status 2).
"""
from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from xcat.simulator.smcli import Output

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_NODE_BYTES = 64 * 1024 * 1024
MAX_SCRIPT_DEPTH = 8

Command = Callable[[list[str], str], Output]


@dataclass
class Host:
    """What a node offers its shell: name, files, extra commands."""
    node: str
    files: dict[str, str] = field(default_factory=dict)
    commands: dict[str, Command] = field(default_factory=dict)
    cwd: str = "/root"
    record: Callable[[str], None] | None = None     # told the name of every command run


class ShellSyntaxError(Exception):
    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


class _Exit(Exception):
    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


@dataclass
class Redirect:
    fd: int
    op: str            # ">", ">>", "<", ">&"
    target: list       # word parts, or the fd number as text for ">&"


@dataclass
class Simple:
    # A word is a list of parts: literal strings, or ("var", name) expanded at run time.
    words: list[list] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class AndOr:
    connector: str     # ";" (always), "&&", "||"
    pipeline: list[Simple]


_OPERATORS = ("&&", "||", ";;", ">>", ">&", "<", ">", "|", ";", "&", "(", ")")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGNMENT_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")


class _Lexer:
    """Turns script text into tokens, one logical line at a time."""

    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.line = 1

    def _read_subst(self, closing: str, opening: str) -> str:
        """Consume ``$(...)`` or a backtick span as literal text."""
        start = self.pos
        depth = 1
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            self.pos += 1
            if ch == "\n":
                self.line += 1
            if opening and ch == opening:
                depth += 1
            elif ch == closing:
                depth -= 1
                if depth == 0:
                    return self.text[start:self.pos]
        raise ShellSyntaxError(f"unexpected EOF while looking for matching `{closing}'",
                               self.line)

    def _dollar(self, parts: list, quoted: bool) -> None:
        text = self.text
        nxt = text[self.pos + 1] if self.pos + 1 < len(text) else ""
        if nxt == "?":
            parts.append(("var", "?"))
            self.pos += 2
        elif nxt == "(":
            self.pos += 2
            parts.append("$(" + self._read_subst(")", "("))
        elif nxt == "{":
            end = text.find("}", self.pos + 2)
            if end < 0:
                raise ShellSyntaxError("unexpected EOF while looking for matching `}'",
                                       self.line)
            parts.append(("var", text[self.pos + 2:end]))
            self.pos = end + 1
        else:
            match = _NAME_RE.match(text, self.pos + 1)
            if match:
                parts.append(("var", match.group(0)))
                self.pos = match.end()
            else:
                parts.append("$")
                self.pos += 1

    def tokens(self) -> Iterator[tuple]:
        """Yield ("word", parts), ("op", text), ("newline", line) and ("eof",)."""
        text = self.text
        while True:
            # skip blanks
            while self.pos < len(text) and text[self.pos] in " \t":
                self.pos += 1
            if self.pos >= len(text):
                yield ("eof",)
                return
            ch = text[self.pos]
            if ch == "\n":
                self.pos += 1
                line = self.line
                self.line += 1
                yield ("newline", line)
                continue
            if ch == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
                continue
            if ch == "\\" and text.startswith("\\\n", self.pos):
                self.pos += 2
                self.line += 1
                continue
            op = next((o for o in _OPERATORS if text.startswith(o, self.pos)), None)
            if op:
                self.pos += len(op)
                yield ("op", op)
                continue
            yield self._word()

    def _word(self) -> tuple:
        text = self.text
        parts: list = []
        buf: list[str] = []

        def flush() -> None:
            if buf:
                parts.append("".join(buf))
                buf.clear()

        quoted = False
        while self.pos < len(text):
            ch = text[self.pos]
            if ch in " \t\n" or (ch in ";&|<>()"):
                break
            if ch == "\\":
                if self.pos + 1 < len(text):
                    if text[self.pos + 1] == "\n":
                        self.line += 1
                    else:
                        buf.append(text[self.pos + 1])
                self.pos += 2
                quoted = True
                continue
            if ch == "'":
                end = text.find("'", self.pos + 1)
                if end < 0:
                    raise ShellSyntaxError("unexpected EOF while looking for matching `''",
                                           self.line)
                chunk = text[self.pos + 1:end]
                self.line += chunk.count("\n")
                buf.append(chunk)
                self.pos = end + 1
                quoted = True
                continue
            if ch == '"':
                self.pos += 1
                quoted = True
                self._double_quoted(buf, parts, flush)
                continue
            if ch == "`":
                self.pos += 1
                buf.append("`" + self._read_subst("`", ""))
                continue
            if ch == "$":
                flush()
                self._dollar(parts, quoted=False)
                continue
            buf.append(ch)
            self.pos += 1
        flush()
        # A bare all-digit word directly before < or > is a file-descriptor prefix.
        if (not quoted and len(parts) == 1 and isinstance(parts[0], str)
                and parts[0].isdigit() and self.pos < len(text) and text[self.pos] in "<>"):
            return ("fd", int(parts[0]))
        return ("word", parts if parts else [""], quoted)

    def _double_quoted(self, buf: list[str], parts: list, flush: Callable[[], None]) -> None:
        text = self.text
        while True:
            if self.pos >= len(text):
                raise ShellSyntaxError("unexpected EOF while looking for matching `\"'",
                                       self.line)
            ch = text[self.pos]
            if ch == '"':
                self.pos += 1
                return
            if ch == "\\" and self.pos + 1 < len(text) and text[self.pos + 1] in '$`"\\\n':
                if text[self.pos + 1] == "\n":
                    self.line += 1
                else:
                    buf.append(text[self.pos + 1])
                self.pos += 2
                continue
            if ch == "$":
                flush()
                self._dollar(parts, quoted=True)
                continue
            if ch == "`":
                self.pos += 1
                buf.append("`" + self._read_subst("`", ""))
                continue
            if ch == "\n":
                self.line += 1
            buf.append(ch)
            self.pos += 1


def parse_lines(text: str) -> Iterator[tuple[int, list[AndOr]]]:
    """Yield (line number, and-or list) for each logical line; raise on syntax errors."""
    lexer = _Lexer(text)
    tokens = lexer.tokens()
    current: list[AndOr] = []
    pipeline: list[Simple] = []
    simple = Simple()
    connector = ";"
    pending_redirect: Redirect | None = None
    expect_command = False       # after | && ||: a command must follow

    def end_simple(token_text: str) -> None:
        nonlocal simple
        if not simple.words and not simple.redirects:
            raise ShellSyntaxError(f"syntax error near unexpected token `{token_text}'",
                                   lexer.line)
        pipeline.append(simple)
        simple = Simple()

    def end_andor(token_text: str) -> None:
        nonlocal pipeline
        end_simple(token_text)
        current.append(AndOr(connector, pipeline))
        pipeline = []

    fd_prefix: int | None = None
    for token in tokens:
        kind = token[0]
        if pending_redirect is not None:
            if kind != "word":
                shown = token[1] if kind == "op" else "newline"
                raise ShellSyntaxError(f"syntax error near unexpected token `{shown}'",
                                       lexer.line)
            pending_redirect.target = token[1]
            simple.redirects.append(pending_redirect)
            pending_redirect = None
            continue
        if kind == "fd":
            fd_prefix = token[1]
            continue
        if kind == "word":
            simple.words.append(token[1])
            expect_command = False
            continue
        if kind == "op":
            op = token[1]
            if op in (">", ">>", "<"):
                fd = fd_prefix if fd_prefix is not None else (0 if op == "<" else 1)
                fd_prefix = None
                pending_redirect = Redirect(fd=fd, op=op, target=[])
                continue
            if op == ">&":
                fd = fd_prefix if fd_prefix is not None else 1
                fd_prefix = None
                pending_redirect = Redirect(fd=fd, op=">&", target=[])
                continue
            if op in ("(", ")", ";;"):
                raise ShellSyntaxError(f"syntax error near unexpected token `{op}'", lexer.line)
            if op == "|":
                end_simple(op)
                expect_command = True
                continue
            if op in ("&&", "||"):
                end_andor(op)
                connector = op
                expect_command = True
                continue
            # ";" or "&": end of an and-or list (background runs in sequence here)
            end_andor(op)
            connector = ";"
            continue
        # newline or eof
        if expect_command:
            if kind == "eof":
                raise ShellSyntaxError("syntax error: unexpected end of file", lexer.line)
            continue        # a command may follow on the next line
        if simple.words or simple.redirects or pipeline:
            end_andor("newline")
        connector = ";"
        if current:
            yield (token[1] if kind == "newline" else lexer.line), current
            current = []
        if kind == "eof":
            return


def _echo_escapes(text: str) -> tuple[str, bool]:
    """Interpret ``echo -e`` escapes; returns (text, stop) where stop means ``\\c`` seen."""
    out = []
    i = 0
    simple = {"\\": "\\", "a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "n": "\n",
              "r": "\r", "t": "\t", "v": "\v"}
    while i < len(text):
        ch = text[i]
        if ch != "\\" or i + 1 >= len(text):
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt in simple:
            out.append(simple[nxt])
            i += 2
        elif nxt == "c":
            return "".join(out), True
        elif nxt == "0":
            match = re.match(r"[0-7]{0,3}", text[i + 2:])
            assert match is not None, "{0,3} matches the empty string"
            out.append(chr(int(match.group(0) or "0", 8) & 0xFF))
            i += 2 + len(match.group(0))
        elif nxt == "x":
            match = re.match(r"[0-9A-Fa-f]{1,2}", text[i + 2:])
            if match:
                out.append(chr(int(match.group(0), 16)))
                i += 2 + len(match.group(0))
            else:
                out.append("\\x")
                i += 2
        else:
            out.append("\\" + nxt)
            i += 2
    return "".join(out), False


class Shell:
    """Runs scripts for one :class:`Host`."""

    def __init__(self, host: Host, environment: dict[str, str] | None = None):
        self.host = host
        self.env = {"HOME": "/root", "USER": "root", "SHELL": "/bin/bash",
                    "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin:/opt/zhcp/bin",
                    "HOSTNAME": host.node, **(environment or {})}
        self.vars: dict[str, str] = {}
        self.status = 0
        self.depth = 0

    # ----------------------------------------------------------------- running
    def run(self, script: str, name: str = "-c") -> Output:
        stdout: list[str] = []
        stderr: list[str] = []
        try:
            self._run_script(script, name, stdout, stderr)
        except _Exit as stop:
            self.status = stop.status
        return Output(stdout="".join(stdout), stderr="".join(stderr), status=self.status)

    def _run_script(self, script: str, name: str, stdout: list[str], stderr: list[str]) -> None:
        try:
            for _line, andors in parse_lines(script):
                for andor in andors:
                    if andor.connector == "&&" and self.status != 0:
                        continue
                    if andor.connector == "||" and self.status == 0:
                        continue
                    self._run_pipeline(andor.pipeline, stdout, stderr)
        except ShellSyntaxError as err:
            where = f"sh: {name}: line {err.line}" if name == "-c" else f"{name}: line {err.line}"
            stderr.append(f"{where}: {err}\n")
            if "unexpected EOF" in str(err):
                stderr.append(f"{where.rsplit(':', 1)[0]}: line {err.line + 1}: "
                              f"syntax error: unexpected end of file\n")
            self.status = 2

    def _expand(self, parts: list) -> str:
        out = []
        for part in parts:
            if isinstance(part, tuple):
                name = part[1]
                if name == "?":
                    out.append(str(self.status))
                else:
                    out.append(self.vars.get(name, self.env.get(name, "")))
            else:
                out.append(part)
        return "".join(out)

    def _run_pipeline(self, pipeline: list[Simple], stdout: list[str],
                      stderr: list[str]) -> None:
        data = ""
        for index, simple in enumerate(pipeline):
            last = index == len(pipeline) - 1
            result = self._run_simple(simple, data)
            stderr.append(result.stderr)
            if last:
                stdout.append(result.stdout)
            else:
                data = result.stdout
            self.status = result.status

    def _path(self, name: str) -> str:
        return posixpath.normpath(posixpath.join(self.host.cwd, name))

    def _assignments(self, simple: Simple) -> dict[str, str] | None:
        """The variables of a simple command made only of ``NAME=value`` words
        (None when it is a command)."""
        if not simple.words or simple.redirects:
            return None
        assigned: dict[str, str] = {}
        for word in simple.words:
            first = word[0] if word else ""
            match = _ASSIGNMENT_RE.match(first) if isinstance(first, str) else None
            if match is None:
                return None
            assigned[match.group(1)] = self._expand([first[match.end():]] + list(word[1:]))
        return assigned

    def _run_simple(self, simple: Simple, stdin: str) -> Output:
        assigned = self._assignments(simple)
        if assigned is not None:
            self.vars.update(assigned)
            return Output()
        argv = [self._expand(w) for w in simple.words]
        # Input redirection first, then run, then route output streams.
        for redirect in simple.redirects:
            if redirect.op == "<":
                target = self._expand(redirect.target)
                path = self._path(target)
                if path == "/dev/null":
                    stdin = ""
                elif path in self.host.files:
                    stdin = self.host.files[path]
                else:
                    return Output(stderr=f"sh: {target}: No such file or directory\n", status=1)
        # Resolve output destinations in order, as sh does: "> f 2>&1" sends both
        # streams to f, "2>&1 > f" sends stderr to the old stdout.
        # fd -> the fd it writes to, or ("file", path, target)
        dest: dict[int, int | tuple[str, str, str]] = {1: 1, 2: 2}
        opened: dict[str, list[str]] = {}
        appends: dict[str, bool] = {}
        for redirect in simple.redirects:
            if redirect.op == "<":
                continue
            if redirect.op == ">&":
                source = self._expand(redirect.target)
                if source not in ("1", "2"):
                    return Output(stderr=f"sh: {source}: ambiguous redirect\n", status=1)
                dest[redirect.fd] = dest[int(source)]
                continue
            target = self._expand(redirect.target)
            if not target:
                return Output(stderr="sh: : No such file or directory\n", status=1)
            path = self._path(target)
            if path not in opened:
                opened[path] = []
                appends[path] = redirect.op == ">>"
            dest[redirect.fd] = ("file", path, target)
        result = self._dispatch(argv, stdin) if argv else Output()
        out: dict[int, list[str]] = {1: [], 2: []}
        for fd, data in ((1, result.stdout), (2, result.stderr)):
            where = dest.get(fd, fd)
            if isinstance(where, tuple):
                opened[where[1]].append(data)
            else:
                out[where].append(data)
        for path, chunks in opened.items():
            error = self._write(path, "".join(chunks), append=appends[path])
            if error:
                return Output(stdout="".join(out[1]), stderr="".join(out[2]) + error, status=1)
        return Output(stdout="".join(out[1]), stderr="".join(out[2]), status=result.status)

    def _write(self, path: str, data: str, append: bool) -> str | None:
        if path == "/dev/null":
            return None
        name = posixpath.basename(path)
        new = (self.host.files.get(path, "") if append else "") + data
        total = sum(len(v) for k, v in self.host.files.items() if k != path) + len(new)
        if len(new) > MAX_FILE_BYTES or total > MAX_NODE_BYTES:
            return f"sh: {name}: No space left on device\n"
        self.host.files[path] = new
        return None

    # ---------------------------------------------------------------- commands
    def _dispatch(self, argv: list[str], stdin: str) -> Output:
        name = argv[0]
        if self.host.record is not None:
            self.host.record(name)
        builtin = _BUILTINS.get(name)
        if builtin is not None:
            return builtin(self, argv, stdin)
        command = self.host.commands.get(name)
        if command is not None:
            return command(argv, stdin)
        if "/" in name:
            path = self._path(name)
            if path in self.host.files:
                return Output(stderr=f"sh: {name}: Permission denied\n", status=126)
            return Output(stderr=f"sh: {name}: No such file or directory\n", status=127)
        return Output(stderr=f"sh: {name}: command not found\n", status=127)

    def _echo(self, argv: list[str], _stdin: str) -> Output:
        args = argv[1:]
        newline = True
        escapes = False
        while args and re.fullmatch(r"-[neE]+", args[0]):
            flags = args.pop(0)[1:]
            for flag in flags:
                if flag == "n":
                    newline = False
                elif flag == "e":
                    escapes = True
                else:
                    escapes = False
        text = " ".join(args)
        if escapes:
            text, stop = _echo_escapes(text)
            if stop:
                return Output(stdout=text)
        return Output(stdout=text + ("\n" if newline else ""))

    def _cat(self, argv: list[str], stdin: str) -> Output:
        names = [a for a in argv[1:] if a != "-"] if len(argv) > 1 else []
        if len(argv) == 1 or argv[1:] == ["-"]:
            return Output(stdout=stdin)
        out, err, status = [], [], 0
        for name in names:
            path = self._path(name)
            if path in self.host.files:
                out.append(self.host.files[path])
            else:
                err.append(f"cat: {name}: No such file or directory\n")
                status = 1
        return Output(stdout="".join(out), stderr="".join(err), status=status)

    def _sh(self, argv: list[str], stdin: str) -> Output:
        args = argv[1:]
        while args and args[0] in ("-e", "-x", "-u", "-v"):
            args.pop(0)
        if self.depth >= MAX_SCRIPT_DEPTH:
            return Output(stderr=f"{argv[0]}: maximum nesting level exceeded\n", status=2)
        if args and args[0] == "-c":
            if len(args) < 2:
                return Output(stderr=f"{argv[0]}: -c: option requires an argument\n", status=2)
            script, name = args[1], "-c"
        elif args:
            path = self._path(args[0])
            if path not in self.host.files:
                return Output(stderr=f"{argv[0]}: {args[0]}: No such file or directory\n",
                              status=127)
            script, name = self.host.files[path], args[0]
        else:
            script, name = stdin, "-c"
        child = Shell(self.host, self.env)
        child.depth = self.depth + 1
        return child.run(script, name=name)

    def _rm(self, argv: list[str], _stdin: str) -> Output:
        force = False
        names = []
        for arg in argv[1:]:
            if arg.startswith("-") and len(arg) > 1:
                force = force or "f" in arg
            else:
                names.append(arg)
        err, status = [], 0
        for name in names:
            path = self._path(name)
            if path in self.host.files:
                del self.host.files[path]
            elif not force:
                err.append(f"rm: cannot remove '{name}': No such file or directory\n")
                status = 1
        if not names and not force:
            return Output(stderr="rm: missing operand\n", status=1)
        return Output(stderr="".join(err), status=status)

    def _chmod(self, argv: list[str], _stdin: str) -> Output:
        names = [a for a in argv[2:]]
        for name in names:
            if self._path(name) not in self.host.files:
                return Output(stderr=f"chmod: cannot access '{name}': No such file or directory\n",
                              status=1)
        return Output() if len(argv) >= 3 else Output(stderr="chmod: missing operand\n",
                                                      status=1)

    def _grep(self, argv: list[str], stdin: str) -> Output:
        flags: set[str] = set()
        args: list[str] = []
        for arg in argv[1:]:
            if arg.startswith("-") and len(arg) > 1 and not args:
                flags.update(arg[1:])
            else:
                args.append(arg)
        if not args:
            return Output(stderr="Usage: grep [OPTION]... PATTERNS [FILE]...\n", status=2)
        pattern, files = args[0], args[1:]
        if "E" not in flags:
            # basic regular expressions: \( \) \| \{ \} are the special forms
            pattern = re.sub(r"\\([(){}|+?])|([(){}|+?])",
                             lambda m: m.group(1) or "\\" + m.group(2), pattern)
        try:
            regex = re.compile(pattern, re.IGNORECASE if "i" in flags else 0)
        except re.error:
            return Output(stderr="grep: Invalid regular expression\n", status=2)
        text = stdin
        if files:
            parts = []
            for name in files:
                path = self._path(name)
                if path not in self.host.files:
                    return Output(stderr=f"grep: {name}: No such file or directory\n", status=2)
                parts.append(self.host.files[path])
            text = "".join(parts)
        lines = text.splitlines()
        matched = [ln for ln in lines if bool(regex.search(ln)) != ("v" in flags)]
        status = 0 if matched else 1
        if "q" in flags:
            return Output(status=status)
        if "c" in flags:
            return Output(stdout=f"{len(matched)}\n", status=status)
        return Output(stdout="".join(ln + "\n" for ln in matched), status=status)

    def _exit(self, argv: list[str], _stdin: str) -> Output:
        status = self.status
        if len(argv) > 1:
            status = int(argv[1]) & 0xFF if argv[1].lstrip("-").isdigit() else 2
        raise _Exit(status)

    def _hostname(self, _argv: list[str], _stdin: str) -> Output:
        return Output(stdout=self.host.node + "\n")

    def _test(self, argv: list[str], _stdin: str) -> Output:
        """``test``/``[`` for the forms scripts sent here use (as coreutils test)."""
        args = argv[1:]
        if argv[0] == "[":
            if not args or args[-1] != "]":
                return Output(stderr="[: missing `]'\n", status=2)
            args = args[:-1]
        if not args:
            return Output(status=1)
        if len(args) == 1:
            return Output(status=0 if args[0] else 1)
        if len(args) == 2 and args[0] in ("-z", "-n"):
            empty = args[1] == ""
            return Output(status=0 if empty == (args[0] == "-z") else 1)
        if len(args) == 3 and args[1] in ("=", "!="):
            equal = args[0] == args[2]
            return Output(status=0 if equal == (args[1] == "=") else 1)
        return Output(stderr=f"{argv[0]}: unsupported expression: {' '.join(args)}\n",
                      status=2)


_BUILTINS: dict[str, Callable[[Shell, list[str], str], Output]] = {
    "echo": Shell._echo,
    "cat": Shell._cat,
    "sh": Shell._sh,
    "bash": Shell._sh,
    "/bin/sh": Shell._sh,
    "/bin/bash": Shell._sh,
    "rm": Shell._rm,
    "chmod": Shell._chmod,
    "grep": Shell._grep,
    "true": lambda self, argv, stdin: Output(),
    ":": lambda self, argv, stdin: Output(),
    "false": lambda self, argv, stdin: Output(status=1),
    "exit": Shell._exit,
    "hostname": Shell._hostname,
    "test": Shell._test,
    "[": Shell._test,
}
