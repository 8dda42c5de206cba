"""The main job: a reduced `e2llm demo` (same code path, the "test" sizes, a tiny random LM given as
a local folder with --text-model; tests/test_pretrained_lm.py runs the default pretrained LM) and
everything built on its model — `e2llm describe` on real recordings and bad inputs, publishing,
the examples."""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REAL, needs_real

from e2llm.cli import main as cli
from e2llm.configuration_e2llm import EEGPT_CHANNELS, EMOTIONS

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def text_model(tiny_tokenizer, tmp_path_factory):
    import copy

    from conftest import save_tiny_lm

    return save_tiny_lm(copy.deepcopy(tiny_tokenizer), tmp_path_factory.mktemp("lm") / "tiny-lm")


@pytest.fixture(scope="module")
def demo(text_model, tmp_path_factory):
    import io
    from contextlib import redirect_stdout

    out = tmp_path_factory.mktemp("demo") / "out"
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        assert cli(["demo", "--out", str(out), "--size", "test", "--text-model", text_model]) == 0
    return out, buffer.getvalue()


def test_demo_writes_every_artifact(demo):
    out, printed = demo
    assert (out / "data" / "synthetic-seed-vii" / "SYNTHETIC.txt").is_file()
    summary = json.loads((out / "data" / "segments" / "summary.json").read_text())
    assert summary["synthetic"] is True
    from datasets import load_from_disk

    segments = load_from_disk(str(out / "data" / "segments"))
    tasks = load_from_disk(str(out / "data" / "tasks"))
    assert segments["train"].info.description.startswith("SYNTHETIC DATA")
    assert all(tasks[s].info.description.startswith("SYNTHETIC DATA") for s in tasks)
    assert json.loads((out / "data" / "tasks" / "tasks_info.json").read_text())["synthetic"] is True
    for stage in ("run/stage1", "run/stage2", "run/stage3"):
        assert (out / stage / "e2llm_stage.json").is_file(), stage
    assert (out / "run" / "stage3" / "adapter" / "adapter_model.safetensors").is_file()
    report = out / "report"
    for name in (
        "metrics.json",
        "generations.jsonl",
        "report.md",
        "ied_confusion_matrix.png",
        "ied_per_class_accuracy.png",
        "task_accuracy.png",
    ):
        assert (report / name).is_file(), name
    metrics = json.loads((report / "metrics.json").read_text())
    assert {"ied", "epc", "ess", "eim", "esr", "random", "controls", "against_controls", "leakage"} <= set(metrics)
    assert metrics["ied"]["n"] == len(tasks["test_ied"])
    # the shuffled and no-EEG controls on every task, beside the intervals and the split's audit
    assert set(metrics["controls"]) == {"shuffled", "no_eeg"}
    for control in ("shuffled", "no-eeg"):
        assert set(metrics["controls"][control.replace("-", "_")]) >= {"ied", "epc", "ess", "eim", "esr"}
        assert (report / "controls" / control / "generations.jsonl").is_file()
    assert (report / "controls.png").is_file() and "balanced_accuracy_ci95" in metrics["ied"]
    assert metrics["leakage"]["split"] == "paper" and metrics["leakage"]["subjects"]["shared"] == 2
    assert "signal control" in printed and "split:   subject-dependent, clip-overlapping split ('paper')" in printed
    lines = (report / "generations.jsonl").read_text().splitlines()
    assert len(lines) == sum(len(tasks[s]) for s in ("test_ied", "test_multi", "test_esr"))
    model = out / "model"
    for name in (
        "model.safetensors",
        "config.json",
        "processor_config.json",
        "tokenizer.json",
        "chat_template.jinja",
        "modeling_e2llm.py",
        "configuration_e2llm.py",
        "processing_e2llm.py",
        "feature_extraction_e2llm.py",
    ):
        assert (model / name).is_file(), name
    # the fresh-process reload printed a description beside the true emotion, then the summary
    assert "loaded E2LLMForConditionalGeneration and E2LLMProcessor" in printed
    assert "true emotion:" in printed and "Balanced Accuracy" in printed and "EPC" in printed
    assert "LM:      tiny-lm" in printed  # the summary names the LM
    config = json.loads((model / "config.json").read_text())
    assert config["text_model_info"] == {"name": "tiny-lm"}  # a local folder: its name, never its path


