"""Bad input through the ``e2llm`` commands, table-driven: files, arguments, configs, model
folders. For each: one line on stderr naming the file or argument and the problem, exit status
2, no traceback, no network access, and nothing new on disk."""

from __future__ import annotations

import os
import socket
import textwrap
from pathlib import Path

import pytest
from conftest import REAL, needs_real

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


def cut(source: Path, dest: Path, fraction: float) -> str:
    """A copy of ``source`` cut to ``fraction`` of its bytes."""
    data = source.read_bytes()
    write(dest, data[: int(len(data) * fraction)])
    return dest.name


def fif(tmp: Path) -> Path:
    """A small FIF recording (SYNTHETIC noise) written by MNE."""
    import mne
    import numpy as np

    info = mne.create_info(["Fp1", "Fz", "Cz", "Pz"], 256.0, "eeg")
    raw = mne.io.RawArray(np.random.default_rng(0).standard_normal((4, 256 * 30)) * 1e-5, info, verbose="error")
    raw.save(tmp / "full_raw.fif", verbose="error")
    return tmp / "full_raw.fif"


def describe(tmp: Path, recording: str) -> list[str]:
    write(tmp / "m" / "config.json", "{}")  # the recording is read before the model
    return ["describe", recording, "--model", "m"]


def eeglab_without_fdt(tmp: Path) -> str:
    write(tmp / "rec.set", (REAL / "EEGLAB" / "test_raw_chanloc.set").read_bytes())
    return "rec.set"


def eeglab_cut_fdt(tmp: Path) -> str:
    write(tmp / "test_raw_chanloc.set", (REAL / "EEGLAB" / "test_raw_chanloc.set").read_bytes())
    cut(REAL / "EEGLAB" / "test_raw_chanloc.fdt", tmp / "test_raw_chanloc.fdt", 0.6)
    return "test_raw_chanloc.set"


# (id, set-up returning argv, what the message must contain). Set-ups run in a fresh folder.
# a table, one case a line
# fmt: off
CASES = [
    # -- e2llm train: the run config ---------------------------------------------------------
    ("train-no-config", lambda t: ["train", "--config", "nope.yaml"], "nope.yaml: no such config file"),
    ("train-yaml-syntax", lambda t: ["train", "--config", config(t, "run:\n  preset: [tiny\n")], "not valid YAML (line"),
    ("train-not-text", lambda t: ["train", "--config", str(write(t / "run.yaml", b"\xff\xfe\x00bad"))], "run.yaml"),
    ("train-list", lambda t: ["train", "--config", config(t, "- run\n- sft\n")], "found a list"),
    ("train-empty-run", lambda t: ["train", "--config", config(t, "run:\nalign: {bf16: false}\nsft: {bf16: false}\n")],
     "stage1 needs segments_dir"),
    ("train-machine-defaults", lambda t: ["train", "--config", config(t, "run:\nstage1: {}\n")], "stage1 needs segments_dir"),
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
    ("train-text-model-nowhere", lambda t: (data_folders(t), ["train", "--config", config(t, GOOD_RUN + "  text_model: org/typo-lm\n")])[1],
     "text_model org/typo-lm: no local folder of that name, and no Hub model either"),
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
    ("describe-model-nowhere", lambda t: (write(t / "rec.edf"), ["describe", "rec.edf", "--model", "runs/stgae3"])[1],
     "--model runs/stgae3: no local folder of that name, and no Hub model either (HF_HUB_OFFLINE is set"),
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
    ("prepare-seed", lambda t: ((t / "raw").mkdir(), ["prepare", "raw", "--out", "segs", "--seed", "-1"])[1], "--seed must be a whole number"),
    ("prepare-test-size", lambda t: ((t / "raw").mkdir(), ["prepare", "raw", "--out", "segs", "--test-size", "1.5"])[1],
     "--test-size must be a fraction strictly between 0 and 1"),
    ("prepare-test-subjects", lambda t: ((t / "raw").mkdir(), ["prepare", "raw", "--out", "segs", "--test-subjects", "1"])[1],
     "--test-subjects applies to --split subject only"),
    ("prepare-n-jobs", lambda t: ((t / "raw").mkdir(), ["prepare", "raw", "--out", "segs", "--n-jobs", "0"])[1], "--n-jobs must be at least 1"),
    ("prepare-label-map", lambda t: ((t / "raw").mkdir(), ["prepare", "raw", "--out", "segs", "--label-map", "T1=elated"])[1],
     "'elated' is not an emotion"),
    ("prepare-labels", lambda t: ((t / "raw").mkdir(), ["prepare", "raw", "--out", "segs", "--labels", "nowhere.csv"])[1],
     "--labels: nowhere.csv: labels file not found"),
    ("prepare-notch", lambda t: ((t / "raw").mkdir(), ["prepare", "raw", "--out", "segs", "--notch", "-50"])[1], "--notch must be a frequency"),
    ("prepare-key-alone", lambda t: ((t / "raw").mkdir(), ["prepare", "raw", "--out", "segs", "--pseudonym-key", "k.json"])[1],
     "--pseudonym-key applies with --pseudonymize only"),
    ("prepare-key-inside", lambda t: ((t / "raw").mkdir(), ["prepare", "raw", "--out", "segs", "--pseudonymize", "--pseudonym-key",
                                                            "segs/k.json"])[1], "is inside the dataset folder"),
    # -- recordings (read before the model loads) ---------------------------------------------------
    ("file-fif-truncated", lambda t: describe(t, cut(fif(t), t / "cut_raw.fif", 0.6)), "truncated FIF file"),
    ("file-edf-truncated", lambda t: describe(t, cut(REAL / "EDF" / "test_edf_overlapping_annotations.edf", t / "r.edf", 0.6)),
     "truncated EDF file"),
    ("file-bdf-truncated", lambda t: describe(t, cut(REAL / "BDF" / "multiple_annotation_chans.bdf", t / "r.bdf", 0.5)),
     "truncated BDF file"),
    ("file-cnt-truncated", lambda t: describe(t, cut(REAL / "CNT" / "scan41_short.cnt", t / "r.cnt", 0.3) ) + ["--cnt-format", "int16"],
     "truncated Neuroscan CNT file"),
    ("file-eeglab-no-fdt", lambda t: describe(t, eeglab_without_fdt(t)), "a file of this EEGLAB recording is missing"),
    ("file-eeglab-cut-fdt", lambda t: describe(t, eeglab_cut_fdt(t)), "truncated EEGLAB data file"),
    ("file-garbage-edf", lambda t: describe(t, str(write(t / "notes.edf", "hello, not an EDF file").name)), "notes.edf"),
    ("file-unknown-format", lambda t: describe(t, str(write(t / "rec.xyz", "hello").name)), "rec.xyz"),
    ("unknown-command", lambda t: ["trian"], "invalid choice: 'trian'"),
]
# fmt: on


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


