"""Scoring generations: the records file and the metrics computed from it.

``generations.jsonl`` holds one JSON record per evaluated sample (see
:mod:`e2llm.evaluation.runner`); :func:`compute_metrics` turns records into ``metrics.json``'s
blocks with the local ``evaluate`` metric module (:mod:`e2llm.evaluation.metric`). The runner
writes records and the report reads them, both through here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..tasks.rules import TASKS
from .metric import METRIC_PATH
from .metric.e2llm_metrics import DEFAULT_LABELS, random_baseline


def read_generations(path: str | os.PathLike) -> dict[tuple[str, str], dict]:
    """The records of a ``generations.jsonl``, keyed by ``(split, id)``; a last line cut short by
    an interruption is ignored."""
    records = {}
    path = Path(path)
    if not path.exists():
        return records
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            records[(record["split"], record["id"])] = record
    return records


def _repair_tail(path: Path) -> None:
    """Drop an incomplete last line (no newline) so appended records start on a line of their own."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with open(path, "rb+") as f:
        data = f.read()
        if data.endswith(b"\n"):
            return
        cut = data.rfind(b"\n") + 1
        f.truncate(cut)


def load_metric(task: str | None = None):
    """The local ``evaluate`` metric module (no network), for ``task`` (its config name)."""
    import evaluate

    return evaluate.load(str(METRIC_PATH), config_name=task or "default", keep_in_memory=True)


def compute_metrics(records: Iterable[Mapping], *, return_confusion: bool = False):
    """``metrics.json``'s task blocks and ``random`` block from generation records (each with
    ``task``, ``parsed``, ``answer``). With ``return_confusion=True`` also the IED confusion matrix
    (or ``None`` without IED samples)."""

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
        predictions, references = [r["parsed"] for r in rows], [r["answer"] for r in rows]
        if task == "ied":
            result = metric.compute(predictions=predictions, references=references, confusion_matrix=True)
            confusion = result.pop("confusion_matrix")
        else:
            result = metric.compute(predictions=predictions, references=references)
        metrics[task] = result
    ied_refs = [r["answer"] for r in by_task.get("ied", [])]
    metrics["random"] = {
        task: random_baseline(task, references=ied_refs if task == "ied" else None, labels=DEFAULT_LABELS)
        for task in TASKS
    }
    return (metrics, confusion) if return_confusion else metrics