def test_demo_rerun_reuses_every_step(demo, text_model, capsys):
    out, _ = demo
    stamps = {p: p.stat().st_mtime for p in out.rglob("*.safetensors")}
    assert cli(["demo", "--out", str(out), "--size", "test", "--text-model", text_model]) == 0
    printed = capsys.readouterr().out
    assert printed.count("exists; skipping") == 3
    assert stamps == {p: p.stat().st_mtime for p in out.rglob("*.safetensors")}


def test_demo_stage3_steps_mix_the_tasks(demo, tmp_path):
    """Each optimizer step of the demo's stage 3 draws from every task. The control is
    transformers' group_by_length, which sorts runs of steps by length: with task-dependent
    lengths it trains one task after another."""
    import torch
    from datasets import Dataset, load_from_disk
    from transformers import Trainer, TrainingArguments

    from e2llm.demo.pipeline import demo_run_config
    from e2llm.demo.sizes import DEMO_SIZES
    from e2llm.processing_e2llm import E2LLMProcessor
    from e2llm.training.collators import E2LLMDataCollator

    out, _ = demo
    train = load_from_disk(str(out / "data" / "tasks" / "train"))
    processor = E2LLMProcessor.from_pretrained(out / "model")
    segments = load_from_disk(str(out / "data" / "segments"))
    lengths = E2LLMDataCollator(processor, segments).lengths(train)
    assert len(set(train["task"])) == 4 and len(set(lengths)) > 4
    mix = Dataset.from_dict({"length": lengths * 10, "task": list(train["task"]) * 10})  # the real lengths, 10 times

    def steps(**sampling):  # the sample indices of each optimizer step, as the Trainer draws them
        args = TrainingArguments(output_dir=str(tmp_path), use_cpu=True, report_to=[], **sampling)
        order = list(Trainer(model=torch.nn.Linear(1, 1), args=args, train_dataset=mix)._get_train_sampler())
        if isinstance(order[0], list):  # a batch sampler: micro-batches, gradient_accumulation_steps a step
            per_step = args.gradient_accumulation_steps
            return [sum(order[k : k + per_step], []) for k in range(0, len(order), per_step)]
        per_step = args.per_device_train_batch_size * args.gradient_accumulation_steps
        return [order[k : k + per_step] for k in range(0, len(order), per_step)]

    sft = demo_run_config(out, DEMO_SIZES["cpu"], 0, "unused", "cpu")["sft"]
    keys = ("per_device_train_batch_size", "gradient_accumulation_steps", "train_sampling_strategy")
    demo_steps = steps(**{k: sft[k] for k in keys})
    blocked = steps(per_device_train_batch_size=4, train_sampling_strategy="group_by_length")
    assert sorted(sum(demo_steps, [])) == list(range(len(mix)))  # every sample once an epoch
    assert {len(step) for step in demo_steps} == {DEMO_SIZES["cpu"].batch_size}
    single = [sum(len({mix[i]["task"] for i in step}) == 1 for step in run) / len(run) for run in (demo_steps, blocked)]
    assert single[0] < 0.2 < 0.5 < single[1], single


# -- describe --------------------------------------------------------------------------------