# the cases that read ../shared/data/real-eeg (skipped where the real recordings are absent)
NEEDS_REAL = {
    "file-edf-truncated",
    "file-bdf-truncated",
    "file-cnt-truncated",
    "file-eeglab-no-fdt",
    "file-eeglab-cut-fdt",
}


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c[0], marks=[needs_real] if c[0] in NEEDS_REAL else []) for c in CASES]
)
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


def test_only_user_errors_are_one_line_a_bug_keeps_its_traceback(tmp_path, monkeypatch, capsys):
    """A mistake in the input is `UserError` (one line, exit 2); an exception from anywhere else —
    a bug here or in a library — reaches the caller whole; --debug and E2LLM_DEBUG show a user
    error's traceback too."""
    import e2llm.evaluation.report as report
    from e2llm.errors import InvalidInputError, MachineError, MissingInputError, UserError

    assert issubclass(InvalidInputError, ValueError) and issubclass(MissingInputError, FileNotFoundError)
    assert str(MachineError(28, "disk full")) == "disk full" and MachineError(28, "x").errno == 28
    run = write(tmp_path / "run" / "metrics.json", "{}").parent

    def fails_with(error):
        def compare_runs(*args, **kwargs):
            raise error

        monkeypatch.setattr(report, "compare_runs", compare_runs)
        monkeypatch.setattr("e2llm.evaluation.compare_runs", compare_runs)

    fails_with(InvalidInputError("--names: a mistake"))
    assert cli(["compare", str(run)]) == 2
    assert capsys.readouterr().err == "e2llm compare: error: --names: a mistake\n"
    with pytest.raises(UserError):
        cli(["--debug", "compare", str(run)])
    monkeypatch.setenv("E2LLM_DEBUG", "1")
    with pytest.raises(UserError):
        cli(["compare", str(run)])
    monkeypatch.delenv("E2LLM_DEBUG")
    for bug in (ValueError("a library's ValueError"), KeyError("x"), OSError("a library's OSError")):
        fails_with(bug)
        with pytest.raises(type(bug)):
            cli(["compare", str(run)])


def test_the_commands_show_the_packages_warnings_on_stderr_one_line_each(capsys):
    """The library warns through ``logging`` (logger ``e2llm``); the command shows those lines."""
    import logging

    assert cli(["compare", "/nonexistent-run"]) == 2
    logging.getLogger("e2llm.runs.records").warning("%s: made with other weights", "run/generations.jsonl")
    assert capsys.readouterr().err.endswith("warning: run/generations.jsonl: made with other weights\n")
    handlers = [h for h in logging.getLogger("e2llm").handlers if h.get_name() == "e2llm-cli"]
    cli(["compare", "/nonexistent-run"])
    assert len(handlers) == 1 == len([h for h in logging.getLogger("e2llm").handlers if h.get_name() == "e2llm-cli"])
