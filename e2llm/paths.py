"""What a model argument names: a local folder, or a Hugging Face Hub id.

A Hub id is ``name`` or ``org/name``. A string that can only be a path (``./x``, ``/x``, ``~/x``,
``a/b/c``, ``C:\\x``), or whose first part is a folder here (``runs/stgae3`` beside a ``runs/``
folder), names a local folder: if there is none, that is an error naming the path — never a
download of whatever repository happens to have that name. A name that reads as a Hub id but is
neither a folder here nor a model the Hub (or, offline, the Hugging Face cache) has is an error
too, said in one line before anything loads.
"""

from __future__ import annotations

from pathlib import Path

from .errors import MissingInputError, first_line


def looks_like_path(name: str) -> bool:
    """Whether ``name`` can only be a local path (a Hub id is ``name`` or ``org/name``)."""
    return (
        name.startswith(("/", ".", "~"))
        or "\\" in name
        or name.count("/") > 1
        or name.lower().endswith(".gguf")
        or (len(name) > 1 and name[1] == ":")  # C:...
    )


def model_location(name, argument: str | None = "model", hub: bool = True) -> str:
    """``"folder"`` or ``"hub"``: what a model argument names, by the rules of this module's
    docstring, without asking the Hub.

    Args:
        name: a folder with ``config.json``, or (with ``hub``) a Hub id.
        argument: how the error calls it (``--model``, ``MODEL_DIR``; ``None``: the name alone).
        hub: whether a Hub id is meant here at all.

    Raises:
        MissingInputError: no such folder, or a folder that holds no model (no ``config.json``).
    """
    name = str(name)
    said = f"{argument} {name}" if argument else name
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir() or not (path / "config.json").is_file():
            raise MissingInputError(f"{said}: not a model folder (no config.json there)")
        return "folder"
    first = Path(name.split("/")[0]).expanduser()
    if not hub or looks_like_path(name) or ("/" in name and first.is_dir()):
        raise MissingInputError(f"{said}: no such folder")
    return "hub"


def check_model_location(name, argument: str = "model", hub: bool = True) -> str:
    """:func:`model_location`, and for a Hub id :func:`check_hub_model`: checked before anything
    loads.

    Raises:
        MissingInputError: as :func:`model_location`, or a Hub id that is neither cached nor on
            the Hub.
    """
    kind = model_location(name, argument, hub)
    if kind == "hub":
        check_hub_model(str(name), argument)
    return kind


def check_hub_model(name: str, argument: str = "model") -> None:
    """Check that the Hub id ``name`` can be loaded: its ``config.json`` is in the Hugging Face
    cache, or (online) the Hub has it. One request, without huggingface_hub's retries, so that a
    name the user meant as a folder fails at once, in one line.

    Raises:
        FileNotFoundError: not a valid Hub id, not cached while ``HF_HUB_OFFLINE`` is set, not on
            the Hub (or private, or gated without access), or the Hub could not be reached.
    """
    import httpx2  # huggingface_hub's HTTP client: its connection errors reach us unwrapped
    from huggingface_hub import get_hf_file_metadata, hf_hub_url, is_offline_mode, try_to_load_from_cache
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        HFValidationError,
        RemoteEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    prefix = f"{argument} {name}: no local folder of that name, and no Hub model either"
    try:
        if isinstance(try_to_load_from_cache(name, "config.json"), str):
            return
    except HFValidationError:
        raise MissingInputError(f"{prefix} (not a valid Hub id)") from None
    if is_offline_mode():
        raise MissingInputError(f"{prefix} (HF_HUB_OFFLINE is set and the Hugging Face cache has no copy)")
    try:
        get_hf_file_metadata(hf_hub_url(name, "config.json"))
    except GatedRepoError:
        raise MissingInputError(
            f"{argument} {name}: a gated Hub model you have no access to (accept its conditions on the Hub and log in)"
        ) from None
    except (RepositoryNotFoundError, RevisionNotFoundError):
        raise MissingInputError(f"{prefix} (not found on the Hub, or private and you are not logged in)") from None
    except RemoteEntryNotFoundError:
        raise MissingInputError(f"{argument} {name}: the Hub repository holds no config.json (not a model)") from None
    except HfHubHTTPError as err:
        raise MissingInputError(f"{prefix} (the Hub answered: {first_line(err)})") from None
    except httpx2.HTTPError as err:
        raise MissingInputError(f"{prefix} (the Hub could not be reached: {first_line(err)})") from None


__all__ = ["check_hub_model", "check_model_location", "looks_like_path", "model_location"]
