"""Paper-style tables (Markdown) and plots (PNG) of evaluation runs.

- :func:`write_report`: one run's ``report.md`` — what its split shares between train and test
  (the leakage audit), Table 2 (IED: per-emotion accuracy, balanced accuracy, Cohen's kappa,
  weighted F1, beside the random baseline), Table 3 (EPC, ESS, EIM, ESR accuracy and their
  average, beside random), the signal controls (each task's real score beside its controls', and
  the real score's margin over the best control), the IED calibration, invalid-answer rates and
  the IED confusion matrix — and its plots: ``ied_confusion_matrix.png``,
  ``ied_per_class_accuracy.png``, ``task_accuracy.png``, ``controls.png``,
  ``ied_reliability.png``.
- :func:`compare_runs`: several runs (e.g. the ablations) side by side: Table 2 with one column
  per run, and Table 4 (one row per run, EPC, ESS, EIM, ESR, Avg.; best of each column in bold,
  and marked where its interval overlaps the best's), plus ``comparison.png``.

Values are in percent, as in the paper, each with its 95 % interval when the run has one:
``89.1 [80.2, 95.0]``. Plots use matplotlib's ``Figure`` directly (the Agg canvas), never
``pyplot``, so no GUI backend is touched.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import InvalidInputError, MissingInputError
from ..runs.atomic import atomic_file, write_text_atomic
from ..tasks.rules import TASKS
from .metric.e2llm_metrics import DEFAULT_LABELS, HEADLINE, random_baseline
from .scoring import REASONING_TASKS, compute_metrics, read_generations

TASK_TITLES = {"ied": "IED", "epc": "EPC", "ess": "ESS", "eim": "EIM", "esr": "ESR"}
CONTROL_TITLES = {"shuffled": "shuffled EEG", "noise": "noise", "no_eeg": "no EEG"}
IED_SUMMARY_ROWS = (
    ("balanced_accuracy", "Balanced Accuracy"),
    ("cohen_kappa", "Cohen's Kappa"),
    ("weighted_f1", "Weighted F1-score"),
)
PLOT_FILES = (
    "ied_confusion_matrix.png",
    "ied_per_class_accuracy.png",
    "task_accuracy.png",
    "controls.png",
    "ied_reliability.png",
)
OVERLAP_MARK = "†"


# -- cells ---------------------------------------------------------------------------------------


def _pct(value, digits: int = 2) -> str:
    return "–" if value is None else f"{100 * float(value):.{digits}f}"


def format_percent(value, interval=None, digits: int = 2) -> str:
    """A value in percent, with its interval when there is one: ``89.1 [80.2, 95.0]``."""
    if value is None:
        return "–"
    if not interval:
        return _pct(value, digits)
    return f"{_pct(value, 1)} [{_pct(interval[0], 1)}, {_pct(interval[1], 1)}]"


def _score(block: Mapping | None, name: str) -> tuple[float | None, list | None]:
    """``(value, interval)`` of a score in a task block (``per_class:<emotion>`` for a recall)."""
    if not block:
        return None, None
    if name.startswith("per_class:"):
        emotion = name.split(":", 1)[1]
        return block.get("per_class", {}).get(emotion), (block.get("per_class_ci95") or {}).get(emotion)
    return block.get(name), block.get(f"{name}_ci95")


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], align_first_left: bool = True) -> str:
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join([":---" if align_first_left else "---:"] + ["---:"] * (len(header) - 1)) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _mark_best(cells: list[str], scores: list[tuple[float | None, list | None]]) -> list[str]:
    """Bold the largest value(s) (only when there are several to compare); mark with
    :data:`OVERLAP_MARK` a smaller one whose interval overlaps the best one's."""
    present = [v for v, _ in scores if v is not None]
    if len(present) < 2:
        return cells
    best_value = max(present)
    best_ci = next(ci for v, ci in scores if v is not None and abs(v - best_value) < 1e-12)
    out = []
    for cell, (v, ci) in zip(cells, scores):
        if v is not None and abs(v - best_value) < 1e-12:
            out.append(f"**{cell}**")
        elif v is not None and ci and best_ci and ci[1] >= best_ci[0]:
            out.append(f"{cell} {OVERLAP_MARK}")
        else:
            out.append(cell)
    return out


