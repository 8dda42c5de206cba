"""The whole instruction dataset: every split's samples from a segments dataset, counted, saved
with ``save_to_disk`` beside ``tasks_info.json`` (the ``e2llm build-tasks`` command), loaded back.

Splits (:data:`SPLITS`): ``train`` (IED, EPC, ESS, EIM), ``train_sft`` (its stage-3 subset),
``test_ied``, ``test_multi`` (EPC, ESS, EIM) and ``test_esr`` (zero-shot). The samples and their
sampling are described in :mod:`e2llm.tasks.builders`.
"""

from __future__ import annotations

import json
import os
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..configuration_e2llm import EMOTIONS
from ..datasets_builder.builder import PSEUDONYMOUS_NOTE
from ..datasets_builder.lookup import read_summary
from ..eeg.synthetic import SYNTHETIC_PREFIX, is_synthetic_description
from ..errors import InvalidInputError, MissingInputError, OutputExistsError
from ..runs.atomic import atomic_directory
from .builders import BUILDERS, SegmentIndex, build_esr, build_ied, task_rng
from .rules import MULTI_TASKS, TASKS, TRAIN_TASKS

# bumped whenever the text of the samples changes, so that task folders of an older format are
# built again (what each format changed: the git history of tasks/builders.py)
TASKS_FORMAT_VERSION = 9
SPLITS: tuple[str, ...] = ("train", "train_sft", "test_ied", "test_multi", "test_esr")
INFO_FILE = "tasks_info.json"


def _features():
    from datasets import Features, List, Value

    part = {"type": Value("string"), "text": Value("string"), "segment_id": Value("string")}
    return Features(
        {
            "id": Value("string"),
            "task": Value("string"),
            "messages": List({"role": Value("string"), "content": List(part)}),
            "answer": Value("string"),
            "segment_ids": List(Value("string")),
            "cot": Value("bool"),
            "emotions": List(Value("string")),
        }
    )


def _split_evenly(n: int, tasks: Sequence[str]) -> dict[str, int]:
    base, extra = divmod(n, len(tasks))
    return {t: base + (i < extra) for i, t in enumerate(tasks)}


def _stratified_subset(samples: Sequence[dict], k: int, rng: random.Random) -> list[dict]:
    """``k`` of ``samples``, proportionally from each (answer, emotion set) stratum (largest
    remainder), in their original order."""
    if k >= len(samples):
        return list(samples)
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, s in enumerate(samples):
        groups[(s["answer"], tuple(sorted(set(s["emotions"]))))].append(i)
    keys = list(groups)
    exact = {key: k * len(groups[key]) / len(samples) for key in keys}
    quota = {key: int(exact[key]) for key in keys}
    order = sorted(keys, key=lambda key: (-(exact[key] - quota[key]), rng.random()))
    for key in order[: k - sum(quota.values())]:
        quota[key] += 1
    chosen = sorted(i for key in keys for i in rng.sample(groups[key], quota[key]))
    return [samples[i] for i in chosen]


def _check_count(name: str, value) -> int:
    if value is None or isinstance(value, bool) or int(value) != value or value < 0:
        raise InvalidInputError(f"{name} must be a non-negative integer, not {value!r}")
    return int(value)


def load_segment_indexes(segments, train_split: str = "train", test_split: str = "test"):
    """``(train_index, test_index, description, path)`` from a segments ``DatasetDict`` or the
    directory it was saved to."""
    from datasets import DatasetDict, load_from_disk

    path = None
    if not isinstance(segments, DatasetDict):
        path = Path(segments).expanduser().resolve()
        if not path.exists():
            raise MissingInputError(f"no segments dataset at {path}")
        segments = load_from_disk(str(path))
        if not isinstance(segments, DatasetDict):
            raise InvalidInputError(
                f"{path} holds a single Dataset; expected a DatasetDict with splits {train_split!r} and {test_split!r}"
            )
    for split in (train_split, test_split):
        if split not in segments:
            raise InvalidInputError(f"the segments dataset has no split {split!r} (it has {sorted(segments)})")
    train = SegmentIndex.from_dataset(segments[train_split], name="train")
    test = SegmentIndex.from_dataset(segments[test_split], name="test")
    overlap = set(train.ids) & set(test.ids)
    if overlap:
        raise InvalidInputError(
            f"{len(overlap)} segment id(s) are in both {train_split!r} and {test_split!r}, e.g. {sorted(overlap)[0]!r}"
        )
    description = segments[train_split].info.description or ""
    return train, test, description, (str(path) if path else None)


