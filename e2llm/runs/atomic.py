"""Writing files and folders so that a reader sees the old version or the new one, never half.

A file is written beside its destination under a temporary name and moved into place with
``os.replace`` (atomic on one filesystem). A folder is built in a temporary sibling; the old
folder, if any, is moved aside, the new one moved in, the old one removed. Temporary names carry
the host and process id of their writer — ``.NAME.tmp-HOST-PID-RANDOM`` and
``.NAME.old-HOST-PID-RANDOM`` — so that leftovers of a killed writer can be told from another
live writer's work, also on a filesystem shared between hosts.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

TMP_TAG, OLD_TAG = ".tmp-", ".old-"


def _owner_tag() -> str:
    host = "".join(c if c.isalnum() else "_" for c in socket.gethostname()) or "host"
    return f"{host}-{os.getpid()}-{secrets.token_hex(4)}"


def temporary_sibling(path: str | os.PathLike, tag: str = TMP_TAG) -> Path:
    """A fresh name beside ``path`` (not created): ``.NAME.tmp-HOST-PID-RANDOM``."""
    path = Path(path)
    return path.parent / f".{path.name}{tag}{_owner_tag()}"


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[Path]:
    """``with atomic_file(p) as tmp: write tmp`` — ``p`` appears only once the block succeeds;
    on an error the temporary file is removed and ``p`` is untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


@contextlib.contextmanager
def atomic_directory(out: str | os.PathLike, carry_over: bool = False) -> Iterator[Path]:
    """``with atomic_directory(d) as tmp: fill tmp`` — ``d`` is replaced by ``tmp`` only when the
    block succeeds (a previous ``d`` is removed after the new one is in place); on an error, or
    a kill, ``d`` is as it was. Leftovers of killed writers are cleaned first. ``carry_over``: see
    :func:`replace_directory`."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(out)
    tmp = temporary_sibling(out)
    tmp.mkdir()
    try:
        yield tmp
        replace_directory(tmp, out, carry_over=carry_over)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def replace_directory(new: Path, out: Path, carry_over: bool = False) -> None:
    """Move the finished folder ``new`` to ``out``; an old ``out`` is removed only afterwards, and
    put back if the move fails. With ``carry_over``, what the old ``out`` held and ``new`` does not
    (a training run's checkpoints, logs…) is moved into the new ``out`` first (renames only)."""
    old = None
    if out.exists():
        old = temporary_sibling(out, OLD_TAG)
        os.replace(out, old)
    try:
        os.replace(new, out)
    except BaseException:
        if old is not None:
            os.replace(old, out)
        raise
    if old is not None:
        if carry_over:
            for entry in old.iterdir():
                if not (out / entry.name).exists():
                    os.replace(entry, out / entry.name)
        shutil.rmtree(old, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def clean_leftovers(out: str | os.PathLike) -> list[Path]:
    """Remove ``.NAME.tmp-*`` / ``.NAME.old-*`` beside ``out`` left by a writer that was killed.

    Only leftovers of this host whose process is gone are removed: one named for another host may
    be a live build on a shared filesystem, and is left alone. Returns what was removed."""
    out = Path(out)
    if not out.parent.is_dir():
        return []
    host = _owner_tag().split("-")[0]
    removed = []
    for tag in (TMP_TAG, OLD_TAG):
        for leftover in out.parent.glob(f".{out.name}{tag}*"):
            owner = leftover.name[len(f".{out.name}{tag}") :].split("-")
            if len(owner) != 3 or owner[0] != host or not owner[1].isdigit():
                continue  # another host's, or not ours at all
            if int(owner[1]) != os.getpid() and not _pid_alive(int(owner[1])):
                shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink(missing_ok=True)
                removed.append(leftover)
    return removed


__all__ = [
    "atomic_directory",
    "atomic_file",
    "clean_leftovers",
    "replace_directory",
    "temporary_sibling",
    "write_text_atomic",
]
