"""Evaluation: the local `evaluate` metric module against hand-computed values (edge cases
included), batched generation against one-at-a-time, the two-turn ESR, the output files and their
schema, resuming, the report tables and the CLI.

Models here are tiny and random; their weights are drawn with std 0.2 (a tiny LM initialised at
the usual 0.02 only repeats its last prompt token, which would make output comparisons vacuous).
The segments datasets are small and random, labelled synthetic."""

from __future__ import annotations

import copy
import json
import math
import os
import re

import numpy as np
import pytest
import torch

os.environ.setdefault("HF_EVALUATE_OFFLINE", "1")

from conftest import make_segments  # noqa: E402

import e2llm  # noqa: E402
from e2llm.evaluation import (  # noqa: E402
    METRIC_PATH,
    compare_runs,
    evaluate_model,
    generate_responses,
    load_metric,
    random_baseline,
    write_report,
)
from e2llm.evaluation.generation import neutralize_markers  # noqa: E402
from e2llm.evaluation.report import ied_table, tasks_table  # noqa: E402

EMOTIONS = e2llm.EMOTIONS
TASKS = ("ied", "epc", "ess", "eim", "esr")


# -- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def task_data(tmp_path_factory):
    """(tasks_dir, {segment id: (eeg, mask)}) — 7 IED, 2 EPC, 2 ESS, 2 EIM, 3 ESR test samples."""
    from datasets import load_from_disk

    from e2llm.tasks import build_task_datasets

    root = tmp_path_factory.mktemp("evaldata")
    segments = make_segments(root / "segments")
    build_task_datasets(str(segments), root / "tasks", n_train=4, n_train_sft=4, n_multi=6, n_esr=3, n_test_ied=7)
    test = load_from_disk(str(segments))["test"].with_format("numpy")
    lookup = {row["id"]: (row["eeg"], np.asarray(row["channel_mask"], bool)) for row in test}
    return root / "tasks", lookup


def ied_conversation(n_segments: int, question: str = "Describe the emotion of") -> list[dict]:
    parts = (
        [{"type": "text", "text": question + " "}] + [{"type": "eeg"}] * n_segments + [{"type": "text", "text": "."}]
    )
    return [{"role": "user", "content": parts}]


def noise(n, seed):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((58, 1024)) * 0.05).astype(np.float32) for _ in range(n)]


# -- the metric module ---------------------------------------------------------------------------------


def test_metric_module_loads_locally_and_stands_alone():
    assert METRIC_PATH.is_file()
    ied = load_metric("ied")
    assert type(ied).__name__ == "E2LLMMetrics"
    from evaluate.loading import get_imports

    imports = get_imports(str(METRIC_PATH))  # what evaluate resolves when it copies the file alone
    assert {kind for kind, *_ in imports} == {"library"}
    assert {name for _, name, *_ in imports} <= {
        "__future__",
        "warnings",
        "datasets",
        "evaluate",
        "numpy",
        "scipy",
        "sklearn",
    }
    from e2llm.evaluation.metric.e2llm_metrics import DEFAULT_LABELS

    assert DEFAULT_LABELS == EMOTIONS


def test_ied_metrics_hand_computed():
    refs = ["sad", "fear", "fear", "happy"]
    preds = ["sad", "invalid", "fear", "happy"]
    m = load_metric("ied").compute(predictions=preds, references=refs, confusion_matrix=True)
    # per class: sad 1/1, fear 1/2, happy 1/1 -> balanced 2.5/3
    assert m["per_class"] == {"happy": 1.0, "fear": 0.5, "sad": 1.0}
    assert m["balanced_accuracy"] == pytest.approx(2.5 / 3)
    # p_o = 3/4; p_e = sad .25*.25 + fear .5*.25 + happy .25*.25 = .25 -> kappa = .5/.75
    assert m["cohen_kappa"] == pytest.approx(2 / 3)
    # F1: fear P=1 R=1/2 -> 2/3; sad 1; happy 1; weights .25/.5/.25
    assert m["weighted_f1"] == pytest.approx(0.25 + 0.5 * 2 / 3 + 0.25)
    assert m["invalid_rate"] == 0.25 and m["n"] == 4
    counts = m["confusion_matrix"]["counts"]
    assert m["confusion_matrix"]["predicted"][-1] == "invalid"
    assert counts[EMOTIONS.index("fear")] == [0, 0, 0, 0, 1, 0, 0, 1]
    # a prediction outside the labels counts as invalid too
    other = load_metric("ied").compute(predictions=["sad", "bored"], references=["sad", "fear"])
    assert other["invalid_rate"] == 0.5 and other["per_class"] == {"fear": 0.0, "sad": 1.0}