def build_task_samples(
    train: SegmentIndex,
    test: SegmentIndex,
    *,
    cot: bool = True,
    seed: int = 0,
    n_train: int = 10_000,
    n_train_sft: int = 3_000,
    n_multi: int = 500,
    n_esr: int = 167,
    n_test_ied: int | None = None,
) -> dict[str, list[dict]]:
    """The samples of every split (``SPLITS``) as lists of dicts; see :func:`build_task_datasets`."""
    n_train, n_train_sft = _check_count("n_train", n_train), _check_count("n_train_sft", n_train_sft)
    n_multi, n_esr = _check_count("n_multi", n_multi), _check_count("n_esr", n_esr)
    if n_test_ied is not None:
        n_test_ied = _check_count("n_test_ied", n_test_ied)
    if n_train_sft > n_train:
        raise InvalidInputError(f"n_train_sft ({n_train_sft}) exceeds n_train ({n_train}): it is a subset of train")
    by_task = {
        t: BUILDERS[t](train, k, cot=cot, seed=seed) if k else []
        for t, k in _split_evenly(n_train, TRAIN_TASKS).items()
    }
    sft_quota = _split_evenly(n_train_sft, TRAIN_TASKS)
    sft_ids = {
        s["id"]
        for t in TRAIN_TASKS
        for s in _stratified_subset(by_task[t], sft_quota[t], task_rng(seed, "train_sft", t))
    }
    train_samples = [s for t in TRAIN_TASKS for s in by_task[t]]
    task_rng(seed, "train", "order").shuffle(train_samples)
    if n_test_ied is None:
        test_ied = build_ied(test, None, cot=cot, seed=seed)
    else:
        all_ied = build_ied(test, None, cot=cot, seed=seed)
        test_ied = _stratified_subset(all_ied, n_test_ied, task_rng(seed, "test", "ied-subset"))
    multi = [
        s for t, k in _split_evenly(n_multi, MULTI_TASKS).items() if k for s in BUILDERS[t](test, k, cot=cot, seed=seed)
    ]
    return {
        "train": train_samples,
        "train_sft": [s for s in train_samples if s["id"] in sft_ids],
        "test_ied": test_ied,
        "test_multi": multi,
        "test_esr": build_esr(test, n_esr, cot=cot, seed=seed) if n_esr else [],
    }


def task_counts(samples_by_split: dict[str, Iterable[dict]]) -> dict[str, Any]:
    """Counts of a built set: ``samples[split][task]``, ``emotions[split][task][emotion]`` (segment
    slots: the flattened ``emotions`` column, i.e. the label for IED) and
    ``answers[split][task][answer]``. Accepts lists of dicts or a ``DatasetDict``."""
    samples, emotions, answers = {}, {}, {}
    for split, rows in samples_by_split.items():
        if hasattr(rows, "select_columns"):
            sub = rows.select_columns(["task", "answer", "emotions"])
            rows = [dict(task=t, answer=a, emotions=e) for t, a, e in zip(sub["task"], sub["answer"], sub["emotions"])]
        n, emo, ans = Counter(), defaultdict(Counter), defaultdict(Counter)
        for r in rows:
            n[r["task"]] += 1
            emo[r["task"]].update(r["emotions"])
            ans[r["task"]][r["answer"]] += 1
        tasks = [t for t in TASKS if t in n]
        samples[split] = {t: n[t] for t in tasks}
        emotions[split] = {t: {e: emo[t][e] for e in EMOTIONS} for t in tasks}
        answers[split] = {t: dict(sorted(ans[t].items())) for t in tasks}
    return {"samples": samples, "emotions": emotions, "answers": answers}


