"""How xdsh turns a remote command's output into the strings of a dsh reply.

Modelled on perl-xCAT ``xCAT/DSHCore.pm`` ``pipe_handler_buffer`` and
``xCAT/DSHCLI.pm`` (xcat2/xcat-core 7733d16f8de0, unchanged in this respect
since tag 2.8.3), the buffered (non-streaming) mode the REST API uses:

- the pipe is read with ``sysread`` in pieces of at most 4,096 bytes
  (``DSHCLI.pm`` passes 4096 as the buffer size);
- a piece that does not end with a newline holds back its unfinished last
  line and puts it in front of the next piece, so every reply string holds
  whole lines only (no line is ever split across strings);
- a piece is split with Perl's ``split "\\n"``, which drops trailing empty
  fields: blank lines at the end of a piece are lost (a piece that is just
  one or two newlines keeps one blank line);
- xdsh appends ``; echo ":DSH_TARGET_RC=$?:"`` to the command
  (``DSHCLI.pm`` post-command) and DSHCore removes that line with its newline:
  a last output line without a newline is completed by it, and a piece that
  held only the marker leaves an empty string in the reply;
- every line is prefixed ``"<node>: "``; each piece becomes one string without
  its final newline (``chomp``); a reply of one empty string is no output;
- at end of file an unfinished line still held back is dropped (stderr has no
  marker, so a last stderr line without a newline never reaches the reply).
"""
from __future__ import annotations

from collections.abc import Iterable

READ_SIZE = 4096


def target_rc_marker(status: int) -> bytes:
    """The line xdsh's post-command prints after the command (``DSHCLI.pm``)."""
    return f":DSH_TARGET_RC={status}:\n".encode()


def fixed_reads(data: bytes, size: int = READ_SIZE) -> list[bytes]:
    """``data`` as a pipe gives it to a reader that is slower than the writer."""
    return [data[start:start + size] for start in range(0, len(data), size)]


def _perl_split(piece: bytes) -> list[bytes]:
    """Perl ``split "\\n"``: trailing empty fields are removed."""
    fields = piece.split(b"\n")
    while fields and not fields[-1]:
        fields.pop()
    return fields


def _render(label: bytes, lines: list[bytes]) -> bytes:
    """One reply string from the complete lines of one read (marker removed, prefixed)."""
    text = b"\n".join(lines) + b"\n"
    marker_at = text.find(b":DSH_TARGET_RC=")
    if marker_at >= 0:
        end = text.find(b":", marker_at + 1)
        text = text.replace(text[marker_at:end + 1] + b"\n", b"")
    if text:
        if text != label + b"\n":
            text = label + text
        if not text.endswith(b"\n"):
            text += b"\n"
    text = text.replace(b"\n", b"\n" + label)
    if text.endswith(b"\n" + label):
        text = text[:-len(label)]
    return text[:-1] if text.endswith(b"\n") else text


def buffered_chunks(label: str, reads: Iterable[bytes]) -> list[str]:
    """The ``data`` (or ``error``) strings DSHCore builds from the pipe's reads."""
    prefix = label.encode()
    chunks: list[bytes] = []
    held: bytes | None = None
    for piece in reads:
        if piece in (b"\n", b"\n\n") and held is None:
            piece = prefix + piece  # DSHCore's /^\n$/ keeps one blank line of such a read
        lines = _perl_split(piece)
        if held is not None:
            lines = [held + (lines[0] if lines else b"")] + lines[1:]
            held = None
        if not piece.endswith(b"\n"):
            held = lines.pop()
        if lines:
            chunks.append(_render(prefix, lines))
    if chunks == [b""]:
        return []
    return [chunk.decode("utf-8", errors="replace") for chunk in chunks]


def stdout_chunks(node: str, stdout: str, status: int) -> list[str]:
    """The ``data`` strings of a dsh reply for ``stdout`` and the remote exit ``status``."""
    return buffered_chunks(f"{node}: ", fixed_reads(stdout.encode() + target_rc_marker(status)))


def stderr_chunks(node: str, stderr: str) -> list[str]:
    """The ``error`` strings of a dsh reply for ``stderr``."""
    return buffered_chunks(f"{node}: ", fixed_reads(stderr.encode()))
