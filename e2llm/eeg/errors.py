"""Why a recording cannot be used, said in one line naming the file.

:class:`RecordingError` is what the signal side raises for a recording that cannot be used
(unreadable, too short, NaN, flat channels, no labels…); :class:`EEGReadError` for a file that
cannot be read at all, :class:`SystemReadError` when the machine failed while reading it (the
build stops instead of skipping the recording). :func:`reading_error` turns whatever a reader
raised into one of those, and :func:`reading_samples` does it where samples are read on demand
(``get_data``, ``load_data``), since MNE reads a lazily opened file only then.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
from collections.abc import Iterator
from pathlib import Path

from ..errors import InvalidInputError, MachineError, UserError, first_line
from .formats import recording_kind


class RecordingError(InvalidInputError):
    """A recording cannot be used: unreadable, too short, NaN, flat channels, no labels, …

    The message names the file and the problem, in one line.
    """


class EEGReadError(RecordingError):
    """A recording file that cannot be read: unknown type, empty, corrupt, truncated, or a
    companion file (``.fdt``, ``.eeg``, ``.vmrk``) missing. One line naming the file and the problem."""


class SystemReadError(MachineError):
    """The system failed while a recording was read (I/O error, no space left, no permission, out
    of memory): not the recording's fault, so a build stops instead of skipping it. Keeps the
    ``errno``; prints as one line naming the file."""


# errno values that say "the machine", not "the file": stop, never skip
SYSTEM_ERRNOS = frozenset(
    e
    for e in (
        errno.EIO,
        errno.ENOSPC,
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
        errno.ENOMEM,
        errno.EMFILE,
        errno.ENFILE,
        errno.EBUSY,
        errno.ETIMEDOUT,
        errno.ENXIO,
        errno.ENODEV,
        getattr(errno, "EDQUOT", None),
        getattr(errno, "ESTALE", None),
        getattr(errno, "ENOLCK", None),
        getattr(errno, "EREMOTEIO", None),
        getattr(errno, "ECONNRESET", None),
    )
    if e is not None
)


def _chain(err: BaseException | None):
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        yield err
        err = err.__cause__ or err.__context__


def is_system_error(err: BaseException | None) -> bool:
    """True for errors of the machine rather than of a recording: ``PermissionError``,
    ``MemoryError`` and ``OSError`` with an errno of :data:`SYSTEM_ERRNOS` (also when wrapped
    in another exception)."""
    return any(
        isinstance(e, (SystemReadError, PermissionError, MemoryError))
        or (isinstance(e, OSError) and e.errno in SYSTEM_ERRNOS)
        for e in _chain(err)
    )


def system_errno(err: BaseException) -> int:
    """The errno of a system error (:func:`is_system_error`), looked up through wrapped errors."""
    for e in _chain(err):
        if isinstance(e, OSError) and e.errno:
            return e.errno
        if isinstance(e, PermissionError):
            return errno.EACCES
        if isinstance(e, MemoryError):
            return errno.ENOMEM
    return errno.EIO


def reading_error(path, kind: str, err: BaseException, what: str = "cannot read as") -> Exception:
    """The one error every failure of reading a recording becomes: a :class:`SystemReadError`
    for a system error, else an :class:`EEGReadError`; both name ``path`` in one line."""
    if isinstance(err, (EEGReadError, SystemReadError)):
        return err
    if is_system_error(err):
        code = system_errno(err)
        return SystemReadError(code, f"{path}: system error while reading this {kind} recording: {os.strerror(code)}")
    if isinstance(err, FileNotFoundError):
        named = getattr(err, "filename", None) or next(iter(re.findall(r"[^\s'\"]+\.\w+", first_line(err))), None)
        missing = Path(str(named)).name if named else first_line(err)
        return EEGReadError(f"{path}: a file of this {kind} recording is missing: {missing}")
    return EEGReadError(f"{path}: {what} {kind}: {first_line(err)}")


@contextlib.contextmanager
def reading_samples(source) -> Iterator[None]:
    """``with reading_samples(path): raw.get_data(...)`` — a failure while the samples of the
    recording at ``source`` are read becomes :func:`reading_error`'s one line naming it."""
    try:
        yield
    except UserError:
        raise
    except Exception as err:
        raise reading_error(source, recording_kind(source), err, "cannot read the samples of this") from err


__all__ = [
    "EEGReadError",
    "RecordingError",
    "SystemReadError",
    "SYSTEM_ERRNOS",
    "is_system_error",
    "reading_error",
    "reading_samples",
    "system_errno",
]
