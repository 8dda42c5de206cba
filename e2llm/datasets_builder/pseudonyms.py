"""Stable pseudonyms for the ``subject``, ``source`` and ``id`` columns (``prepare --pseudonymize``).

File and folder names, often a subject's name in clinical data, become the ``subject``, ``source``
and ``id`` columns of the segments dataset. With ``pseudonymize=True`` they are replaced by keyed
hashes — ``sub-`` / ``rec-`` followed by the first 12 hex digits of HMAC-SHA256 (a random 256-bit
key) of the original name — so the same name always gets the same pseudonym and a pseudonym
cannot be traced back without the key.

The key and the table pseudonym ↔ original name are kept in a local JSON file (mode 0600) beside
the dataset folder, never inside it (so never uploaded with it): by default
``<out parent>/<out name>.pseudonym-key.json``. A rerun with the same key file gives the same
pseudonyms; without it a new key (and new pseudonyms) is drawn.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from ..errors import InvalidInputError
from ..runs.atomic import atomic_file

KEY_FORMAT = "e2llm-pseudonym-key"
KEY_SUFFIX = ".pseudonym-key.json"
DIGITS = 12  # hex digits of the HMAC kept: 48 bits, unique for any realistic number of names
METHOD = f"HMAC-SHA256 with a secret key, first {DIGITS} hex digits"


def default_key_path(out_dir) -> Path:
    """``<parent>/<name>.pseudonym-key.json`` beside the dataset folder ``out_dir``."""
    out = Path(out_dir)
    return out.parent / f"{out.name}{KEY_SUFFIX}"


class Pseudonymizer:
    """Keyed, stable pseudonyms for subject names and recording file names.

    Attributes:
        key: the secret (32 bytes).
        subjects, sources: original name → pseudonym, for every name pseudonymized so far (what
            the key file keeps so that a pseudonym can be traced back locally).
    """

    def __init__(self, key: bytes, subjects: dict | None = None, sources: dict | None = None):
        if len(key) < 16:
            raise InvalidInputError("a pseudonym key must be at least 16 bytes")
        self.key = key
        self.subjects: dict[str, str] = dict(subjects or {})
        self.sources: dict[str, str] = dict(sources or {})

    @classmethod
    def new(cls) -> Pseudonymizer:
        return cls(secrets.token_bytes(32))

    @classmethod
    def load(cls, path) -> Pseudonymizer:
        """The pseudonymizer of a key file written by :meth:`save`.

        Raises:
            ValueError: the file is not an e2llm pseudonym key file (unreadable, not JSON, no key).
        """
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != KEY_FORMAT:
                raise InvalidInputError(f"'format' is not {KEY_FORMAT!r}")
            key = bytes.fromhex(data["key"])
            return cls(key, data.get("subjects"), data.get("sources"))
        except OSError:
            raise
        except Exception as err:  # noqa: BLE001 - any malformed content
            raise InvalidInputError(f"{path}: not an e2llm pseudonym key file ({err})") from None

    @classmethod
    def load_or_new(cls, path) -> Pseudonymizer:
        """The key file's pseudonymizer if it exists, else one with a new random key (saved only by :meth:`save`)."""
        return cls.load(path) if Path(path).exists() else cls.new()

    @property
    def key_id(self) -> str:
        """A public identifier of the key (a hash of it, from which the key cannot be recovered)."""
        return hashlib.sha256(b"e2llm pseudonym key id\0" + self.key).hexdigest()[:16]

    def _digest(self, kind: str, name: str) -> str:
        return hmac.new(self.key, f"{kind}\0{name}".encode(), hashlib.sha256).hexdigest()[:DIGITS]

    def subject(self, name: str) -> str:
        """``sub-<12 hex digits>`` for a subject name."""
        name = str(name)
        pseudonym = self.subjects.get(name) or f"sub-{self._digest('subject', name)}"
        self.subjects[name] = pseudonym
        return pseudonym

    def source(self, relative_name: str, suffix: str = "") -> str:
        """``rec-<12 hex digits><suffix>`` for a recording's path relative to the input folder
        (``suffix``: its file type, e.g. ``.edf``, which names no one)."""
        pseudonym = self.sources.get(relative_name) or f"rec-{self._digest('source', relative_name)}{suffix}"
        self.sources[relative_name] = pseudonym
        return pseudonym

    def save(self, path) -> Path:
        """Write the key and the name ↔ pseudonym table to ``path`` atomically, readable by the
        owner only (mode 0600)."""
        path = Path(path)
        data = {
            "format": KEY_FORMAT,
            "version": 1,
            "warning": "SECRET: this key turns names into the dataset's pseudonyms and this table turns them back. "
            "Keep it private, never upload it; without it a rebuild draws new pseudonyms.",
            "method": METHOD,
            "key": self.key.hex(),
            "key_id": self.key_id,
            "subjects": dict(sorted(self.subjects.items())),
            "sources": dict(sorted(self.sources.items())),
        }
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        with atomic_file(path) as tmp:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.chmod(tmp, 0o600)
        return path


__all__ = ["KEY_SUFFIX", "METHOD", "Pseudonymizer", "default_key_path"]
