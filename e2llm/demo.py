"""``e2llm demo``: the whole pipeline, end to end, on synthetic SEED-VII-layout data, on a CPU.

1. write a synthetic SEED-VII dataset (``e2llm.eeg.write_synthetic_seed_vii``; SYNTHETIC);
2. preprocess it into the segments dataset (``e2llm.datasets_builder.build_segments``) and build
   the task datasets (``e2llm.tasks.build_task_datasets``);
3. make the language model: a small Qwen3-architecture LM with a tokenizer trained here on the
   instruction corpus, given its language by a short text-only pre-training on that corpus (each
   EEG span filled with its training segment's emotion word, so that the LM learns to read a span
   and carry it into the answer; plus two-turn dialogues about the training side's situations, a
   little of the general ability a pretrained LLM brings to zero-shot scenario reasoning; never the
   ESR scenarios) — a stand-in for a pretrained Qwen3 (real runs select ``e2llm-4b``/``-8b``/``-14b``);
4. run stage 1, 2 and 3 with ``e2llm.training.config.run_training``, exactly as ``e2llm train``
   does, from a tiny run config written to ``OUT/run.yaml``;
5. evaluate all five tasks (``e2llm.evaluation.evaluate_model``) into ``OUT/report``;
6. save model and processor to ``OUT/model``, reload them with ``AutoModel``/``AutoProcessor`` in
   a fresh process and describe one held-out segment;
7. print the metrics table and where everything is.

Every step's artifact is reused on a rerun.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class DemoSizes:
    preset: str  # model size (``PRESETS``): built in code, tokenizer and LM trained here
    strength: float  # of the synthetic emotion signature (see e2llm.eeg.synthetic)
    n_subjects: int
    clip_seconds: float
    n_train: int  # instruction samples (stage 2); stage 3 uses n_sft of them
    n_sft: int
    n_multi: int
    n_esr: int
    n_test_ied: int | None
    vocab_size: int
    lm_epochs: float
    lm_batch_size: int
    stage1_epochs: int
    align_epochs: float
    sft_epochs: float


# The test sets have the paper's sizes (500 EPC/ESS/EIM samples in all, 167 ESR; about 30 s of
# generation): with 40 samples a task, one answer was 2.5 points and runs differed by up to 25.
# Stage 2 runs one epoch: its loss levels off after about 60 of its 150 steps (measured). The
# signature is twice the generator's default strength, so that a tiny encoder trained from
# scratch in about a minute separates the emotions (held-out balanced accuracy ≈ 0.7); at the
# default it reaches ≈ 0.4–0.55 in that time, while a band-power probe already gets ≈ 0.9.
DEMO_SIZES = {
    "full": DemoSizes(
        preset="small", strength=2.0, n_subjects=4, clip_seconds=30.0, n_train=2400, n_sft=1200, n_multi=500, n_esr=167, n_test_ied=None,
        vocab_size=1200, lm_epochs=6.0, lm_batch_size=8, stage1_epochs=40, align_epochs=1.0, sft_epochs=2.0,
    ),
    # the reduced run of the test suite: the same code path, smaller sizes
    "small": DemoSizes(
        preset="tiny", strength=2.0, n_subjects=2, clip_seconds=10.0, n_train=160, n_sft=80, n_multi=12, n_esr=6, n_test_ied=14,
        vocab_size=600, lm_epochs=1.0, lm_batch_size=8, stage1_epochs=4, align_epochs=1.0, sft_epochs=1.0,
    ),
}  # fmt: skip


def _step(n: int, text: str) -> None:
    print(f"\n[{n}/7] {text}", flush=True)


def _run_config(out: Path, sizes: DemoSizes, seed: int) -> dict:
    """The demo's run config: the paper's stages and optimisers, CPU-sized."""
    cpu = {"use_cpu": True, "seed": seed, "dataloader_num_workers": 0, "logging_steps": 10, "disable_tqdm": False}
    sft_common = {**cpu, "bf16": False, "activation_checkpointing": False, "per_device_train_batch_size": 16,
                  "save_strategy": "steps", "save_steps": 50, "save_total_limit": 1}  # fmt: skip
    return {
        "run": {
            "preset": sizes.preset,
            "output_dir": str(out / "run"),
            "segments_dir": str(out / "data" / "segments"),
            "tasks_dir": str(out / "data" / "tasks"),
            "text_model": str(out / "text-model"),
            "ablation": "none",
        },
        "stage1": {**cpu, "num_train_epochs": sizes.stage1_epochs, "per_device_train_batch_size": 64,
                   "learning_rate": 2e-3, "eval_strategy": "no", "save_strategy": "epoch", "save_total_limit": 1},
        "align": {**sft_common, "max_train_samples": sizes.n_train, "num_train_epochs": sizes.align_epochs,
                  "learning_rate": 5e-3},
        "sft": {**sft_common, "max_train_samples": sizes.n_sft, "num_train_epochs": sizes.sft_epochs,
                "learning_rate": 2e-3, "lora_r": 16, "lora_alpha": 32},
    }  # fmt: skip


def run_demo(out_dir: str | Path = "demo-out", sizes: DemoSizes = DEMO_SIZES["full"], *, seed: int = 0) -> dict:
    """Run the demo into ``out_dir``; returns the evaluation metrics."""
    from datasets import load_from_disk

    from .datasets_builder import build_segments, format_summary
    from .eeg import write_synthetic_seed_vii
    from .evaluation import evaluate_model
    from .evaluation.report import ied_table, tasks_table
    from .tasks import build_task_datasets, format_counts, task_counts
    from .training.config import run_training
    from .training.language_model import make_standin_lm

    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    (out / "demo.json").write_text(json.dumps({"synthetic": True, "sizes": asdict(sizes), "seed": seed}, indent=2))

    _step(1, "synthetic SEED-VII-layout data (SYNTHETIC: generated, not recorded from people)")
    raw_dir = out / "data" / "synthetic-seed-vii"
    if not (raw_dir / "SYNTHETIC.txt").is_file():
        write_synthetic_seed_vii(raw_dir, n_subjects=sizes.n_subjects, clip_seconds=sizes.clip_seconds, seed=seed,
                                 strength=sizes.strength, overwrite=True)
    print(f"  {raw_dir}")

    _step(2, "preprocessing into segments, then the instruction data of the five tasks")
    result = build_segments(raw_dir, out / "data" / "segments", format="seed-vii-preprocessed", split="paper", seed=seed, n_jobs=2)
    print(format_summary(result.summary))
    tasks_dir = out / "data" / "tasks"
    params = {"n_train": sizes.n_train, "n_train_sft": sizes.n_sft, "n_multi": sizes.n_multi, "n_esr": sizes.n_esr, "n_test_ied": sizes.n_test_ied}
    info_file = tasks_dir / "tasks_info.json"
    if not (info_file.is_file() and json.loads(info_file.read_text()).get("params", {}).items() >= params.items()):
        build_task_datasets(out / "data" / "segments", tasks_dir, seed=seed, **params)
    tasks = load_from_disk(str(tasks_dir))
    print(format_counts(task_counts({s: tasks[s] for s in tasks})))

    _step(3, f"the language model: tokenizer trained here + a '{sizes.preset}' Qwen3-architecture LM, text-only pre-training "
             "(a stand-in for a pretrained Qwen3)")  # fmt: skip
    text_model = out / "text-model"
    make_standin_lm(tasks["train"], text_model, preset=sizes.preset, vocab_size=sizes.vocab_size,
                    num_train_epochs=sizes.lm_epochs, batch_size=sizes.lm_batch_size, seed=seed)  # fmt: skip
    print(f"  {text_model}")

    _step(4, "training: stage 1 (encoder), stage 2 (projector), stage 3 (projector + LoRA), as `e2llm train`")
    config_path = out / "run.yaml"
    config_path.write_text("# written by e2llm demo: a CPU-sized run config\n" + yaml.safe_dump(_run_config(out, sizes, seed), sort_keys=False))
    stages = run_training(config_path)

    _step(5, "evaluation of all five tasks (greedy generation, parsing, metrics, report)")
    metrics = evaluate_model(stages["sft"], tasks_dir, out / "report", batch_size=32)

    _step(6, "model and processor saved, then reloaded in a fresh process")
    model_dir = out / "model"
    if not (model_dir / "model.safetensors").is_file():
        from .describe import load_model

        model, processor = load_model(stages["sft"])
        model.save_pretrained(model_dir)
        processor.save_pretrained(model_dir)
        (model_dir / "e2llm_stage.json").write_text(json.dumps({"stage": "stage3", "synthetic": True}, indent=2))
    code = f"from e2llm.demo import show_example; show_example({str(model_dir)!r}, {str(out / 'data' / 'segments')!r})"
    fresh = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if fresh.returncode != 0:
        raise RuntimeError(f"reloading {model_dir} in a fresh process failed: {fresh.stderr.strip().splitlines()[-1]}")
    print(fresh.stdout, end="")

    _step(7, "summary")
    runs = [(f"E2LLM ({sizes.preset}, synthetic)", metrics)]
    print(ied_table(runs))
    print()
    print(tasks_table(runs))
    print(f"\nreport:  {out / 'report' / 'report.md'}")
    print(f"plots:   {', '.join(str(p) for p in sorted((out / 'report').glob('*.png')))}")
    print(f"model:   {model_dir}  (AutoModel.from_pretrained / AutoProcessor.from_pretrained)")
    print(f"data:    {out / 'data'}  (SYNTHETIC)")
    print(f"time:    {time.time() - started:.0f} s")
    return metrics


def show_example(model_dir: str, segments_dir: str, index: int = 0) -> None:
    """Load the model with the Auto classes and describe one held-out (test) segment."""
    import e2llm  # noqa: F401
    from transformers import AutoModel, AutoProcessor

    from .datasets_builder import load_segments
    from .describe import ied_conversation
    from .evaluation.generation import generate_responses

    model = AutoModel.from_pretrained(model_dir).eval()
    processor = AutoProcessor.from_pretrained(model_dir)
    test = load_segments(segments_dir)["test"].with_format("numpy")
    row = test[index]
    emotion = test.features["emotion"].int2str(int(row["emotion"]))
    text = generate_responses(model, processor, [ied_conversation()], [[row["eeg"]]], [[row["channel_mask"]]], max_new_tokens=96)[0]
    print(f"  loaded {type(model).__name__} and {type(processor).__name__} from {model_dir}")
    print(f"  held-out segment {row['id']} (true emotion: {emotion})")
    print(f"  model: {text}")