def format_counts(counts: dict[str, Any]) -> str:
    """A plain-text table of :func:`task_counts`: one row per split and task, emotion columns."""
    header = f"{'split':<11} {'task':<4} {'samples':>7} " + " ".join(f"{e:>8}" for e in EMOTIONS)
    lines = [header, "-" * len(header)]
    for split, per_task in counts["samples"].items():
        for task, n in per_task.items():
            emo = counts["emotions"][split][task]
            lines.append(f"{split:<11} {task:<4} {n:>7} " + " ".join(f"{emo[e]:>8}" for e in EMOTIONS))
    lines.append("(emotion columns count EEG segment slots: one per IED sample, two per EPC, three otherwise)")
    return "\n".join(lines)


def build_task_datasets(
    segments,
    out_dir: str | os.PathLike | None = None,
    *,
    cot: bool = True,
    seed: int = 0,
    n_train: int = 10_000,
    n_train_sft: int = 3_000,
    n_multi: int = 500,
    n_esr: int = 167,
    n_test_ied: int | None = None,
    train_split: str = "train",
    test_split: str = "test",
):
    """Build the instruction data of the five tasks from a segments dataset.

    Args:
        segments: the segments ``DatasetDict`` (splits ``train`` and ``test``; columns ``id`` and
            ``emotion`` are read, the EEG arrays never) or the directory it was saved to.
        out_dir: where to save the result (``save_to_disk`` plus ``tasks_info.json``), written
            atomically; an existing directory is replaced only if it holds a previous build (or
            is empty). ``None``: do not save.
        cot: chain-of-thought reference answers (descriptions, then the conclusion line) or the
            direct-answer variant (conclusion line only).
        seed: the build is a deterministic function of the segments and the arguments.
        n_train: training samples, split evenly over IED, EPC, ESS, EIM (paper: 10,000).
        n_train_sft: the stage-3 subset of ``train`` (paper: 3,000), stratified per task.
        n_multi: ``test_multi`` samples, split evenly over EPC, ESS, EIM (paper: 500).
        n_esr: ``test_esr`` samples (paper: 167; at most 30 per emotion, the ESR bank's size).
        n_test_ied: ``None`` (paper): one IED sample per test segment; a number: a subset of
            those, stratified by emotion (for small demos).

    Returns:
        a ``datasets.DatasetDict`` with splits ``train``, ``train_sft``, ``test_ied``,
        ``test_multi``, ``test_esr`` and the columns of the module docstring. Its splits'
        ``info.description`` starts with ``"SYNTHETIC DATA — "`` if the segments' does.

    Raises:
        ValueError: a split cannot supply a task (e.g. fewer than three emotions), bad counts.
        FileNotFoundError: no segments dataset at ``segments``.
        FileExistsError: ``out_dir`` exists and is not a previous build.
    """
    from datasets import Dataset, DatasetDict, DatasetInfo

    train, test, description, path = load_segment_indexes(segments, train_split, test_split)
    synthetic = is_synthetic_description(description)
    counts = dict(n_train=n_train, n_train_sft=n_train_sft, n_multi=n_multi, n_esr=n_esr, n_test_ied=n_test_ied)
    by_split = build_task_samples(train, test, cot=cot, seed=seed, **counts)
    style = "chain-of-thought" if cot else "direct-answer"
    text = (
        f"{SYNTHETIC_PREFIX if synthetic else ''}E2LLM instruction samples for IED, EPC, ESS, EIM (train) and "
        f"IED, EPC, ESS, EIM, ESR (test), {style} references, seed {seed}, "
        "built from an E2LLM EEG segments dataset."
    )  # no local path: a dataset may be pushed
    features = _features()
    info = DatasetInfo(description=text, features=features)
    dd = DatasetDict(
        {split: Dataset.from_list(rows, features=features, info=info.copy()) for split, rows in by_split.items()}
    )
    if out_dir is not None:
        info = {
            "version": TASKS_FORMAT_VERSION,
            "seed": seed,
            "cot": cot,
            "synthetic": synthetic,
            "pseudonymized": _segments_pseudonymized(path, description),
            "segments_dir": path,  # local only: tasks_info.json is not part of a pushed dataset
            "params": {
                "n_train": n_train,
                "n_train_sft": n_train_sft,
                "n_multi": n_multi,
                "n_esr": n_esr,
                "n_test_ied": n_test_ied,
                "train_split": train_split,
                "test_split": test_split,
            },
            "counts": task_counts(by_split),
        }
        save_task_datasets(dd, out_dir, info)
    return dd