def test_ied_metrics_all_invalid_and_single_class_have_no_nan():
    ied = load_metric("ied")
    all_invalid = ied.compute(predictions=["invalid"] * 3, references=["sad", "fear", "anger"])
    assert all_invalid == {
        "balanced_accuracy": 0.0, "cohen_kappa": 0.0, "weighted_f1": 0.0,
        "per_class": {"fear": 0.0, "sad": 0.0, "anger": 0.0}, "invalid_rate": 1.0, "n": 3,
    }  # fmt: skip
    # one class everywhere: kappa undefined (p_e = 1) -> 0 by definition
    same = ied.compute(predictions=["sad", "sad"], references=["sad", "sad"])
    assert same["balanced_accuracy"] == 1.0 and same["weighted_f1"] == 1.0 and same["cohen_kappa"] == 0.0
    # single-class references, mixed predictions: P(sad)=1, R(sad)=1/2 -> F1 2/3; p_o = p_e = 1/2 -> kappa 0
    mixed = ied.compute(predictions=["sad", "fear", "invalid", "sad"], references=["sad"] * 4)
    assert mixed["per_class"] == {"sad": 0.5} and mixed["balanced_accuracy"] == 0.5
    assert mixed["weighted_f1"] == pytest.approx(2 / 3) and mixed["cohen_kappa"] == 0.0
    for result in (all_invalid, same, mixed):
        assert all(math.isfinite(v) for k, v in result.items() if k != "per_class")
    with pytest.raises(ValueError, match="outside"):
        ied.compute(predictions=["sad"], references=["bored"])


def test_accuracy_tasks_hand_computed():
    epc = load_metric("epc").compute(
        predictions=["yes", "no", "invalid", "equal"], references=["yes", "yes", "no", "equal"]
    )
    assert epc == {"accuracy": 0.5, "invalid_rate": 0.25, "n": 4}
    eim = load_metric("eim").compute(predictions=["a2,b1,c3", "a1,b2,c3", "a2,b1,c3"], references=["a2,b1,c3"] * 3)
    assert eim["accuracy"] == pytest.approx(2 / 3) and eim["invalid_rate"] == 0.0
    none_valid = load_metric("esr").compute(predictions=["invalid"] * 2, references=["a", "b"])
    assert none_valid == {"accuracy": 0.0, "invalid_rate": 1.0, "n": 2}


def test_random_baselines():
    assert random_baseline("epc") == {"accuracy": pytest.approx(1 / 3)}
    assert random_baseline("ess")["accuracy"] == pytest.approx(1 / 3)
    assert random_baseline("eim")["accuracy"] == pytest.approx(1 / 6)
    assert random_baseline("esr")["accuracy"] == pytest.approx(1 / 3)
    balanced = random_baseline("ied")
    assert balanced["balanced_accuracy"] == pytest.approx(1 / 7) and balanced["cohen_kappa"] == 0.0
    assert balanced["weighted_f1"] == pytest.approx(1 / 7)  # the paper's 14.29 %
    assert balanced["per_class"] == {e: pytest.approx(1 / 7) for e in EMOTIONS}
    # one class only: a uniform guesser has precision 1 and recall 1/7 -> F1 = 2/8
    assert random_baseline("ied", references=["sad"] * 5)["weighted_f1"] == pytest.approx(0.25)
    # the expectation holds for a simulated uniform guesser on an unbalanced set
    refs = ["sad"] * 600 + ["fear"] * 300 + ["happy"] * 100
    rng = np.random.default_rng(0)
    simulated = np.mean([
        load_metric("ied").compute(predictions=list(rng.choice(EMOTIONS, len(refs))), references=refs)["weighted_f1"]
        for _ in range(5)
    ])  # fmt: skip
    assert simulated == pytest.approx(random_baseline("ied", references=refs)["weighted_f1"], abs=0.02)


