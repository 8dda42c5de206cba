"""The reproduction's report, in the paper's layout, from the runs' ``metrics.json``:

- ``table2.md``: IED per emotion, balanced accuracy, Cohen's κ, weighted F1 (the full model);
- ``table3.md``: EPC, ESS, EIM, ESR and their average (the full model);
- ``table4.md``: the variants × those tasks, per split;
- ``figure3.png``: the variants on IED, per split;
- ``splits.md``: the splits × the tasks, with the leakage audit's verdict of each split;
- ``reproduce.md``: what ran, where, what was shared, linking all of them.

Every figure is in %, with its 95 % interval, and each table has the signal controls of its runs
beside it. Nothing in them depends on when they were written: a rerun writes the same files.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from ..evaluation.metric.e2llm_metrics import HEADLINE
from ..evaluation.report import (
    CONTROL_TITLES,
    TASK_TITLES,
    controls_sentence,
    controls_table,
    format_percent,
    ied_table,
    plot_ablations,
    tasks_table,
)
from ..runs.atomic import write_text_atomic
from ..tasks.rules import TASKS
from .plan import FULL, Plan, Run

REPORT_FILE = "reproduce.md"
TABLES = {"table2": "table2.md", "table3": "table3.md", "table4": "table4.md", "splits": "splits.md"}
FIGURE = "figure3.png"
INTERVALS = (
    "Figures in %, each with its 95 % interval over the test samples in brackets (Wilson for a proportion, "
    "a seeded bootstrap for balanced accuracy, κ, weighted F1 and Avg.), beside the signal controls each run was "
    "evaluated with: a score that does not clear its controls has not shown that the model reads the EEG."
)


def _metrics(run: Run) -> dict:
    return json.loads((run.eval_dir / "metrics.json").read_text(encoding="utf-8"))


def _name(run: Run, plan: Plan) -> str:
    several = len(plan.splits) > 1
    return f"{run.title}, {run.split} split" if several else run.title


def _headline_runs(plan: Plan) -> list[Run]:
    """The runs of Tables 2 and 3: the full model's of each split (every run when it was not run)."""
    return [run for run in plan.runs if run.variant == FULL] or list(plan.runs)


def _controls(runs: list[tuple[str, Mapping]]) -> list[str]:
    parts = ["## Beside the signal controls", ""]
    for name, metrics in runs:
        parts += [f"### {name}", "", controls_table(metrics), "", controls_sentence(metrics) or "No controls.", ""]
    return parts


def table2(plan: Plan, metrics: dict) -> str:
    runs = [(_name(r, plan), metrics[r]) for r in _headline_runs(plan)]
    return "\n".join(
        ["# Table 2: individual emotion description (IED), %", "", INTERVALS, "", ied_table(runs), ""] + _controls(runs)
    )


def table3(plan: Plan, metrics: dict) -> str:
    runs = [(_name(r, plan), metrics[r]) for r in _headline_runs(plan)]
    return "\n".join(
        ["# Table 3: EPC, ESS, EIM and ESR* accuracy, %", "", INTERVALS, "", tasks_table(runs), "",
         "*ESR is never trained on (zero-shot). Avg. is the mean of the four tasks.", ""]
        + _controls(runs)
    )  # fmt: skip


def table4(plan: Plan, metrics: dict) -> str:
    parts = ["# Table 4: the ablations on EPC, ESS, EIM and ESR*, accuracy %", "", INTERVALS, ""]
    every = []
    for data in plan.splits:
        runs = [(r.title, metrics[r]) for r in plan.runs if r.split == data.split]
        parts += [f"## {data.split} split", "", tasks_table(runs), ""]
        every += [(f"{name}, {data.split} split", m) for name, m in runs]
    return "\n".join(parts + _controls(every))


