"""The demo's sizes: how much data, how many steps, which encoder, for each machine.

- ``cpu``: at most 15 minutes on a 2-core laptop whose CPU has no native bf16, the LM in float32;
- ``cpu-bf16``: the same machine with AVX-512 BF16 or AMX, the LM in bf16, whose steps cost
  about 3/4 as much: stage 3 gets 80 steps instead of 56 in the same time;
- ``cpu-long``: 4× cpu's stage-3 samples (about half an hour);
- ``cpu-small``: ``cpu``'s data with 32 stage-3 steps, smaller test sets, one control, for
  ``e2llm reproduce``'s fifteen runs (five variants × three splits) within an hour on 2 cores
  with native bf16;
- ``gpu``: the paper's data, training and test sizes;
- ``test``: the reduced run of the test suite.

Their measured times and figures are in bench/README.md.

``default_size`` picks ``gpu`` when CUDA is available, else ``cpu-bf16`` or ``cpu`` by the CPU
(``lm_dtype``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from ..compat import cpu_has_native_bf16


@dataclass(frozen=True)
class DemoSizes:
    encoder_preset: str  # the encoder's size (``PRESETS``), trained from scratch in stage 1
    strength: float  # of the synthetic emotion signature (see e2llm.eeg.synthetic)
    n_subjects: int
    clip_seconds: float
    n_train: int  # training instruction samples, split evenly over the four training tasks
    n_align: int  # stage 2: the first n_align of them (of ``align_tasks`` only, when set)
    n_sft: int  # stage 3: a stratified subset of the four tasks
    n_multi: int  # test samples of EPC + ESS + EIM
    n_esr: int
    n_test_ied: int | None  # None: one per test segment (the paper's protocol)
    stage1_epochs: int
    batch_size: int  # samples per optimizer step, stages 2 and 3
    align_tasks: str | None  # the tasks stage 2 trains on (None: all four)
    align_lr: float
    sft_lr: float  # stage 3: LoRA's
    projector_lr: float | None  # stage 3: the projector's (None: sft_lr)
    projector_init: str  # "classifier": from stage 1's head (see e2llm.assembly); "random": the paper's
    lora_r: int
    lora_alpha: int
    control_limit: int | None = None  # samples per task of each signal control (None: all the test samples)
    controls: tuple[str, ...] = ("shuffled", "no-eeg")  # signal controls: other samples' EEG, and none at all


# CPU: a step of 4 samples of SmolLM2 takes seconds on 2 cores, so the LM stages get about 80 steps
# in the 15 minutes: stage 2 on IED alone (one segment a sample, short answers), stage 3 on the mix.
# The projector starts from stage 1's classifier, which is what lets the LM read the EEG within
# so few steps, and every stage-3 step mixes the tasks (pipeline.py: batch_rebalance). The test
# sets have at least 40 samples a task; the two signal controls ask all of them again.
# GPU: the paper's sizes. 20 subjects with clips of 170 s give the paper's number of training and
# test segments, so IED is tested on one sample per test segment as in the paper; then 10,000
# stage-2 and 3,000 stage-3 samples, 500 EPC + ESS + EIM and 167 ESR test samples. Stage 1 runs 5
# epochs, not the paper's 50: on this many segments the encoder converges within 3.
# "test": the reduced run of the suite.
# The signature is twice the generator's default strength, so that a small encoder trained from
# scratch in a few minutes separates the emotions.
_CPU = DemoSizes(
    encoder_preset="demo", strength=2.0, n_subjects=4, clip_seconds=30.0, n_train=512, n_align=96, n_sft=224, n_multi=120,
    n_esr=40, n_test_ied=42, stage1_epochs=30, batch_size=4, align_tasks="ied", align_lr=1e-3, sft_lr=2e-3,
    projector_lr=5e-4, projector_init="classifier", lora_r=16, lora_alpha=32,
)  # fmt: skip

DEMO_SIZES = {
    "cpu": _CPU,
    # a CPU with native bf16 (AVX-512 BF16 or AMX): the bf16 LM's steps cost about 3/4 of
    # float32's, so stage 3 gets 80 steps in the same 15 minutes; they teach the choice among
    # segments that cpu's 56 do not reliably (ESS)
    "cpu-bf16": replace(_CPU, n_sft=320),
    # cpu with 4× its stage-3 samples: 256 steps, for a machine that can spare half an hour
    "cpu-long": replace(_CPU, n_train=1280, n_sft=1024),
    # e2llm reproduce trains stage 3 four times and evaluates five models per split. A model's
    # answers cost about as much for 6 samples a task as for 20 (each task is one batch, and the
    # batch runs until its longest answer ends), so each control costs a pass: cpu's data with
    # stage 1 at 20 epochs, 32 stage-3 steps, 15 test samples a multi-segment task, 21 IED and the
    # shuffled control only (6 a task) fit the fifteen runs in an hour (bench/README.md)
    "cpu-small": replace(_CPU, n_sft=128, n_multi=45, n_esr=15, n_test_ied=21, stage1_epochs=20, control_limit=6,
                         controls=("shuffled",)),
    "gpu": DemoSizes(
        encoder_preset="demo", strength=2.0, n_subjects=20, clip_seconds=170.0, n_train=10_000, n_align=10_000, n_sft=3_000, n_multi=500, n_esr=167,
        n_test_ied=None, stage1_epochs=5, batch_size=16, align_tasks=None, align_lr=1e-3, sft_lr=5e-4,
        projector_lr=None, projector_init="classifier", lora_r=16, lora_alpha=32,
    ),
    "test": DemoSizes(
        encoder_preset="tiny", strength=2.0, n_subjects=2, clip_seconds=10.0, n_train=24, n_align=6, n_sft=16, n_multi=12, n_esr=6,
        n_test_ied=14, stage1_epochs=4, batch_size=4, align_tasks="ied", align_lr=2e-3, sft_lr=1e-3,
        projector_lr=5e-4, projector_init="classifier", lora_r=4, lora_alpha=8,
    ),
}  # fmt: skip


def default_size() -> str:
    if torch.cuda.is_available():
        return "gpu"
    return "cpu-bf16" if lm_dtype("cpu") == "bfloat16" else "cpu"


def lm_dtype(device: str) -> str:
    """The frozen LM's dtype: bf16 on a GPU and on CPUs with native bf16 matrix instructions
    (AVX-512 BF16 or AMX), float32 elsewhere — without them a bf16 matmul is emulated, about
    100× slower than float32."""
    if device == "cuda":
        return "bfloat16"
    return "bfloat16" if cpu_has_native_bf16() else "float32"