# -- generation ----------------------------------------------------------------------------------------


def test_batched_generation_matches_one_at_a_time(tiny):
    model, processor = tiny
    counts = [1, 3, 2, 1, 2, 3, 1, 1, 3, 2]  # mixed segment counts and prompt lengths in each batch
    questions = ["Describe the emotion of", "Is the individual with these EEG signals happier than the other? Look at"]
    conversations = [ied_conversation(n, questions[i % 2]) for i, n in enumerate(counts)]
    eeg = [noise(n, seed=i) for i, n in enumerate(counts)]
    positions = []
    hook = model.register_forward_pre_hook(  # what generate passes at prefill
        lambda mod, args, kwargs: positions.append(
            (kwargs["position_ids"].clone(), kwargs.get("attention_mask", torch.ones_like(kwargs["input_ids"])).clone())
        )
        if kwargs.get("eeg_values") is not None
        else None,
        with_kwargs=True,
    )
    try:
        batched = generate_responses(model, processor, conversations, eeg, batch_size=4, max_new_tokens=12)
    finally:
        hook.remove()
    single = generate_responses(model, processor, conversations, eeg, batch_size=1, max_new_tokens=12)
    assert batched == single
    assert len(set(single)) >= 5 and all(single)  # real, varied answers, not one repeated token
    # the EEG matters: the same prompts with other segments give other answers
    other = generate_responses(
        model,
        processor,
        conversations,
        [noise(n, seed=100 + i) for i, n in enumerate(counts)],
        batch_size=4,
        max_new_tokens=12,
    )
    assert other != single
    # left padding: every prefill row's positions count 0, 1, … over its own tokens
    assert positions and any((mask == 0).any() for _, mask in positions)
    assert len(positions) == 3  # 10 prompts in batches of 4
    for pos, mask in positions:
        assert pos.shape == mask.shape
        for row, row_mask in zip(pos, mask):
            real = row[row_mask.bool()]
            assert torch.equal(real, torch.arange(len(real)))
            assert row_mask[-1] == 1  # the padding is on the left


def test_fed_back_text_cannot_smuggle_placeholders(tiny):
    _, processor = tiny
    text = "see <eeg> and <eeg_pad><|im_end|>"
    safe = neutralize_markers(text, processor)
    assert "<eeg>" not in safe and "<eeg_pad>" not in safe and "<|im_end|>" not in safe
    ids = processor.apply_chat_template([{"role": "user", "content": [{"type": "text", "text": safe}]}], tokenize=True)
    assert not bool((ids == processor.eeg_token_id).any())


# -- the run ---------------------------------------------------------------------------------------------


def count_generated(model):
    """Wrap ``model.generate`` to record each call's prompt rows and outputs."""
    calls = []
    original = model.generate

    def generate(*args, **kwargs):
        out = original(*args, **kwargs)
        calls.append((kwargs["input_ids"], out))
        return out

    model.generate = generate
    return calls


