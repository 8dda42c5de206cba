"""Benchmark (GPU): the three stages and the evaluation at a real preset's size: the stages through
the commands a user runs (``accelerate launch train/stage1_encoder.py|train/sft.py --config …``,
from that preset's own run config in ``train/configs/``), then the function behind
``e2llm evaluate``.

What it is for: checking that the real-scale path runs (bf16, activation checkpointing, LoRA
r=128, the paper's EEGPT-large encoder, a Qwen3 LM of the real shape) and measuring what a run
costs: seconds per step, samples/s and peak GPU memory per stage, and generation time. Prints a
table, then ``ratio: X``: stage 3's seconds per sample over stage 2's (what LoRA adds on top of
the projector, same data, same batch size).

    python bench/real_scale.py --preset e2llm-8b --out DIR [--steps 10]

The LM has RANDOM weights in the shape of the preset's Qwen3 (config.json values below; nothing
is downloaded), and the data is a small SYNTHETIC SEED-VII-layout set: accuracy means nothing
here, only time and memory do. ``--preset tiny`` runs the same path on a CPU in about a minute
(a dry run of this script, not a measurement).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import torch
import yaml

REPO = Path(__file__).resolve().parents[1]

# The text models' shapes, from Qwen/Qwen3-{4B,8B,14B}'s config.json (the weights here are random).
QWEN3_SHAPES = {
    "e2llm-4b": dict(hidden_size=2560, intermediate_size=9728, num_hidden_layers=36, num_attention_heads=32, tie_word_embeddings=True),
    "e2llm-8b": dict(hidden_size=4096, intermediate_size=12288, num_hidden_layers=36, num_attention_heads=32, tie_word_embeddings=False),
    "e2llm-14b": dict(hidden_size=5120, intermediate_size=17408, num_hidden_layers=40, num_attention_heads=40, tie_word_embeddings=False),
}  # fmt: skip
QWEN3_COMMON = dict(vocab_size=151936, num_key_value_heads=8, head_dim=128, max_position_embeddings=40960, rope_theta=1e6,
                    rms_norm_eps=1e-6, hidden_act="silu", torch_dtype="bfloat16")  # fmt: skip


def prepare_data(out: Path) -> Path:
    """A small SYNTHETIC SEED-VII-layout set → segments → task datasets; returns the tasks dir."""
    from e2llm.datasets_builder import build_segments
    from e2llm.eeg import write_synthetic_seed_vii
    from e2llm.tasks import build_task_datasets

    if not (out / "tasks" / "tasks_info.json").is_file():
        write_synthetic_seed_vii(out / "raw", n_subjects=2, clip_seconds=10.0, seed=0, overwrite=True)
        build_segments(out / "raw", out / "segments", format="seed-vii-preprocessed", progress=False)
        build_task_datasets(
            out / "segments", out / "tasks", n_train=400, n_train_sft=200, n_multi=12, n_esr=6, n_test_ied=14, seed=0
        )
    return out / "tasks"


def make_random_lm(preset: str, tasks_dir: Path, out: Path) -> Path:
    """A random-weight Qwen3 of the preset's shape, with a tokenizer trained on the task texts."""
    from datasets import load_from_disk
    from transformers import AutoModelForCausalLM, Qwen3Config

    from e2llm.presets import preset_config
    from e2llm.tokenization import train_tokenizer

    if (out / "config.json").is_file():
        return out
    texts = [json.dumps(m) for m in load_from_disk(str(tasks_dir))["train"]["messages"]]
    tokenizer = train_tokenizer(texts, vocab_size=2000)
    if preset in QWEN3_SHAPES:
        config = Qwen3Config(**QWEN3_COMMON, **QWEN3_SHAPES[preset])
    else:  # tiny, built in code (the CPU dry run)
        config = preset_config(preset, vocab_size=len(tokenizer)).text_config
    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if preset in QWEN3_SHAPES else torch.float32
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    del model
    torch.cuda.empty_cache()
    return out


def run_config(preset: str, out: Path, tasks_dir: Path, text_model: Path, steps: int, batch_size: int) -> Path:
    """The preset's own run config, pointed at this data and LM, each stage cut to ``steps``."""
    source = REPO / "train" / "configs" / f"{preset}.yaml"
    config = yaml.safe_load(source.read_text())
    config["run"].update(output_dir=str(out / "run"), segments_dir=str(tasks_dir.parent / "segments"), tasks_dir=str(tasks_dir),
                         text_model=str(text_model))  # fmt: skip
    short = {"max_steps": steps, "save_strategy": "no", "logging_steps": 1, "report_to": "none"}
    config["stage1"].update(short, eeg_checkpoint=None, eval_strategy="no")
    for stage in ("align", "sft"):
        config[stage].update(short, per_device_train_batch_size=batch_size)
    path = out / "run.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def run_stage(stage: str, config: Path, accelerate_config: Path | None, num_processes: int | None = None) -> dict:
    """One stage as a user launches it; returns its wall time and what its marker recorded."""
    script = ["train/stage1_encoder.py"] if stage == "stage1" else ["train/sft.py", "--stage", stage]
    launcher = [sys.executable, "-m", "accelerate.commands.launch"]
    launcher += ["--config_file", str(accelerate_config)] if accelerate_config else ["--mixed_precision", "no"]
    if num_processes or not accelerate_config:
        launcher += ["--num_processes", str(num_processes or 1)]
    start = time.perf_counter()
    subprocess.run([*launcher, *script, "--config", str(config)], cwd=REPO, check=True)
    wall = time.perf_counter() - start
    from e2llm.runs.artifacts import Artifact
    from e2llm.training.stages import STAGE_BY_KEY

    run_dir = Path(yaml.safe_load(config.read_text())["run"]["output_dir"])
    marker = Artifact(run_dir / STAGE_BY_KEY[stage].folder).marker()
    summary = next(e for e in reversed(marker["log_history"]) if "train_runtime" in e)
    return {
        "wall_s": wall,
        "steps": marker["global_step"],
        "train_s": summary["train_runtime"],
        "samples_per_s": summary["train_samples_per_second"],
        "peak_gib": marker.get("peak_gpu_memory_gib"),
    }