def figure3_numbers(plan: Plan, metrics: dict) -> str:
    """Figure 3's bars as a table: each run's IED balanced accuracy beside each control's."""
    controls = list(dict.fromkeys(c for m in metrics.values() for c in (m.get("controls") or {})))
    header = ["split", "variant", "IED balanced accuracy"] + [CONTROL_TITLES.get(c, c) for c in controls]
    lines = ["| " + " | ".join(header + ["clears all controls"]) + " |", "|" + "---|" * (len(header) + 1)]
    for run in plan.runs:
        m = metrics[run]
        cells = [run.split, run.title, _cell(m.get("ied"), "balanced_accuracy")]
        cells += [_cell(((m.get("controls") or {}).get(c) or {}).get("ied"), "balanced_accuracy") for c in controls]
        against = (m.get("against_controls") or {}).get("ied")
        cells.append("–" if against is None else ("yes" if against["clears_all"] else "**no**"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(block: Mapping | None, key: str) -> str:
    if not block or block.get(key) is None:
        return "–"
    return f"{format_percent(block[key], block.get(f'{key}_ci95'))} (n={block['n']})"


def splits_table(plan: Plan, metrics: dict) -> str:
    """The splits × the tasks (the full model's headline scores), with each split's audit."""
    parts = ["# The splits × the tasks, with the leakage audit", "", INTERVALS, ""]
    header = ["split", "run"] + [f"{TASK_TITLES[t]} ({HEADLINE[t].replace('_', ' ')})" for t in TASKS]
    header += ["shared subjects / clips", "leakage audit"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for data in plan.splits:
        for run in [r for r in _headline_runs(plan) if r.split == data.split]:
            m = metrics[run]
            leakage = m.get("leakage") or {}
            shared = " / ".join(str((leakage.get(u) or {}).get("shared", "–")) for u in ("subjects", "clips"))
            cells = [data.split, run.title] + [_cell(m.get(t), HEADLINE[t]) for t in TASKS]
            lines.append("| " + " | ".join(cells + [shared, leakage.get("verdict", "not audited")]) + " |")
    return "\n".join(parts + lines + [""])


def _stages(run: Run) -> str:
    if not run.shared:
        return "its own"
    return ", ".join(f"{folder} = the full model's" for folder in run.shared)


def runs_table(plan: Plan) -> str:
    """What each run evaluated, what it shares with the full model, and where its results are."""
    header = ["split", "variant", "model evaluated", "stages shared", "encoder before stage 2", "evaluation"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for run in plan.runs:
        encoder = run.encoder or "stage 1's"
        report = run.eval_dir / "report.md"
        cells = [run.split, run.title, f"`{run.model_dir.relative_to(plan.out)}`", _stages(run), encoder,
                 f"[report]({report.relative_to(plan.out)})"]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _synthetic(plan: Plan) -> bool:
    info = plan.splits[0].tasks_dir / "tasks_info.json"
    return bool(json.loads(info.read_text(encoding="utf-8")).get("synthetic"))


def _encoder_note(plan: Plan) -> list[str]:
    run = next((r for r in plan.runs if r.encoder), None)
    if run is None:
        return []
    if run.encoder == "random encoder":
        return [
            f"{run.title}: the config gives no `eeg_checkpoint` (EEGPT's converted weights), so the encoder stages 2 "
            "and 3 start from is a random encoder, as initialised and never trained; the paper's variant starts from "
            "the pretrained EEGPT encoder. Its projector starts random (there is no stage-1 head to start it from).",
            "",
        ]
    return [f"{run.title}: stages 2 and 3 start from EEGPT's converted weights, untrained on emotions.", ""]


def reproduce_text(plan: Plan, metrics: dict) -> str:
    splits = ", ".join(d.split for d in plan.splits)
    data = plan.settings["recordings"] or plan.splits[0].segments_dir
    evaluation = plan.evaluation
    parts = ["# E2LLM: the paper's results, reproduced", ""]
    if _synthetic(plan):
        parts += ["**SYNTHETIC DATA**: generated, not recorded from any person; the figures test the pipeline, "
                  "not the paper's claims.", ""]  # fmt: skip
    parts += [
        f"- Config: `{plan.source}`",
        f"- Data: `{data}`; splits: {splits}; seed {plan.settings['seed']}",
        f"- Variants: {', '.join(dict.fromkeys(r.title for r in plan.runs))}",
        f"- Signal controls: {', '.join(evaluation['controls']) or 'none'}"
        + (f" (at most {evaluation['control_limit']} samples a task)" if evaluation["control_limit"] else ""),
        "",
        INTERVALS,
        "",
        "## Tables and figure",
        "",
        f"- [Table 2]({TABLES['table2']}): IED per emotion, balanced accuracy, Cohen's κ, weighted F1",
        f"- [Table 3]({TABLES['table3']}): EPC, ESS, EIM, ESR and their average",
        f"- [Table 4]({TABLES['table4']}): the ablations on EPC, ESS, EIM, ESR",
        f"- [Figure 3]({FIGURE}): the ablations on IED",
        f"- [The splits × the tasks]({TABLES['splits']}), with each split's leakage audit",
        "",
        f"![Figure 3: the ablations on IED]({FIGURE})",
        "",
        "## Figure 3 in numbers",
        "",
        figure3_numbers(plan, metrics),
        "",
        "## The runs",
        "",
        "A stage two variants share is trained once, in the full model's folder.",
        "",
        runs_table(plan),
        "",
        *_encoder_note(plan),
        "## The splits: what train and test share",
        "",
    ]
    for run in _headline_runs(plan):
        parts.append(f"- {run.split}: {(metrics[run].get('leakage') or {}).get('verdict', 'not audited')}")
    return "\n".join(parts + [""])


def write_reproduction(plan: Plan) -> Path:
    """Write the tables, Figure 3 and ``reproduce.md`` into ``plan.out``; returns ``reproduce.md``."""
    metrics = {run: _metrics(run) for run in plan.runs}
    writers = {"table2": table2, "table3": table3, "table4": table4, "splits": splits_table}
    for key, writer in writers.items():
        write_text_atomic(plan.out / TABLES[key], writer(plan, metrics))
    panels = [
        (f"{d.split} split", [(r.title, metrics[r]) for r in plan.runs if r.split == d.split]) for d in plan.splits
    ]
    plot_ablations(panels, plan.out / FIGURE)
    return write_text_atomic(plan.out / REPORT_FILE, reproduce_text(plan, metrics))