def test_esr_feeds_the_models_own_first_answer(tiny, task_data, tmp_path):
    model, processor = tiny
    tasks_dir, lookup = task_data
    calls = count_generated(model)
    try:
        evaluate_model(model, tasks_dir, tmp_path, processor=processor, tasks=["esr"], batch_size=4, max_new_tokens=10,
                       segments=lookup, progress=False, plots=False)  # fmt: skip
    finally:
        del model.generate
    records = [json.loads(line) for line in (tmp_path / "generations.jsonl").read_text().splitlines()]
    from e2llm.tasks import load_task_datasets

    references = {row["id"]: row for row in load_task_datasets(tasks_dir)[0]["test_esr"]}
    assert len(records) == 3 and len(calls) == 2  # T1 for the batch, then T2
    first_outputs = processor.batch_decode(calls[0][1][:, calls[0][0].shape[1] :], skip_special_tokens=True)
    second_prompts = processor.batch_decode(calls[1][0], skip_special_tokens=False)
    for record in records:
        t1, t2 = record["turns"]
        assert t1["generated"] and t1["generated"] in [text.strip() for text in first_outputs]
        assert t2["prompt"].startswith(t1["prompt"] + t1["generated"] + "<|im_end|>")
        reference_t1 = "".join(p["text"] or "" for p in references[record["id"]]["messages"][1]["content"])
        assert reference_t1 not in t2["prompt"]
        assert record["generated"] == t2["generated"] and record["prompt"] == t2["prompt"]
        # what the model was actually given in the second call holds its own first answer
        assert any(t1["generated"] in prompt for prompt in second_prompts)
        assert sum(prompt.count("<eeg_start>") for prompt in second_prompts) == 3 * len(records)


def test_esr_second_turn_has_room_to_describe_again(tiny, task_data, tmp_path):
    """ESR is not trained: an answer that describes the segments again before choosing (ESS's
    layout) must fit in T2's automatic budget."""
    model, processor = tiny
    tasks_dir, lookup = task_data
    budgets = []
    original = model.generate

    def generate(*args, **kwargs):
        budgets.append(kwargs["generation_config"].max_new_tokens)
        return original(*args, **kwargs)

    model.generate = generate
    try:
        evaluate_model(model, tasks_dir, tmp_path, processor=processor, tasks=["esr"], batch_size=4,
                       segments=lookup, progress=False, plots=False)  # fmt: skip
    finally:
        del model.generate
    from e2llm.tasks import load_task_datasets
    from e2llm.tasks.messages import message_text

    refs = load_task_datasets(tasks_dir)[0]["test_esr"]["messages"]
    count = lambda text: len(processor.tokenizer(text, add_special_tokens=False)["input_ids"])  # noqa: E731
    tokens = [[count(message_text(m[k])) for m in refs] for k in (1, 3)]
    assert len(budgets) == 2 and budgets[0] == math.ceil(1.25 * max(tokens[0])) + 16
    assert budgets[1] >= 1.25 * max(a + b for a, b in zip(*tokens)) + 16 > max(tokens[1]) * 1.25 + 16


IED_SCORES = ("balanced_accuracy", "cohen_kappa", "weighted_f1", "invalid_rate")


def check_metrics_schema(metrics, tasks_dir, n):
    assert set(metrics) == {*TASKS, "random", "model", "data", "average", "leakage", "settings"}
    assert metrics["data"] == str(tasks_dir.resolve())
    ied = metrics["ied"]
    intervals = {f"{k}_ci95" for k in IED_SCORES} | {"per_class_ci95"}
    assert set(ied) == {*IED_SCORES, "per_class", "n", "calibration", "ece", "ece_ci95"} | intervals
    assert set(ied["per_class"]) <= set(EMOTIONS) and ied["n"] == n["ied"]
    assert set(ied["per_class_ci95"]) == set(ied["per_class"])
    for task in TASKS[1:]:
        assert set(metrics[task]) == {"accuracy", "invalid_rate", "n", "accuracy_ci95", "invalid_rate_ci95"}
        assert metrics[task]["n"] == n[task]
    assert metrics["average"]["tasks"] == list(TASKS[1:]) and metrics["average"]["n"] == sum(n[t] for t in TASKS[1:])
    assert set(metrics["random"]) == set(TASKS)
    assert metrics["random"]["eim"] == {"accuracy": pytest.approx(1 / 6)}
    assert set(metrics["random"]["ied"]) >= {"balanced_accuracy", "cohen_kappa", "weighted_f1", "per_class"}

    def fractions(block):
        for key, value in block.items():
            if key == "n":
                assert isinstance(value, int) and value > 0
            elif key.endswith("_ci95") and isinstance(value, list):
                low, high = value
                point = block[key[: -len("_ci95")]]
                assert low - 1e-9 <= point <= high + 1e-9, (key, value, point)
            elif isinstance(value, dict):
                if key != "calibration" and key != "per_class_ci95":
                    fractions(value)
            elif isinstance(value, list) or value is None:
                continue
            else:
                assert isinstance(value, float) and math.isfinite(value), (key, value)
                assert 0.0 <= value <= 1.0 or (key == "cohen_kappa" and value >= -1.0), (key, value)

    for task in (*TASKS, "random", "average"):
        fractions(metrics[task])
    for emotion, (low, high) in ied["per_class_ci95"].items():
        assert low <= ied["per_class"][emotion] <= high
    assert -1.0 <= ied["cohen_kappa"] <= 1.0


