"""What ``e2llm reproduce`` will do, worked out and checked before anything is written.

A plan is a list of runs, one per split and variant, each with its own run config (the config
``e2llm train`` reads), its task data, the stage folder it evaluates and its evaluation folder.
The variants are the full model and the paper's four ablations (§4.3):

``full``         stage 1 → 2 → 3, in ``runs/SPLIT/full``;
``no_stage1``    stage 2 and 3 on the encoder as it was before stage 1: the converted EEGPT
                 weights the config gives (``eeg_checkpoint``), else a random encoder; the
                 projector starts random (there is no stage-1 head to start it from);
``no_stage2``    stage 3 from the full model's stage 1, its projector started as the full
                 model's is before stage 2;
``no_stage3``    the full model's stage 2, evaluated as it is: nothing of its own is trained;
``no_cot``       stage 2 and 3 on task data built without chain of thought
                 (``build_task_datasets(cot=False)``), from the full model's stage 1 (which
                 never sees the task data), evaluated on that data too.

A variant shares a stage by pointing its run config's stage section (``output_dir``,
``init_from``) at the full model's folder, which ``run_training`` then skips as complete.

Each split has its own segments and task data: built from the recordings the ``reproduce``
section names (``OUT/data/SPLIT/``), or, without recordings, the config's own ``segments_dir``
(and ``tasks_dir``), which give the one split they were built with.

The config is a run config (``e2llm train``'s) with an optional ``reproduce`` section. Each run's
config is written to ``OUT/configs/SPLIT/VARIANT.yaml`` with its own ``output_dir``, data and
``ablation``; everything else (preset, LM, each stage's settings) is the config's. Every key of the
``reproduce`` section is optional::

    reproduce:
      recordings: data/SEED-VII     # build each split's segments from these (e2llm prepare)
      format: auto                  # prepare's --format
      seed: 0                       # of the splits, the task data, the controls and the intervals
      n_jobs: 1                     # recordings processed in parallel
      test_size: null               # prepare's --test-size (default: the paper's share)
      tasks: {n_train: 10000, n_train_sft: 3000, n_multi: 500, n_esr: 167, n_test_ied: null}
      evaluation: {batch_size: 16, controls: [shuffled, no-eeg], control_limit: null,
                   max_new_tokens: null, limit: null}
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

from ..datasets_builder import SPLITS, detect_format, discover, read_summary
from ..errors import InvalidInputError, MissingInputError
from ..evaluation.controls import check_controls
from ..tasks.dataset import INFO_FILE, PAPER_COUNTS
from ..text_models import preset_text_model
from ..training.config import check_text_model_available, parse_stage_arguments, stage_defaults
from ..training.stages import ABLATIONS, ALIGN, ENCODER, SFT, STAGE_BY_KEY, STAGES

SECTION = "reproduce"  # the run config's section of reproduce's own settings
FULL, NO_COT = "full", "no_cot"
VARIANTS: tuple[str, ...] = (FULL, ENCODER.ablation, ALIGN.ablation, SFT.ablation, NO_COT)
SETTINGS = {"recordings": None, "format": "auto", "seed": 0, "n_jobs": 1, "test_size": None}
EVALUATION = {"batch_size": 16, "controls": ["shuffled", "no-eeg"], "control_limit": None, "max_new_tokens": None,
              "limit": None}  # fmt: skip


def variant_title(variant: str, encoder: str | None = None) -> str:
    """The variant's name in the tables: the paper's ("w/o Stage 1"), with where a variant
    without stage 1 got its encoder."""
    if variant == FULL:
        return "E2LLM"
    if variant == NO_COT:
        return "w/o CoT format"
    stage = next(s for s in STAGES if s.ablation == variant)
    return f"w/o Stage {stage.number}" + (f" ({encoder})" if encoder else "")


@dataclass(frozen=True)
class SplitData:
    """One split's data: its segments, its task data with and without chain of thought, and
    whether this run builds them (``recordings``) or reads the config's."""

    split: str
    segments_dir: Path
    tasks_dir: Path
    no_cot_tasks_dir: Path
    recordings: Path | None  # build the segments from these; None: the config's segments
    build_tasks: bool  # build the chain-of-thought task data (else the config's tasks_dir)
    seed: int
    counts: dict


@dataclass(frozen=True, eq=False)  # eq=False: hashed by identity, a key of the report's tables
class Run:
    """One split × variant: its run config, what it evaluates and where."""

    split: str
    variant: str
    title: str
    config: dict
    config_path: Path
    tasks_dir: Path
    model_dir: Path  # the stage folder evaluated
    eval_dir: Path
    shared: dict = field(default_factory=dict)  # stage folder name → the full model's folder it reuses
    encoder: str | None = None  # no_stage1: where its encoder comes from


@dataclass(frozen=True)
class Plan:
    out: Path
    source: str
    settings: dict
    evaluation: dict
    splits: list[SplitData]
    runs: list[Run]


