"""``e2llm app --export-space DIR --model HUB_ID``: a folder that runs the browser app as a Hugging Face Space.

The folder holds ``app.py`` (it launches :func:`e2llm.app.launch` for the Hub model), the package's
own code (``e2llm/``, the version that wrote the folder: the Space runs what was tested here),
``requirements.txt`` pinned to the versions of this environment (the package's dependencies and
Gradio) and ``README.md`` with the Spaces settings (``sdk: gradio``, its version, ``app_file``).
Push it as a Space repository (``git push`` or ``huggingface-cli upload``); the Space loads the
model from the Hub when it starts. Nothing is written unless every check passes, and the folder
appears whole (written under a temporary name, then renamed).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from .errors import InvalidInputError, OutputExistsError
from .paths import looks_like_path

SPACE_FILES = ("app.py", "requirements.txt", "README.md")

APP_PY = '''"""E2LLM's browser app for {model} on a Hugging Face Space (written by `e2llm app --export-space`)."""

import os

from e2llm.app import launch

# A Space serves on all of its container's addresses; Spaces set both variables.
launch(
    "{model}",
    server_name=os.environ.get("GRADIO_SERVER_NAME", "0.0.0.0"),
    port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
)
'''

README = """---
title: E2LLM
emoji: 🧠
colorFrom: blue
colorTo: indigo
sdk: gradio
sdk_version: {gradio}
python_version: "{python}"
app_file: app.py
pinned: false
license: apache-2.0
---

# E2LLM: emotions in an EEG recording

Upload an EEG recording (EDF, BDF, GDF, FIF, EEGLAB, CNT) and press *Describe*: the model
[{model}](https://huggingface.co/{model}) describes each 4 s window's emotion, says how sure it is,
and abstains where the window is unlike its training data. Then choose one to three windows and ask
one of its five tasks' questions, or your own.

A recording uploaded here is processed on this Space's machine. Written by
`e2llm app --export-space`: `e2llm/` is the package's code, `requirements.txt` the versions it was
tested with.
"""


def check_hub_id(model: str) -> str:
    """``model`` if it is a Hub id (``org/name``), not a local path.

    Raises:
        InvalidInputError: a local path or folder, or not a valid Hub id.
    """
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    model = str(model)
    if looks_like_path(model) or Path(model).expanduser().exists():
        raise InvalidInputError(f"--model {model}: a Space loads its model from the Hub; give a Hub id (org/name)")
    try:
        validate_repo_id(model)
    except HFValidationError as err:
        raise InvalidInputError(f"--model {model}: not a Hub id ({str(err).splitlines()[0]})") from None
    return model


def pinned_requirements() -> list[str]:
    """``name==version`` for each of the package's dependencies and Gradio, as installed here."""
    from packaging.requirements import Requirement
    from packaging.version import Version

    names = []
    for text in metadata.requires("e2llm") or ():
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            names.append(requirement.name)
    names.append("gradio")
    return [f"{name}=={Version(metadata.version(name)).public}" for name in names]


def export_space(out, model: str) -> Path:
    """Write the Space folder ``out`` for the Hub model ``model``.

    Raises:
        InvalidInputError: ``model`` is not a Hub id.
        OutputExistsError: ``out`` exists and is not an empty folder.
    """
    model = check_hub_id(model)
    out = Path(out).expanduser()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputExistsError(f"--export-space {out}: exists and is not an empty folder")
    requirements = pinned_requirements()
    gradio = next(r.split("==")[1] for r in requirements if r.startswith("gradio=="))
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        work.chmod(0o755)  # mkdtemp's folder is the owner's alone
        (work / "app.py").write_text(APP_PY.format(model=model), encoding="utf-8")
        (work / "requirements.txt").write_text("\n".join(requirements) + "\n", encoding="utf-8")
        python = f"{sys.version_info.major}.{sys.version_info.minor}"
        (work / "README.md").write_text(README.format(model=model, gradio=gradio, python=python), encoding="utf-8")
        package = Path(__file__).resolve().parent
        shutil.copytree(package, work / "e2llm", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        if out.exists():
            out.rmdir()
        work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return out


__all__ = ["SPACE_FILES", "check_hub_id", "export_space", "pinned_requirements"]