def _random(runs: Sequence[tuple[str, Mapping]], task: str) -> dict:
    for _, metrics in runs:
        if "random" in metrics and task in metrics["random"]:
            return metrics["random"][task]
    return random_baseline(task)


def _average(metrics: Mapping) -> tuple[float | None, list | None]:
    """Avg. of Table 3: the four reasoning tasks' mean accuracy, only when all four were run."""
    values = [metrics.get(t, {}).get("accuracy") for t in REASONING_TASKS]
    if any(v is None for v in values):
        return None, None
    average = metrics.get("average") or {}
    interval = average.get("accuracy_ci95") if average.get("tasks") == list(REASONING_TASKS) else None
    return sum(values) / len(values), interval


# -- tables --------------------------------------------------------------------------------------


def ied_table(runs: Sequence[tuple[str, Mapping]], include_random: bool = True) -> str:
    """Table 2: rows per emotion and the three summary scores; columns Random and each run."""
    header = [""] + (["Random"] if include_random else []) + [name for name, _ in runs]
    rnd = _random(runs, "ied")
    rows = []
    names = [(f"per_class:{e}", f'"{e.capitalize()}"', rnd["per_class"].get(e)) for e in DEFAULT_LABELS]
    names += [(key, title, rnd[key]) for key, title in IED_SUMMARY_ROWS]
    for key, title, random_value in names:
        scores = [_score(m.get("ied"), key) for _, m in runs]
        cells = _mark_best([format_percent(v, ci) for v, ci in scores], scores)
        rows.append([title] + ([_pct(random_value)] if include_random else []) + cells)
    return _markdown_table(header, rows)


def tasks_table(runs: Sequence[tuple[str, Mapping]], include_random: bool = True) -> str:
    """Table 3 / Table 4: one row per run (after Random), columns EPC, ESS, EIM, ESR*, Avg.; the best
    run of each column in bold, a run whose interval overlaps the best's marked."""
    header = [""] + [TASK_TITLES[t] + ("*" if t == "esr" else "") for t in REASONING_TASKS] + ["Avg."]
    columns = [[_score(m.get(t), "accuracy") for _, m in runs] for t in REASONING_TASKS]
    columns.append([_average(m) for _, m in runs])
    cells = [_mark_best([format_percent(v, ci) for v, ci in col], col) for col in columns]
    rows = []
    if include_random:
        rnd = [_random(runs, t)["accuracy"] for t in REASONING_TASKS]
        rows.append(["Random"] + [_pct(v) for v in rnd] + [_pct(sum(rnd) / len(rnd))])
    for i, (name, _) in enumerate(runs):
        rows.append([name] + [col[i] for col in cells])
    return _markdown_table(header, rows)


def invalid_table(runs: Sequence[tuple[str, Mapping]]) -> str:
    """Invalid-answer rate (%) per task and run, with its interval and the number of samples."""
    header = [""] + [TASK_TITLES[t] for t in TASKS]
    rows = []
    for name, metrics in runs:
        cells = []
        for task in TASKS:
            block = metrics.get(task)
            cells.append("–" if block is None else f"{format_percent(*_score(block, 'invalid_rate'))} (n={block['n']})")
        rows.append([name] + cells)
    return _markdown_table(header, rows)


def confusion_table(confusion: Mapping) -> str:
    """The IED confusion matrix as counts: rows ground truth, columns prediction."""
    header = ["truth \\ predicted"] + list(confusion["predicted"])
    rows = [[label] + [str(c) for c in counts] for label, counts in zip(confusion["labels"], confusion["counts"])]
    return _markdown_table(header, rows)


def controls_table(metrics: Mapping) -> str:
    """Task × (real, each control, real − best control): the headline score of each (IED balanced
    accuracy, the others accuracy) with its interval and n; the difference is paired (the same
    samples, bootstrapped together)."""
    controls = list(metrics.get("controls") or {})
    header = ["task", "real"] + [CONTROL_TITLES.get(c, c) for c in controls] + ["real − best control", "clears all"]
    rows = []
    for task in TASKS:
        if task not in metrics:
            continue
        key = HEADLINE[task]
        cells = [
            f"{TASK_TITLES[task]} ({key.replace('_', ' ')})",
            f"{format_percent(*_score(metrics[task], key))} (n={metrics[task]['n']})",
        ]
        for c in controls:
            block = metrics["controls"][c].get(task)
            cells.append("–" if block is None else f"{format_percent(*_score(block, key))} (n={block['n']})")
        against = (metrics.get("against_controls") or {}).get(task)
        if against is None:
            cells += ["–", "–"]
        else:
            best = against["controls"][against["best_control"]]
            cells.append(
                f"{format_percent(best['difference'], best['difference_ci95'])} ({CONTROL_TITLES.get(against['best_control'])}, n={best['n']})"
            )
            cells.append("yes" if against["clears_all"] else "**no**")
        rows.append(cells)
    return _markdown_table(header, rows)