def _section(values, defaults: dict, where: str) -> dict:
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise InvalidInputError(f"{where} must hold key: value lines, not a {type(values).__name__}")
    unknown = sorted(set(values) - set(defaults))
    if unknown:
        raise InvalidInputError(f"{where}: unknown keys {unknown}; expected some of {', '.join(defaults)}")
    return {**defaults, **values}


def read_settings(config: dict, source: str, written_later: bool = False) -> tuple[dict, dict, dict]:
    """The ``reproduce`` section: its data settings, task counts and evaluation settings, over
    the defaults (the paper's counts; the shuffled and no-EEG controls), checked
    (``written_later``: the recordings are not there yet, the demo writes them)."""
    section = dict(config.get(SECTION) or {})
    counts = _section(section.pop("tasks", None), PAPER_COUNTS, f"{source}: {SECTION}.tasks")
    evaluation = _section(section.pop("evaluation", None), EVALUATION, f"{source}: {SECTION}.evaluation")
    settings = _section(section, SETTINGS, f"{source}: {SECTION}")
    evaluation["controls"] = check_controls(evaluation["controls"]) if evaluation["controls"] else []
    for key in ("batch_size", "control_limit", "max_new_tokens", "limit"):
        value = evaluation[key]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise InvalidInputError(f"{source}: {SECTION}.evaluation.{key} must be a whole number ≥ 1, not {value!r}")
    if settings["recordings"] is not None:
        settings["recordings"] = Path(settings["recordings"]).expanduser()
        if not written_later and not settings["recordings"].is_dir():
            raise MissingInputError(f"{source}: {SECTION}.recordings {settings['recordings']}: no such folder")
    return settings, counts, evaluation


def _subjects(recordings: Path, fmt: str) -> list[str]:
    """The subjects of the recordings (listed, not read)."""
    tasks, _ = discover(recordings, detect_format(recordings) if fmt == "auto" else fmt)
    return sorted({task.subject for task in tasks})


def check_splits(splits, subjects: int | None, given_split: str | None, source: str) -> None:
    """Each split asked for is one the data can give: a known one; ``subject`` needs at least two
    subjects; without recordings, only the split the config's segments were built with."""
    for split in splits:
        if split not in SPLITS:
            raise InvalidInputError(f"--splits: unknown split {split!r}; choose from {', '.join(SPLITS)}")
        if given_split is not None and split != given_split:
            raise InvalidInputError(
                f"--splits {split}: the config's segments are the {given_split!r} split; to build other splits "
                f"name the recordings in {source}'s {SECTION}.recordings"
            )
        if split == "subject" and subjects is not None and subjects < 2:
            raise InvalidInputError(
                f"--splits subject: a leave-subjects-out split needs at least 2 subjects; the data has {subjects}"
            )


def _given_data(config: dict, source: str) -> tuple[Path, Path | None, str]:
    """Without recordings: the config's segments (and task data, if it names some) and their split."""
    run = config.get("run") or {}
    if not run.get("segments_dir"):
        raise InvalidInputError(f"{source}: give run.segments_dir, or the recordings in {SECTION}.recordings")
    segments = Path(run["segments_dir"]).expanduser()
    summary = read_summary(segments)
    if summary is None:
        raise MissingInputError(f"{source}: run.segments_dir {segments}: no segments dataset (e2llm prepare)")
    tasks = Path(run["tasks_dir"]).expanduser() if run.get("tasks_dir") else None
    if tasks is not None and not (tasks / INFO_FILE).is_file():
        raise MissingInputError(f"{source}: run.tasks_dir {tasks}: no task data (e2llm build-tasks)")
    return segments, tasks, (summary.get("settings") or {}).get("split", "paper")


def _split_data(out: Path, split: str, settings: dict, counts: dict, given) -> SplitData:
    here = out / "data" / split
    no_cot = here / "tasks-no-cot"
    if settings["recordings"] is not None:
        return SplitData(split, here / "segments", here / "tasks", no_cot, settings["recordings"], True,
                         settings["seed"], counts)  # fmt: skip
    segments, tasks, _ = given
    if tasks is None:
        return SplitData(split, segments, here / "tasks", no_cot, None, True, settings["seed"], counts)
    import json

    info = json.loads((tasks / INFO_FILE).read_text(encoding="utf-8"))
    if info.get("cot") is False:
        raise InvalidInputError(f"run.tasks_dir {tasks} was built without chain of thought; give the CoT build")
    params = {k: v for k, v in (info.get("params") or {}).items() if k in PAPER_COUNTS}
    return SplitData(split, segments, tasks, no_cot, None, False, int(info.get("seed", 0)), {**counts, **params})


def _eeg_checkpoint(config: dict, source: str) -> str | None:
    """The encoder stage 1 starts from (``eeg_checkpoint``): what the variant without stage 1 uses."""
    path = stage_defaults(config, ENCODER.key, source).get("eeg_checkpoint")
    if path and not Path(path).expanduser().exists():
        raise MissingInputError(f"{source}: eeg_checkpoint {path}: no such folder")
    return path


