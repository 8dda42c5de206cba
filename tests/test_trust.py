"""What makes an evaluation trustworthy: 95 % intervals on every score, the signal controls, the
IED answers' confidence and calibration, and the leakage audit of the split.

Models are tiny and random (their answers are not read for quality); segments datasets are small
and random, labelled synthetic."""

from __future__ import annotations

import json
import os
import re

import numpy as np
import pytest
import torch

os.environ.setdefault("HF_EVALUATE_OFFLINE", "1")

from conftest import make_segments  # noqa: E402

from e2llm.configuration_e2llm import EMOTIONS  # noqa: E402
from e2llm.evaluation import evaluate_model, load_metric  # noqa: E402
from e2llm.evaluation.metric.e2llm_metrics import (  # noqa: E402
    bootstrap_interval,
    classification_scores,
    ied_statistics,
    mean_accuracy,
    paired_difference,
    wilson_interval,
)

TASKS = ("ied", "epc", "ess", "eim", "esr")


@pytest.fixture(scope="module")
def task_data(tmp_path_factory):
    """(tasks_dir, segments_dir) — 14 IED, 4 EPC, 4 ESS, 4 EIM, 4 ESR test samples on random EEG."""
    from e2llm.tasks import build_task_datasets

    root = tmp_path_factory.mktemp("trust")
    segments = make_segments(root / "segments", n_test_per=4)
    build_task_datasets(str(segments), root / "tasks", n_train=4, n_train_sft=4, n_multi=12, n_esr=4, n_test_ied=14)
    return root / "tasks", segments


# -- intervals ---------------------------------------------------------------------------------------


def test_wilson_interval_known_values_and_edges():
    assert wilson_interval(3, 10) == pytest.approx([0.1078, 0.6032], abs=1e-4)  # textbook value
    low, high = wilson_interval(40, 40)
    assert high == pytest.approx(1.0) and 0.9 < low < 0.92  # 100 % still has a width
    assert wilson_interval(0, 40)[0] == pytest.approx(0.0) and wilson_interval(0, 40)[1] > 0.05
    assert wilson_interval(0, 0) is None


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vectorised_ied_statistics_equal_scikit_learn(seed):
    """The bootstrap scores resamples with its own vectorised formulas: on the sample itself they
    must give scikit-learn's values (invalid answers and missing classes included)."""
    rng = np.random.default_rng(seed)
    present = list(EMOTIONS[: 3 + seed * 2])
    refs = list(rng.choice(present, 60))
    preds = [r if rng.random() < 0.5 else str(rng.choice([*EMOTIONS, "invalid"])) for r in refs]
    expected = classification_scores(preds, refs)
    index = {e: i for i, e in enumerate(EMOTIONS)}
    t = np.array([[index[r] for r in refs]])
    p = np.array([[index.get(x, 7) for x in preds]])
    got = ied_statistics(t, p, 7)
    for name in ("balanced_accuracy", "cohen_kappa", "weighted_f1"):
        assert got[name][0] == pytest.approx(expected[name], abs=1e-12), name


def test_intervals_contain_the_point_estimate_and_shrink_with_n():
    rng = np.random.default_rng(0)
    widths = {}
    for n in (30, 120, 480):
        refs = list(rng.choice(EMOTIONS, n))
        preds = [r if rng.random() < 0.6 else str(rng.choice(EMOTIONS)) for r in refs]
        ied = classification_scores(preds, refs, intervals=True, seed=0)
        for name in ("balanced_accuracy", "cohen_kappa", "weighted_f1", "invalid_rate"):
            low, high = ied[f"{name}_ci95"]
            assert low <= ied[name] <= high, (n, name)
        for emotion, (low, high) in ied["per_class_ci95"].items():
            assert low <= ied["per_class"][emotion] <= high
        epc = load_metric("epc").compute(predictions=preds, references=refs, intervals=True)
        assert epc["accuracy_ci95"][0] <= epc["accuracy"] <= epc["accuracy_ci95"][1]
        widths[n] = (ied["balanced_accuracy_ci95"][1] - ied["balanced_accuracy_ci95"][0],
                     epc["accuracy_ci95"][1] - epc["accuracy_ci95"][0])  # fmt: skip
    for k in range(2):
        assert widths[30][k] > widths[120][k] > widths[480][k]
        assert widths[30][k] / widths[480][k] == pytest.approx(4, rel=0.35)  # ∝ 1/sqrt(n)


