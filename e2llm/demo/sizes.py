"""The demo's sizes: how much data, how many steps, which encoder, for each machine.

``cpu`` (about 11 minutes on a 2-core laptop), ``cpu-long`` (3× the stage-3 steps, about 22
minutes), ``gpu`` (the paper's training and test sizes) and ``test`` (the reduced run of the test
suite); ``default_size`` picks ``gpu`` when CUDA is available, else ``cpu``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class DemoSizes:
    encoder_preset: str  # the encoder's size (``PRESETS``), trained from scratch in stage 1
    strength: float  # of the synthetic emotion signature (see e2llm.eeg.synthetic)
    n_subjects: int
    clip_seconds: float
    n_train: int  # training instruction samples; stage 2 uses the first n_align, stage 3 n_sft of them
    n_align: int
    n_sft: int
    n_multi: int  # test samples of EPC + ESS + EIM
    n_esr: int
    n_test_ied: int | None  # None: one per test segment (the paper's protocol)
    stage1_epochs: int
    batch_size: int  # stages 2 and 3
    align_lr: float
    sft_lr: float
    lora_r: int
    lora_alpha: int


# CPU: stages 2 and 3 take most of the time (a step of 8 samples of SmolLM2 in float32 takes about
# 10 s on 2 cores; two micro-batches of 4 keep the peak memory under 8 GB), so stage 2 gets a few
# steps and stage 3 (projector + LoRA) most; the test sets have at least 40 samples a task.
# GPU: the paper's training sizes (10,000 stage-2 and 3,000 stage-3 samples) and test sizes.
# "test": the reduced run of the suite.
# The signature is twice the generator's default strength, so that a tiny encoder trained from
# scratch in about a minute separates the emotions (held-out balanced accuracy ≈ 0.7).
DEMO_SIZES = {
    "cpu": DemoSizes(
        encoder_preset="demo", strength=2.0, n_subjects=4, clip_seconds=30.0, n_train=256, n_align=64, n_sft=256, n_multi=120,
        n_esr=40, n_test_ied=42, stage1_epochs=30, batch_size=8, align_lr=3e-3, sft_lr=2e-3, lora_r=16, lora_alpha=32,
    ),
    # three times cpu's stage-3 steps (96 of 8 samples): about 22 minutes on 2 cores (measured)
    "cpu-long": DemoSizes(
        encoder_preset="demo", strength=2.0, n_subjects=4, clip_seconds=30.0, n_train=768, n_align=64, n_sft=768, n_multi=120,
        n_esr=40, n_test_ied=42, stage1_epochs=30, batch_size=8, align_lr=3e-3, sft_lr=2e-3, lora_r=16, lora_alpha=32,
    ),
    "gpu": DemoSizes(
        encoder_preset="demo", strength=2.0, n_subjects=8, clip_seconds=30.0, n_train=10_000, n_align=10_000, n_sft=3_000, n_multi=500, n_esr=167,
        n_test_ied=None, stage1_epochs=50, batch_size=16, align_lr=1e-3, sft_lr=5e-4, lora_r=16, lora_alpha=32,
    ),
    "test": DemoSizes(
        encoder_preset="tiny", strength=2.0, n_subjects=2, clip_seconds=10.0, n_train=24, n_align=24, n_sft=16, n_multi=12, n_esr=6,
        n_test_ied=14, stage1_epochs=4, batch_size=8, align_lr=2e-3, sft_lr=1e-3, lora_r=4, lora_alpha=8,
    ),
}  # fmt: skip


def default_size() -> str:
    return "gpu" if torch.cuda.is_available() else "cpu"


def lm_dtype(device: str) -> str:
    """The frozen LM's dtype: bf16 on a GPU and on CPUs with native bf16 matrix instructions
    (AVX-512 BF16 or AMX), float32 elsewhere — without them a bf16 matmul is emulated, about
    100× slower than float32 (measured on an AVX2-only EPYC: 1.3 against 148 GFLOPS)."""
    if device == "cuda":
        return "bfloat16"
    cpu = torch.cpu
    native = any(getattr(cpu, f, lambda: False)() for f in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))
    return "bfloat16" if native else "float32"