def variant_config(base: dict, variant: str, data: SplitData, runs_dir: Path, eeg_checkpoint: str | None):
    """The run config of one variant on one split, and the stage folders it shares with the full
    model (folder name → path)."""
    config = copy.deepcopy(base)
    for section in ("run", *STAGE_BY_KEY):
        config[section] = dict(config.get(section) or {})
    full = runs_dir / FULL
    config["run"].update(
        output_dir=str(full if variant in (FULL, SFT.ablation) else runs_dir / variant),
        segments_dir=str(data.segments_dir),
        tasks_dir=str(data.no_cot_tasks_dir if variant == NO_COT else data.tasks_dir),
        ablation=variant if variant in ABLATIONS else "none",
    )
    shared = {}
    if variant == SFT.ablation:  # the full model's stage 2, as it is
        shared = {stage.folder: str(full / stage.folder) for stage in (ENCODER, ALIGN)}
    if variant in (ALIGN.ablation, NO_COT):  # stage 1 does not depend on the variant
        shared[ENCODER.folder] = config[ENCODER.key]["output_dir"] = str(full / ENCODER.folder)
        config[SFT.key if variant == ALIGN.ablation else ALIGN.key]["init_from"] = shared[ENCODER.folder]
    if variant == ALIGN.ablation:  # stage 3 builds the projector: it starts as stage 2's would
        start = stage_defaults(base, ALIGN.key).get("projector_init", "random")
        config[SFT.key].setdefault("projector_init", start)
    if variant == ENCODER.ablation:
        config[ALIGN.key]["projector_init"] = "random"  # no stage-1 head to start from
        config[ALIGN.key].pop("init_from", None)
        if eeg_checkpoint:
            config[ALIGN.key]["eeg_encoder"] = str(eeg_checkpoint)
    return config, shared


def _run(out: Path, data: SplitData, variant: str, base: dict, eeg_checkpoint: str | None, source: str) -> Run:
    config, shared = variant_config(base, variant, data, out / "runs" / data.split, eeg_checkpoint)
    last = [stage for stage in STAGES if stage.ablation != config["run"]["ablation"]][-1]
    encoder = None
    if variant == ENCODER.ablation:
        encoder = f"EEGPT encoder, {Path(eeg_checkpoint).name}" if eeg_checkpoint else "random encoder"
    return Run(
        split=data.split,
        variant=variant,
        title=variant_title(variant, encoder),
        config=config,
        config_path=out / "configs" / data.split / f"{variant}.yaml",
        tasks_dir=Path(config["run"]["tasks_dir"]),
        model_dir=Path(stage_defaults(config, last.key, source)["output_dir"]),
        eval_dir=out / "eval" / data.split / variant,
        shared=shared,
        encoder=encoder,
    )


def _check_text_model(config: dict, source: str) -> None:
    """The LM the config names (``text_model``, else its preset's) exists, or the Hub cache has it."""
    run = config.get("run") or {}
    name = (config.get(ALIGN.key) or {}).get("text_model") or run.get("text_model")
    check_text_model_available(name or preset_text_model(run.get("preset", "e2llm-8b")), source)


def make_plan(config: dict, out, *, splits=None, variants=None, source: str = "config", subjects=None) -> Plan:
    """Work out and check the whole reproduction before anything is written.

    Args:
        config: a run config (``load_run_config(path, extra_sections=("reproduce",))``).
        out: the output folder.
        splits: the splits to run (default: ``paper``, or the split of the config's segments).
        variants: some of :data:`VARIANTS` (default: all), run in that order.
        subjects: how many subjects the recordings hold, when they are not written yet (the demo).

    Raises:
        InvalidInputError / MissingInputError: one line naming the setting or path.
    """
    out = Path(out).expanduser().resolve()
    settings, counts, evaluation = read_settings(config, source, written_later=subjects is not None)
    base = {k: v for k, v in config.items() if k != SECTION}
    given = None if settings["recordings"] is not None else _given_data(base, source)
    splits = list(dict.fromkeys(splits or [given[2] if given else "paper"]))
    variants = list(dict.fromkeys(variants or VARIANTS))
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise InvalidInputError(f"--variants: unknown {unknown}; choose from {', '.join(VARIANTS)}")
    if subjects is None and settings["recordings"] is not None and "subject" in splits:
        subjects = len(_subjects(settings["recordings"], settings["format"]))
    check_splits(splits, subjects, given[2] if given else None, source)
    eeg_checkpoint = _eeg_checkpoint(base, source)
    data = [_split_data(out, split, settings, counts, given) for split in splits]
    runs = [_run(out, d, v, base, eeg_checkpoint, source) for d in data for v in [x for x in VARIANTS if x in variants]]
    for run in runs[: len(variants)]:  # the splits' configs differ in their folders only
        for stage in STAGES:
            if stage.ablation != run.config["run"]["ablation"]:
                parse_stage_arguments(stage.key, [], run.config, f"{source} ({run.title})")
    _check_text_model(base, source)
    return Plan(out, source, settings, evaluation, data, runs)
