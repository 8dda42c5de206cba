"""Content hashes that decide whether earlier work can be reused.

* :func:`folder_listing` — a folder's files by name, size and modification time: cheap, what the
  segments build compares its inputs by;
* :class:`FileHashes` — sha256 of file contents, remembered across runs while a file's size,
  times and inode are unchanged: what evaluation's resume key is made of;
* :func:`weights_fingerprint`, :func:`processor_fingerprint`, :func:`sha256_json` — a model's
  weights, what turns a conversation into tokens, any JSON-able value.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

_CHUNK = 8 << 20
MODEL_FILES = ("config.json", "generation_config.json")
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".safetensors.index.json", ".bin.index.json")


def sha256_json(value) -> str:
    """The sha256 of ``value`` as canonical JSON (keys sorted)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def folder_listing(folder: str | os.PathLike, exclude: Sequence[Path] = ()) -> list[tuple[str, int, int]]:
    """``(relative name, size, mtime_ns)`` of every file under ``folder``, sorted, but hidden ones
    and those in (or under) ``exclude`` (resolved paths)."""
    folder = Path(folder)
    exclude = [Path(e) for e in exclude]
    out = []
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (here / d).resolve() not in exclude)
        for name in sorted(files):
            path = here / name
            if name.startswith(".") or path.resolve() in exclude:
                continue
            st = path.stat()
            out.append((path.relative_to(folder).as_posix(), st.st_size, st.st_mtime_ns))
    return out


class FileHashes:
    """sha256 of files' contents, read in chunks. A hash is reused while the file's size, mtime,
    ctime and inode are unchanged (``cache``: what an earlier run kept, :attr:`cache` of it)."""

    def __init__(self, cache: Mapping | None = None):
        self.known = dict(cache) if isinstance(cache, Mapping) else {}
        self.cache: dict[str, dict] = {}  # the files hashed (or recognised) in this run

    def file(self, path: str | os.PathLike) -> str:
        path = Path(path).resolve()
        st = path.stat()
        stamp = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        known = self.known.get(str(path))
        if isinstance(known, dict) and known.get("stat") == stamp and isinstance(known.get("sha256"), str):
            self.cache[str(path)] = known
            return known["sha256"]
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
        self.cache[str(path)] = {"stat": stamp, "sha256": digest.hexdigest()}
        return digest.hexdigest()

    def files(self, root: str | os.PathLike, paths: Iterable[Path]) -> str:
        """One hash of ``paths`` (under ``root``): their names relative to it and their contents."""
        root = Path(root)
        digest = hashlib.sha256()
        for path in sorted(paths):
            digest.update(f"{Path(path).relative_to(root).as_posix()}\0{self.file(path)}\n".encode())
        return digest.hexdigest()

    def tree(self, root: str | os.PathLike) -> str:
        """One hash of every file under ``root``, but hidden ones (temporary writes) and the cache
        files of ``datasets``."""
        root = Path(root)

        def wanted(p: Path) -> bool:
            parts = p.relative_to(root).parts
            return (
                p.is_file()
                and not any(x.startswith(".") for x in parts)
                and not parts[-1].startswith(("cache-", "tmp"))
            )

        return self.files(root, [p for p in root.rglob("*") if wanted(p)])


def weights_fingerprint(model, loaded_from: str | None, hashes: FileHashes) -> str:
    """A content hash of a model's weights: of its folder's weight files (and config) when it was
    loaded from the folder ``loaded_from`` (for a Hub id, the Hugging Face cache's snapshot), else
    (a model object passed in, perhaps changed since it was loaded) of the tensors in memory."""
    if loaded_from is not None:
        folder = Path(loaded_from)
        if not folder.is_dir():
            from huggingface_hub import try_to_load_from_cache

            cached = try_to_load_from_cache(loaded_from, "config.json")
            folder = Path(cached).parent if isinstance(cached, str) else folder
        if folder.is_dir():
            files = [
                p
                for p in folder.iterdir()
                if p.is_file() and (p.name in MODEL_FILES or p.name.endswith(WEIGHT_SUFFIXES))
            ]
            if any(p.name.endswith(WEIGHT_SUFFIXES) for p in files):
                return "files:" + hashes.files(folder, files)
    import torch

    digest = hashlib.sha256()
    for key, tensor in sorted(model.state_dict().items()):
        flat = tensor.detach().contiguous().cpu().reshape(-1)
        digest.update(f"{key}\0{flat.dtype}\0{tuple(tensor.shape)}\n".encode())
        digest.update(flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b"")
    return "tensors:" + digest.hexdigest()


def processor_fingerprint(processor) -> str:
    """A hash of what turns a conversation into tokens: the chat template(s), the tokenizer's
    whole definition and the processor's own settings."""
    tokenizer = getattr(processor, "tokenizer", processor)
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:  # without the padding and truncation the last batched call left set
        definition = {k: v for k, v in json.loads(backend.to_str()).items() if k not in ("padding", "truncation")}
    else:
        definition = sorted(tokenizer.get_vocab().items())
    try:
        settings = processor.to_dict()
    except (AttributeError, TypeError, ValueError):  # a processor-like object without one
        settings = {}
    return sha256_json({
        "processor": settings,
        "chat_template": getattr(processor, "chat_template", None),
        "tokenizer_chat_template": getattr(tokenizer, "chat_template", None),
        "tokenizer": definition,
        "special": getattr(tokenizer, "all_special_tokens", None),
        "padding_side": getattr(tokenizer, "padding_side", None),
        "class": type(tokenizer).__name__,
    })  # fmt: skip


__all__ = ["FileHashes", "folder_listing", "processor_fingerprint", "sha256_json", "weights_fingerprint"]
