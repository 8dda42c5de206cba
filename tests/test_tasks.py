"""Instruction data of the five tasks: schema, ground truth against segment labels, split hygiene,
ESR held out of training, balance, determinism, saving and the CLI.

The segments datasets here are small, random and labelled synthetic (zeros as EEG arrays)."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from e2llm.configuration_e2llm import EMOTIONS
from e2llm.tasks import (
    INVALID,
    SegmentIndex,
    build_eim,
    build_esr,
    build_task_datasets,
    build_task_samples,
    esr_scenarios,
    esr_turns,
    load_task_datasets,
    message_text,
    parse_answer,
    prompt_messages,
    reference_answer,
    task_counts,
    templates,
)
from e2llm.tasks.dataset import TASKS_FORMAT_VERSION

COLUMNS = ["id", "task", "messages", "answer", "segment_ids", "cot", "emotions"]
SPLITS = ["train", "train_sft", "test_ied", "test_multi", "test_esr"]
SMALL = dict(n_train=840, n_train_sft=240, n_multi=150, n_esr=167)


def make_segments(path, n_train_per=10, n_test_per=5, emotions=EMOTIONS, seed=0):
    """A segments DatasetDict with the schema of ``e2llm prepare`` (synthetic), saved to ``path``."""
    import datasets
    from datasets import Dataset, DatasetDict, DatasetInfo

    from e2llm.datasets_builder import segment_features

    features = segment_features()  # the pipeline's schema
    rng = np.random.default_rng(seed)

    def split(name, n_per):
        rows = []
        for e in emotions:
            for k in range(n_per):
                rows.append(
                    {
                        "id": f"{name}/s{k % 4:02d}/{e}/{k:03d}",
                        "eeg": np.zeros((58, 1024), np.float32),
                        "channel_mask": [True] * 58,
                        "emotion": EMOTIONS.index(e),
                        "subject": f"s{k % 4:02d}",
                        "session": 1,
                        "clip": EMOTIONS.index(e),
                        "segment": k,
                        "source": "synthetic",
                    }
                )
        rng.shuffle(rows)
        info = DatasetInfo(description="SYNTHETIC DATA — random segments for tests", features=features)
        return Dataset.from_list(rows, features=features, info=info)

    datasets.disable_progress_bars()
    DatasetDict({"train": split("train", n_train_per), "test": split("test", n_test_per)}).save_to_disk(str(path))
    return path


@pytest.fixture(scope="module")
def segments_dir(tmp_path_factory):
    return make_segments(tmp_path_factory.mktemp("segments") / "seg")


@pytest.fixture(scope="module")
def labels(segments_dir):
    """segment id → (split, emotion), read independently of e2llm.tasks."""
    from datasets import load_from_disk

    dd = load_from_disk(str(segments_dir))
    out = {}
    for split in dd:
        sub = dd[split].select_columns(["id", "emotion"])
        for sid, e in zip(sub["id"], sub["emotion"]):
            out[sid] = (split, EMOTIONS[e])
    return out


@pytest.fixture(scope="module")
def built(segments_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("tasks") / "tasks"
    build_task_datasets(segments_dir, out, seed=3, **SMALL)
    dd, info = load_task_datasets(out)
    return dd, info, out


@pytest.fixture(scope="module")
def rows(built):
    dd = built[0]
    return {split: list(dd[split]) for split in dd}


def user_text(sample, turn=0):
    users = [m for m in sample["messages"] if m["role"] == "user"]
    return message_text(users[turn])


# -- schema ----------------------------------------------------------------------------------------


def test_splits_columns_and_counts(built):
    dd, _, _ = built
    assert list(dd) == SPLITS
    for split in SPLITS:
        assert dd[split].column_names == COLUMNS
    assert dd["train"].num_rows == SMALL["n_train"]
    assert dd["train_sft"].num_rows == SMALL["n_train_sft"]
    assert dd["test_ied"].num_rows == 7 * 5  # one per test segment
    assert dd["test_multi"].num_rows == SMALL["n_multi"]
    assert dd["test_esr"].num_rows == SMALL["n_esr"]
    assert Counter(dd["train"]["task"]) == {"ied": 210, "epc": 210, "ess": 210, "eim": 210}
    assert Counter(dd["test_multi"]["task"]) == {"epc": 50, "ess": 50, "eim": 50}
    assert set(dd["test_esr"]["task"]) == {"esr"} and set(dd["test_ied"]["task"]) == {"ied"}
    ids = [i for split in ("train", "test_ied", "test_multi", "test_esr") for i in dd[split]["id"]]
    assert len(ids) == len(set(ids))


def test_messages_format(rows):
    for samples in rows.values():
        for s in samples:
            msgs = s["messages"]
            assert msgs[-1]["role"] == "assistant" and msgs[0]["role"] == "user"
            assert [m["role"] for m in msgs] == (
                ["user", "assistant"] * 2 if s["task"] == "esr" else ["user", "assistant"]
            )
            eeg_ids = []
            for m in msgs:
                for part in m["content"]:
                    assert set(part) == {"type", "text", "segment_id"}
                    if part["type"] == "eeg":
                        assert m["role"] == "user" and part["text"] is None and part["segment_id"]
                        eeg_ids.append(part["segment_id"])
                    else:
                        assert part["type"] == "text" and part["segment_id"] is None and part["text"]
                        assert "<eeg>" not in part["text"]
            assert eeg_ids == s["segment_ids"]
            assert len(eeg_ids) == {"ied": 1, "epc": 2}.get(s["task"], 3)
            assert prompt_messages(s) == msgs[:-1]


def test_emotions_column_matches_segment_labels(rows, labels):
    for samples in rows.values():
        for s in samples:
            assert s["emotions"] == [labels[i][1] for i in s["segment_ids"]]


# -- ground truth, verified against the segments' labels with the rules written out here ---------

HAPPINESS = {"happy": 2, "surprise": 1, "neutral": 0, "disgust": -1, "fear": -1, "sad": -1, "anger": -1}


def test_valence_words_rank_as_the_happiness_levels():
    """EPC's reasoning names valences: one word per happiness level, ranked as the levels."""
    scale = ["negative", "neutral", "mildly positive", "positive"]
    assert {e: scale.index(w) - 1 for e, w in templates.VALENCE_WORDS.items()} == HAPPINESS