def test_bootstrap_is_seeded_and_paired_difference_behaves():
    data = (np.arange(50) % 3 == 0).astype(float)
    first = bootstrap_interval(lambda x: x.mean(axis=-1), (data,), seed=3)
    assert first == bootstrap_interval(lambda x: x.mean(axis=-1), (data,), seed=3)
    assert first != bootstrap_interval(lambda x: x.mean(axis=-1), (data,), seed=4)
    refs = ["yes", "no", "equal"] * 20
    same = paired_difference("epc", refs, refs, refs)
    assert same["difference"] == 0 and same["difference_ci95"] == [0.0, 0.0] and same["n"] == 60
    chance = ["yes"] * 60  # right on a third
    better = paired_difference("epc", refs, chance, refs)
    assert better["difference"] == pytest.approx(2 / 3) and better["difference_ci95"][0] > 0.4
    ied_refs = list(np.random.default_rng(0).choice(EMOTIONS, 70))
    ied = paired_difference("ied", ied_refs, ["happy"] * 70, ied_refs)
    assert ied["difference"] == pytest.approx(1 - 1 / 7) and ied["difference_ci95"][0] > 0.7


def test_average_of_tasks_has_an_independent_bootstrap_interval():
    avg = mean_accuracy([["a"] * 10, ["b"] * 10], [["a"] * 10, ["a"] * 5 + ["b"] * 5])
    assert avg["accuracy"] == pytest.approx(0.75) and avg["n"] == 20
    low, high = avg["accuracy_ci95"]
    assert 0.5 < low <= 0.75 <= high == pytest.approx(1.0) or high < 1.0


# -- controls ---------------------------------------------------------------------------------------


def _samples(task_data):
    from e2llm.evaluation.runner import _select_samples
    from e2llm.tasks import load_task_datasets

    dd, _ = load_task_datasets(task_data[0])
    return _select_samples(dd, ["test_ied", "test_multi", "test_esr"], None)


def test_shuffled_control_gives_every_sample_other_segments_of_its_task(task_data):
    from e2llm.evaluation.runner import _control_samples
    from e2llm.tasks.messages import message_text, segment_ids_of

    samples = _samples(task_data)
    shuffled = _control_samples("shuffled", samples, seed=0)
    assert [s.key for s in shuffled] == [s.key for s in samples]
    by_task: dict = {}
    for real, control in zip(samples, shuffled):
        own, given = segment_ids_of(real.messages), segment_ids_of(control.messages)
        assert len(given) == len(own) > 0 and control.segment_ids == given
        assert not set(own) & set(given), (real.id, own, given)  # never its own segment
        assert [message_text(m) for m in control.messages] == [message_text(m) for m in real.messages]
        assert control.answer == real.answer and control.emotions == real.emotions
        by_task.setdefault(real.task, []).append((own, given))
    for task, pairs in by_task.items():  # a permutation within the task: each segment set used once
        assert sorted(map(tuple, (g for _, g in pairs))) == sorted(map(tuple, (o for o, _ in pairs))), task
    # seeded, and drawn over all of a task's samples: a shorter run gives its samples the same donors
    again = _control_samples("shuffled", samples, seed=0)
    assert [s.segment_ids for s in again] == [s.segment_ids for s in shuffled]
    other = _control_samples("shuffled", samples, seed=1)
    assert [s.segment_ids for s in other] != [s.segment_ids for s in shuffled]


def test_derangement_refuses_what_it_cannot_shuffle():
    from e2llm.evaluation.controls import derangement

    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="at least 2"):
        derangement([frozenset({"a"})], rng)
    with pytest.raises(ValueError, match="other than its own"):
        derangement([frozenset({"a"}), frozenset({"a", "b"})], rng)  # every pair shares a segment
    donors = derangement([frozenset({i}) for i in range(9)], rng)
    assert sorted(donors) == list(range(9)) and all(d != i for i, d in enumerate(donors))