def controls_sentence(metrics: Mapping) -> str | None:
    """One plain sentence: does the real score clear every control by more than its interval?
    ``None`` when the run had no controls."""
    against = metrics.get("against_controls")
    if not against:
        return None
    failing = [TASK_TITLES[t] for t in TASKS if t in against and not against[t]["clears_all"]]
    if failing:
        where = "this task" if len(failing) == 1 else "these tasks"
        return (
            f"The real score does not clear every signal control by more than its 95 % interval on "
            f"{', '.join(failing)}: on {where} this run has not shown that the model reads the EEG."
        )
    return (
        "The real score clears every signal control by more than its 95 % interval on every task evaluated "
        f"({', '.join(TASK_TITLES[t] for t in TASKS if t in against)})."
    )


def leakage_section(leakage: Mapping | None) -> list[str]:
    """The leakage audit as Markdown lines: the verdict, then the counts."""
    if not leakage:
        return ["Not audited: the EEG came from an object passed in, not from a segments dataset.", ""]
    header = ["", "train", "test", "shared"]
    units = ("subjects", "sessions", "recordings", "clips", "trials")
    rows = [[u] + [str(leakage[u][k]) for k in ("train", "test", "shared")] for u in units if u in leakage]
    lines = [f"**{leakage['verdict'][0].upper() + leakage['verdict'][1:]}.**", "", _markdown_table(header, rows), ""]
    checked = leakage.get("test_samples")
    if checked:
        lines += [
            f"Test samples checked to use test segments only: {checked['n'] - checked['using_other_segments']} "
            f"of {checked['n']}.",
            "",
        ]
    return lines


def format_evaluation(metrics: Mapping) -> str:
    """The command line's summary of a run: each task's score with its interval, n, random and
    the invalid rate; each control's score; the controls sentence; the split's verdict."""
    lines = []
    controls = metrics.get("controls") or {}
    for task in TASKS:
        if task not in metrics:
            continue
        block, key = metrics[task], HEADLINE[task]
        chance = (metrics.get("random") or {}).get(task, {}).get(key)
        line = (
            f"{TASK_TITLES[task]:4} {key} {format_percent(*_score(block, key))} %  n={block['n']}  "
            f"(random {_pct(chance)} %)  invalid {_pct(block['invalid_rate'])} %"
        )
        for c, control in controls.items():
            if task in control:
                line += f"\n     {CONTROL_TITLES.get(c, c)}: {format_percent(*_score(control[task], key))} %  n={control[task]['n']}"
        lines.append(line)
    sentence = controls_sentence(metrics)
    if sentence:
        lines.append(sentence)
    ece = (metrics.get("ied") or {}).get("calibration") or {}
    if ece.get("n"):
        lines.append(f"IED calibration: ECE {format_percent(ece['ece'], ece.get('ece_ci95'))} % on {ece['n']} answers")
    if metrics.get("leakage"):
        lines.append(f"split: {metrics['leakage']['verdict']}")
    return "\n".join(lines)


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
                color = "white" if fractions[i, j] > 0.6 else "black"
                ax.text(j, i, str(int(counts[i, j])), ha="center", va="center", fontsize=8, color=color)
    path = Path(path)
    _save(fig, path)
    return path


def _error_bars(values: Sequence[float | None], intervals: Sequence[list | None]):
    """matplotlib's (2, n) ``yerr`` in percent points from intervals (0 where there is none)."""
    low = [0.0 if v is None or not ci else 100 * (v - ci[0]) for v, ci in zip(values, intervals)]
    high = [0.0 if v is None or not ci else 100 * (ci[1] - v) for v, ci in zip(values, intervals)]
    return [low, high]


