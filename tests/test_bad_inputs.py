"""Bad input through the ``e2llm`` commands, table-driven: files, arguments, configs, model
folders. For each: one line on stderr naming the file or argument and the problem, exit status
2, no traceback, no network access, and nothing new on disk."""

from __future__ import annotations

import os
import socket
import textwrap
from pathlib import Path

import pytest

from e2llm.cli import main as cli

GOOD_RUN = """\
run:
  bf16: false
  preset: tiny
  output_dir: runs/x
  segments_dir: data/segments
  tasks_dir: data/tasks
"""


def write(path: Path, text: str | bytes = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def config(tmp: Path, text: str) -> str:
    return str(write(tmp / "run.yaml", textwrap.dedent(text)))


def data_folders(tmp: Path) -> None:
    (tmp / "data" / "segments").mkdir(parents=True)
    (tmp / "data" / "tasks").mkdir(parents=True)


# (id, set-up returning argv, what the message must contain). Set-ups run in a fresh folder.
CASES = [
    # -- e2llm train: the run config ---------------------------------------------------------
    ("train-no-config", lambda t: ["train", "--config", "nope.yaml"], "nope.yaml: no such config file"),
    ("train-yaml-syntax", lambda t: ["train", "--config", config(t, "run:\n  preset: [tiny\n")], "not valid YAML (line"),
    ("train-not-text", lambda t: ["train", "--config", str(write(t / "run.yaml", b"\xff\xfe\x00bad"))], "run.yaml"),
    ("train-list", lambda t: ["train", "--config", config(t, "- run\n- sft\n")], "found a list"),
    ("train-empty-run", lambda t: ["train", "--config", config(t, "run:\nalign: {bf16: false}\nsft: {bf16: false}\n")],
     "stage1 needs segments_dir"),
    ("train-run-scalar", lambda t: ["train", "--config", config(t, "run: tiny\n")], "section 'run' must hold key: value"),
    ("train-unknown-section", lambda t: ["train", "--config", config(t, GOOD_RUN + "stage4: {}\n")], "unknown sections ['stage4']"),
    ("train-unknown-run-key", lambda t: ["train", "--config", config(t, GOOD_RUN + "  learnin_rate: 1\n")],
     "section 'run': unknown keys ['learnin_rate']"),
    ("train-unknown-stage-key", lambda t: ["train", "--config", config(t, GOOD_RUN + "stage1:\n  epochs: 3\n")],
     "section 'stage1': unknown keys ['epochs']"),
    ("train-unknown-preset", lambda t: ["train", "--config", config(t, GOOD_RUN.replace("tiny", "e2llm-9b"))],
     "unknown preset 'e2llm-9b'"),
    ("train-bad-ablation", lambda t: ["train", "--config", config(t, GOOD_RUN + "  ablation: no_stage4\n")], "ablation must be one of"),
    ("train-missing-segments", lambda t: ["train", "--config", config(t, GOOD_RUN)], "segments_dir data/segments: no such file or folder"),
    ("train-missing-tasks", lambda t: (t.joinpath("data/segments").mkdir(parents=True), ["train", "--config", config(t, GOOD_RUN)])[1],
     "tasks_dir data/tasks: no such file or folder"),
    ("train-missing-text-model", lambda t: (data_folders(t), ["train", "--config", config(t, GOOD_RUN + "  text_model: ./lm\n")])[1],
     "text_model ./lm: no such folder"),
    ("train-missing-gguf", lambda t: (data_folders(t), ["train", "--config", config(t, GOOD_RUN + "  text_model: lm.gguf\n")])[1],
     "lm.gguf: no such GGUF file"),
    ("train-bad-lm-dtype", lambda t: (data_folders(t), ["train", "--config", config(t, GOOD_RUN + "  lm_dtype: fp8\n")])[1],
     "lm_dtype must be"),
    # -- e2llm evaluate ------------------------------------------------------------------------
    ("evaluate-typo-model", lambda t: ((t / "runs").mkdir(), ["evaluate", "runs/stgae3", "--data", "d", "--out", "o"])[1],
     "MODEL_DIR runs/stgae3: no such folder"),
    ("evaluate-hub-id", lambda t: ["evaluate", "org/e2llm-8b", "--data", "d", "--out", "o"], "MODEL_DIR org/e2llm-8b: no such folder"),
    ("evaluate-not-a-model", lambda t: ((t / "m").mkdir(), ["evaluate", "m", "--data", "d", "--out", "o"])[1], "no config.json there"),
    ("evaluate-missing-data", lambda t: (write(t / "m" / "config.json", "{}"), ["evaluate", "m", "--data", "d", "--out", "o"])[1],
     "--data d: no such folder"),
    ("evaluate-batch-size", lambda t: ["evaluate", "m", "--data", "d", "--out", "o", "--batch-size", "0"], "argument --batch-size: must be at least 1"),
    ("evaluate-max-new-tokens", lambda t: ["evaluate", "m", "--data", "d", "--out", "o", "--max-new-tokens", "-3"],
     "argument --max-new-tokens"),
    ("evaluate-bad-task", lambda t: ["evaluate", "m", "--data", "d", "--out", "o", "--tasks", "xyz"], "argument --tasks: invalid choice"),
    # -- e2llm describe --------------------------------------------------------------------------
    ("describe-missing-recording", lambda t: ["describe", "rec.edf", "--model", "m"], "RECORDING rec.edf: no such file"),
    ("describe-typo-model", lambda t: (write(t / "rec.edf"), (t / "runs").mkdir(), ["describe", "rec.edf", "--model", "runs/stgae3"])[2],
     "--model runs/stgae3: no such folder"),
    ("describe-dot-model", lambda t: (write(t / "rec.edf"), ["describe", "rec.edf", "--model", "./m"])[1], "--model ./m: no such folder"),
    ("describe-not-a-model", lambda t: (write(t / "rec.edf"), (t / "m").mkdir(), ["describe", "rec.edf", "--model", "m"])[2],
     "no config.json there"),
    ("describe-window", lambda t: ["describe", "rec.edf", "--model", "m", "--window", "-4"], "argument --window: must be a positive number"),
    ("describe-step", lambda t: ["describe", "rec.edf", "--model", "m", "--step", "nan"], "argument --step"),
    ("describe-batch-size", lambda t: ["describe", "rec.edf", "--model", "m", "--batch-size", "x"], "argument --batch-size"),
    # -- e2llm push / compare / convert-eegpt / demo / build-tasks / prepare -----------------------
    ("push-missing-model", lambda t: ["push", "runs/x", "a/b"], "MODEL_DIR runs/x: no such folder"),
    ("push-no-weights", lambda t: (write(t / "m" / "config.json", "{}"), ["push", "m", "a/b"])[1], "no safetensors weights"),
    ("push-missing-report", lambda t: (write(t / "m" / "config.json", "{}"), ["push", "m", "a/b", "--report", "r"])[1],
     "--report r/metrics.json: no such file"),
    ("push-bad-report", lambda t: (write(t / "m" / "config.json", "{}"), write(t / "r" / "metrics.json", "{nope"),
                                   ["push", "m", "a/b", "--report", "r"])[2], "not valid JSON"),
    ("compare-missing-run", lambda t: ["compare", "eval-a"], "RUN_DIR eval-a/metrics.json: no such file"),
    ("compare-names", lambda t: (write(t / "a" / "metrics.json", "{}"), ["compare", "a", "--names", "x", "y"])[1], "--names: 2 names for 1 runs"),
    ("convert-missing", lambda t: ["convert-eegpt", "eegpt.ckpt", "out"], "CHECKPOINT eegpt.ckpt: no such file"),
    ("convert-heads", lambda t: ["convert-eegpt", "eegpt.ckpt", "out", "--num-attention-heads", "0"], "argument --num-attention-heads"),
    ("demo-seed", lambda t: ["demo", "--seed", "-1"], "argument --seed: must be 0 or more"),
    ("demo-size", lambda t: ["demo", "--size", "huge"], "argument --size: invalid choice"),
    ("demo-missing-gguf", lambda t: ["demo", "--out", "d", "--text-model", "lm.gguf"], "lm.gguf: no such GGUF file"),
    ("build-tasks-missing", lambda t: ["build-tasks", "segs", "--out", "tasks"], "no segments dataset at"),
    ("prepare-missing-input", lambda t: ["prepare", "raw", "--out", "segs"], "raw: input folder not found"),
    ("unknown-command", lambda t: ["trian"], "invalid choice: 'trian'"),
]


def snapshot(root: Path) -> set[str]:
    return {str(p.relative_to(root)) + ("/" if p.is_dir() else f":{p.stat().st_size}") for p in root.rglob("*")}


@pytest.fixture()
def no_network(monkeypatch):
    """Any attempt to open a connection is recorded and refused."""
    attempts = []

    def refuse(self, address, *args):
        attempts.append(address)
        raise OSError(f"network access in a test: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gives_one_line_and_exit_2(case, tmp_path, monkeypatch, capsys, no_network):
    name, setup, expected = case
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    argv = setup(work)
    before = snapshot(work)
    status = cli(argv)
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert status == 2, err
    assert len(err.splitlines()) == 1, err
    assert expected in err, err
    assert err.startswith("e2llm") and "Traceback" not in captured.err + captured.out
    assert no_network == []
    assert snapshot(work) == before, "something was written"


def test_there_are_at_least_30_cases():
    assert len({c[0] for c in CASES}) >= 30
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
