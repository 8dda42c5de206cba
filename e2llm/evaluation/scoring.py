"""Scoring generations: the records file and the metrics computed from it.

``generations.jsonl`` holds one JSON record per evaluated sample (see
:mod:`e2llm.evaluation.runner`); :func:`compute_metrics` turns records into ``metrics.json``'s
blocks with the local ``evaluate`` metric module (:mod:`e2llm.evaluation.metric`). The runner
writes records and the report reads them, both through here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from ..runs.records import read_records
from ..tasks.rules import TASKS
from .confidence import calibration
from .metric import METRIC_PATH
from .metric.e2llm_metrics import (
    DEFAULT_LABELS,
    HEADLINE,
    N_RESAMPLES,
    mean_accuracy,
    paired_difference,
    random_baseline,
)

REASONING_TASKS: tuple[str, ...] = TASKS[1:]  # scored by accuracy; IED by balanced accuracy


def record_key(record: Mapping) -> tuple[str, str]:
    """A generation record's identity: its split and sample id."""
    return (record["split"], record["id"])


def read_generations(path: str | os.PathLike) -> dict[tuple[str, str], dict]:
    """The records of a ``generations.jsonl``, keyed by ``(split, id)``; a last line cut short by
    an interruption is ignored, any other line that is not a record is an ``InvalidInputError``."""
    return read_records(path, record_key)


def load_metric(task: str | None = None):
    """The local ``evaluate`` metric module (no network), for ``task`` (its config name)."""
    import evaluate

    return evaluate.load(str(METRIC_PATH), config_name=task or "default", keep_in_memory=True)


def compute_metrics(
    records: Iterable[Mapping],
    *,
    return_confusion: bool = False,
    intervals: bool = False,
    seed: int = 0,
    n_resamples: int = N_RESAMPLES,
    baseline: bool = True,
):
    """``metrics.json``'s task blocks from generation records (each with ``task``, ``parsed``,
    ``answer``), and its ``random`` block unless ``baseline=False``.

    With ``intervals`` every score gets its 95 % interval (``<score>_ci95``), and IED's block its
    calibration: ``ece`` and ``ece_ci95`` (10 bins) of the records' ``confidence`` against their
    correctness, and ``calibration`` (the reliability diagram's bins; answers without a
    confidence, the invalid ones, are not in it). With ``return_confusion=True`` also the IED
    confusion matrix (or ``None`` without IED samples)."""

    by_task: dict[str, list[Mapping]] = {}
    for record in records:
        by_task.setdefault(record["task"], []).append(record)
    metrics: dict = {}
    confusion = None
    for task in TASKS:
        rows = by_task.get(task)
        if not rows:
            continue
        metric = load_metric(task)
        options = {"intervals": intervals, "seed": seed, "n_resamples": n_resamples} if intervals else {}
        predictions, references = [r["parsed"] for r in rows], [r["answer"] for r in rows]
        if task == "ied":
            result = metric.compute(predictions=predictions, references=references, confusion_matrix=True, **options)
            confusion = result.pop("confusion_matrix")
            if intervals:
                scored = [r for r in rows if r.get("confidence") is not None]
                result["calibration"] = calibration(
                    [r["confidence"] for r in scored], [r["parsed"] == r["answer"] for r in scored],
                    n_resamples=n_resamples, seed=seed,
                )  # fmt: skip
                result["ece"] = result["calibration"].get("ece")
                result["ece_ci95"] = result["calibration"].get("ece_ci95")
        else:
            result = metric.compute(predictions=predictions, references=references, **options)
        metrics[task] = result
    reasoning = [t for t in REASONING_TASKS if t in by_task]
    if intervals and reasoning:  # the paper's Avg. over the reasoning tasks evaluated
        metrics["average"] = mean_accuracy(
            [[r["parsed"] for r in by_task[t]] for t in reasoning],
            [[r["answer"] for r in by_task[t]] for t in reasoning],
            n_resamples=n_resamples,
            seed=seed,
        )
        metrics["average"]["tasks"] = reasoning
    if baseline:
        ied_refs = [r["answer"] for r in by_task.get("ied", [])]
        metrics["random"] = {
            task: random_baseline(task, references=ied_refs if task == "ied" else None, labels=DEFAULT_LABELS)
            for task in TASKS
        }
    return (metrics, confusion) if return_confusion else metrics


def compare_with_controls(
    records: Mapping[tuple, Mapping], control_records: Mapping[str, Mapping[tuple, Mapping]], *, seed: int = 0
) -> dict:
    """Per task, the real run's headline score minus each control's, on the samples both scored,
    with a paired-bootstrap 95 % interval, and whether the real run clears every control.

    Returns:
        ``{task: {"metric", "controls": {control: {"difference", "difference_ci95", "n"}},
        "best_control", "clears_all"}}``; a control clears when its difference's interval lies
        above zero.
    """
    from .controls import metrics_key

    out = {}
    for task in TASKS:
        comparisons = {}
        for control, theirs in control_records.items():
            keys = [k for k, r in records.items() if r["task"] == task and k in theirs]
            if not keys:
                continue
            comparisons[metrics_key(control)] = paired_difference(
                task,
                [records[k]["parsed"] for k in keys],
                [theirs[k]["parsed"] for k in keys],
                [records[k]["answer"] for k in keys],
                seed=seed,
            )
        if not comparisons:
            continue
        best = min(comparisons, key=lambda c: comparisons[c]["difference"])
        out[task] = {
            "metric": HEADLINE[task],
            "controls": comparisons,
            "best_control": best,
            "clears_all": all((c["difference_ci95"] or [0.0])[0] > 0 for c in comparisons.values()),
        }
    return out