def plot_per_class_accuracy(metrics: Mapping, path: str | os.PathLike, title: str = "IED per-class accuracy") -> Path:
    """One bar per emotion with its 95 % interval, the random baseline as a dashed line."""
    from matplotlib.figure import Figure

    block = metrics["ied"]
    chance = metrics.get("random", {}).get("ied", {}).get("balanced_accuracy", 1 / len(DEFAULT_LABELS))
    scores = [_score(block, f"per_class:{e}") for e in DEFAULT_LABELS]
    values = [100 * (v or 0.0) for v, _ in scores]
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    bars = ax.bar(DEFAULT_LABELS, values, color="tab:blue", yerr=_error_bars(*zip(*scores)), capsize=3)
    for bar, (v, _) in zip(bars, scores):
        label = "n/a" if v is None else f"{100 * v:.1f}"
        ax.annotate(label, (bar.get_x() + bar.get_width() / 2, 1), ha="center", va="bottom", fontsize=8, color="white")
    ax.axhline(100 * chance, color="gray", linestyle="--", label=f"random ({100 * chance:.2f} %)")
    ax.set_ylim(0, 112)
    ax.set_ylabel("accuracy (%), 95 % interval")
    ax.set_title(f"{title} (balanced accuracy {100 * block['balanced_accuracy']:.2f} %, n={block['n']})")
    ax.legend(loc="upper right")
    path = Path(path)
    _save(fig, path)
    return path


def _grouped_bars(ax, groups: Sequence[str], series: Sequence[tuple[str, Sequence]], colors=None):
    """One bar per series and group; a series' values are numbers or ``(value, interval)`` pairs."""
    import numpy as np

    width = 0.8 / max(len(series), 1)
    x = np.arange(len(groups))
    for k, (name, entries) in enumerate(series):
        scores = [e if isinstance(e, tuple) else (e, None) for e in entries]
        values = [v for v, _ in scores]
        heights = [0.0 if v is None else 100 * v for v in values]
        color = None if colors is None else colors[k]
        bars = ax.bar(x - 0.4 + width * (k + 0.5), heights, width, label=name, color=color,
                      yerr=_error_bars(values, [ci for _, ci in scores]), capsize=2)  # fmt: skip
        for bar, v in zip(bars, values):
            if v is not None:
                ax.annotate(f"{100 * v:.1f}", (bar.get_x() + bar.get_width() / 2, 1), ha="center", va="bottom",
                            fontsize=6, rotation=90)  # fmt: skip
    ax.set_xticks(x, groups)
    ax.set_ylim(0, 118)
    ax.set_ylabel("accuracy (%), 95 % interval")


def _task_values(metrics: Mapping) -> list[tuple[float | None, list | None]]:
    return [_score(metrics.get(t), HEADLINE[t]) for t in TASKS]


def _task_groups() -> list[str]:
    return ["IED\n(balanced acc.)"] + [TASK_TITLES[t] for t in REASONING_TASKS]


def _random_values(metrics: Mapping) -> list[float]:
    rnd = metrics.get("random") or {t: random_baseline(t) for t in TASKS}
    return [rnd[t][HEADLINE[t]] for t in TASKS]


def plot_task_accuracy(
    metrics: Mapping, path: str | os.PathLike, name: str = "model", title: str = "Accuracy per task"
) -> Path:
    """The run's score per task (IED: balanced accuracy), with its interval, beside random."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    series = [(name, _task_values(metrics)), ("random", _random_values(metrics))]
    _grouped_bars(ax, _task_groups(), series, colors=["tab:blue", "lightgray"])
    ax.set_title(title)
    ax.legend(loc="upper center", ncol=2, fontsize=8)
    path = Path(path)
    _save(fig, path)
    return path


def plot_controls(
    metrics: Mapping, path: str | os.PathLike, title: str = "Real EEG against the signal controls"
) -> Path:
    """Per task, the real score and each control's, with their intervals, beside random."""
    from matplotlib.figure import Figure

    controls = metrics.get("controls") or {}
    series = [("real EEG", _task_values(metrics))]
    series += [(CONTROL_TITLES.get(c, c), _task_values(block)) for c, block in controls.items()]
    series.append(("random", _random_values(metrics)))
    colors = ["tab:blue", "tab:orange", "tab:purple", "tab:green"][: len(series) - 1] + ["lightgray"]
    fig = Figure(figsize=(9, 4.8))
    ax = fig.subplots()
    _grouped_bars(ax, _task_groups(), series, colors=colors)
    ax.set_title(title)
    ax.legend(loc="upper center", ncol=len(series), fontsize=8)
    path = Path(path)
    _save(fig, path)
    return path