@needs_real
@pytest.mark.parametrize(
    "recording, extra",
    [
        ("antio/CA_208/test_CA_208_start_stop.vhdr", []),  # BrainVision, 59 of SEED's 62 channels, 1000 Hz
        ("EDF/test_edf_overlapping_annotations.edf", []),  # BCI2000 names with dots ('Fc5.'), 128 Hz
        ("BDF/multiple_annotation_chans.bdf", []),  # 10 EEG channels among others
    ],
)
def test_describe_real_recordings(demo, recording, extra, tmp_path, capsys):
    """The demo's model (trained on SYNTHETIC EEG, carrying its training statistics) on real
    recordings: a warning, the recording's facts, and most windows assessable."""
    import csv

    import mne

    from e2llm.describe import NOT_ASSESSABLE, UNCERTAIN
    from e2llm.provenance import SYNTHETIC_WARNING

    out, _ = demo
    path = REAL / recording
    assert cli(["describe", str(path), "--model", str(out / "model"), "--out", str(tmp_path / "t"), *extra]) == 0
    printed = capsys.readouterr().out
    rows = list(csv.DictReader(open(tmp_path / "t" / "timeline.csv")))
    raw = mne.io.read_raw(path, verbose="error")
    assert len(rows) == int(raw.n_times / raw.info["sfreq"] // 4)
    assert [float(r["start_s"]) for r in rows] == [4.0 * i for i in range(len(rows))]
    assert {r["verdict"] for r in rows} <= {*EMOTIONS, UNCERTAIN, NOT_ASSESSABLE}
    assert [r["verdict"] for r in rows].count(NOT_ASSESSABLE) <= 0.15 * len(rows)
    assert (tmp_path / "t" / "timeline.png").stat().st_size > 1000
    assert SYNTHETIC_WARNING in printed.splitlines() and f"{raw.info['sfreq']:g} Hz" in printed
    sidecar = json.loads((tmp_path / "t" / "timeline.json").read_text())
    assert sidecar["provenance"]["synthetic"] is True and sidecar["provenance"]["statistics"]["n_windows"] > 0
    assert f"{rows[0]['verdict']:<14}" in printed


def test_describe_white_noise_is_not_assessable(demo, tmp_path, capsys):
    """60 s of WHITE NOISE as a 64-channel 1000 Hz EDF (the case of the issue: 'fear' in 414 of
    450 windows before): not assessable in nearly every window, and never given an emotion."""
    import csv

    import mne

    from e2llm.describe import NOT_ASSESSABLE, UNCERTAIN

    out, _ = demo
    names = list(EEGPT_CHANNELS) + [f"X{i}" for i in range(6)]
    data = np.random.default_rng(0).standard_normal((64, 60_000)) * 20e-6
    edf = tmp_path / "white_noise.edf"
    mne.export.export_raw(edf, mne.io.RawArray(data, mne.create_info(names, 1000.0, "eeg"), verbose="error"))
    assert cli(["describe", str(edf), "--model", str(out / "model"), "--out", str(tmp_path / "t")]) == 0
    rows = list(csv.DictReader(open(tmp_path / "t" / "timeline.csv")))
    verdicts = [r["verdict"] for r in rows]
    assert len(rows) == 15 and verdicts.count(NOT_ASSESSABLE) >= 14
    assert set(verdicts) <= {NOT_ASSESSABLE, UNCERTAIN}
    assert "not assessable 1" in capsys.readouterr().out


@needs_real
@pytest.mark.parametrize(
    "recording, extra, message",
    [
        ("EEGLAB/test_raw_chanloc.set", [], "shorter than one 4 s window"),
        ("CNT/test_CNT_events_mne_JWoess_clipped.cnt", ["--cnt-format", "int16"], "channels"),
        ("CNT/scan41_short.cnt", ["--cnt-format", "int16"], "channels"),
        ("CNT/scan41_short.cnt", [], "cnt_format"),
    ],
)
def test_describe_bad_recordings(demo, recording, extra, message, tmp_path, capsys):
    out, _ = demo
    code = cli(["describe", str(REAL / recording), "--model", str(out / "model"), "--out", str(tmp_path / "t"), *extra])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and message in err and Path(recording).name in err
    assert not (tmp_path / "t").exists()  # nothing written


def test_describe_unreadable_files(demo, tmp_path, capsys):
    out, _ = demo
    broken = tmp_path / "broken.edf"
    broken.write_bytes(b"0       this is not an EDF header" + b"\0" * 100)
    for path, message in (
        (broken, "broken.edf"),
        (tmp_path / "missing.edf", "no such file"),
        (tmp_path / "x.xyz", "x.xyz"),
    ):
        if path.suffix == ".xyz":
            path.write_text("hello")
        assert cli(["describe", str(path), "--model", str(out / "model"), "--out", str(tmp_path / "t")]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and message in err
    assert not (tmp_path / "t").exists()


# -- publishing ------------------------------------------------------------------------------


class FakeHub:
    """Stands in for the Hub at the ``huggingface_hub.HfApi`` boundary: records the calls."""

    def __init__(self, monkeypatch):
        import huggingface_hub

        self.repos, self.commits = [], []
        monkeypatch.setattr(
            huggingface_hub.HfApi, "create_repo", lambda api, repo_id, **kw: self.repos.append((repo_id, kw)) or repo_id
        )
        monkeypatch.setattr(
            huggingface_hub.HfApi,
            "create_commit",
            lambda api, repo_id, operations, **kw: self.commits.append((repo_id, list(operations), kw))
            or f"https://hub.example/{repo_id}/commit/1",
        )

    def files(self) -> dict[str, object]:
        return {op.path_in_repo: op for op in self.commits[-1][1]}


def _card(op) -> str:
    content = op.path_or_fileobj
    return content.decode() if isinstance(content, bytes) else content.read().decode()


def test_push_uploads_model_processor_code_and_card(demo, monkeypatch, capsys):
    out, _ = demo
    hub = FakeHub(monkeypatch)
    assert (
        cli(["push", str(out / "model"), "someone/e2llm-tiny-demo", "--private", "--report", str(out / "report")]) == 0
    )
    assert hub.repos == [("someone/e2llm-tiny-demo", {"private": True, "exist_ok": True, "repo_type": "model"})]
    files = hub.files()
    expected = {
        "model.safetensors",
        "config.json",
        "generation_config.json",
        "configuration_e2llm.py",
        "modeling_e2llm.py",
        "processing_e2llm.py",
        "feature_extraction_e2llm.py",
        "processor_config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "chat_template.jinja",
        "README.md",
    }
    assert expected <= set(files), expected - set(files)
    assert not any(name.endswith((".bin", ".pt", ".ckpt")) or name.startswith("checkpoint-") for name in files)
    card = _card(files["README.md"])
    metrics = json.loads((out / "report" / "metrics.json").read_text())
    assert card.startswith("---\n") and "library_name: transformers" in card
    assert f"| IED | balanced accuracy | {100 * metrics['ied']['balanced_accuracy']:.1f} [" in card
    assert "Subject-dependent, clip-overlapping split ('paper')" in card and "Signal controls" in card
    assert "SYNTHETIC" in card and "informed consent" in card and "## Limitations" in card and "## Intended use" in card
    assert "hub.example" in capsys.readouterr().out


def test_push_refuses_incomplete_directories(demo, tmp_path, monkeypatch, capsys):
    import shutil

    out, _ = demo
    hub = FakeHub(monkeypatch)
    no_processor = tmp_path / "no-processor"
    shutil.copytree(out / "model", no_processor)
    (no_processor / "processor_config.json").unlink()
    assert cli(["push", str(no_processor), "a/b"]) == 2
    assert "no processor" in capsys.readouterr().err
    no_weights = tmp_path / "no-weights"
    shutil.copytree(out / "model", no_weights)
    (no_weights / "model.safetensors").unlink()
    assert cli(["push", str(no_weights), "a/b"]) == 2
    assert "no safetensors" in capsys.readouterr().err
    assert hub.commits == [] and hub.repos == []


# -- examples --------------------------------------------------------------------------------


def _example(name: str, argv: list[str]):
    old = sys.argv
    sys.argv = [name, *argv]
    try:
        return runpy.run_path(str(REPO / "examples" / name), run_name="example")["main"](argv)
    finally:
        sys.argv = old


@needs_real
def test_example_quickstart(demo, capsys):
    out, _ = demo
    timeline = _example(
        "quickstart.py",
        ["--model", str(out / "model"), "--recording", str(REAL / "EDF" / "test_edf_overlapping_annotations.edf")],
    )
    assert len(timeline.rows) == 31 and "description" in capsys.readouterr().out


def test_example_push_to_hub(demo, monkeypatch, capsys):
    out, _ = demo
    hub = FakeHub(monkeypatch)
    _example("push_to_hub.py", ["--model", str(out / "model"), "--repo-id", "a/b", "--dry-run"])
    assert "## Ethics" in capsys.readouterr().out and hub.commits == []
    url = _example(
        "push_to_hub.py", ["--model", str(out / "model"), "--repo-id", "a/b", "--report", str(out / "report")]
    )
    assert url.endswith("a/b/commit/1") and "README.md" in hub.files()


def test_demo_rebuilds_tasks_of_an_older_format(demo, text_model, capsys):
    from e2llm.tasks.dataset import TASKS_FORMAT_VERSION

    out, _ = demo
    info_file = out / "data" / "tasks" / "tasks_info.json"
    info = json.loads(info_file.read_text())
    info_file.write_text(json.dumps({**info, "version": TASKS_FORMAT_VERSION - 1}))
    assert cli(["demo", "--out", str(out), "--size", "test", "--text-model", text_model]) == 0
    capsys.readouterr()
    assert json.loads(info_file.read_text())["version"] == TASKS_FORMAT_VERSION  # rebuilt, not reused


def test_demo_refuses_a_text_model_that_does_not_exist(tmp_path, capsys):
    assert (
        cli(["demo", "--out", str(tmp_path / "out"), "--size", "test", "--text-model", str(tmp_path / "nope.gguf")])
        == 2
    )
    err = capsys.readouterr().err
    assert "nope.gguf: no such GGUF file" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()  # checked before any work
    assert cli(["demo", "--out", str(tmp_path / "out"), "--size", "test", "--text-model", "org/typo-lm"]) == 2
    err = capsys.readouterr().err  # offline here: neither a folder nor a cached Hub model
    assert "--text-model org/typo-lm: no local folder of that name, and no Hub model either" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "out").exists()


def test_example_train_on_your_data(demo, text_model, tmp_path):
    out, _ = demo
    overrides = tmp_path / "tiny.yaml"
    cpu = "use_cpu: true, max_steps: 2, save_strategy: 'no'"
    overrides.write_text(
        f"stage1: {{{cpu}, eval_strategy: 'no', per_device_train_batch_size: 16}}\n"
        f"align: {{{cpu}, bf16: false, activation_checkpointing: false, per_device_train_batch_size: 4}}\n"
        f"sft: {{{cpu}, bf16: false, activation_checkpointing: false, per_device_train_batch_size: 4, lora_r: 4, lora_alpha: 8}}\n"
    )
    metrics = _example(
        "train_on_your_data.py",
        [
            "--input",
            str(out / "data" / "synthetic-seed-vii"),
            "--format",
            "seed-vii-preprocessed",
            "--preset",
            "tiny",
            "--text-model",
            text_model,
            "--out",
            str(tmp_path / "run"),
            "--n-train",
            "40",
            "--n-sft",
            "20",
            "--n-multi",
            "6",
            "--n-esr",
            "3",
            "--stage-overrides",
            str(overrides),
        ],
    )
    assert 0.0 <= metrics["ied"]["balanced_accuracy"] <= 1.0
    assert (tmp_path / "run" / "report" / "metrics.json").is_file() and (
        tmp_path / "run" / "stage3" / "e2llm_stage.json"
    ).is_file()


# -- writers: complete or not at all ----------------------------------------------------------------


def _saved_stage3(model_and_processor, tmp_path):
    """A model folder to export from, and where the export goes."""
    model, processor = model_and_processor
    model.save_pretrained(tmp_path / "stage3")
    processor.save_pretrained(tmp_path / "stage3")
    return tmp_path / "stage3", tmp_path / "model"


def model_folder_problem(folder):
    from e2llm.demo import MODEL_FOLDER_FILES
    from e2llm.runs.artifacts import Artifact

    return Artifact(folder, files=MODEL_FOLDER_FILES, weights=True).problem()


def test_demo_model_folder_missing_its_processor_is_rebuilt(tiny_model_and_processor, tmp_path, capsys):
    from e2llm.demo import export_model
    from e2llm.runs.artifacts import Artifact

    source, target = _saved_stage3(tiny_model_and_processor, tmp_path)
    assert export_model(source, target, "stage3", synthetic=True) is True and model_folder_problem(target) is None
    assert Artifact(target).marker()["synthetic"] is True
    assert export_model(source, target, "stage3", synthetic=True) is False  # complete: reused
    # a folder written in place and cut short: weights and marker there, the processor not
    (target / "processor_config.json").unlink()
    (target / "tokenizer.json").unlink()
    assert model_folder_problem(target) == "no processor_config.json, tokenizer.json"
    capsys.readouterr()
    assert export_model(source, target, "stage3", synthetic=True) is True
    assert f"{target}: incomplete (no processor_config.json, tokenizer.json); rebuilding it" in capsys.readouterr().out
    assert model_folder_problem(target) is None
    weights = target / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    assert "model.safetensors is truncated" in model_folder_problem(target)
    assert export_model(source, target, "stage3", synthetic=True) is True and model_folder_problem(target) is None


def test_demo_model_export_interrupted_leaves_the_previous_folder(tiny_model_and_processor, tmp_path, monkeypatch):
    from e2llm.demo import export_model

    source, target = _saved_stage3(tiny_model_and_processor, tmp_path)
    target.mkdir()
    (target / "model.safetensors").write_bytes(b"previous")
    processor_class = type(tiny_model_and_processor[1])

    def fail(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(processor_class, "save_pretrained", fail)
    with pytest.raises(OSError, match="disk full"):
        export_model(source, target, "stage3")
    assert sorted(p.name for p in target.iterdir()) == ["model.safetensors"]
    assert (target / "model.safetensors").read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "stage3"]  # no temporary folder left
    monkeypatch.undo()
    assert export_model(source, target, "stage3") is True and model_folder_problem(target) is None


def test_timeline_written_whole_or_not_at_all(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    from e2llm.describe import RecordingFacts, Timeline, write_timeline
    from e2llm.provenance import Provenance

    out = tmp_path / "describe"
    facts = RecordingFacts("r.edf", 128.0, 8.0, 64, (0.1, 64.0), (0.1, 70.0), 0.91, [], [], [])
    empty = Timeline([], facts, Provenance(None, "unknown", None, (0.1, 70.0)), {"min_confidence": 0.5})
    write_timeline(empty, out, title="first")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(before) == ["timeline.csv", "timeline.json", "timeline.png"]

    def broken_savefig(self, fname, *args, **kwargs):
        Path(fname).write_bytes(b"\x89PNG half")
        raise OSError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    with pytest.raises(OSError, match="disk full"):
        write_timeline(empty, out, title="second")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # both as they were, nothing left over


@pytest.mark.parametrize(
    ("cuda", "native_bf16", "size", "dtype"),
    [(False, False, "cpu", "float32"), (False, True, "cpu-bf16", "bfloat16"), (True, False, "gpu", "bfloat16")],
)
def test_demo_size_and_lm_dtype_follow_the_machine(monkeypatch, cuda, native_bf16, size, dtype):
    """The LM runs in bf16 only where the CPU multiplies bf16 natively (else it is emulated, ~100×
    slower), and a CPU that does gets the size with more stage-3 steps; both stage 2 and stage 3
    of the demo's run config take that dtype."""
    import torch

    from e2llm.demo.pipeline import demo_run_config
    from e2llm.demo.sizes import DEMO_SIZES, default_size, lm_dtype

    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: native_bf16)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    assert default_size() == size
    device = "cuda" if cuda else "cpu"
    assert lm_dtype(device) == dtype
    config = demo_run_config(Path("out"), DEMO_SIZES[size], 0, "unused", device)
    assert {config[s]["lm_dtype"] for s in ("align", "sft")} == {dtype}
    assert {config[s]["bf16"] for s in ("align", "sft")} == {dtype == "bfloat16"}
    assert "bf16" not in config["stage1"]  # the small encoder trains faster in float32 (bench/README.md)


def test_gpu_size_has_the_papers_data_training_and_test_sizes():
    """On a GPU the demo runs at the paper's scale: SEED-VII's 20 subjects × 80 clips, cut into
    10 s segments, give about the paper's 24,444 training and 2,761 test segments; the task data
    are built at the paper's sizes from them (the task builders run here on the segments' ids and
    labels only), and the run config gives the GPU its checkpoint interval and data workers."""
    from collections import Counter

    from e2llm.datasets_builder.splits import PAPER_TEST_FRACTION
    from e2llm.demo.pipeline import demo_run_config
    from e2llm.demo.sizes import DEMO_SIZES
    from e2llm.eeg import SEED_VII_CLIP_EMOTIONS
    from e2llm.eeg.preprocessing import PreprocessingConfig
    from e2llm.tasks.builders import SegmentIndex
    from e2llm.tasks.dataset import build_task_samples

    gpu = DEMO_SIZES["gpu"]
    per_clip = PreprocessingConfig().segments_in(gpu.clip_seconds)
    index = {"train": ([], []), "test": ([], [])}
    for emotion, clips in Counter(SEED_VII_CLIP_EMOTIONS).items():
        n = gpu.n_subjects * clips * per_clip
        n_test = round(n * PAPER_TEST_FRACTION)
        for k in range(n):
            ids, emotions = index["test" if k < n_test else "train"]
            ids.append(f"{emotion}-{k}")
            emotions.append(emotion)
    train, test = (SegmentIndex(*index[s], name=s) for s in ("train", "test"))
    assert abs(len(train.ids) - 24_444) < 0.01 * 24_444 and abs(len(test.ids) - 2_761) < 0.01 * 2_761

    samples = build_task_samples(
        train, test, seed=0, n_train=gpu.n_train, n_train_sft=gpu.n_sft, n_multi=gpu.n_multi, n_esr=gpu.n_esr,
        n_test_ied=gpu.n_test_ied,
    )  # fmt: skip
    sizes = {split: len(rows) for split, rows in samples.items()}
    assert sizes == {"train": 10_000, "train_sft": 3_000, "test_ied": len(test.ids), "test_multi": 500, "test_esr": 167}

    config = demo_run_config(Path("out"), gpu, 0, "unused", "cuda")
    assert config["stage1"]["num_train_epochs"] == gpu.stage1_epochs and config["stage1"]["dataloader_num_workers"] >= 1
    assert config["align"]["max_train_samples"] == 10_000 and config["sft"]["max_train_samples"] == 3_000
    assert config["align"]["train_tasks"] is None  # stage 2 on all four tasks, as in the paper
    assert {config[s]["save_steps"] for s in ("align", "sft")} == {50}
    cpu = demo_run_config(Path("out"), DEMO_SIZES["cpu"], 0, "unused", "cpu")
    assert cpu["stage1"]["dataloader_num_workers"] == 0 and cpu["sft"]["save_steps"] == 10


def test_demo_refuses_a_disk_too_small_before_writing_anything(tmp_path, monkeypatch, capsys):
    import shutil
    from collections import namedtuple

    from e2llm.demo.pipeline import disk_needed
    from e2llm.demo.sizes import DEMO_SIZES

    # the estimate is about what a finished cpu-bf16 demo occupies (2.1 GB measured) and the
    # paper-scale GPU demo's 13 GB of recordings and 6 GB of segments
    assert 2.0e9 < disk_needed(DEMO_SIZES["cpu-bf16"]) < 3.5e9 and 19e9 < disk_needed(DEMO_SIZES["gpu"]) < 25e9
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**10, 10**10 - 10**8, 10**8))
    out = tmp_path / "demo"
    assert cli(["demo", "--out", str(out), "--size", "cpu"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(out) in err and "GB free" in err, err
    assert not out.exists()