PAPER_COUNTS = {"n_train": 10_000, "n_train_sft": 3_000, "n_multi": 500, "n_esr": 167, "n_test_ied": None}


def ensure_task_datasets(segments_dir: str | os.PathLike, out_dir: str | os.PathLike, *, cot: bool = True,
                         seed: int = 0, **counts) -> bool:  # fmt: skip
    """:func:`build_task_datasets` unless ``out_dir`` already holds its result: a build of this
    format from the same segments folder (not rebuilt since), with the same ``cot``, ``seed`` and
    counts (``counts`` over :data:`PAPER_COUNTS`). Returns whether it built."""
    counts = {**PAPER_COUNTS, **counts}
    unknown = sorted(set(counts) - set(PAPER_COUNTS))
    if unknown:
        raise InvalidInputError(f"unknown task counts {unknown}; expected some of {', '.join(PAPER_COUNTS)}")
    segments = Path(segments_dir).expanduser().resolve()
    info_file = Path(out_dir) / INFO_FILE
    try:
        info = json.loads(info_file.read_text(encoding="utf-8"))
        current = info_file.stat().st_mtime_ns >= (segments / "dataset_dict.json").stat().st_mtime_ns
    except (OSError, ValueError):
        info, current = {}, False
    same = {"version": TASKS_FORMAT_VERSION, "cot": cot, "seed": seed, "segments_dir": str(segments)}
    params = info.get("params") or {}
    if (
        current
        and all(info.get(k) == v for k, v in same.items())
        and all(params.get(k) == v for k, v in counts.items())
    ):
        return False
    build_task_datasets(segments, out_dir, cot=cot, seed=seed, **counts)
    return True


def _segments_pseudonymized(path: str | None, description: str) -> bool:
    """Whether the segments' ids, subjects and sources are pseudonyms (``prepare --pseudonymize``):
    from their ``summary.json`` if there is one, else from their description."""

    summary = read_summary(path) if path else None
    if summary is not None and "pseudonymized" in summary:
        return bool(summary["pseudonymized"])
    return PSEUDONYMOUS_NOTE in description


def save_task_datasets(dd, out_dir: str | os.PathLike, info: dict) -> Path:
    """Save ``dd`` and ``info`` (as ``tasks_info.json``) to ``out_dir`` atomically
    (:func:`e2llm.runs.atomic.atomic_directory`): everything is written to a temporary sibling
    ``.NAME.tmp-HOST-PID-RANDOM``, which then replaces ``out_dir``. Leftovers of a killed build of
    this host (``.NAME.tmp-*`` / ``.NAME.old-*`` whose process is gone) are removed first; another
    host's are left alone."""
    out = Path(out_dir).expanduser().resolve()
    if out.exists():
        if not out.is_dir():
            raise OutputExistsError(f"{out} exists and is not a directory")
        if any(out.iterdir()) and not (out / INFO_FILE).exists():
            raise OutputExistsError(f"{out} exists and is not a previous build-tasks output; choose another --out")
    from datasets.utils import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars

    bars_were_on = not are_progress_bars_disabled()
    try:
        disable_progress_bars()
        with atomic_directory(out) as tmp:
            dd.save_to_disk(str(tmp))
            (tmp / INFO_FILE).write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    finally:
        if bars_were_on:
            enable_progress_bars()
    return out


def load_task_datasets(path: str | os.PathLike):
    """``(DatasetDict, info dict)`` of a directory written by :func:`build_task_datasets`."""
    from datasets import load_from_disk

    path = Path(path).expanduser()
    info_file = path / INFO_FILE
    if not info_file.exists():
        raise MissingInputError(f"no {INFO_FILE} in {path}: not a build-tasks output")
    return load_from_disk(str(path)), json.loads(info_file.read_text(encoding="utf-8"))