def plot_ablations(
    panels: Sequence[tuple[str, Sequence[tuple[str, Mapping]]]], path: str | os.PathLike, task: str = "ied"
) -> Path:
    """The paper's Figure 3: one panel per group of runs (e.g. a split), each run's headline
    score on ``task`` (IED: balanced accuracy) with its 95 % interval, beside its signal
    controls' and random."""
    from matplotlib.figure import Figure

    key = HEADLINE[task]
    most = max(len(runs) for _, runs in panels)
    fig = Figure(figsize=(max(8, 2.0 * most + 2), 4.6 * len(panels)), layout="constrained")
    fig.suptitle(f"The ablations on {TASK_TITLES[task]}")
    for ax, (title, runs) in zip(fig.subplots(len(panels), 1, squeeze=False)[:, 0], panels):
        controls = list(dict.fromkeys(c for _, m in runs for c in (m.get("controls") or {})))
        series = [("real EEG", [_score(m.get(task), key) for _, m in runs])]
        series += [
            (
                CONTROL_TITLES.get(c, c),
                [_score(((m.get("controls") or {}).get(c) or {}).get(task), key) for _, m in runs],
            )
            for c in controls
        ]
        colors = ["tab:blue", "tab:orange", "tab:purple", "tab:green"][: len(series)]
        _grouped_bars(ax, [name.replace(" (", "\n(") for name, _ in runs], series, colors=colors)
        chance = _random(runs, task)[key]
        ax.axhline(100 * chance, color="gray", linestyle="--", label=f"random ({100 * chance:.1f} %)")
        ax.set_ylabel(f"{TASK_TITLES[task]} {key.replace('_', ' ')} (%), 95 % interval", fontsize=8)
        ax.set_title(title)
        ax.legend(loc="upper center", ncol=len(series) + 1, fontsize=8)
    path = Path(path)
    _save(fig, path)
    return path