def test_noise_control_matches_each_channel_and_is_pink():
    from e2llm.evaluation.controls import NoiseLookup

    rng = np.random.default_rng(0)
    t = np.arange(1024) / 256
    eeg = 0.02 * np.sin(2 * np.pi * 10 * t) + 0.005 * rng.standard_normal((58, 1024)) + 0.001 * np.arange(58)[:, None]
    eeg[7] = 0.0  # a missing, zero-filled channel
    mask = np.ones(58, bool)
    mask[7] = False
    lookup = NoiseLookup({"s1": (eeg.astype(np.float32), mask)}, seed=0)
    noise, noise_mask = lookup["s1"]
    assert noise.shape == eeg.shape and noise.dtype == np.float32 and (noise_mask == mask).all()
    np.testing.assert_allclose(noise.mean(axis=1), eeg.mean(axis=1), atol=1e-6)
    np.testing.assert_allclose(noise.std(axis=1), eeg.std(axis=1), rtol=1e-4)
    assert (noise[7] == 0).all()
    assert np.abs(np.corrcoef(noise[0], eeg[0])[0, 1]) < 0.2  # not the signal
    np.testing.assert_array_equal(noise, lookup["s1"][0])  # the same noise for the same segment and seed
    assert not np.array_equal(noise, NoiseLookup(lookup.lookup, seed=1)["s1"][0])
    # power ∝ 1/f: the log-log slope of the spectrum is about -1
    spectrum = (np.abs(np.fft.rfft(noise[[0, 1, 2, 3]], axis=1)) ** 2).mean(axis=0)[1:]
    freqs = np.fft.rfftfreq(1024)[1:]
    slope = np.polyfit(np.log(freqs), np.log(spectrum), 1)[0]
    assert -1.3 < slope < -0.7


def test_evaluate_with_controls_writes_and_resumes_each(tiny, task_data, tmp_path, capsys, caplog):
    model, processor = tiny
    tasks_dir, _ = task_data
    out = tmp_path / "run"
    kwargs = dict(processor=processor, batch_size=8, max_new_tokens=6, progress=False, plots=False,
                  controls=["shuffled", "noise", "no-eeg"], control_limit=3)  # fmt: skip
    metrics = evaluate_model(model, tasks_dir, out, **kwargs)
    assert set(metrics["controls"]) == {"shuffled", "noise", "no_eeg"}
    for name, control in metrics["controls"].items():
        assert set(control) == set(TASKS) | {"average"}, name
        for task in TASKS:  # the same metric names as the real run, on the first 3 samples of each task
            assert set(control[task]) == set(metrics[task]) and control[task]["n"] == 3, (name, task)
    for task in TASKS:
        against = metrics["against_controls"][task]
        assert (
            set(against["controls"]) == {"shuffled", "noise", "no_eeg"}
            and against["best_control"] in against["controls"]
        )
        assert all(c["n"] == 3 for c in against["controls"].values())
        assert isinstance(against["clears_all"], bool)

    def records(name):
        return [json.loads(x) for x in (out / "controls" / name / "generations.jsonl").read_text().splitlines()]

    real = {(r["split"], r["id"]): r for r in map(json.loads, (out / "generations.jsonl").read_text().splitlines())}
    for r in records("no-eeg"):  # the text prior alone: no EEG placeholder in any prompt
        assert "<eeg>" not in r["prompt"] and r["segment_ids"] == []
        assert r["answer"] == real[(r["split"], r["id"])]["answer"]
    for r in records("shuffled"):
        assert not set(r["segment_ids"]) & set(real[(r["split"], r["id"])]["segment_ids"])
        assert r["prompt"].count("<eeg>") == len(real[(r["split"], r["id"])]["segment_ids"])
    for r in records("noise"):
        assert r["segment_ids"] == real[(r["split"], r["id"])]["segment_ids"]
    report = (out / "report.md").read_text()
    assert "## Signal controls" in report and "real − best control" in report
    assert re.search(r"\| IED \(balanced accuracy\) \| \d+\.\d \[\d+\.\d, \d+\.\d\] \(n=14\) \|", report)
    assert "does not clear every signal control" in report  # a random model reads no EEG

    # a rerun generates nothing; a control with another seed is generated again, the real run is not
    original = model.generate
    calls = []
    model.generate = lambda *a, **k: calls.append(k["input_ids"].shape[0]) or original(*a, **k)
    try:
        assert evaluate_model(model, tasks_dir, out, **kwargs) == metrics and calls == []
        capsys.readouterr()
        evaluate_model(model, tasks_dir, out, **{**kwargs, "controls": ["shuffled"], "seed": 1})
        assert sum(calls) == 3 * 5 + 3  # the shuffled control's 15 samples, ESR's 3 twice over
        assert "controls/shuffled/generations.jsonl: made with other control" in caplog.text
    finally:
        del model.generate


