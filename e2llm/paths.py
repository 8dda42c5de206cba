"""What a model argument names: a local folder, or a Hugging Face Hub id.

A Hub id is ``name`` or ``org/name``. A string that can only be a path (``./x``, ``/x``, ``~/x``,
``a/b/c``, ``C:\\x``), or whose first part is a folder here (``runs/stgae3`` beside a ``runs/``
folder), names a local folder: if there is none, that is an error naming the path — never a
download of whatever repository happens to have that name.
"""

from __future__ import annotations

from pathlib import Path


def looks_like_path(name: str) -> bool:
    """Whether ``name`` can only be a local path (a Hub id is ``name`` or ``org/name``)."""
    return (
        name.startswith(("/", ".", "~"))
        or "\\" in name
        or name.count("/") > 1
        or name.lower().endswith(".gguf")
        or (len(name) > 1 and name[1] == ":")  # C:...
    )


def check_model_location(name, argument: str = "model", hub: bool = True) -> str:
    """``"folder"`` or ``"hub"`` for a saved model's location, checked before anything loads.

    Args:
        name: a folder with ``config.json``, or (with ``hub``) a Hub id.
        argument: how the error calls it (``--model``, ``MODEL_DIR``).
        hub: whether a Hub id is meant here at all.

    Raises:
        FileNotFoundError: no such folder, or a folder that holds no saved model.
    """
    name = str(name)
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir() or not (path / "config.json").is_file():
            raise FileNotFoundError(f"{argument} {name}: not a saved model folder (no config.json there)")
        return "folder"
    first = Path(name.split("/")[0]).expanduser()
    if not hub or looks_like_path(name) or ("/" in name and first.is_dir()):
        raise FileNotFoundError(f"{argument} {name}: no such folder")
    return "hub"


__all__ = ["check_model_location", "looks_like_path"]