def _ess_target(question):
    phrases = [(p, e, "most") for e, ps in templates.ESS_MOST.items() for p in ps]
    phrases += [(p, e, "least") for e, ps in templates.ESS_LEAST.items() for p in ps]
    hits = [(len(p), e, pol) for p, e, pol in phrases if p in question]
    assert hits, question
    _, emotion, polarity = max(hits)
    return emotion, polarity


def test_ground_truth_of_every_sample(rows, labels):
    eim_bank = {text: e for e, texts in templates.EIM_SCENARIOS.items() for text in texts}
    esr_bank = {text: e for e, text, _ in esr_scenarios()}
    seen = Counter()
    for samples in rows.values():
        for s in samples:
            emo = [labels[i][1] for i in s["segment_ids"]]
            task, answer = s["task"], s["answer"]
            seen[task] += 1
            if task == "ied":
                assert answer == emo[0]
            elif task == "epc":
                a, b = emo
                assert a == b or HAPPINESS[a] != HAPPINESS[b], "undecidable pair generated"
                expected = "equal" if a == b else ("yes" if HAPPINESS[a] > HAPPINESS[b] else "no")
                assert answer == expected
            elif task == "ess":
                target, polarity = _ess_target(user_text(s))
                fits = [o for o, e in zip("abc", emo) if (e == target) == (polarity == "most")]
                assert fits == [answer], (emo, target, polarity, answer)
            elif task == "eim":
                question = user_text(s)
                scen_emotions = []
                for k in (1, 2, 3):
                    found = [e for text, e in eim_bank.items() if f"{k}) {text}" in question]
                    assert len(found) == 1, question
                    scen_emotions.append(found[0])
                assert len(set(emo)) == 3 and sorted(emo) == sorted(scen_emotions)
                numbers = [scen_emotions.index(e) + 1 for e in emo]
                assert answer == ",".join(f"{o}{n}" for o, n in zip("abc", numbers))
            elif task == "esr":
                found = [e for text, e in esr_bank.items() if text in user_text(s, turn=1)]
                assert len(found) == 1
                assert len(set(emo)) == 3
                assert [o for o, e in zip("abc", emo) if e == found[0]] == [answer]
    assert set(seen) == {"ied", "epc", "ess", "eim", "esr"}