def test_end_to_end_writes_every_output_and_resumes(tiny, task_data, tmp_path):
    model, processor = tiny
    tasks_dir, lookup = task_data
    out = tmp_path / "run"
    kwargs = dict(processor=processor, batch_size=4, max_new_tokens=8, segments=lookup, progress=False)
    metrics = evaluate_model(model, tasks_dir, out, **kwargs)
    n = {"ied": 7, "epc": 2, "ess": 2, "eim": 2, "esr": 3}
    check_metrics_schema(metrics, tasks_dir, n)
    assert json.loads((out / "metrics.json").read_text()) == metrics
    for name in (
        "generations.jsonl",
        "report.md",
        "ied_confusion_matrix.png",
        "ied_per_class_accuracy.png",
        "task_accuracy.png",
    ):
        assert (out / name).stat().st_size > 0, name
    assert (out / "ied_confusion_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    records = [json.loads(line) for line in (out / "generations.jsonl").read_text().splitlines()]
    assert len(records) == sum(n.values()) and len({(r["split"], r["id"]) for r in records}) == len(records)
    for r in records:
        assert {"prompt", "generated", "parsed", "answer", "task", "id", "split", "correct"} <= set(r)
        assert r["prompt"].count("<eeg>") == len(r["segment_ids"]) and r["prompt"].endswith("<|im_start|>assistant\n")
    report = (out / "report.md").read_text()
    assert "Table 2" in report and "Table 3" in report and '| "Happy" | 14.29 |' in report
    assert "| Random | 33.33 | 33.33 | 16.67 | 33.33 | 29.17 |" in report
    (out / "report.md").unlink()
    assert write_report(out).read_text() == report  # again from metrics.json and generations.jsonl

    # a rerun generates nothing and gives the same metrics
    calls = count_generated(model)
    try:
        assert evaluate_model(model, tasks_dir, out, **kwargs) == metrics
        assert calls == []
        # an interrupted run: four whole records and half of a fifth survive
        lines = (out / "generations.jsonl").read_text().splitlines(keepends=True)
        (out / "generations.jsonl").write_text("".join(lines[:4]) + lines[4][: len(lines[4]) // 2])
        assert evaluate_model(model, tasks_dir, out, **kwargs) == metrics
        generated_rows = sum(input_ids.shape[0] for input_ids, _ in calls)
        assert generated_rows == sum(n.values()) - 4 + 3  # the missing ones; ESR's 3 twice over
    finally:
        del model.generate
    assert len((out / "generations.jsonl").read_text().splitlines()) == sum(n.values())


def _rows_generated(calls) -> int:
    return sum(input_ids.shape[0] for input_ids, _ in calls)


ALL_ROWS = 7 + 2 + 2 + 2 + 3 * 2  # every sample once, ESR's two turns


def test_resume_key_other_settings_start_afresh(tiny, task_data, tmp_path, capsys, caplog):
    model, processor = tiny
    tasks_dir, lookup = task_data
    out = tmp_path / "run"
    kwargs = dict(processor=processor, batch_size=4, max_new_tokens=8, segments=lookup, progress=False)
    evaluate_model(model, tasks_dir, out, **kwargs)
    calls = count_generated(model)
    try:
        for change, field in (
            ({"max_new_tokens": 9}, "max_new_tokens"),
            ({"max_new_tokens": 8, "batch_size": 3}, "max_new_tokens, batch_size"),
        ):
            capsys.readouterr()
            calls.clear()
            evaluate_model(model, tasks_dir, out, **{**kwargs, **change})
            assert _rows_generated(calls) == ALL_ROWS, field  # nothing reused
            warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
            assert len(warned) == 1 and f"{out / 'generations.jsonl'}: made with other {field};" in warned[0]
            assert "discarding it and starting afresh" in warned[0]
            caplog.clear()
        # other segments under the same ids: regenerated
        other = {sid: (eeg * 2, mask) for sid, (eeg, mask) in lookup.items()}
        calls.clear()
        evaluate_model(model, tasks_dir, out, **{**kwargs, "batch_size": 3, "segments": other})
        assert _rows_generated(calls) == ALL_ROWS and "other segments;" in caplog.text
        calls.clear()
        caplog.clear()
        evaluate_model(model, tasks_dir, out, **{**kwargs, "batch_size": 3, "segments": other})
        assert calls == [] and not [r for r in caplog.records if r.levelname == "WARNING"]  # the same: reused
    finally:
        del model.generate
    assert len((out / "generations.jsonl").read_text().splitlines()) == 16  # none of the old ones mixed in
    key = json.loads((out / "run.json").read_text())["key"]
    assert {
        "weights",
        "dtype",
        "device",
        "max_new_tokens",
        "batch_size",
        "generation_config",
        "processor",
        "tasks",
        "segments",
    } <= set(key)


def test_another_torch_or_transformers_is_not_reused(tiny, task_data, tmp_path, monkeypatch, caplog):
    import transformers

    model, processor = tiny
    tasks_dir, lookup = task_data
    out = tmp_path / "run"
    kwargs = dict(processor=processor, batch_size=4, max_new_tokens=8, segments=lookup, progress=False, tasks=["ied"])
    evaluate_model(model, tasks_dir, out, **kwargs)
    assert json.loads((out / "run.json").read_text())["key"]["libraries"]["torch"] == torch.__version__
    monkeypatch.setattr(transformers, "__version__", "99.0.0")
    calls = count_generated(model)
    try:
        evaluate_model(model, tasks_dir, out, **kwargs)
    finally:
        del model.generate
    assert _rows_generated(calls) == 7 and "made with other libraries; discarding it" in caplog.text


def test_weights_retrained_at_the_same_path_are_not_reused(tiny, task_data, tmp_path, capsys, caplog):
    from e2llm.evaluation.runner import GENERATIONS_FILE

    model, processor = tiny
    tasks_dir, lookup = task_data
    folder = tmp_path / "model"
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    out = tmp_path / "run"
    kwargs = dict(
        batch_size=4, max_new_tokens=8, segments=lookup, progress=False, device="cpu", tasks=["ied"], plots=False
    )
    evaluate_model(str(folder), tasks_dir, out, **kwargs)
    first = (out / GENERATIONS_FILE).read_text()

    def generated_count(path):
        from e2llm.evaluation import runner

        calls = []
        original = runner.generate_responses

        def counting(model, processor, conversations, *args, **kw):
            calls.append(len(conversations))
            return original(model, processor, conversations, *args, **kw)

        runner.generate_responses = counting
        try:
            evaluate_model(str(path), tasks_dir, out, **kwargs)
        finally:
            runner.generate_responses = original
        return sum(calls)

    capsys.readouterr()
    assert generated_count(folder) == 0  # the same weights: reused
    assert "made with other" not in caplog.text
    # "retrained": other weights saved at the same path (same file names, sizes and config)
    retrained = copy.deepcopy(model)
    with torch.no_grad():
        retrained.lm_head.weight.mul_(-1.0)
    retrained.save_pretrained(folder)
    assert generated_count(folder) == 7
    assert "with other weights; discarding it" in caplog.text
    assert (out / GENERATIONS_FILE).read_text() != first
    assert generated_count(folder) == 0  # and these are reused in turn
    hashes = json.loads((out / "run.json").read_text())["file_hashes"]
    assert str((folder / "model.safetensors").resolve()) in hashes  # the weights' content hash, kept for a resume


def test_outputs_are_written_atomically(tiny, task_data, tmp_path, monkeypatch):
    """A report or comparison interrupted by an error leaves the previous files and no temporary one."""
    from e2llm.evaluation import report as report_module

    model, processor = tiny
    tasks_dir, lookup = task_data
    out = tmp_path / "run"
    evaluate_model(model, tasks_dir, out, processor=processor, batch_size=4, max_new_tokens=8, segments=lookup, progress=False,
                   tasks=["ied"])  # fmt: skip
    compare_runs([out], tmp_path / "cmp")
    before = {p.name: p.read_bytes() for d in (out, tmp_path / "cmp") for p in d.iterdir()}

    def broken_savefig(self, fname, *args, **kwargs):
        with open(fname, "wb") as f:
            f.write(b"\x89PNG half")
        raise OSError("disk full")

    from matplotlib.figure import Figure

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    with pytest.raises(OSError, match="disk full"):
        write_report(out)
    with pytest.raises(OSError, match="disk full"):
        compare_runs([out], tmp_path / "cmp")
    after = {p.name: p.read_bytes() for d in (out, tmp_path / "cmp") for p in d.iterdir()}
    assert after == before  # the previous plots and texts intact, no temporary file left
    assert not [p for d in (out, tmp_path / "cmp") for p in d.iterdir() if p.name.startswith(".")]
    monkeypatch.undo()
    monkeypatch.setattr(report_module, "write_text_atomic", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        compare_runs([out], tmp_path / "cmp")
    assert (tmp_path / "cmp" / "comparison.md").read_bytes() == before["comparison.md"]


def test_perfect_answers_score_one(tiny, task_data, tmp_path, monkeypatch):
    """With a stand-in generator that answers with the reference texts (ESR: its T1 reference,
    then T2), every parsed answer is right: the parsing and scoring are wired to the right fields."""
    import e2llm.evaluation.runner as runner
    from e2llm.tasks import load_task_datasets

    model, processor = tiny
    tasks_dir, lookup = task_data
    dd, _ = load_task_datasets(tasks_dir)
    answers = {}
    for split in ("test_ied", "test_multi", "test_esr"):
        for row in dd[split]:
            segs = tuple(row["segment_ids"])
            for k in range(1, len(row["messages"]), 2):
                question = "".join(p["text"] or "" for p in row["messages"][k - 1]["content"])
                answers[(question, segs)] = "".join(p["text"] or "" for p in row["messages"][k]["content"])
    by_array = {id(v[0]): key for key, v in lookup.items()}

    def fake_generate(
        model, processor, conversations, eeg, eeg_channel_mask=None, *, batch_size, max_new_tokens, on_batch=None, **kw
    ):
        texts = []
        for i, conv in enumerate(conversations):
            question = "".join(p["text"] for p in conv[-1]["content"] if p["type"] == "text")
            segs = tuple(dict.fromkeys(by_array[id(a)] for a in eeg[i]))
            texts.append(answers[(question, segs)])
        if on_batch is not None:
            on_batch(list(range(len(texts))), texts)
        return texts

    monkeypatch.setattr(runner, "generate_responses", fake_generate)
    metrics = evaluate_model(
        model, tasks_dir, tmp_path, processor=processor, segments=lookup, progress=False, plots=False
    )
    assert metrics["ied"]["balanced_accuracy"] == 1.0 and metrics["ied"]["cohen_kappa"] == pytest.approx(1.0)
    assert metrics["ied"]["per_class"] == {e: 1.0 for e in EMOTIONS}
    for task in TASKS[1:]:
        assert metrics[task]["accuracy"] == 1.0 and metrics[task]["invalid_rate"] == 0.0


def test_report_tables_layout():
    run_a = {"ied": {"per_class": {"happy": 0.5, "sad": 0.25}, "balanced_accuracy": 0.375, "cohen_kappa": 0.1, "weighted_f1": 0.3},
             "epc": {"accuracy": 0.6}, "ess": {"accuracy": 0.5}, "eim": {"accuracy": 0.4}, "esr": {"accuracy": 0.3}}  # fmt: skip
    run_b = {"ied": {"per_class": {"happy": 0.75, "sad": 0.0}, "balanced_accuracy": 0.375, "cohen_kappa": 0.2, "weighted_f1": 0.2},
             "epc": {"accuracy": 0.7}, "ess": {"accuracy": 0.2}, "eim": {"accuracy": 0.4}}  # fmt: skip
    runs = [("full", run_a), ("w/o Stage 3", run_b)]
    table2 = ied_table(runs).splitlines()
    assert table2[0] == "|  | Random | full | w/o Stage 3 |"
    assert table2[2] == '| "Happy" | 14.29 | 50.00 | **75.00** |'
    assert table2[3] == '| "Surprise" | 14.29 | – | – |'  # no test samples of that emotion
    assert "| Balanced Accuracy | 14.29 | **37.50** | **37.50** |" in table2
    assert "| Cohen's Kappa | 0.00 | 10.00 | **20.00** |" in table2
    table4 = tasks_table(runs).splitlines()
    assert table4[0] == "|  | EPC | ESS | EIM | ESR* | Avg. |"
    assert table4[2] == "| Random | 33.33 | 33.33 | 16.67 | 33.33 | 29.17 |"
    assert table4[3] == "| full | 60.00 | **50.00** | **40.00** | 30.00 | 45.00 |"
    assert table4[4] == "| w/o Stage 3 | **70.00** | 20.00 | **40.00** | – | – |"  # no ESR: no average


# -- CLI ---------------------------------------------------------------------------------------------------


def test_cli_evaluate_and_compare(tiny, task_data, tmp_path, capsys):
    from e2llm.cli import main

    model, processor = tiny
    tasks_dir, _ = task_data
    model.save_pretrained(tmp_path / "model")
    processor.save_pretrained(tmp_path / "model")
    run = tmp_path / "run"
    code = main(["evaluate", str(tmp_path / "model"), "--data", str(tasks_dir), "--out", str(run),
                 "--batch-size", "8", "--max-new-tokens", "6", "--limit", "2", "--no-progress"])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert re.search(r"IED\s+balanced_accuracy\s+\d+\.\d \[\d+\.\d, \d+\.\d\] %  n=2", printed) and "ESR" in printed
    assert "split: subject-dependent" in printed  # the leakage audit's verdict
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["model"] == str((tmp_path / "model").resolve())
    assert metrics["ied"]["n"] == 2 and metrics["esr"]["n"] == 2
    assert (run / "report.md").exists() and (run / "task_accuracy.png").exists()

    assert main(["compare", str(run), str(run), "--names", "a", "b", "--out", str(tmp_path / "cmp")]) == 0
    text = capsys.readouterr().out
    assert "Table 4" in text and re.search(r"^\| a \|", text, flags=re.M) and re.search(r"^\| b \|", text, flags=re.M)
    assert (tmp_path / "cmp" / "comparison.md").exists() and (tmp_path / "cmp" / "comparison.png").stat().st_size > 0
    assert compare_runs([run]).count("| Random | 33.33 | 33.33 | 16.67 | 33.33 | 29.17 |") == 1

    assert main(["compare", str(tmp_path / "missing")]) == 2
    assert "metrics.json" in capsys.readouterr().err  # the file that is missing, named
    assert main(["evaluate", str(tmp_path / "model"), "--data", str(tmp_path / "nowhere"), "--out", str(run)]) == 2


def test_generations_file_skips_only_a_cut_short_last_line(tmp_path):
    from e2llm.errors import InvalidInputError
    from e2llm.evaluation import read_generations

    path = tmp_path / "generations.jsonl"
    good = [json.dumps({"split": "test_ied", "id": str(i), "task": "ied"}) for i in range(3)]
    path.write_text("\n".join(good) + "\n" + good[0][:10])  # a kill while the fourth was written
    assert sorted(read_generations(path)) == [("test_ied", "0"), ("test_ied", "1"), ("test_ied", "2")]
    path.write_text(good[0] + "\n{not json\n" + good[1] + "\n")
    with pytest.raises(InvalidInputError, match=r"generations.jsonl, line 2: not a record of this run"):
        read_generations(path)