def plot_reliability(calibration: Mapping, path: str | os.PathLike, title: str = "IED reliability") -> Path:
    """Accuracy against confidence per bin (bars), the diagonal of perfect calibration, and how
    many answers each bin holds."""
    from matplotlib.figure import Figure

    bins = calibration["bins"]
    fig = Figure(figsize=(5.5, 5.5))
    ax = fig.subplots()
    width = bins[0]["high"] - bins[0]["low"]
    for b in bins:
        if b["n"]:
            ax.bar(b["low"], b["accuracy"], width, align="edge", color="tab:blue", edgecolor="white")
            ax.annotate(str(b["n"]), (b["low"] + width / 2, b["accuracy"]), ha="center", va="bottom", fontsize=7)
    ax.plot([0, 1], [0, 1], color="gray", linestyle="--", label="perfect calibration")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.08)
    ax.set_xlabel("confidence (probability over the seven emotions)")
    ax.set_ylabel("accuracy")
    ece = format_percent(calibration["ece"], calibration.get("ece_ci95"))
    ax.set_title(f"{title}: ECE {ece} %, n={calibration['n']}", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    path = Path(path)
    _save(fig, path)
    return path


# -- one run -------------------------------------------------------------------------------------


def _run_name(metrics: Mapping, default: str = "model") -> str:
    model = str(metrics.get("model") or "")
    return Path(model).name or default


def _control_lines(metrics: Mapping) -> list[str]:
    controls = metrics.get("controls") or {}
    if not controls:
        return []
    settings = metrics.get("settings") or {}
    what = {
        "shuffled": "*shuffled EEG*: each sample's segments are those of other test samples of its task",
        "noise": f"*noise*: each segment is {settings.get('noise') or 'pink (1/f)'} noise with its per-channel mean and SD",
        "no_eeg": "*no EEG*: the prompts without their EEG (the language model's text prior)",
    }
    return [
        "## Signal controls",
        "",
        "The same questions and reference answers, the EEG replaced or removed: "
        + "; ".join(what[c] for c in controls if c in what)
        + ". Scores as above (IED balanced accuracy, the others accuracy), %. *real − best control* is paired: "
        "both scored on the same samples and bootstrapped together; a control is cleared when that interval lies "
        "above 0.",
        "",
        controls_table(metrics),
        "",
        controls_sentence(metrics),
        "",
    ]


def _calibration_lines(metrics: Mapping) -> list[str]:
    calibration = (metrics.get("ied") or {}).get("calibration")
    if not calibration or not calibration.get("n"):
        return []
    return [
        "## IED confidence and calibration",
        "",
        f"Confidence: the model's probability of the emotion it names, normalised over the seven emotions' words, "
        f"at the token where it names it. Mean confidence {_pct(calibration['mean_confidence'], 1)} % against "
        f"accuracy {_pct(calibration['accuracy'], 1)} % on the {calibration['n']} answers that name an emotion; "
        f"expected calibration error ({calibration['n_bins']} bins) {format_percent(calibration['ece'], calibration.get('ece_ci95'))} %.",
        "",
    ]


def _plots(out: Path, metrics: Mapping, confusion: Mapping | None, name: str) -> list[Path]:
    written = []
    if confusion is not None:
        written.append(plot_confusion_matrix(confusion, out / "ied_confusion_matrix.png"))
    if "ied" in metrics:
        written.append(plot_per_class_accuracy(metrics, out / "ied_per_class_accuracy.png"))
    written.append(plot_task_accuracy(metrics, out / "task_accuracy.png", name=name))
    if metrics.get("controls"):
        written.append(plot_controls(metrics, out / "controls.png"))
    calibration = (metrics.get("ied") or {}).get("calibration")
    if calibration and calibration.get("n"):
        written.append(plot_reliability(calibration, out / "ied_reliability.png"))
    return written


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
            raise MissingInputError(f"no metrics.json in {out}")
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
        "- Each figure is in %, with its 95 % interval over the test samples in brackets (Wilson for a proportion, "
        "a seeded percentile bootstrap for balanced accuracy, kappa, weighted F1 and Avg.).",
        "",
        "## The split: what train and test share",
        "",
        *leakage_section(metrics.get("leakage")),
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
    parts += _control_lines(metrics) + _calibration_lines(metrics)
    parts += ["## Invalid answers, % of samples", "", invalid_table(runs), ""]
    if confusion is not None:
        parts += ["## IED confusion matrix (counts)", "", confusion_table(confusion), ""]
    if plots:
        parts += ["## Plots", ""] + [f"![{p.stem}]({p.name})" for p in _plots(out, metrics, confusion, name)] + [""]
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
        raise InvalidInputError("give at least one run directory")
    if names is not None and len(names) != len(paths):
        raise InvalidInputError(f"{len(names)} names for {len(paths)} runs")
    runs = []
    for name, path in zip(names or _run_names(paths), paths):
        metrics_file = path / "metrics.json"
        if not metrics_file.exists():
            raise MissingInputError(f"no metrics.json in {path} (run `e2llm evaluate` there first)")
        runs.append((name, json.loads(metrics_file.read_text(encoding="utf-8"))))
    parts = ["# E2LLM evaluation runs compared", ""]
    for name, m in runs:
        split = (m.get("leakage") or {}).get("verdict", "split not audited")
        parts.append(f"- {name}: model `{m.get('model', '?')}`, data `{m.get('data', '?')}`; {split}")
    parts += [
        "",
        f"Figures in %, with 95 % intervals. Best of each row or column in bold; {OVERLAP_MARK}: its interval "
        "overlaps the best one's, so the difference from the best is not resolved at this n.",
        "",
    ]
    if any("ied" in m for _, m in runs):
        parts += ["## Table 2: IED, %", "", ied_table(runs), ""]
    parts += [
        "## Table 4: EPC, ESS, EIM, ESR accuracy, %",
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
        series = [(n, _task_values(m)) for n, m in runs] + [("random", _random_values(runs[0][1]))]
        _grouped_bars(ax, _task_groups(), series)
        ax.set_title("Accuracy per task and run")
        ax.legend(loc="upper center", ncol=min(len(runs) + 1, 5), fontsize=8)
        _save(fig, out / "comparison.png")
        write_text_atomic(out / "comparison.md", text + "\n![comparison](comparison.png)\n")
    return text


__all__ = [
    "compare_runs",
    "format_percent",
    "confusion_table",
    "controls_sentence",
    "controls_table",
    "format_evaluation",
    "ied_table",
    "invalid_table",
    "leakage_section",
    "plot_confusion_matrix",
    "plot_ablations",
    "plot_controls",
    "plot_per_class_accuracy",
    "plot_reliability",
    "plot_task_accuracy",
    "tasks_table",
    "write_report",
]