def test_reference_answers_parse_back_to_ground_truth(rows):
    for samples in rows.values():
        for s in samples:
            parsed = parse_answer(s["task"], reference_answer(s))
            assert parsed != INVALID and parsed == s["answer"], (s["id"], reference_answer(s))


def test_direct_answer_variant(segments_dir):
    direct = build_task_datasets(
        segments_dir, None, cot=False, seed=3, n_train=140, n_train_sft=40, n_multi=30, n_esr=14
    )
    for split in direct:
        for s in direct[split]:
            ref = reference_answer(s)
            assert s["cot"] is False
            assert "\n" not in ref and ref.startswith(("Emotion: ", "Answer: ", "Matching: "))
            assert parse_answer(s["task"], ref) == s["answer"]


def test_cot_answers_describe_then_conclude(rows):
    """The paper's chain of thought: each segment described (emotion first), the reasoning (one
    line; EIM one per situation), the answer line; short enough to keep training steps cheap."""
    for samples in rows.values():
        for s in samples:
            lines = reference_answer(s).split("\n")
            assert s["cot"] is True
            assert len(lines) >= 2 and lines[-1].startswith(("Emotion: ", "Answer: ", "Matching: "))
            described = [
                line for line in lines if re.match(r"(Segment \([abc]\)|Recording \([abc]\)|Individual [12]): \S", line)
            ]
            assert len(described) == {"ied": 0, "epc": 2, "ess": 3, "eim": 3, "esr": 0}[s["task"]]  # ESR: its T2
            for line, emotion in zip(described, s["emotions"]):
                assert line.split(": ", 1)[1].startswith(templates.EMOTION_NOUNS[emotion] + ", ")
                assert len(line.split()) <= 12
            assert len(lines) == {"ied": 2, "epc": 4, "ess": 5, "eim": 7, "esr": 2}[s["task"]]
            for line in lines:
                assert len(line.split()) <= 60


def test_cot_reasoning_agrees_with_the_answer(rows):
    """ESS/ESR: the reasoning line names the target emotion and the answer's segment; EIM: each
    situation is restated with its emotion and the segment the matching gives it; EPC: both
    emotions are restated with their valence, and the verdict is the answer's."""
    checked = Counter()
    for samples in rows.values():
        for s in samples:
            text = reference_answer(s)
            nouns = [templates.EMOTION_NOUNS[e] for e in s["emotions"]]
            if s["task"] == "ess":
                ((target, chosen),) = re.findall(
                    r"^The .+ (?:shows|does not show) (.+): segment \(([abc])\)\.$", text, flags=re.M
                )
                assert chosen == s["answer"], text
                shows = [noun == target for noun in nouns]
                assert shows.count(True) in (1, 2) and (shows["abc".index(chosen)] == (shows.count(True) == 1)), text
            elif s["task"] == "esr":
                ((target, chosen),) = re.findall(
                    r"^The scene hints at .+, so it suggests (.+): segment \(([abc])\)\.$", text, flags=re.M
                )
                assert chosen == s["answer"] and nouns["abc".index(chosen)] == target, text
            elif s["task"] == "eim":
                numbers = {letter: int(k) for letter, k in re.findall(r"\b([abc])(\d)", s["answer"])}
                situations = re.findall(r"^Situation (\d), (.+): ([^:]+) \(([abc])\)\.$", text, flags=re.M)
                assert [k for k, _, _, _ in situations] == ["1", "2", "3"], text
                for k, scenario, noun, o in situations:  # the scenario restated, its emotion, its segment
                    assert f"{k}) {scenario}" in message_text(s["messages"][0]), text
                    assert numbers[o] == int(k) and nouns["abc".index(o)] == noun, text
            elif s["task"] == "epc":  # both emotions with their valence, the valences compared, the verdict
                ((first, v1, second, v2, comparison),) = re.findall(
                    r"^(.+) is (.+) and (.+) is ([a-z ]+)\. (.+)$", text, flags=re.M
                )
                assert [first[0].lower() + first[1:], second] == nouns, text
                assert [v1, v2] == [templates.VALENCE_WORDS[e] for e in s["emotions"]], text
                expected = {
                    "yes": f"{v1.capitalize()} is happier than {v2}, so the first individual is happier.",
                    "no": f"{v1.capitalize()} is less happy than {v2}, so the second individual is happier.",
                    "equal": "Both are the same emotion, so neither is happier.",
                }
                assert comparison == expected[s["answer"]], text
            else:
                continue
            checked[s["task"]] += 1
    assert checked["ess"] and checked["eim"] and checked["esr"] and checked["epc"]