def test_cli_controls_bad_input_is_one_line_and_writes_nothing(tiny, task_data, tmp_path, capsys):
    from e2llm.cli import main

    model, processor = tiny
    tasks_dir, segments = task_data
    model.save_pretrained(tmp_path / "model")
    processor.save_pretrained(tmp_path / "model")
    capsys.readouterr()
    out = tmp_path / "out"
    base = ["evaluate", str(tmp_path / "model"), "--data", str(tasks_dir), "--out", str(out), "--no-progress"]

    assert main([*base, "--controls", "shuffled", "silence"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "'silence'" in err and "shuffled, noise, no-eeg" in err
    assert not out.exists()

    # task data whose prompts hold no EEG: a control has nothing to take away
    from datasets import load_from_disk

    from e2llm.evaluation.controls import without_eeg

    textual = tmp_path / "textual"
    dd = load_from_disk(str(tasks_dir))
    dd["test_multi"] = dd["test_multi"].map(lambda row: {"messages": without_eeg(row["messages"]), "segment_ids": []})
    dd.save_to_disk(str(textual))
    (textual / "tasks_info.json").write_text((tasks_dir / "tasks_info.json").read_text())
    assert main([*base[:3], str(textual), "--out", str(out), "--tasks", "epc", "--controls", "no-eeg"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "task 'epc'" in err and "no EEG in its prompts" in err
    assert not out.exists()

    # the segments dataset is gone: no EEG, no audit, before anything is generated
    info = json.loads((tasks_dir / "tasks_info.json").read_text())
    moved = tmp_path / "elsewhere"
    os.rename(segments, moved)
    try:
        assert main([*base, "--controls", "shuffled"]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and "no segments dataset" in err and info["segments_dir"] in err
        assert not out.exists()
    finally:
        os.rename(moved, segments)


# -- confidence -------------------------------------------------------------------------------------


def _first_tokens(tokenizer) -> dict[int, list[int]]:
    """Every emotion word written with a leading space (``sad``, ``sadness``, ``joy``…), by its
    first token (when that token begins words of one emotion only): token → the word's tokens."""
    from e2llm.emotions import ANSWER_WORDS

    words, owners = {}, {}
    for emotion in EMOTIONS:
        for word in ANSWER_WORDS[emotion]:
            ids = tokenizer(" " + word, add_special_tokens=False)["input_ids"]
            words.setdefault(ids[0], ids)
            owners.setdefault(ids[0], set()).add(emotion)
    return {t: ids for t, ids in words.items() if len(owners[t]) == 1}


def _scripted(model, tokenizer, prefix: str, words: dict[int, list[int]]):
    """A forward hook that makes the model write ``prefix``, then an emotion word of its own
    choice (the same bonus on the first token of every emotion word, so the model's own logits
    choose and their ratios stay as they are), then the rest of that word and the end of the turn."""
    forced = tokenizer(prefix, add_special_tokens=False)["input_ids"]
    eos = tokenizer.convert_tokens_to_ids("<|im_end|>")
    state = {"step": 0, "rows": None}

    def hook(module, args, kwargs, output):
        ids = kwargs["input_ids"]
        if state["rows"] is None or ids.shape[1] > 1:  # a prefill: a new batch
            state.update(step=0, rows=[[] for _ in range(ids.shape[0])])
        else:
            for row, token in zip(state["rows"], ids[:, -1].tolist()):
                row.append(token)
        step, logits = state["step"], output.logits[:, -1, :]
        with torch.no_grad():
            for r, row in enumerate(state["rows"]):
                if step < len(forced):
                    logits[r, forced[step]] += 500.0
                elif step == len(forced):
                    logits[r, list(words)] += 500.0
                else:
                    word, k = words[row[len(forced)]], step - len(forced)
                    logits[r, word[k] if k < len(word) else eos] += 500.0
        state["step"] += 1
        return output

    return model.register_forward_hook(hook, with_kwargs=True)


def test_confidence_is_the_probability_of_the_generated_emotion(tiny):
    """The confidence read during generation equals the probability that a separate forward pass
    of the model (no hook) gives the named emotion, over every emotion word's first token, at the
    same position; it is a distribution over the seven emotions and names the parsed label."""
    from e2llm.evaluation.generation import generate_responses
    from e2llm.tasks.parsing import parse_emotion

    model, processor = tiny
    tokenizer = processor.tokenizer
    words = _first_tokens(tokenizer)
    conversation = [
        {"role": "user", "content": [{"type": "text", "text": "Describe the emotion of "}, {"type": "eeg"}]}
    ]
    rng = np.random.default_rng(0)
    eeg = [[(rng.standard_normal((58, 1024)) * 0.5).astype(np.float32)] for _ in range(6)]
    hook = _scripted(model, tokenizer, "Emotion:", words)
    try:
        responses = generate_responses(model, processor, [conversation] * 6, eeg, batch_size=3, max_new_tokens=12,
                                       confidence=True)  # fmt: skip
    finally:
        hook.remove()
    prefix = tokenizer("Emotion:", add_special_tokens=False)["input_ids"]
    owner = {t: parse_emotion(tokenizer.decode(ids)) for t, ids in words.items()}
    for response, segments in zip(responses, eeg):
        assert response.text.startswith("Emotion:") and response.emotion == parse_emotion(response.text) != "invalid"
        assert set(response.probabilities) == set(EMOTIONS)
        assert sum(response.probabilities.values()) == pytest.approx(1.0)
        assert 0.0 <= response.confidence <= 1.0 and response.confidence == response.probabilities[response.emotion]
        inputs = processor.apply_chat_template([conversation], add_generation_prompt=True, tokenize=True,
                                               return_dict=True, eeg=segments, processor_kwargs={"return_tensors": "pt"})  # fmt: skip
        ids = torch.cat([inputs["input_ids"], torch.tensor([prefix])], dim=1)
        with torch.no_grad():
            logits = model(input_ids=ids, attention_mask=torch.ones_like(ids), eeg_values=inputs["eeg_values"]).logits
        mass = torch.softmax(logits[0, -1, list(words)].double(), dim=0).tolist()
        expected = {e: sum(p for t, p in zip(words, mass) if owner[t] == e) for e in EMOTIONS}
        for emotion in EMOTIONS:
            assert response.probabilities[emotion] == pytest.approx(expected[emotion], abs=1e-4)
    assert len({round(r.confidence, 6) for r in responses}) > 1  # read from each answer's own pass


def test_confidence_is_read_where_the_answer_first_names_its_emotion(tiny_tokenizer):
    from e2llm.evaluation.confidence import EmotionVocabulary, emotion_confidence

    tokenizer = tiny_tokenizer
    vocabulary = EmotionVocabulary(tokenizer)
    assert vocabulary.spellings  # the space-prefixed lower-case spelling tells the seven apart
    text = " The EEG signals indicate a state of sadness, not fear, seen in the rhythm. Emotion: sad"
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    step, _ = vocabulary.locate(ids, "sad")
    assert tokenizer.decode(ids[step:]).startswith(" sadness, not fear")  # where the description commits
    fear_step, _ = vocabulary.locate(ids, "fear")
    assert step < fear_step
    logits = torch.zeros(len(ids), len(vocabulary.token_ids))
    conf, probs = emotion_confidence(vocabulary, ids, logits, "sad")
    assert conf == pytest.approx(probs["sad"]) and sum(probs.values()) == pytest.approx(1.0)
    assert emotion_confidence(vocabulary, ids, logits, "invalid") == (None, None)
    assert emotion_confidence(vocabulary, ids, logits, "anger") == (None, None)  # never named


def test_expected_calibration_error_by_hand():
    from e2llm.evaluation.confidence import calibration

    # bins [0.2, 0.3): 2 answers, confidence 0.25, 1 right; [0.9, 1.0]: 2 answers, 0.95 and 1.0, both right
    result = calibration([0.25, 0.25, 0.95, 1.0], [True, False, True, True])
    assert result["ece"] == pytest.approx((2 * abs(0.5 - 0.25) + 2 * abs(1.0 - 0.975)) / 4)
    assert result["n"] == 4 and sum(b["n"] for b in result["bins"]) == 4 and len(result["bins"]) == 10
    assert result["bins"][2]["accuracy"] == 0.5 and result["bins"][9]["confidence"] == pytest.approx(0.975)
    assert result["ece_ci95"][0] <= result["ece"] <= result["ece_ci95"][1]
    # a calibrated source: answers right with the probability they state
    rng = np.random.default_rng(0)
    conf = rng.uniform(1 / 7, 1, 4000)
    assert calibration(conf, rng.random(4000) < conf)["ece"] < 0.03
    assert calibration(conf, np.ones(4000, bool))["ece"] > 0.3  # underconfident
    assert calibration([], []) == {"n": 0}


# -- leakage audit ---------------------------------------------------------------------------------


def _toy_rows():
    """SEED-VII-shaped metadata: 4 subjects × 2 sessions × 7 clips × 3 segments (labelled synthetic)."""
    return [
        {"id": f"s{s}-n{n}-c{c}-g{g}", "subject": f"s{s}", "session": n, "clip": 7 * n + c, "segment": g,
         "source": f"s{s}_{n}.cnt", "emotion": EMOTIONS[c]}
        for s in range(4) for n in range(2) for c in range(7) for g in range(3)
    ]  # fmt: skip


@pytest.mark.parametrize("split", ["paper", "clip", "subject"])
def test_leakage_audit_counts_equal_a_direct_count(split):
    from e2llm.datasets_builder import assign_test, leakage_audit

    rows = _toy_rows()
    is_test = assign_test(rows, split, test_size=0.25, seed=0)
    train = [r for r, t in zip(rows, is_test) if not t]
    test = [r for r, t in zip(rows, is_test) if t]

    def columns(part):
        return {k: [r[k] for r in part] for k in ("id", "subject", "session", "source", "clip")}

    audit = leakage_audit(columns(train), columns(test), split=split, settings={"split": split, "seed": 0})
    units = {
        "subjects": lambda r: r["subject"],
        "sessions": lambda r: (r["subject"], r["session"]),
        "recordings": lambda r: r["source"],
        "clips": lambda r: r["clip"],
        "trials": lambda r: (r["subject"], r["clip"]),
    }
    for unit, key in units.items():
        a, b = {key(r) for r in train}, {key(r) for r in test}
        assert audit[unit] == {"train": len(a), "test": len(b), "shared": len(a & b)}, unit
    verdict = audit["verdict"]
    if split == "paper":
        assert verdict.startswith("subject-dependent, clip-overlapping split ('paper')") and "optimistic" in verdict
        assert audit["subjects"]["shared"] == 4
    elif split == "clip":
        assert audit["clips"]["shared"] == 0 and verdict.startswith("subject-dependent, clip-disjoint")
    else:
        assert audit["subjects"]["shared"] == 0 and verdict.startswith("subject-independent")
    # samples that use a training segment are named
    checked = leakage_audit(
        columns(train), columns(test), split=split, sample_segments=[[test[0]["id"]], [train[0]["id"]]]
    )
    assert (
        checked["test_samples"] == {"n": 2, "using_other_segments": 1}
        and "WARNING: 1 test sample" in checked["verdict"]
    )


def test_evaluation_and_report_carry_the_audit(tiny, task_data, tmp_path):
    model, processor = tiny
    tasks_dir, _ = task_data
    metrics = evaluate_model(model, tasks_dir, tmp_path, processor=processor, batch_size=8, max_new_tokens=4,
                             limit=2, progress=False, plots=True)  # fmt: skip
    leakage = metrics["leakage"]
    # make_segments: each test and train row has its own subject s00..s03 / s00; clips are the emotions
    assert leakage["subjects"] == {"train": 1, "test": 4, "shared": 1}
    assert leakage["test_samples"] == {"n": 10, "using_other_segments": 0}
    report = (tmp_path / "report.md").read_text()
    assert "## The split: what train and test share" in report and leakage["verdict"][1:] in report
    assert (tmp_path / "controls.png").exists() is False  # no controls asked for


def test_model_card_shows_intervals_controls_and_split(tmp_path):
    from e2llm.hub import _metrics_table

    metrics = {
        "ied": {"balanced_accuracy": 0.5, "balanced_accuracy_ci95": [0.4, 0.6], "cohen_kappa": 0.4, "weighted_f1": 0.5,
                "per_class": {"sad": 0.5}, "per_class_ci95": {"sad": [0.3, 0.7]}, "invalid_rate": 0.0, "n": 40},
        "epc": {"accuracy": 0.75, "accuracy_ci95": [0.6, 0.86], "invalid_rate": 0.0, "n": 40},
        "random": {"ied": {"balanced_accuracy": 1 / 7, "cohen_kappa": 0.0, "weighted_f1": 1 / 7}, "epc": {"accuracy": 1 / 3}},
        "leakage": {"verdict": "subject-dependent, clip-overlapping split ('paper'): expect optimistic figures",
                    **{u: {"train": 4, "test": 4, "shared": 4} for u in ("subjects", "sessions", "recordings", "clips", "trials")}},
        "controls": {"shuffled": {"ied": {"balanced_accuracy": 0.15, "balanced_accuracy_ci95": [0.05, 0.25], "n": 40}}},
        "against_controls": {"ied": {"metric": "balanced_accuracy", "best_control": "shuffled", "clears_all": True,
                                     "controls": {"shuffled": {"difference": 0.35, "difference_ci95": [0.2, 0.5], "n": 40}}}},
    }  # fmt: skip
    card = _metrics_table(metrics)
    assert "| IED | balanced accuracy | 50.0 [40.0, 60.0] | 40 | 14.3 |" in card
    assert "| EPC | accuracy | 75.0 [60.0, 86.0] | 40 | 33.3 |" in card
    assert "Subject-dependent, clip-overlapping split ('paper')" in card
    assert "35.0 [20.0, 50.0]" in card and "clears every signal control" in card


def test_tables_show_intervals_and_mark_overlaps_with_the_best():
    from e2llm.evaluation.report import OVERLAP_MARK, tasks_table

    def run(epc, epc_ci, ess, ess_ci):
        return {"epc": {"accuracy": epc, "accuracy_ci95": epc_ci, "n": 40},
                "ess": {"accuracy": ess, "accuracy_ci95": ess_ci, "n": 40}}  # fmt: skip

    runs = [
        ("full", run(0.80, [0.65, 0.90], 0.50, [0.35, 0.65])),
        ("w/o CoT", run(0.70, [0.54, 0.82], 0.20, [0.10, 0.35])),
    ]
    rows = tasks_table(runs).splitlines()
    assert rows[3].startswith("| full | **80.0 [65.0, 90.0]** | **50.0 [35.0, 65.0]** |")
    # an interval that reaches the best one's lower end is marked (EPC 82.0 ≥ 65.0, ESS 35.0 ≥ 35.0)
    assert rows[4].startswith(f"| w/o CoT | 70.0 [54.0, 82.0] {OVERLAP_MARK} | 20.0 [10.0, 35.0] {OVERLAP_MARK} |")
    runs[1] = ("w/o CoT", run(0.70, [0.54, 0.82], 0.20, [0.10, 0.30]))
    assert (
        tasks_table(runs)
        .splitlines()[4]
        .startswith(f"| w/o CoT | 70.0 [54.0, 82.0] {OVERLAP_MARK} | 20.0 [10.0, 30.0] |")
    )