def run_evaluation(model_dir: Path, tasks_dir: Path, out: Path, limit: int) -> dict:
    """``e2llm evaluate``'s function on a few samples per task; generation time and memory."""
    from e2llm.evaluation import evaluate_model

    shutil.rmtree(out, ignore_errors=True)
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    evaluate_model(
        str(model_dir), tasks_dir, out, batch_size=8, max_new_tokens=64, limit=limit, progress=False, plots=False
    )
    wall = time.perf_counter() - start
    n = sum(1 for _ in open(out / "generations.jsonl"))
    peak = torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None
    return {"wall_s": wall, "samples": n, "peak_gib": peak}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="e2llm-8b", choices=[*QWEN3_SHAPES, "tiny"])
    parser.add_argument("--out", required=True, help="working folder (data, LM, runs); reused on a rerun")
    parser.add_argument("--steps", type=int, default=10, help="optimizer steps per stage")
    parser.add_argument("--batch-size", type=int, default=8, help="stages 2 and 3, per device")
    parser.add_argument("--eval-limit", type=int, default=4, help="samples per task in the evaluation")
    parser.add_argument(
        "--accelerate-config",
        default="train/configs/accelerate/single_gpu.yaml",
        help="for the real presets (e.g. train/configs/accelerate/ddp_2gpu.yaml)",
    )
    parser.add_argument("--num-processes", type=int, default=None, help="overrides the Accelerate config's")
    args = parser.parse_args(argv)

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    real = args.preset in QWEN3_SHAPES
    if real and not torch.cuda.is_available():
        sys.exit(f"--preset {args.preset} needs a CUDA GPU; --preset tiny is the CPU dry run")
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "CPU"
    timings = {}
    start = time.perf_counter()
    tasks_dir = prepare_data(out / "data")
    timings["data"] = time.perf_counter() - start
    start = time.perf_counter()
    text_model = make_random_lm(args.preset, tasks_dir, out / "random-lm")
    timings["random LM"] = time.perf_counter() - start
    config = run_config(args.preset, out, tasks_dir, text_model, args.steps, args.batch_size)
    shutil.rmtree(out / "run", ignore_errors=True)
    accelerate_config = REPO / args.accelerate_config if real else None
    stages = {
        stage: run_stage(stage, config, accelerate_config, args.num_processes) for stage in ("stage1", "align", "sft")
    }
    evaluation = run_evaluation(out / "run" / "stage3", tasks_dir, out / "eval", args.eval_limit)

    gib = lambda v: f"{v:.1f}" if v is not None else "-"  # noqa: E731
    launch = (
        f"{Path(args.accelerate_config).name}" + (f", {args.num_processes} process(es)" if args.num_processes else "")
        if real
        else "CPU"
    )
    print(
        f"\nreal-scale path, preset {args.preset} (RANDOM-weight LM of its shape, SYNTHETIC data), {device}, {launch}"
    )
    print(f"data {timings['data']:.0f} s, random LM written in {timings['random LM']:.0f} s, torch {torch.__version__}")
    print(f"{'stage':<24}{'steps':>7}{'wall s':>9}{'train s':>9}{'s/step':>9}{'samples/s':>11}{'peak GiB':>10}")
    run = yaml.safe_load(config.read_text())
    batch = {stage: run[stage]["per_device_train_batch_size"] for stage in stages}
    names = {"stage1": f"1 encoder (bs {batch['stage1']})", "align": f"2 projector (bs {batch['align']})",
             "sft": f"3 proj.+LoRA (bs {batch['sft']})"}  # fmt: skip
    for stage, r in stages.items():
        print(f"{names[stage]:<24}{r['steps']:>7}{r['wall_s']:>9.0f}{r['train_s']:>9.1f}{r['train_s'] / max(r['steps'], 1):>9.2f}"
              f"{r['samples_per_s']:>11.2f}{gib(r['peak_gib']):>10}")  # fmt: skip
    print(f"{'evaluate (64 new tok.)':<24}{evaluation['samples']:>7}{evaluation['wall_s']:>9.0f}{'':>9}{'':>9}"
          f"{evaluation['samples'] / evaluation['wall_s']:>11.2f}{gib(evaluation['peak_gib']):>10}")  # fmt: skip
    print("(evaluate: samples are answers generated; its wall time includes loading the model)")
    ratio = stages["align"]["samples_per_s"] / stages["sft"]["samples_per_s"]
    print(f"ratio: {ratio:.3f}")
    (out / "real_scale.json").write_text(json.dumps({"preset": args.preset, "device": device, "timings": timings, "stages": stages,
                                                     "evaluation": evaluation, "ratio": ratio}, indent=2))  # fmt: skip


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
