"""Paper-style tables (Markdown) and plots (PNG) of evaluation runs.

- :func:`write_report`: one run's ``report.md`` — Table 2 (IED: per-emotion accuracy, balanced
  accuracy, Cohen's kappa, weighted F1, beside the random baseline), Table 3 (EPC, ESS, EIM, ESR
  accuracy and their average, beside random), invalid-answer rates and the IED confusion matrix —
  and its plots: ``ied_confusion_matrix.png``, ``ied_per_class_accuracy.png``,
  ``task_accuracy.png``.
- :func:`compare_runs`: several runs (e.g. the ablations) side by side: Table 2 with one column
  per run, and Table 4 (one row per run, EPC, ESS, EIM, ESR, Avg.; best of each column in bold),
  plus ``comparison.png``.

Values are shown in percent, as in the paper. Plots use matplotlib's ``Figure`` directly (the Agg
canvas), never ``pyplot``, so no GUI backend is touched.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..atomic import atomic_file, write_text_atomic
from ..tasks.rules import TASKS
from .metric.e2llm_metrics import DEFAULT_LABELS, random_baseline
from .scoring import compute_metrics, read_generations

REASONING_TASKS: tuple[str, ...] = TASKS[1:]  # scored by accuracy; IED by balanced accuracy
TASK_TITLES = {"ied": "IED", "epc": "EPC", "ess": "ESS", "eim": "EIM", "esr": "ESR"}
IED_SUMMARY_ROWS = (
    ("balanced_accuracy", "Balanced Accuracy"),
    ("cohen_kappa", "Cohen's Kappa"),
    ("weighted_f1", "Weighted F1-score"),
)
PLOT_FILES = ("ied_confusion_matrix.png", "ied_per_class_accuracy.png", "task_accuracy.png")


# -- tables --------------------------------------------------------------------------------------


def _pct(value, digits: int = 2) -> str:
    return "–" if value is None else f"{100 * float(value):.{digits}f}"


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], align_first_left: bool = True) -> str:
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join([":---" if align_first_left else "---:"] + ["---:"] * (len(header) - 1)) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _bold_best(cells: list[str], values: list[float | None]) -> list[str]:
    """Bold the largest value(s) of a row or column (only when there are several to compare)."""
    present = [v for v in values if v is not None]
    if len(present) < 2:
        return cells
    best = max(present)
    return [f"**{c}**" if v is not None and abs(v - best) < 1e-12 else c for c, v in zip(cells, values)]


def _random(runs: Sequence[tuple[str, Mapping]], task: str) -> dict:
    for _, metrics in runs:
        if "random" in metrics and task in metrics["random"]:
            return metrics["random"][task]
    return random_baseline(task)


def _avg(values: Sequence[float | None]) -> float | None:
    return None if any(v is None for v in values) else sum(values) / len(values)


def ied_table(runs: Sequence[tuple[str, Mapping]], include_random: bool = True) -> str:
    """Table 2: rows per emotion and the three summary scores; columns Random and each run."""
    names = [name for name, _ in runs]
    header = [""] + (["Random"] if include_random else []) + names
    rnd = _random(runs, "ied")
    rows = []

    def row(title, random_value, values):
        cells = _bold_best([_pct(v) for v in values], values)
        rows.append([title] + ([_pct(random_value)] if include_random else []) + cells)

    for emotion in DEFAULT_LABELS:
        values = [m.get("ied", {}).get("per_class", {}).get(emotion) for _, m in runs]
        row(f'"{emotion.capitalize()}"', rnd["per_class"].get(emotion), values)
    for key, title in IED_SUMMARY_ROWS:
        row(title, rnd[key], [m.get("ied", {}).get(key) for _, m in runs])
    return _markdown_table(header, rows)


def tasks_table(runs: Sequence[tuple[str, Mapping]], include_random: bool = True) -> str:
    """Table 3 / Table 4: one row per run (after Random), columns EPC, ESS, EIM, ESR*, Avg.; the best
    run of each column in bold."""
    header = [""] + [TASK_TITLES[t] + ("*" if t == "esr" else "") for t in REASONING_TASKS] + ["Avg."]
    columns = [[m.get(t, {}).get("accuracy") for _, m in runs] for t in REASONING_TASKS]
    columns.append([_avg([col[i] for col in columns]) for i in range(len(runs))])
    cells = [_bold_best([_pct(v) for v in col], col) for col in columns]
    rows = []
    if include_random:
        rnd = [_random(runs, t)["accuracy"] for t in REASONING_TASKS]
        rows.append(["Random"] + [_pct(v) for v in rnd] + [_pct(_avg(rnd))])
    for i, (name, _) in enumerate(runs):
        rows.append([name] + [col[i] for col in cells])
    return _markdown_table(header, rows)


def invalid_table(runs: Sequence[tuple[str, Mapping]]) -> str:
    """Invalid-answer rate (%) per task and run, with the number of samples."""
    header = [""] + [TASK_TITLES[t] for t in TASKS]
    rows = []
    for name, metrics in runs:
        cells = []
        for task in TASKS:
            block = metrics.get(task)
            cells.append("–" if block is None else f"{_pct(block['invalid_rate'])} (n={block['n']})")
        rows.append([name] + cells)
    return _markdown_table(header, rows)


def confusion_table(confusion: Mapping) -> str:
    """The IED confusion matrix as counts: rows ground truth, columns prediction."""
    header = ["truth \\ predicted"] + list(confusion["predicted"])
    rows = [[label] + [str(c) for c in counts] for label, counts in zip(confusion["labels"], confusion["counts"])]
    return _markdown_table(header, rows)


# -- plots ---------------------------------------------------------------------------------------


def _save(fig, path: Path) -> None:
    with atomic_file(path) as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight", format="png")


def plot_confusion_matrix(confusion: Mapping, path: str | os.PathLike, title: str = "IED confusion matrix") -> Path:
    """Rows (ground truth) normalised to fractions for the colours; cells annotated with counts."""
    import numpy as np
    from matplotlib.figure import Figure

    counts = np.asarray(confusion["counts"], dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    fractions = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    fig = Figure(figsize=(8, 6.5))
    ax = fig.subplots()
    image = ax.imshow(fractions, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, label="fraction of the true class")
    ax.set_xticks(range(len(confusion["predicted"])), confusion["predicted"], rotation=45, ha="right")
    ax.set_yticks(range(len(confusion["labels"])), confusion["labels"])
    ax.set_xlabel("predicted")
    ax.set_ylabel("ground truth")
    ax.set_title(title)
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            if counts[i, j]:
                ax.text(
                    j,
                    i,
                    str(int(counts[i, j])),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if fractions[i, j] > 0.6 else "black",
                )
    path = Path(path)
    _save(fig, path)
    return path


def plot_per_class_accuracy(metrics: Mapping, path: str | os.PathLike, title: str = "IED per-class accuracy") -> Path:
    """One bar per emotion, the random baseline as a dashed line."""
    from matplotlib.figure import Figure

    per_class = metrics["ied"]["per_class"]
    chance = metrics.get("random", {}).get("ied", {}).get("balanced_accuracy", 1 / len(DEFAULT_LABELS))
    values = [100 * per_class.get(e, 0.0) for e in DEFAULT_LABELS]
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    bars = ax.bar(DEFAULT_LABELS, values, color="tab:blue")
    for bar, emotion in zip(bars, DEFAULT_LABELS):
        label = f"{100 * per_class[emotion]:.1f}" if emotion in per_class else "n/a"
        ax.annotate(label, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize=8)
    ax.axhline(100 * chance, color="gray", linestyle="--", label=f"random ({100 * chance:.2f} %)")
    ax.set_ylim(0, 112)
    ax.set_ylabel("accuracy (%)")
    ax.set_title(f"{title} (balanced accuracy {100 * metrics['ied']['balanced_accuracy']:.2f} %)")
    ax.legend(loc="upper right")
    path = Path(path)
    _save(fig, path)
    return path


def _grouped_bars(ax, groups: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], colors=None):
    import numpy as np

    width = 0.8 / max(len(series), 1)
    x = np.arange(len(groups))
    for k, (name, values) in enumerate(series):
        heights = [0.0 if v is None else 100 * v for v in values]
        bars = ax.bar(
            x - 0.4 + width * (k + 0.5), heights, width, label=name, color=None if colors is None else colors[k]
        )
        for bar, v in zip(bars, values):
            if v is not None:
                ax.annotate(
                    f"{100 * v:.1f}",
                    (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center",
                    va="bottom",
                    fontsize=7,
                )
    ax.set_xticks(x, groups)
    ax.set_ylim(0, 118)
    ax.set_ylabel("accuracy (%)")


def _task_values(metrics: Mapping) -> list[float | None]:
    values = [metrics.get("ied", {}).get("balanced_accuracy")]
    return values + [metrics.get(t, {}).get("accuracy") for t in REASONING_TASKS]


def _task_groups() -> list[str]:
    return ["IED\n(balanced acc.)"] + [TASK_TITLES[t] for t in REASONING_TASKS]


def plot_task_accuracy(
    metrics: Mapping, path: str | os.PathLike, name: str = "model", title: str = "Accuracy per task"
) -> Path:
    """The run's score per task (IED: balanced accuracy) beside the random baseline."""
    from matplotlib.figure import Figure

    rnd = metrics.get("random") or {t: random_baseline(t) for t in TASKS}
    random_values = [rnd["ied"]["balanced_accuracy"]] + [rnd[t]["accuracy"] for t in REASONING_TASKS]
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    _grouped_bars(
        ax, _task_groups(), [(name, _task_values(metrics)), ("random", random_values)], colors=["tab:blue", "lightgray"]
    )
    ax.set_title(title)
    ax.legend(loc="upper center", ncol=2, fontsize=8)
    path = Path(path)
    _save(fig, path)
    return path


