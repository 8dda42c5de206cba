"""Import of EEGPT's published checkpoint (``eegpt_mcae_58chs_4s_large4E.ckpt``).

It is a PyTorch Lightning checkpoint: the weights are in ``state_dict``; the encoder used for
downstream work is the EMA ``target_encoder``, whose parameter names inside the module are the
ones ``E2LLMEEGEncoder`` uses (``patch_embed.proj``, ``chan_embed``, ``summary_token``,
``blocks.{i}.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}``, ``norm``). Conversion is a
prefix rename, ``target_encoder.`` → ``eeg_encoder.``, into an ``E2LLMForEEGClassification``
whose head starts fresh. Every key is accounted for in the report.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .configuration_e2llm import E2LLMEEGConfig
from .errors import InvalidInputError, MissingInputError
from .modeling_e2llm import E2LLMForEEGClassification
from .runs.atomic import atomic_directory

SOURCE_PREFIX = "target_encoder."
TARGET_PREFIX = "eeg_encoder."


@dataclass
class ConversionReport:
    """What the conversion used and left: ``loaded`` keys, ``missing`` model keys (not in the
    checkpoint: the new head), ``unexpected`` checkpoint keys not used, grouped by prefix."""

    out_dir: str
    loaded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        lines = [f"wrote {self.out_dir}", f"  loaded {len(self.loaded)} encoder tensors"]
        lines.append(f"  missing (initialised fresh): {', '.join(self.missing) or 'none'}")
        if self.unexpected:
            groups = ", ".join(f"{prefix}* ({n})" for prefix, n in sorted(self.unexpected.items()))
            lines.append(f"  not used (other EEGPT modules): {groups}")
        else:
            lines.append("  not used: none")
        return "\n".join(lines)


def load_eegpt_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The checkpoint's tensors, read with ``torch.load(weights_only=True)``."""
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(f"{path}: no such checkpoint file")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # pickle/zip errors of many kinds
        raise InvalidInputError(
            f"{path}: not a readable PyTorch checkpoint with weights only ({type(err).__name__}: {err})".splitlines()[0]
        ) from None
    state = checkpoint.get("state_dict", checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict) or not any(k.startswith(SOURCE_PREFIX) for k in state):
        raise InvalidInputError(f"{path}: no '{SOURCE_PREFIX}*' weights found; is this EEGPT's Lightning checkpoint?")
    return state


def eeg_config_from_state_dict(state: dict[str, torch.Tensor], **overrides) -> E2LLMEEGConfig:
    """Sizes read off the tensors (width, depth, patch size, summary tokens); heads default to 8."""
    proj = state[SOURCE_PREFIX + "patch_embed.proj.weight"]  # (D, 1, 1, P)
    depth = 1 + max(int(m.group(1)) for k in state if (m := re.match(re.escape(SOURCE_PREFIX) + r"blocks\.(\d+)\.", k)))
    fc1 = state[SOURCE_PREFIX + "blocks.0.mlp.fc1.weight"]
    values = {
        "hidden_size": proj.shape[0],
        "patch_size": proj.shape[-1],
        "patch_stride": proj.shape[-1],
        "num_hidden_layers": depth,
        "num_summary_tokens": state[SOURCE_PREFIX + "summary_token"].shape[1],
        "mlp_ratio": fc1.shape[0] / proj.shape[0],
    }
    values.update(overrides)
    return E2LLMEEGConfig(**values)


def convert_eegpt_checkpoint(checkpoint: str | Path, out_dir: str | Path, **config_overrides) -> ConversionReport:
    """Write an ``E2LLMForEEGClassification`` (safetensors) built from EEGPT's encoder weights.

    The folder is built beside ``out_dir`` and swapped in whole (``e2llm.runs.atomic``): an error or a
    kill leaves a previous ``out_dir`` as it was.

    Raises:
        ValueError: the file is not such a checkpoint, or a tensor's shape does not fit.
    """
    state = load_eegpt_state_dict(checkpoint)
    config = eeg_config_from_state_dict(state, **config_overrides)
    model = E2LLMForEEGClassification(config)
    own = model.state_dict()
    renamed, report = {}, ConversionReport(out_dir=str(out_dir))
    for key, tensor in state.items():
        if not key.startswith(SOURCE_PREFIX):
            report.unexpected[key.split(".")[0] + "."] += 1
            continue
        target = TARGET_PREFIX + key[len(SOURCE_PREFIX) :]
        if target not in own:
            report.unexpected[SOURCE_PREFIX + key[len(SOURCE_PREFIX) :].split(".")[0] + "."] += 1
            continue
        if own[target].shape != tensor.shape:
            raise InvalidInputError(
                f"{checkpoint}: {key} has shape {tuple(tensor.shape)}, expected {tuple(own[target].shape)}"
            )
        renamed[target] = tensor
    result = model.load_state_dict(renamed, strict=False)
    report.loaded = sorted(renamed)
    report.missing = sorted(result.missing_keys)
    with atomic_directory(out_dir) as tmp:
        model.save_pretrained(tmp)
    return report
