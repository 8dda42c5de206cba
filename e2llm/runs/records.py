"""Results appended one JSON line each and resumed by key: evaluation's generations, ``describe``'s
windows.

A :class:`RecordLog` is a ``.jsonl`` file of records and a key file beside it (JSON: the run's
key, what else the run wants recorded). A rerun with the same key keeps the records and appends
what is missing; one with another key discards them, saying in one line which parts of the key
differ. A kill while a record was written leaves a last line without its newline: it is ignored
and cut off before the next append; any other line that is not a record is an error (the file
was changed by hand, or is not this run's).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from pathlib import Path

from ..errors import InvalidInputError
from .atomic import write_text_atomic

logger = logging.getLogger(__name__)


def read_records(path: str | os.PathLike, key: Callable[[Mapping], Hashable]) -> dict:
    """The records of a ``.jsonl`` file by ``key(record)``, in file order; a last line cut short
    by an interruption (no newline at its end) is ignored.

    Raises:
        InvalidInputError: another line is not a record ``key`` can name.
    """
    path = Path(path)
    if not path.exists():
        return {}
    records = {}
    lines = path.read_text(encoding="utf-8").split("\n")  # the last item: "" or a line cut short
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            records[key(record)] = record
        except (json.JSONDecodeError, KeyError, TypeError, IndexError):
            if number == len(lines):
                continue
            raise InvalidInputError(
                f"{path}, line {number}: not a record of this run; remove the file to start afresh"
            ) from None
    return records


class RecordLog:
    """Records of one run, resumable while its key is the same.

    Args:
        path: the ``.jsonl`` file.
        key: what the records depend on (JSON-able); records made under another key are discarded.
        record_key: a record's identity (what a resumed run looks up).
        key_file: where the key is kept; default: beside ``path``, ``NAME.key.json``.
        discard: files made from the records, removed with them.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        key: Mapping,
        record_key: Callable[[Mapping], Hashable],
        *,
        key_file: str | os.PathLike | None = None,
        discard: Sequence[str | os.PathLike] = (),
    ):
        self.path = Path(path)
        self.key = json.loads(json.dumps(dict(key), default=str))  # as it reads back from the file
        self.record_key = record_key
        self.key_file = Path(key_file) if key_file is not None else self.path.with_suffix(".key.json")
        self.discard = [Path(p) for p in discard]

    def stored(self) -> dict:
        """What the key file holds (``{}`` when there is none or it cannot be read)."""
        try:
            value = json.loads(self.key_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}

    def kept(self) -> dict:
        """The records a run with this key left, by identity; ``{}`` under another key. Writes
        nothing."""
        if self.stored().get("key") != self.key:
            return {}
        return read_records(self.path, self.record_key)

    def open(self, **settings) -> dict:
        """Start or resume: keep the records of a run with this key (list-valued ``settings`` that
        run recorded are merged, e.g. evaluation's splits), or discard them with a warning; then
        record the key and ``settings``. Returns the kept records by identity."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        previous = self.stored()
        if previous.get("key") == self.key:
            for name, value in settings.items():
                if isinstance(value, list) and isinstance(previous.get(name), list):
                    settings[name] = sorted(set(map(str, previous[name])) | set(map(str, value)))
        elif self.path.exists() and self.path.stat().st_size > 0:
            logger.warning(
                "%s: made with other %s; discarding it and starting afresh", self.path, self._differ(previous)
            )
            self._remove_records()
        write_text_atomic(self.key_file, json.dumps({**settings, "key": self.key}, indent=2, default=str) + "\n")
        self._cut_short_tail()
        return read_records(self.path, self.record_key)

    def append(self, records: Iterable[Mapping]) -> None:
        """Add ``records`` at the end, on disk (flushed and synced) when this returns."""
        with open(self.path, "a", encoding="utf-8") as sink:
            for record in records:
                sink.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            sink.flush()
            os.fsync(sink.fileno())

    def rewrite(self, records: Iterable[Mapping]) -> None:
        """Replace the records with ``records``, atomically."""
        write_text_atomic(self.path, "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in records))

    def remove(self) -> None:
        """Remove the records and the key file (a finished run's)."""
        self.path.unlink(missing_ok=True)
        self.key_file.unlink(missing_ok=True)

    def _differ(self, previous: dict) -> str:
        old = previous.get("key")
        if not isinstance(old, dict):
            return "settings not recorded" if previous else f"settings (no {self.key_file.name})"
        names = list(self.key) + [k for k in old if k not in self.key]
        return ", ".join(k for k in names if old.get(k) != self.key.get(k))

    def _remove_records(self) -> None:
        self.path.unlink(missing_ok=True)
        for path in self.discard:
            path.unlink(missing_ok=True)

    def _cut_short_tail(self) -> None:
        """Drop a last line without its newline, so that appended records start on a line of their own."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        with open(self.path, "rb+") as f:
            data = f.read()
            if not data.endswith(b"\n"):
                f.truncate(data.rfind(b"\n") + 1)


__all__ = ["RecordLog", "read_records"]