# -- one run -------------------------------------------------------------------------------------


def _run_name(metrics: Mapping, default: str = "model") -> str:
    model = str(metrics.get("model") or "")
    return Path(model).name or default


def write_report(
    out_dir: str | os.PathLike,
    metrics: Mapping | None = None,
    confusion: Mapping | None = None,
    *,
    name: str | None = None,
    plots: bool = True,
) -> Path:
    """Write ``report.md`` (and the plots) for the run in ``out_dir``.

    Args:
        out_dir: the run directory.
        metrics: the run's metrics; default: read ``metrics.json``.
        confusion: the IED confusion matrix (``compute_metrics(..., return_confusion=True)``);
            default: computed again from ``generations.jsonl``.
        name: the run's column/row title; default: the model directory's name.
        plots: also write the PNG plots.

    Returns:
        the path of ``report.md``.
    """
    out = Path(out_dir)
    if metrics is None:
        metrics_file = out / "metrics.json"
        if not metrics_file.exists():
            raise FileNotFoundError(f"no metrics.json in {out}")
        metrics = json.loads(metrics_file.read_text(encoding="utf-8"))
    if confusion is None and "ied" in metrics and (out / "generations.jsonl").exists():
        records = [r for r in read_generations(out / "generations.jsonl").values() if r["task"] == "ied"]
        if records:
            _, confusion = compute_metrics(records, return_confusion=True)
    name = name or _run_name(metrics)
    runs = [(name, metrics)]
    counts = ", ".join(f"{TASK_TITLES[t]} {metrics[t]['n']}" for t in TASKS if t in metrics)
    parts = [
        "# E2LLM evaluation",
        "",
        f"- Model: `{metrics.get('model', '?')}`",
        f"- Data: `{metrics.get('data', '?')}`",
        f"- Samples: {counts}",
        "- Greedy decoding; answers parsed from the generated text (an unreadable answer is invalid and counts as wrong).",
        "",
    ]
    if "ied" in metrics:
        parts += [
            "## Table 2: individual emotion description (IED), %",
            "",
            ied_table(runs),
            "",
            "Per-emotion rows are the accuracy (recall) on the samples of that emotion; random: uniform guessing "
            "over the seven emotions (its weighted F1 is computed on this test set's class distribution).",
            "",
        ]
    if any(t in metrics for t in REASONING_TASKS):
        parts += [
            "## Table 3: multi-task reasoning (EPC, ESS, EIM) and scenario reasoning (ESR*), accuracy %",
            "",
            tasks_table(runs),
            "",
            "*ESR is unseen in training and asked as a two-turn conversation: the model's own first answer "
            "(describing the three segments) precedes the scenario question. Avg. is the mean of the four tasks.",
            "",
        ]
    parts += ["## Invalid answers, % of samples", "", invalid_table(runs), ""]
    if confusion is not None:
        parts += ["## IED confusion matrix (counts)", "", confusion_table(confusion), ""]
    if plots:
        written = []
        if confusion is not None:
            written.append(plot_confusion_matrix(confusion, out / "ied_confusion_matrix.png"))
        if "ied" in metrics:
            written.append(plot_per_class_accuracy(metrics, out / "ied_per_class_accuracy.png"))
        written.append(plot_task_accuracy(metrics, out / "task_accuracy.png", name=name))
        parts += ["## Plots", ""] + [f"![{p.stem}]({p.name})" for p in written] + [""]
    return write_text_atomic(out / "report.md", "\n".join(parts))


