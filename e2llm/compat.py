"""The few places where E2LLM relies on a dependency's private state, each with why.

Everything else uses the libraries' public interfaces. What is here has no public route in the
pinned versions; ``tests/test_compat.py`` checks each against the installed library, so an
upgrade that moves one fails there, by name, instead of somewhere deep in a run.

- MNE: a file's header as the reader parsed it (``Raw._raw_extras``), to tell a truncated GDF,
  EEGLAB or CNT file from a short recording — MNE reads those silently with fewer samples.
- accelerate: clearing the process-wide ``AcceleratorState`` between training stages run in one
  process, so that each stage's Trainer can set its own mixed precision.
- TRL: the switch that makes its fused LM head score only labelled positions, which TRL does on
  CUDA and XPU but not on a CPU, where the unlabelled ones are a fifth of a step's work.
- torch: whether the CPU multiplies bf16 natively (AVX-512 BF16 or AMX); torch says so only
  through private helpers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import mne
import torch


def mne_header(raw: mne.io.BaseRaw) -> dict:
    """The header fields MNE's reader parsed from the (first) file of ``raw`` — for CNT
    ``n_samples``, ``n_bytes`` and ``orig_nchan``; for EEGLAB ``is_embedded`` and
    ``orig_nchan``; for GDF ``n_records``, ``bytes_tot`` and ``data_offset``. Empty when MNE
    keeps none."""
    extras = getattr(raw, "_raw_extras", None) or [{}]
    return dict(extras[0] or {})


def reset_accelerate_state() -> None:
    """Clear accelerate's process-wide ``AcceleratorState`` (the mixed precision the first
    ``Accelerator`` fixed), keeping the process group (``PartialState``) of a distributed run.
    accelerate refuses a second ``Accelerator`` with other settings in the same process; this is
    what ``TrainingArguments`` itself does when it sets up its devices."""
    from accelerate.state import AcceleratorState

    AcceleratorState._reset_state(reset_partial_state=False)


@contextlib.contextmanager
def trl_scores_labelled_positions_on_cpu() -> Iterator[bool]:
    """Within this context TRL's fused LM head scores only the positions that carry a label on a
    CPU too (TRL 1.16 does so only where its Triton path runs); the loss and gradients are the
    same (``tests/test_training.py``). Yields whether the switch exists in the installed TRL;
    without it TRL's own behaviour applies unchanged."""
    import trl.trainer.utils as trl_utils

    use_triton = getattr(trl_utils, "_use_triton", None)
    if use_triton is None:
        yield False
        return
    trl_utils._use_triton = lambda device: device.type == "cpu" or use_triton(device)
    try:
        yield True
    finally:
        trl_utils._use_triton = use_triton


def cpu_has_native_bf16() -> bool:
    """Whether this CPU multiplies bf16 natively (AVX-512 BF16 or AMX tiles). Without them torch
    emulates bf16 matrix products, about 100× slower than float32."""
    checks = (getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))
    return any(check() for check in checks if check is not None)


__all__ = ["cpu_has_native_bf16", "mne_header", "reset_accelerate_state", "trl_scores_labelled_positions_on_cpu"]
