"""`e2llm reproduce`: the full model and the four ablations at the demo's `test` size, end to end,
reused whole on a rerun; and its checks, which stop a bad request before anything is written."""

from __future__ import annotations

import copy
import io
import os
import signal
import subprocess
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

import pytest
import yaml

from e2llm.cli import main as cli
from e2llm.reproduce.plan import FULL, NO_COT, make_plan
from e2llm.runs.records import RecordLog
from e2llm.training.stages import ALIGN, ENCODER, SFT

OUTPUTS = ("reproduce.md", "table2.md", "table3.md", "table4.md", "splits.md", "figure3.png")


@pytest.fixture(scope="module")
def text_model(tiny_tokenizer, tmp_path_factory):
    from conftest import save_tiny_lm

    return save_tiny_lm(copy.deepcopy(tiny_tokenizer), tmp_path_factory.mktemp("lm") / "tiny-lm")


def _reproduce(out: Path, text_model: str) -> str:
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        assert cli(["reproduce", "--size", "test", "--out", str(out), "--text-model", text_model]) == 0
    return buffer.getvalue()


@pytest.fixture(scope="module")
def reproduction(text_model, tmp_path_factory):
    out = tmp_path_factory.mktemp("reproduce") / "out"
    return out, _reproduce(out, text_model)


@pytest.mark.slow
def test_reproduce_writes_the_papers_tables(reproduction):
    out, printed = reproduction
    for name in OUTPUTS:
        assert (out / name).is_file(), name
    report = (out / "reproduce.md").read_text()
    for name in OUTPUTS[1:]:
        assert f"({name})" in report, name
    table2, table3, table4 = ((out / f"table{n}.md").read_text() for n in (2, 3, 4))
    assert "Balanced Accuracy" in table2 and "Cohen's Kappa" in table2 and "Weighted F1-score" in table2
    assert "| Random |" in table3 and "Avg." in table3
    for title in ("E2LLM", "w/o Stage 1 (random encoder)", "w/o Stage 2", "w/o Stage 3", "w/o CoT format"):
        assert f"| {title} |" in table4, title
    assert "random encoder" in report and "no `eeg_checkpoint`" in report
    for text in (table2, table3, table4):  # intervals, beside the controls
        assert " [" in text and "shuffled EEG" in text and "no EEG" in text
    assert "subject-dependent, clip-overlapping split ('paper')" in (out / "splits.md").read_text()
    assert "SYNTHETIC DATA" in report
    # the shared stages were trained once: no stage 1 of its own for w/o stage 2 or w/o CoT, nothing for w/o stage 3
    runs = out / "runs" / "paper"
    assert sorted(p.name for p in runs.iterdir()) == sorted([FULL, ENCODER.ablation, ALIGN.ablation, NO_COT])
    assert not (runs / ALIGN.ablation / ENCODER.folder).exists() and not (runs / NO_COT / ENCODER.folder).exists()
    assert (runs / ALIGN.ablation / SFT.folder / "adapter-base").is_dir()  # stage 3 built on the full model's stage 1
    assert not (runs / ENCODER.ablation / ENCODER.folder).exists()
    assert printed.count("[reproduce 5/5]") == 2 and "(4 runs left after it)" in printed


@pytest.mark.slow
def test_reproduce_rerun_reuses_everything(reproduction, text_model, monkeypatch):
    out, _ = reproduction
    before = {name: (out / name).read_bytes() for name in OUTPUTS}

    def forbidden(*args, **kwargs):
        raise AssertionError("a rerun trained or evaluated again")

    monkeypatch.setattr("e2llm.training.config.train_encoder", forbidden)
    monkeypatch.setattr("e2llm.training.config.train_sft", forbidden)
    monkeypatch.setattr("e2llm.reproduce.run.evaluate_model", forbidden)
    printed = _reproduce(out, text_model)
    assert printed.count("evaluation reused") == 5
    assert {name: (out / name).read_bytes() for name in OUTPUTS} == before


@pytest.mark.slow
def test_reproduce_killed_mid_evaluation_resumes_to_the_same_tables(reproduction, text_model, tmp_path, monkeypatch):
    """kill -9 while the second run (w/o stage 1) is writing its answers; the rerun reuses the full
    model's stages and evaluation, finishes the answers left and gives the uninterrupted tables."""
    out = tmp_path / "out"
    command = [sys.executable, "-c", "import sys; from e2llm.cli import main; sys.exit(main(sys.argv[1:]))",
               "reproduce", "--size", "test", "--out", str(out), "--text-model", text_model]  # fmt: skip
    answers = out / "eval" / "paper" / ENCODER.ablation / "generations.jsonl"
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 900
        while not (answers.is_file() and answers.read_text().count("\n") >= 1):
            assert process.poll() is None, "reproduce ended before the second run wrote an answer"
            assert time.time() < deadline, "the second run wrote no answer within 15 minutes"
            time.sleep(0.05)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    written = answers.read_text().count("\n")
    assert not (out / "reproduce.md").exists() and not (answers.parent / "metrics.json").exists()

    def forbidden(*args, **kwargs):
        raise AssertionError("the rerun trained stage 1 again")

    kept, open_log = {}, RecordLog.open

    def spy(log, **settings):
        records = open_log(log, **settings)
        kept.setdefault(log.path, len(records))
        return records

    monkeypatch.setattr("e2llm.training.config.train_encoder", forbidden)  # every run reuses the full model's
    monkeypatch.setattr(RecordLog, "open", spy)
    printed = _reproduce(out, text_model)
    assert printed.count("evaluation reused") == 1  # the full model's
    assert f"[{ALIGN.key}] {out / 'runs' / 'paper' / FULL / ALIGN.folder} exists; skipping" in printed
    assert kept[answers] == written  # the answers written before the kill were resumed, not made again
    first, _ = reproduction
    for name in ("table2.md", "table3.md", "table4.md", "splits.md"):
        assert (out / name).read_text() == (first / name).read_text(), name