# -- several runs --------------------------------------------------------------------------------


def _run_names(run_dirs: Sequence[Path]) -> list[str]:
    names = [p.name or str(p) for p in run_dirs]
    if len(set(names)) != len(names):
        names = [str(p) for p in run_dirs]
    return names


def compare_runs(
    run_dirs: Sequence[str | os.PathLike],
    out_dir: str | os.PathLike | None = None,
    *,
    names: Sequence[str] | None = None,
) -> str:
    """Tables 2 and 4 over several evaluation runs (e.g. the full model and its ablations).

    Args:
        run_dirs: directories written by :func:`e2llm.evaluation.evaluate_model` (each holds
            ``metrics.json``), in the order of the table rows.
        out_dir: if given, ``comparison.md`` and ``comparison.png`` are written there.
        names: row/column titles; default: the directories' names.

    Returns:
        the Markdown text.
    """
    paths = [Path(p).expanduser() for p in run_dirs]
    if not paths:
        raise ValueError("give at least one run directory")
    if names is not None and len(names) != len(paths):
        raise ValueError(f"{len(names)} names for {len(paths)} runs")
    runs = []
    for name, path in zip(names or _run_names(paths), paths):
        metrics_file = path / "metrics.json"
        if not metrics_file.exists():
            raise FileNotFoundError(f"no metrics.json in {path} (run `e2llm evaluate` there first)")
        runs.append((name, json.loads(metrics_file.read_text(encoding="utf-8"))))
    parts = ["# E2LLM evaluation runs compared", ""]
    parts += [f"- {name}: model `{m.get('model', '?')}`, data `{m.get('data', '?')}`" for name, m in runs] + [""]
    if any("ied" in m for _, m in runs):
        parts += ["## Table 2: IED, %", "", ied_table(runs), ""]
    parts += [
        "## Table 4: EPC, ESS, EIM, ESR accuracy, % (best of each column in bold)",
        "",
        tasks_table(runs),
        "",
        "## Invalid answers, % of samples",
        "",
        invalid_table(runs),
        "",
    ]
    text = "\n".join(parts)
    if out_dir is not None:
        from matplotlib.figure import Figure

        out = Path(out_dir).expanduser()
        out.mkdir(parents=True, exist_ok=True)
        fig = Figure(figsize=(max(8, 1.6 * len(runs) + 5), 4.8))
        ax = fig.subplots()
        rnd = runs[0][1].get("random") or {t: random_baseline(t) for t in TASKS}
        random_values = [rnd["ied"]["balanced_accuracy"]] + [rnd[t]["accuracy"] for t in REASONING_TASKS]
        _grouped_bars(ax, _task_groups(), [(n, _task_values(m)) for n, m in runs] + [("random", random_values)])
        ax.set_title("Accuracy per task and run")
        ax.legend(loc="upper center", ncol=min(len(runs) + 1, 5), fontsize=8)
        _save(fig, out / "comparison.png")
        write_text_atomic(out / "comparison.md", text + "\n![comparison](comparison.png)\n")
    return text


__all__ = [
    "compare_runs",
    "confusion_table",
    "ied_table",
    "invalid_table",
    "plot_confusion_matrix",
    "plot_per_class_accuracy",
    "plot_task_accuracy",
    "tasks_table",
    "write_report",
]
