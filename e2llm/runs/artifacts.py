"""Folders that are complete or absent: a stage's model, the demo's exported model.

An :class:`Artifact` is built in a temporary sibling and swapped in whole (:mod:`.atomic`); its
marker file, ``e2llm_stage.json``, is written last and says what made it. A folder with the marker
is complete, one without it is not (a kill while it was written, or someone else's folder).
Where more is asked (``files``, ``weights``), :meth:`Artifact.problem` also checks that the files
are there and the weights whole.

The same checks of weights apply to a ``Trainer``'s ``checkpoint-N`` folders:
:func:`newest_complete_checkpoint` is what a resumed training starts from, and sets aside a
checkpoint a kill left incomplete.
"""

from __future__ import annotations

import json
import logging
import os
import time
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

from .atomic import atomic_directory, temporary_sibling, write_text_atomic

logger = logging.getLogger(__name__)

MARKER = "e2llm_stage.json"
WEIGHT_FILES = ("model.safetensors", "adapter_model.safetensors", "pytorch_model.bin", "adapter_model.bin")
WEIGHT_INDEXES = ("model.safetensors.index.json", "pytorch_model.bin.index.json")
INCOMPLETE_TAG = ".incomplete-"
CHECKPOINT_PREFIX = "checkpoint-"


class Artifact:
    """A folder written whole, with a marker that records what wrote it.

    Args:
        path: the folder.
        files: names that must be there too for it to be complete.
        weights: whether its weights must be there and whole (:func:`weights_problem`).
    """

    def __init__(self, path: str | os.PathLike, *, files: Sequence[str] = (), weights: bool = False):
        self.path = Path(path)
        self.files = tuple(files)
        self.weights = weights

    def __repr__(self) -> str:
        return f"Artifact({str(self.path)!r})"

    def problem(self) -> str | None:
        """Why the folder is not a complete artifact (no folder, files missing, weights cut
        short, no marker), or ``None``."""
        if not self.path.is_dir():
            return "no such folder"
        missing = [name for name in self.files if not (self.path / name).is_file()]
        if missing:
            return f"no {', '.join(missing)}"
        if self.weights:
            problem = weights_problem(self.path)
            if problem:
                return problem
        if not (self.path / MARKER).is_file():
            return f"no {MARKER}"
        return None

    def is_complete(self) -> bool:
        return self.problem() is None

    def marker(self) -> dict:
        """What the marker records (``{}`` when there is none or it cannot be read)."""
        try:
            value = json.loads((self.path / MARKER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}

    def publish(self, write: Callable[[Path], object], stage: str, **info) -> Path:
        """Build the artifact with ``write(folder)`` in a temporary sibling, add the marker
        (``stage``, the time, ``info``) and swap it in whole: a reader or a rerun sees the previous
        folder or the complete new one. What the previous folder held and the new one does not (a
        training run's ``checkpoint-N`` folders and logs, stage 3's ``adapter-base``) is moved into
        the new one. An exception in ``write`` leaves the folder as it was and no temporary one."""
        with atomic_directory(self.path, carry_over=True) as folder:
            write(folder)
            record = {"stage": stage, "finished": time.strftime("%Y-%m-%d %H:%M:%S"), **info}
            write_text_atomic(folder / MARKER, json.dumps(record, indent=2, default=str) + "\n")
        return self.path


# -- whole weights --------------------------------------------------------------------------------


def safetensors_problem(path: str | os.PathLike) -> str | None:
    """Why a safetensors file is not whole (its header unreadable, or the file shorter or longer
    than the header says), or ``None``."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            n = int.from_bytes(f.read(8), "little")
            if size < 8 or n <= 0 or 8 + n > size:
                return f"{path.name} is truncated (header)"
            header = json.loads(f.read(n))
        end = max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"), default=0)
    except (OSError, ValueError, KeyError, TypeError, IndexError) as err:
        return f"{path.name} has no readable safetensors header ({type(err).__name__})"
    if 8 + n + end != size:
        return f"{path.name} is truncated ({size:,} of {8 + n + end:,} bytes)"
    return None


def torch_file_problem(path: str | os.PathLike) -> str | None:
    """Why a ``torch.save`` file (a zip archive) is not whole, or ``None``: a file cut short has
    no zip directory at its end."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            archive.namelist()
    except (OSError, zipfile.BadZipFile) as err:
        return f"{path.name} is truncated or unreadable ({type(err).__name__})"
    return None


def weights_problem(folder: str | os.PathLike, required: bool = True) -> str | None:
    """Why the weights a ``save_pretrained`` folder holds are not whole (an unreadable index, a
    missing shard, a truncated file, or, when ``required``, none at all), or ``None``."""
    path = Path(folder)
    weights = [path / name for name in WEIGHT_FILES if (path / name).is_file()]
    for index in WEIGHT_INDEXES:
        if (path / index).is_file():
            try:
                shards = sorted(set(json.loads((path / index).read_text(encoding="utf-8"))["weight_map"].values()))
            except (OSError, ValueError, KeyError, AttributeError):
                return f"{index} unreadable"
            missing = [s for s in shards if not (path / s).is_file()]
            if missing:
                return f"weight shard {missing[0]} missing"
            weights += [path / s for s in shards]
    if not weights and required:
        return "no weights file"
    for file in weights:
        problem = safetensors_problem(file) if file.suffix == ".safetensors" else torch_file_problem(file)
        if problem:
            return problem
    return None


# -- Trainer checkpoints -------------------------------------------------------------------------


def checkpoint_problem(checkpoint: str | os.PathLike, args=None) -> str | None:
    """Why ``checkpoint`` (a ``Trainer``'s ``checkpoint-N`` folder) cannot be resumed from, or
    ``None``: ``trainer_state.json`` readable, the weights whole and, unless
    ``args.save_only_model`` (``args``: its ``TrainingArguments``), ``optimizer.pt`` and
    ``scheduler.pt`` whole. transformers writes ``trainer_state.json`` last, so a kill while a
    checkpoint is written leaves it out."""
    path = Path(checkpoint)
    try:
        state = json.loads((path / "trainer_state.json").read_text(encoding="utf-8"))
        int(state["global_step"])
    except FileNotFoundError:
        return "no trainer_state.json"
    except (OSError, ValueError, KeyError, TypeError):
        return "trainer_state.json unreadable"
    deepspeed = (path / "latest").is_file()
    fsdp = any(path.glob("pytorch_model_fsdp*"))
    problem = weights_problem(path, required=not (deepspeed or fsdp))
    if problem:
        return problem
    if args is not None and getattr(args, "save_only_model", False):
        return None
    needed = [] if deepspeed else ["scheduler.pt"] + ([] if any(path.glob("optimizer_*")) else ["optimizer.pt"])
    for name in needed:
        if not (path / name).is_file():
            return f"no {name}"
        problem = torch_file_problem(path / name)
        if problem:
            return problem
    return None


def _checkpoint_step(path: Path) -> int | None:
    number = path.name[len(CHECKPOINT_PREFIX) :]
    if path.name.startswith(CHECKPOINT_PREFIX) and number.isdigit() and path.is_dir():
        return int(number)
    return None


def newest_complete_checkpoint(output_dir: str | os.PathLike, args=None, *, set_aside: bool = True) -> str | None:
    """The newest complete ``checkpoint-N`` in ``output_dir`` (:func:`checkpoint_problem`), or
    ``None``. With ``set_aside``, each incomplete one is renamed
    ``.checkpoint-N.incomplete-HOST-PID-RANDOM`` (out of sight of transformers' checkpoint search
    and rotation, kept for inspection) with a one-line warning."""
    out = Path(output_dir)
    if not out.is_dir():
        return None
    found = sorted(((step, p) for p in out.iterdir() if (step := _checkpoint_step(p)) is not None), reverse=True)
    chosen, incomplete = None, []
    for _, path in found:
        problem = checkpoint_problem(path, args)
        if problem is None:
            chosen = chosen or path
        else:
            incomplete.append((path, problem))
    if set_aside:
        where = f"resuming from {chosen.name}" if chosen is not None else "starting from step 0"
        for path, problem in incomplete:
            aside = temporary_sibling(path, INCOMPLETE_TAG)
            os.replace(path, aside)
            logger.warning("%s: incomplete checkpoint (%s); set aside as %s, %s", path, problem, aside.name, where)
    return str(chosen) if chosen is not None else None


__all__ = [
    "MARKER",
    "Artifact",
    "checkpoint_problem",
    "newest_complete_checkpoint",
    "safetensors_problem",
    "torch_file_problem",
    "weights_problem",
]