# -- split hygiene and ESR held out ---------------------------------------------------------------


def test_every_sample_uses_segments_of_its_own_split(rows, labels):
    for split, samples in rows.items():
        want = "train" if split.startswith("train") else "test"
        for s in samples:
            assert {labels[i][0] for i in s["segment_ids"]} == {want}
            assert len(set(s["segment_ids"])) == len(s["segment_ids"])


def test_no_test_segment_in_training(rows, labels):
    test_ids = {i for i, (split, _) in labels.items() if split == "test"}
    for split in ("train", "train_sft"):
        for s in rows[split]:
            assert not test_ids & set(s["segment_ids"])


def _all_text(sample):
    return "\n".join(message_text(m) for m in sample["messages"])


def test_no_esr_scenario_in_training_text(rows):
    scenarios = esr_scenarios()
    assert len({t for _, t, _ in scenarios}) == len(scenarios) >= 167
    # the fixed part of each scenario template (filler removed) and its justification cue
    fragments = [
        piece.strip()
        for entries in templates.ESR_SCENARIOS.values()
        for t, _, cue in entries
        for piece in (*t.split("{}"), cue)
        if len(piece.strip()) > 25
    ]
    train_text = "\n".join(_all_text(s) for split in ("train", "train_sft") for s in rows[split]).lower()
    assert "family gathering" not in train_text
    for fragment in fragments:
        assert fragment.lower() not in train_text, fragment
    assert all(s["task"] != "esr" for split in ("train", "train_sft") for s in rows[split])


def test_esr_turns(rows):
    s = rows["test_esr"][0]
    t1, t2 = esr_turns(s)
    assert t1 == [s["messages"][0]] and t2 == s["messages"][2] and t2["role"] == "user"
    assert [p["segment_id"] for p in t1[0]["content"] if p["type"] == "eeg"] == s["segment_ids"]
    assert all(p["type"] == "text" for p in t2["content"])
    with pytest.raises(ValueError):
        esr_turns(rows["test_multi"][0])


def test_esr_items_are_distinct(rows):
    texts = [user_text(s, turn=1) for s in rows["test_esr"]]
    assert len(texts) == 167 and len(set(texts)) == 167
    assert "At a family gathering" in "".join(t for _, t, _ in esr_scenarios())
    assert not set(templates.EIM_SCENARIOS["sad"]) & {t for _, t, _ in esr_scenarios()}


# -- balance ---------------------------------------------------------------------------------------

# Stated tolerances: each emotion's share of a task's EEG segment slots is within 5% (relative) of
# 1/7 for training sets of ≥ 2,500 samples per task and within 25% for the ~170-sample test sets;
# answer options within 2% of uniform on the full-size training set.


def _max_rel_dev(counter):
    total = sum(counter.values())
    return max(abs(v * len(counter) / total - 1) for v in counter.values())