def _one_subject_recordings(folder: Path) -> Path:
    """A SEED-VII preprocessed layout with one subject: listed, never read, by the checks."""
    (folder / "EEG_preprocessed").mkdir(parents=True)
    (folder / "EEG_preprocessed" / "1.mat").write_bytes(b"")
    return folder


def _config(tmp_path: Path, reproduce: dict | None = None, **run) -> Path:
    path = tmp_path / "run.yaml"
    body = {"run": {"preset": "tiny", **run}}
    if reproduce is not None:
        body["reproduce"] = reproduce
    path.write_text(yaml.safe_dump(body))
    return path


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("no-config", "--config"),
        ("subject-of-one", "at least 2 subjects; the data has 1"),
        ("unknown-key", "unknown keys ['recording']"),
        ("no-recordings", "reproduce.recordings"),
        ("no-data", "give run.segments_dir"),
        ("bad-controls", "control"),
        ("bad-text-model", "nope.gguf"),
    ],
)
def test_reproduce_refuses_before_writing(tmp_path, capsys, case, message):
    data = _one_subject_recordings(tmp_path / "recordings")
    configs = {
        "no-config": lambda: tmp_path / "missing.yaml",
        "subject-of-one": lambda: _config(tmp_path, {"recordings": str(data)}),
        "unknown-key": lambda: _config(tmp_path, {"recording": str(data)}),
        "no-recordings": lambda: _config(tmp_path, {"recordings": str(tmp_path / "nowhere")}),
        "no-data": lambda: _config(tmp_path, {}),
        "bad-controls": lambda: _config(tmp_path, {"recordings": str(data), "evaluation": {"controls": ["loud"]}}),
        "bad-text-model": lambda: _config(tmp_path, {"recordings": str(data)}, text_model=str(tmp_path / "nope.gguf")),
    }
    config = configs[case]()
    out = tmp_path / "out"
    splits = ["--splits", "paper", "subject"] if case == "subject-of-one" else []
    code = cli(["reproduce", "--config", str(config), "--out", str(out), *splits])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("e2llm reproduce: error:") and message in err, err
    assert not out.exists()


def test_reproduce_refuses_unknown_variants_and_both_sources(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli(["reproduce", "--size", "test", "--out", str(out), "--variants", "no_stage4"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1 and not out.exists()
    assert cli(["reproduce", "--size", "test", "--config", "x.yaml", "--out", str(out)]) == 2
    assert not out.exists()
    capsys.readouterr()
    assert cli(["reproduce", "--size", "test", "--out", str(out), "--text-model", str(tmp_path / "nope.gguf")]) == 2
    err = capsys.readouterr().err
    assert "nope.gguf: no such GGUF file" in err and len(err.strip().splitlines()) == 1 and not out.exists()


@pytest.mark.slow
def test_reproduce_refuses_a_split_the_configs_segments_cannot_give(reproduction, tmp_path, capsys):
    out, _ = reproduction
    config = _config(tmp_path, {}, segments_dir=str(out / "data" / "paper" / "segments"))
    code = cli(["reproduce", "--config", str(config), "--out", str(tmp_path / "out"), "--splits", "clip"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "segments are the 'paper' split" in err, err
    assert not (tmp_path / "out").exists()


def test_plan_shares_the_full_models_stages(tmp_path):
    """w/o stage 3 is the full model's stage 2; w/o stage 2 and w/o CoT start from its stage 1;
    w/o stage 1 starts from the config's EEGPT weights when it gives them."""
    data = _one_subject_recordings(tmp_path / "recordings")
    eegpt = tmp_path / "eegpt"
    eegpt.mkdir()
    config = {
        "run": {"preset": "tiny", "text_model": str(tmp_path)},
        ENCODER.key: {"eeg_checkpoint": str(eegpt)},
        ALIGN.key: {"projector_init": "classifier"},
        "reproduce": {"recordings": str(data)},
    }
    (tmp_path / "config.json").write_text("{}")  # a local LM folder, as the check sees it
    plan = make_plan(config, tmp_path / "out", splits=["paper", "clip"])
    assert [(r.split, r.variant) for r in plan.runs][:2] == [("paper", FULL), ("paper", ENCODER.ablation)]
    assert len(plan.runs) == 10
    runs = {r.variant: r for r in plan.runs if r.split == "clip"}
    full = tmp_path.resolve() / "out" / "runs" / "clip" / FULL
    assert runs[FULL].model_dir == full / SFT.folder
    assert runs[SFT.ablation].model_dir == full / ALIGN.folder
    assert runs[ALIGN.ablation].config[SFT.key]["init_from"] == str(full / ENCODER.folder)
    assert runs[ALIGN.ablation].config[SFT.key]["projector_init"] == "classifier"
    assert runs[NO_COT].config[ALIGN.key]["init_from"] == str(full / ENCODER.folder)
    assert runs[NO_COT].tasks_dir.name == "tasks-no-cot" and runs[NO_COT].tasks_dir.parent.name == "clip"
    no_stage1 = runs[ENCODER.ablation]
    assert no_stage1.config[ALIGN.key]["eeg_encoder"] == str(eegpt) and no_stage1.encoder.startswith("EEGPT")
    assert no_stage1.config[ALIGN.key]["projector_init"] == "random"
    assert not (tmp_path / "out").exists()
