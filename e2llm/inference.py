"""Loading a trained E2LLM for inference: the one way ``describe``, ``evaluate``, ``live``, the
app and the demo get a model and its processor."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import InvalidInputError
from .paths import check_model_location


def load_model_and_processor(model, processor=None, *, device=None, dtype=None):
    """``(model, processor, name)`` from a directory/Hub id, a ``(model, processor)`` pair, or a
    model object with ``processor`` given: the one way E2LLM loads a model for inference
    (evaluation, ``describe``, the demo). A path that does not exist is an error, never a Hub id. A loaded model goes to ``device`` (default: CUDA if
    available, else CPU); an object passed in stays where it is unless ``device`` is given."""
    import torch

    if isinstance(model, (tuple, list)):
        if len(model) != 2:
            raise InvalidInputError("pass a model directory, a (model, processor) pair, or a model and processor=")
        model, processor = model
    if isinstance(model, (str, os.PathLike)):
        from transformers import AutoModel, AutoProcessor

        import e2llm  # noqa: F401  (registers the Auto classes)

        name = str(model)
        if check_model_location(name) == "folder":
            name = str(Path(name).expanduser().resolve())
        processor = processor or AutoProcessor.from_pretrained(name)
        model = AutoModel.from_pretrained(name, dtype=dtype or "auto")
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    else:
        if processor is None:
            raise InvalidInputError("a model object needs its processor (processor=...)")
        name = str(getattr(model, "name_or_path", "") or type(model).__name__)
        if dtype is not None:
            model = model.to(dtype)
    if device is not None:
        model = model.to(device)
    model.eval()
    return model, processor, name


__all__ = ["load_model_and_processor"]