@pytest.fixture(scope="module")
def full_size():
    train = SegmentIndex([f"tr{i}" for i in range(700)], [EMOTIONS[i % 7] for i in range(700)], name="train")
    test = SegmentIndex([f"te{i}" for i in range(140)], [EMOTIONS[i % 7] for i in range(140)], name="test")
    return build_task_samples(train, test, seed=0)  # the paper's counts


def test_paper_counts_and_balance(full_size):
    counts = task_counts(full_size)
    assert counts["samples"]["train"] == {"ied": 2500, "epc": 2500, "ess": 2500, "eim": 2500}
    assert counts["samples"]["train_sft"] == {"ied": 750, "epc": 750, "ess": 750, "eim": 750}
    assert counts["samples"]["test_ied"] == {"ied": 140}
    assert counts["samples"]["test_multi"] == {"epc": 167, "ess": 167, "eim": 166}
    assert counts["samples"]["test_esr"] == {"esr": 167}
    for task in ("ied", "epc", "ess", "eim"):
        assert _max_rel_dev(counts["emotions"]["train"][task]) < 0.05, task
        assert _max_rel_dev(counts["emotions"]["train_sft"][task]) < 0.10, task
        if task != "ied":
            assert _max_rel_dev(counts["answers"]["train"][task]) < 0.02, task
    assert len(counts["answers"]["train"]["epc"]) == 3 and len(counts["answers"]["train"]["eim"]) == 6
    for split, task in (("test_multi", "epc"), ("test_multi", "ess"), ("test_multi", "eim"), ("test_esr", "esr")):
        assert _max_rel_dev(counts["emotions"][split][task]) < 0.25, (split, task)
        assert _max_rel_dev(counts["answers"][split][task]) < 0.25, (split, task)
    ids = {s["id"] for s in full_size["train"]}
    assert {s["id"] for s in full_size["train_sft"]} <= ids


def test_esr_scenario_emotions_balanced(full_size):
    bank = {text: e for e, text, _ in esr_scenarios()}
    targets = Counter(next(bank[t] for t in bank if t in user_text(s, turn=1)) for s in full_size["test_esr"])
    assert set(targets) == set(EMOTIONS) and max(targets.values()) - min(targets.values()) <= 1


# -- determinism, saving, errors, CLI --------------------------------------------------------------


def test_deterministic_for_a_seed(segments_dir):
    kw = dict(n_train=120, n_train_sft=40, n_multi=30, n_esr=20)
    a = build_task_datasets(segments_dir, None, seed=5, **kw)
    b = build_task_datasets(segments_dir, None, seed=5, **kw)
    c = build_task_datasets(segments_dir, None, seed=6, **kw)
    for split in SPLITS:
        assert a[split].to_list() == b[split].to_list()
    assert a["train"].to_list() != c["train"].to_list()


def test_saved_info_and_synthetic_flag(built, segments_dir):
    dd, info, out = built
    assert (
        info["seed"] == 3
        and info["cot"] is True
        and info["synthetic"] is True
        and info["version"] == TASKS_FORMAT_VERSION == 9
    )
    assert info["segments_dir"] == str(Path(segments_dir).resolve()) and os.path.isabs(info["segments_dir"])
    assert info["counts"]["samples"]["train"] == {"ied": 210, "epc": 210, "ess": 210, "eim": 210}
    assert sum(info["counts"]["emotions"]["test_ied"]["ied"].values()) == 35
    assert set(info["counts"]["emotions"]["train"]["eim"]) == set(EMOTIONS)
    for split in SPLITS:
        assert dd[split].info.description.startswith("SYNTHETIC DATA — ")
    assert json.loads((out / "tasks_info.json").read_text())["params"]["n_esr"] == 167
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temporary leftovers


def test_rebuild_replaces_previous_build_and_refuses_foreign_dirs(segments_dir, tmp_path):
    out = tmp_path / "tasks"
    kw = dict(n_train=40, n_train_sft=8, n_multi=9, n_esr=7, n_test_ied=14)
    build_task_datasets(segments_dir, out, seed=1, **kw)
    build_task_datasets(segments_dir, out, seed=2, **kw)
    dd, info = load_task_datasets(out)
    assert info["seed"] == 2 and dd["test_ied"].num_rows == 14
    assert Counter(dd["test_ied"]["answer"]) == {e: 2 for e in EMOTIONS}  # stratified subset
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("x")
    with pytest.raises(FileExistsError):
        build_task_datasets(segments_dir, foreign, **kw)
    assert (foreign / "keep.txt").read_text() == "x"


def test_interrupted_save_leaves_previous_build(segments_dir, tmp_path, monkeypatch):
    from datasets import DatasetDict

    out = tmp_path / "tasks"
    kw = dict(n_train=40, n_train_sft=8, n_multi=9, n_esr=7)
    build_task_datasets(segments_dir, out, seed=1, **kw)

    def boom(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(DatasetDict, "save_to_disk", boom)
    with pytest.raises(OSError, match="disk full"):
        build_task_datasets(segments_dir, out, seed=9, **kw)
    assert load_task_datasets(out)[1]["seed"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tasks"]


def test_errors(segments_dir, tmp_path):
    with pytest.raises(ValueError, match="subset"):
        build_task_datasets(segments_dir, None, n_train=10, n_train_sft=20)
    with pytest.raises(ValueError, match="non-negative"):
        build_task_datasets(segments_dir, None, n_train=-1)
    with pytest.raises(FileNotFoundError):
        build_task_datasets(tmp_path / "missing", None)
    two = make_segments(tmp_path / "two", n_train_per=4, n_test_per=3, emotions=("happy", "sad"))
    with pytest.raises(ValueError, match="EIM"):
        build_task_datasets(two, None, n_train=40, n_train_sft=0, n_multi=0, n_esr=0)
    index = SegmentIndex(["a", "b", "c"], ["happy", "sad", "fear"], name="test")
    with pytest.raises(ValueError, match="ESR bank"):
        build_esr(index, 250)
    with pytest.raises(ValueError, match="EIM"):
        build_eim(SegmentIndex(["a", "b"], ["happy", "sad"]), 5)


def test_small_split_with_two_emotions_supplies_what_it_can(tmp_path):
    index = SegmentIndex([f"x{i}" for i in range(6)], ["happy", "sad"] * 3, name="train")
    from e2llm.tasks import build_epc, build_ess, build_ied

    assert {s["answer"] for s in build_epc(index, 30)} == {"yes", "no", "equal"}
    assert {s["answer"] for s in build_ied(index, 10)} == {"happy", "sad"}
    ess = build_ess(index, 12)  # only "least" questions are decidable with two emotions
    assert ess and all("least" in user_text(s) for s in ess)


def test_cli_build_tasks(segments_dir, tmp_path, capsys):
    from e2llm.cli import main

    out = tmp_path / "cli"
    rc = main(
        [
            "build-tasks",
            str(segments_dir),
            "--out",
            str(out),
            "--no-cot",
            "--seed",
            "4",
            "--n-train",
            "80",
            "--n-sft",
            "20",
            "--n-multi",
            "12",
            "--n-esr",
            "7",
        ]
    )
    assert rc == 0
    printed = capsys.readouterr().out
    assert "SYNTHETIC DATA" in printed and "test_esr" in printed and "happy" in printed
    dd, info = load_task_datasets(out)
    assert info["cot"] is False and info["seed"] == 4 and dd["train"].num_rows == 80 and dd["train_sft"].num_rows == 20
    rc = main(["build-tasks", str(tmp_path / "nope"), "--out", str(tmp_path / "x")])
    assert rc == 2 and "error" in capsys.readouterr().err


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_leftovers_of_a_killed_build_are_cleaned_but_not_another_hosts(segments_dir, tmp_path):
    """`.tasks.tmp-*` / `.tasks.old-*` left by a kill -9 of build-tasks were never cleaned; now the
    next build removes this host's (process gone) and keeps those named for another host."""
    from e2llm.runs.atomic import _owner_tag

    host, pid = _owner_tag().split("-")[0], _dead_pid()
    ours = [tmp_path / f".tasks.tmp-{host}-{pid}-0badf00d", tmp_path / f".tasks.old-{host}-{pid}-0badf00d"]
    theirs = [tmp_path / f".tasks.tmp-otherhost-{pid}-0badf00d", tmp_path / f".tasks.old-otherhost-{pid}-0badf00d"]
    for d in ours + theirs:
        d.mkdir()
        (d / "dataset_dict.json").write_text("{}")
    build_task_datasets(segments_dir, tmp_path / "tasks", n_train=40, n_train_sft=8, n_multi=9, n_esr=7)
    assert not any(p.exists() for p in ours) and all((p / "dataset_dict.json").exists() for p in theirs)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == sorted(p.name for p in theirs)


@pytest.mark.slow
def test_a_killed_build_leaves_the_previous_one_and_the_next_build_cleans_up(segments_dir, tmp_path):
    """kill -9 in the middle of saving: the previous build stays, and the rerun leaves no temporary folder."""
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "tasks"
    kw = {"n_train": 40, "n_train_sft": 8, "n_multi": 9, "n_esr": 7}
    build_task_datasets(segments_dir, out, seed=1, **kw)
    code = (
        "import time, datasets\n"
        "from e2llm.tasks import build_task_datasets\n"
        "def hang(self, path, *a, **k):\n"
        "    import pathlib; (pathlib.Path(path) / 'partial').write_text('x'); print('saving', flush=True); time.sleep(60)\n"
        "datasets.DatasetDict.save_to_disk = hang\n"
        f"build_task_datasets({str(segments_dir)!r}, {str(out)!r}, seed=9, **{kw!r})\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "saving"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    left = [p.name for p in tmp_path.iterdir() if p.name.startswith(".tasks.tmp-")]
    assert left and load_task_datasets(out)[1]["seed"] == 1
    time.sleep(0.01)
    build_task_datasets(segments_dir, out, seed=2, **kw)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tasks"] and load_task_datasets(out)[1]["seed"] == 2


def test_pseudonymized_flag_is_copied_from_the_segments(segments_dir, tmp_path):
    """tasks_info.json says whether the segment ids are pseudonyms (prepare --pseudonymize), as the
    segments' summary.json does (the model card reads it)."""
    import shutil

    kw = {"n_train": 40, "n_train_sft": 8, "n_multi": 9, "n_esr": 7}
    build_task_datasets(segments_dir, tmp_path / "plain", **kw)
    assert load_task_datasets(tmp_path / "plain")[1]["pseudonymized"] is False
    pseudo = tmp_path / "pseudo-segments"
    shutil.copytree(segments_dir, pseudo)
    (pseudo / "summary.json").write_text(json.dumps({"format": "e2llm-segments", "pseudonymized": True}))
    build_task_datasets(pseudo, tmp_path / "pseudo", **kw)
    assert load_task_datasets(tmp_path / "pseudo")[1]["pseudonymized"] is True


def test_ensure_task_datasets_reuses_a_build_of_the_same_settings(segments_dir, tmp_path):
    from e2llm.tasks import ensure_task_datasets

    out, counts = tmp_path / "tasks", dict(n_train=40, n_train_sft=8, n_multi=15, n_esr=7, n_test_ied=7)
    assert ensure_task_datasets(segments_dir, out, seed=3, **counts) is True
    assert ensure_task_datasets(segments_dir, out, seed=3, **counts) is False
    assert ensure_task_datasets(segments_dir, out, seed=3, cot=False, **counts) is True  # another build: made again
    assert load_task_datasets(out)[1]["cot"] is False
    assert ensure_task_datasets(segments_dir, out, seed=4, cot=False, **counts) is True
    with pytest.raises(ValueError, match="unknown task counts"):
        ensure_task_datasets(segments_dir, out, n_tests=3)
