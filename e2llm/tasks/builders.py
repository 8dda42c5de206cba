"""Instruction samples for the five tasks, built from a segments dataset, as chat ``messages``.

A sample is a dict with the columns of :data:`FEATURES`:

- ``id``: ``"<split>-<task>-<nnnnn>"`` (the stage-3 subset ``train_sft`` reuses ``train`` ids);
- ``task``: ``"ied"``, ``"epc"``, ``"ess"``, ``"eim"`` or ``"esr"``;
- ``messages``: the Hugging Face multimodal chat format; every content part has the three keys
  ``type`` (``"text"`` or ``"eeg"``), ``text`` and ``segment_id`` (the unused one is ``None``). A
  user turn holds ``{"type": "eeg", "segment_id": ...}`` parts where the EEG goes; the chat
  template renders each as ``<eeg>``. The **last message is always the assistant's reference
  answer**; the prompt is ``messages[:-1]`` (:func:`prompt_messages`). ESR holds both turns: user T1
  (describe three segments), assistant T1 (reference descriptions), user T2 (scenario and
  question), assistant T2 (reference answer). The assistant T1 turn is a *reference*: an honest
  evaluation replaces it with the model's own T1 generation before asking T2, since the
  reference descriptions name the emotions;
- ``answer``: the canonical ground truth (see :mod:`e2llm.tasks.rules`);
- ``segment_ids``: the segments in order of appearance; ``emotions``: their labels;
- ``cot``: whether the reference answer has chain-of-thought descriptions before its conclusion
  line (the direct-answer variant, for the "w/o CoT" ablation, has the conclusion line only).

Sampling (all deterministic for a seed; each task of each split draws from its own stream)
-------------------------------------------------------------------------------------------
Segments are drawn per emotion from shuffled pools that are used up before any segment repeats,
and the segments of one sample are distinct. Plans (which emotions, which answer) are drawn from
*cyclers*: a cycler shuffles a block of items, hands them out one by one and reshuffles when the
block is used up, so any run of samples is balanced up to one partial block.

- IED: the label cycles over the seven emotions (train); on the test split one sample per
  segment, in the dataset's order (or a subset stratified by emotion when ``n`` is given).
- EPC: the answer cycles over yes / no / equal. For yes (no) the (higher, lower) emotion pair
  cycles over the 15 ordered pairs with different happiness levels (first or second segment the
  higher one). For equal the emotion cycles over a block where each negative emotion has weight 8
  and happy, surprise and neutral weight 1; with these weights each emotion fills 1/7 of EPC's
  segment slots in expectation.
- ESS: the target emotion cycles over the seven, "most"/"least" over {most, most, least} and the
  answer's position over a, b, c; for "most", the other two segments have two distinct other
  emotions, for "least" the third segment has one other emotion: the least used so far (ties at
  random). Each emotion fills about 1/7 of the slots.
- EIM: the set of three emotions cycles over the 35 sets of three distinct emotions, the matching
  over the six permutations; scenario texts cycle per emotion over the EIM bank.
- ESR: the scenario's emotion cycles over the seven emotions, scenario texts are distinct within
  the split (spread over the bank's entries before any entry is reused with another filler), the
  two other segments have two distinct other emotions, the least used so far (ties at random),
  the answer position cycles over a, b, c.

Balance is over tasks (``n_train`` split evenly over the four training tasks, ``n_multi`` over
EPC, ESS, EIM) and over emotions (each emotion's share of the segment slots of a task ≈ 1/7); the
``train_sft`` subset is stratified by (answer, set of emotions) within each task, so it keeps the
balance of ``train``.

Chain of thought (``cot=True``)
-------------------------------
The segments are described first, as in the paper ("first describing individual emotional states
before providing final conclusions"), then one line of reasoning reads the conclusion off those
descriptions, then the answer line. A pretrained LM follows a short chain as well as a long one,
and every token saved is a cheaper training step, so multi-segment answers describe each segment
in a few words (``templates.SHORT_DESCRIPTIONS``); IED's answer is one full sentence.

- every segment line names the emotion first, then describes it
  (``Segment (b): sadness, low energy and sorrow.``; EPC: ``Individual 2: …``);
- IED: a sentence describing the state, then ``Emotion: <label>``;
- EPC: a sentence comparing the two happiness levels, then ``Answer: yes|no|equal``;
- ESS: the target and the segment that has it (``The least fearful does not show fear: segment
  (c).``), then ``Answer: (c)``;
- EIM: the segments as ``Recording (a): …``, then per situation its emotion and that segment's
  letter (``Situation 1 suggests fear (c), situation 2 anger (a), situation 3 sadness (b).``), then
  ``Matching: a→2, b→3, c→1``;
- ESR (reference only, never trained on): T1 the segment lines; T2 the emotion the scene suggests
  and the segment that shows it (``The scene hints at <cue>, so it suggests sadness: segment
  (b).``), then ``Answer: (b)``.
"""

from __future__ import annotations

import json
import os
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations, permutations
from pathlib import Path
from typing import Any

from ..configuration_e2llm import EMOTIONS
from ..eeg.synthetic import SYNTHETIC_PREFIX, is_synthetic_description
from . import rules, templates
from .rules import EPC_ANSWERS, HAPPINESS, MULTI_TASKS, NEGATIVE_EMOTIONS, OPTIONS, TASKS, TRAIN_TASKS

# 2: a verdict on each option; 3: the segments described first, then the reasoning; 4: short
# segment descriptions and one reasoning line (for a pretrained LM)
# 5: EIM's segment lines named "Recording (a)"
TASKS_FORMAT_VERSION = 5
SPLITS: tuple[str, ...] = ("train", "train_sft", "test_ied", "test_multi", "test_esr")
INFO_FILE = "tasks_info.json"


def _features():
    from datasets import Features, List, Value

    part = {"type": Value("string"), "text": Value("string"), "segment_id": Value("string")}
    return Features(
        {
            "id": Value("string"),
            "task": Value("string"),
            "messages": List({"role": Value("string"), "content": List(part)}),
            "answer": Value("string"),
            "segment_ids": List(Value("string")),
            "cot": Value("bool"),
            "emotions": List(Value("string")),
        }
    )


# -- segments --------------------------------------------------------------------------------------


@dataclass
class SegmentIndex:
    """The ids and emotion labels of one split of a segments dataset (no EEG arrays).

    Args:
        ids: segment ids, in the dataset's order.
        emotions: their emotion names (each in :data:`EMOTIONS`).
        name: the split's name, for messages and sample ids.
    """

    ids: list[str]
    emotions: list[str]
    name: str = "train"
    by_emotion: dict[str, list[str]] = field(init=False)

    def __post_init__(self):
        if len(self.ids) != len(self.emotions):
            raise ValueError("ids and emotions differ in length")
        if len(set(self.ids)) != len(self.ids):
            raise ValueError(f"segment ids of split {self.name!r} are not unique")
        self.by_emotion = {e: [] for e in EMOTIONS}
        for sid, emotion in zip(self.ids, self.emotions):
            if emotion not in self.by_emotion:
                raise ValueError(f"segment {sid!r} has unknown emotion {emotion!r}; expected one of {EMOTIONS}")
            self.by_emotion[emotion].append(sid)

    @classmethod
    def from_dataset(cls, dataset, name: str = "train") -> SegmentIndex:
        """Read ``id`` and ``emotion`` of a segments ``datasets.Dataset`` (never its arrays)."""
        from datasets import ClassLabel

        missing = {"id", "emotion"} - set(dataset.column_names)
        if missing:
            raise ValueError(f"segments split {name!r} lacks column(s) {sorted(missing)}")
        sub = dataset.select_columns(["id", "emotion"])
        ids = [str(i) for i in sub["id"]]
        labels = list(sub["emotion"])
        feature = dataset.features["emotion"]
        if isinstance(feature, ClassLabel):
            labels = [feature.int2str(int(v)) for v in labels]
        return cls(ids, [str(v) for v in labels], name=name)

    def count(self, emotion: str) -> int:
        return len(self.by_emotion[emotion])

    def available(self, minimum: int = 1) -> list[str]:
        """Emotions with at least ``minimum`` segments, in :data:`EMOTIONS` order."""
        return [e for e in EMOTIONS if self.count(e) >= minimum]


class _Cycler:
    """Hands out the items of a block in shuffled order, reshuffling each time it is used up."""

    def __init__(self, items: Sequence, rng: random.Random, what: str):
        self.items, self.rng, self.queue = list(items), rng, []
        if not self.items:
            raise ValueError(f"nothing to build {what} from")

    def __next__(self):
        if not self.queue:
            self.queue = list(self.items)
            self.rng.shuffle(self.queue)
        return self.queue.pop()


class _Pools:
    """Segment draws per emotion: each emotion's segments are used up before any repeats."""

    def __init__(self, index: SegmentIndex, rng: random.Random):
        self.index, self.rng = index, rng
        self.queues: dict[str, list[str]] = {e: [] for e in EMOTIONS}

    def draw(self, emotion: str, exclude: Iterable[str] = ()) -> str:
        exclude = set(exclude)
        pool = self.index.by_emotion[emotion]
        if len(set(pool) - exclude) == 0:
            raise ValueError(f"split {self.index.name!r} has too few {emotion!r} segments")
        queue = self.queues[emotion]
        for _ in range(2):
            for i in range(len(queue) - 1, -1, -1):
                if queue[i] not in exclude:
                    return queue.pop(i)
            fresh = list(pool)
            self.rng.shuffle(fresh)
            queue[:0] = fresh  # drawn from the end: the old remainder goes first
        raise AssertionError("unreachable")

    def draw_many(self, emotions: Sequence[str]) -> list[str]:
        out: list[str] = []
        for e in emotions:
            out.append(self.draw(e, exclude=out))
        return out


# -- message parts ---------------------------------------------------------------------------------


def _text(text: str) -> dict:
    return {"type": "text", "text": text, "segment_id": None}


def _eeg(segment_id: str) -> dict:
    return {"type": "eeg", "text": None, "segment_id": segment_id}


def _user(template: str, segment_ids: Sequence[str], **fields: str) -> dict:
    """A user turn from ``template``: ``{e1}``..``{e3}`` become EEG parts, other ``{name}`` fields
    are replaced by ``fields``."""
    import re

    parts: list[dict] = []
    pieces = re.split(r"\{e([123])\}", template)
    for k, piece in enumerate(pieces):
        if k % 2:
            parts.append(_eeg(segment_ids[int(piece) - 1]))
            continue
        for name, value in fields.items():
            piece = piece.replace("{" + name + "}", value)
        if piece:
            parts.append(_text(piece))
    return {"role": "user", "content": parts}


def _assistant(text: str) -> dict:
    return {"role": "assistant", "content": [_text(text)]}


def _sample(split: str, task: str, i: int, messages, answer, segment_ids, emotions, cot) -> dict:
    return {
        "id": f"{split}-{task}-{i:05d}",
        "task": task,
        "messages": messages,
        "answer": answer,
        "segment_ids": list(segment_ids),
        "cot": bool(cot),
        "emotions": list(emotions),
    }


def _least_used(candidates: Sequence[str], k: int, used: Counter, rng: random.Random) -> list[str]:
    """``k`` distinct candidates, the least used so far first (ties at random), in random order;
    updates ``used``. Keeps the emotions of distractor segments balanced."""
    ranked = sorted(candidates, key=lambda e: (used[e], rng.random()))[:k]
    rng.shuffle(ranked)
    used.update(ranked)
    return ranked


def _rng(seed: int, split: str, task: str) -> random.Random:
    return random.Random(f"e2llm-tasks:{seed}:{split}:{task}")


def _describe(rng: random.Random, emotion: str) -> str:
    return rng.choice(templates.DESCRIPTIONS[emotion])


def segment_lines(rng, emotions: Sequence[str], cot: bool, name: str = "Segment") -> list[str]:
    """``Segment (a): …`` lines for options a, b, c (the T1 answer of ESR, the start of ESS/EIM):
    the emotion first, then a short description (``Segment (a): sadness, low energy and sorrow.``).
    EIM names them ``Recording (a)``: its answer then differs from ESS's from its first token,
    right after the question, instead of only at the reasoning line after the three descriptions
    (a 135M LM trained for 96 steps answered EIM questions in ESS's layout when both began alike)."""
    if cot:
        return [f"{name} ({o}): {templates.EMOTION_NOUNS[e]}, {rng.choice(templates.SHORT_DESCRIPTIONS[e])}."
                for o, e in zip(OPTIONS, emotions)]  # fmt: skip
    return [f"{name} ({o}): {e}" for o, e in zip(OPTIONS, emotions)]


# -- the five builders -----------------------------------------------------------------------------


def build_ied(index: SegmentIndex, n: int | None = None, *, cot: bool = True, seed: int = 0) -> list[dict]:
    """Individual Emotion Description: one segment → description, then ``Emotion: <label>``.

    ``n=None`` gives one sample per segment, in the split's order (the test protocol); otherwise
    ``n`` samples whose labels cycle over the emotions the split has (balanced).
    """
    rng = _rng(seed, index.name, "ied")
    if n is None:
        plan = list(zip(index.ids, index.emotions))
    else:
        labels = _Cycler(index.available(), rng, f"IED samples of split {index.name!r}")
        pools = _Pools(index, rng)
        plan = []
        for _ in range(n):
            e = next(labels)
            plan.append((pools.draw(e), e))
    out = []
    for i, (sid, emotion) in enumerate(plan):
        answer = rules.ied_answer(emotion)
        reply = rules.conclusion("ied", answer)
        if cot:
            reply = _describe(rng, emotion) + "\n" + reply
        messages = [_user(rng.choice(templates.IED_QUESTIONS), [sid]), _assistant(reply)]
        out.append(_sample(index.name, "ied", i, messages, answer, [sid], [emotion], cot))
    return out


_EPC_REASON = {
    "yes": "The first individual is in a happier state than the second.",
    "no": "The second individual is in a happier state than the first.",
    "equal": "Both show the same emotional state, so neither is happier.",
}
_EPC_EQUAL_WEIGHT = {"happy": 1, "surprise": 1, "neutral": 1} | {e: 8 for e in NEGATIVE_EMOTIONS}


def build_epc(index: SegmentIndex, n: int, *, cot: bool = True, seed: int = 0) -> list[dict]:
    """Emotion Pairwise Comparison: "Is the individual with EEG 1 happier than the one with EEG 2?"

    Answers ``yes`` / ``no`` / ``equal`` by the happiness levels of :mod:`e2llm.tasks.rules`; pairs
    of two different negative emotions are undecidable and never drawn.
    """
    rng = _rng(seed, index.name, "epc")
    have = index.available()
    strict = [(h, lo) for h in have for lo in have if HAPPINESS[h] > HAPPINESS[lo]]
    equal = [e for e in index.available(2) for _ in range(_EPC_EQUAL_WEIGHT[e])]
    cyclers = {}
    if strict:
        cyclers["yes"] = _Cycler(strict, rng, "EPC")
        cyclers["no"] = _Cycler([(lo, h) for h, lo in strict], rng, "EPC")
    if equal:
        cyclers["equal"] = _Cycler([(e, e) for e in equal], rng, "EPC")
    if n and not cyclers:
        raise ValueError(f"split {index.name!r} cannot supply EPC samples: it needs two emotions of different "
                         "happiness or two segments of one emotion")
    answers = _Cycler([a for a in EPC_ANSWERS if a in cyclers], rng, "EPC") if cyclers else None
    pools = _Pools(index, rng)
    out = []
    for i in range(n):
        planned = next(answers)
        emotions = next(cyclers[planned])
        answer = rules.epc_answer(*emotions)
        assert answer == planned, (emotions, answer, planned)
        sids = pools.draw_many(emotions)
        question = rng.choice(templates.EPC_QUESTIONS) + rng.choice(templates.EPC_ANSWER_HINTS)
        lines = []
        if cot:
            lines = [f"Individual {k}: {templates.EMOTION_NOUNS[e]}, {rng.choice(templates.SHORT_DESCRIPTIONS[e])}."
                     for k, e in enumerate(emotions, start=1)]  # fmt: skip
            lines.append(_EPC_REASON[answer])
        reply = "\n".join(lines + [rules.conclusion("epc", answer)])
        messages = [_user(question, sids), _assistant(reply)]
        out.append(_sample(index.name, "epc", i, messages, answer, sids, emotions, cot))
    return out


def build_ess(index: SegmentIndex, n: int, *, cot: bool = True, seed: int = 0) -> list[dict]:
    """Emotion Superlative Selection: three segments, select the most (or least) <emotion> one.

    "Most X": exactly one segment is labelled X. "Least X": exactly two are, and the answer is the
    third. Answer: the option letter ``a``, ``b`` or ``c``.
    """
    rng = _rng(seed, index.name, "ess")
    have = index.available()
    # "most x" needs two other emotions; "least x" two segments of x and one other emotion
    feasible = {x: [p for p, ok in (("most", len(have) >= 3), ("least", index.count(x) >= 2 and len(have) >= 2)) if ok]
                for x in have}
    targets = [x for x in have if feasible[x]]
    if n and not targets:
        raise ValueError(f"split {index.name!r} cannot supply ESS samples: it needs at least three emotions, "
                         "or two emotions with two segments of one of them")
    target_cycler = _Cycler(targets, rng, "ESS") if targets else None
    polarities = _Cycler(("most", "most", "least"), rng, "ESS")
    positions = _Cycler(range(3), rng, "ESS")
    pools, used = _Pools(index, rng), Counter()
    out = []
    for i in range(n):
        x, polarity, pos = next(target_cycler), next(polarities), next(positions)
        if polarity not in feasible[x]:
            polarity = feasible[x][0]
        others = [e for e in have if e != x]
        if polarity == "most":
            rest = _least_used(others, 2, used, rng)
            emotions = rest[:pos] + [x] + rest[pos:]
        else:
            emotions = [x, x]
            emotions.insert(pos, _least_used(others, 1, used, rng)[0])
        answer = rules.ess_answer(emotions, x, polarity)
        assert answer == OPTIONS[pos], (emotions, x, polarity, answer)
        sids = pools.draw_many(emotions)
        sup = rng.choice((templates.ESS_MOST if polarity == "most" else templates.ESS_LEAST)[x])
        lines = []
        if cot:  # describe the segments; the target and the segment that has it
            wanted = "shows" if polarity == "most" else "does not show"
            lines = segment_lines(rng, emotions, True)
            lines.append(f"{sup[0].upper() + sup[1:]} {wanted} {templates.EMOTION_NOUNS[x]}: segment ({answer}).")
        reply = "\n".join(lines + [rules.conclusion("ess", answer)])
        messages = [_user(rng.choice(templates.ESS_QUESTIONS), sids, sup=sup), _assistant(reply)]
        out.append(_sample(index.name, "ess", i, messages, answer, sids, emotions, cot))
    return out


def build_eim(index: SegmentIndex, n: int, *, cot: bool = True, seed: int = 0) -> list[dict]:
    """Emotion Individual Matching: match three segments (three distinct emotions) to three
    scenarios of the same three emotions. Answer: ``"a2,b1,c3"`` (see :mod:`e2llm.tasks.rules`)."""
    rng = _rng(seed, index.name, "eim")
    have = index.available()
    if n and len(have) < 3:
        raise ValueError(f"split {index.name!r} cannot supply EIM samples: it has {len(have)} emotion(s), needs 3")
    triples = _Cycler(list(combinations(have, 3)), rng, "EIM") if len(have) >= 3 else None
    matchings = _Cycler(list(permutations((1, 2, 3))), rng, "EIM")
    scenarios = {e: _Cycler(templates.EIM_SCENARIOS[e], rng, "EIM") for e in EMOTIONS}
    pools = _Pools(index, rng)
    out = []
    for i in range(n):
        emotions = list(next(triples))
        rng.shuffle(emotions)
        numbers = next(matchings)  # scenario number of segment a, b, c
        scen_emotions = [None] * 3
        for e, k in zip(emotions, numbers):
            scen_emotions[k - 1] = e
        answer = rules.eim_answer(emotions, scen_emotions)
        assert answer == rules.format_matching(numbers), (emotions, scen_emotions, answer)
        sids = pools.draw_many(emotions)
        texts = [next(scenarios[e]) for e in scen_emotions]
        listing = ", ".join(f"{k}) {text}" for k, text in enumerate(texts, start=1))
        lines = []
        if cot:  # describe the segments; per situation its emotion and that segment's letter
            nouns = templates.EMOTION_NOUNS
            lines = segment_lines(rng, emotions, True, name="Recording")
            steps = [f"situation {k}{' suggests' if k == 1 else ''} {nouns[e]} ({OPTIONS[emotions.index(e)]})"
                     for k, e in enumerate(scen_emotions, start=1)]  # fmt: skip
            summary = ", ".join(steps)
            lines.append(summary[0].upper() + summary[1:] + ".")
        reply = "\n".join(lines + [rules.conclusion("eim", answer)])
        messages = [_user(rng.choice(templates.EIM_QUESTIONS), sids, scenarios=listing), _assistant(reply)]
        out.append(_sample(index.name, "eim", i, messages, answer, sids, emotions, cot))
    return out


def esr_scenarios() -> list[tuple[str, str, str]]:
    """Every ESR scenario text of the bank as ``(emotion, text, cue)`` (210 distinct texts)."""
    return [(e, t.format(filler), cue) for e, entries in templates.ESR_SCENARIOS.items()
            for t, fillers, cue in entries for filler in fillers]


def build_esr(index: SegmentIndex, n: int, *, cot: bool = True, seed: int = 0) -> list[dict]:
    """Emotion Scenario Reasoning (evaluation only): T1 describe three segments (three distinct
    emotions); T2 a scenario of one of those emotions → the segment that fits, with a
    justification. Answer: the option letter. Scenario texts are distinct within the split."""
    rng = _rng(seed, index.name, "esr")
    have = index.available()
    if n and len(have) < 3:
        raise ValueError(f"split {index.name!r} cannot supply ESR samples: it has {len(have)} emotion(s), needs 3")
    # per emotion: every entry with one filler, then every entry with another, ...
    queues: dict[str, list[tuple[str, str]]] = {}
    for e in have:
        entries = list(templates.ESR_SCENARIOS[e])
        rng.shuffle(entries)
        fillers = {t: rng.sample(f, len(f)) for t, f, _ in entries}
        rounds = max(len(f) for _, f, _ in entries)
        queues[e] = [(t.format(fillers[t][r]), cue) for r in range(rounds) for t, f, cue in entries if r < len(f)]
    targets = _Cycler(have, rng, "ESR") if have else None
    positions = _Cycler(range(3), rng, "ESR")
    plan = [next(targets) for _ in range(n)]
    for e, k in Counter(plan).items():
        if k > len(queues[e]):
            raise ValueError(f"the ESR bank has {len(queues[e])} {e!r} scenarios; {k} are needed for {n} samples")
    pools, used = _Pools(index, rng), Counter()
    out = []
    for i, target in enumerate(plan):
        scenario, cue = queues[target].pop(0)
        pos = next(positions)
        emotions = _least_used([e for e in have if e != target], 2, used, rng)
        emotions.insert(pos, target)
        answer = rules.esr_answer(emotions, target)
        assert answer == OPTIONS[pos], (emotions, target, answer)
        sids = pools.draw_many(emotions)
        t1 = "\n".join(segment_lines(rng, emotions, cot))
        lines = []
        if cot:
            lines = [f"The scene hints at {cue}, so it suggests {templates.EMOTION_NOUNS[target]}: segment ({answer})."]
        t2 = "\n".join(lines + [rules.conclusion("esr", answer)])
        messages = [
            _user(rng.choice(templates.ESR_T1_QUESTIONS), sids),
            _assistant(t1),
            _user(rng.choice(templates.ESR_T2_QUESTIONS), [], scenario=scenario),
            _assistant(t2),
        ]
        out.append(_sample(index.name, "esr", i, messages, answer, sids, emotions, cot))
    return out


BUILDERS = {"ied": build_ied, "epc": build_epc, "ess": build_ess, "eim": build_eim, "esr": build_esr}


# -- helpers for consumers -------------------------------------------------------------------------


def prompt_messages(sample: dict) -> list[dict]:
    """The prompt of a sample: its messages without the last (the reference answer)."""
    return list(sample["messages"][:-1])


def reference_answer(sample: dict) -> str:
    """The text of the last message (the assistant's reference answer)."""
    return "".join(p["text"] or "" for p in sample["messages"][-1]["content"] if p["type"] == "text")


def esr_turns(sample: dict) -> tuple[list[dict], dict]:
    """The two questions of an ESR sample for an honest two-turn evaluation: ``(t1_prompt,
    t2_user)``. Generate the T1 answer from ``t1_prompt``, then ask ``t1_prompt + [model's T1
    answer as an assistant message, t2_user]`` (the stored assistant T1 turn is a reference that
    names the emotions, so it must not be fed back)."""
    if sample["task"] != "esr" or len(sample["messages"]) != 4:
        raise ValueError(f"sample {sample.get('id', '?')} is not a two-turn ESR sample")
    return [sample["messages"][0]], sample["messages"][2]


def segment_ids_of(messages: Sequence[dict]) -> list[str]:
    """The ``segment_id`` of every EEG part of stored ``messages``, in order of appearance."""
    ids = []
    for message in messages:
        if isinstance(message["content"], str):
            continue
        for part in message["content"]:
            if part.get("type") == "eeg":
                if part.get("segment_id") is None:
                    raise ValueError("an EEG content part has no segment_id")
                ids.append(part["segment_id"])
    return ids


def message_text(message: dict) -> str:
    """The text parts of one message, joined (EEG parts left out)."""
    return "".join(p["text"] or "" for p in message["content"] if p["type"] == "text")


# -- the whole set ---------------------------------------------------------------------------------


def _split_evenly(n: int, tasks: Sequence[str]) -> dict[str, int]:
    base, extra = divmod(n, len(tasks))
    return {t: base + (i < extra) for i, t in enumerate(tasks)}


def _stratified_subset(samples: Sequence[dict], k: int, rng: random.Random) -> list[dict]:
    """``k`` of ``samples``, proportionally from each (answer, emotion set) stratum (largest
    remainder), in their original order."""
    if k >= len(samples):
        return list(samples)
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, s in enumerate(samples):
        groups[(s["answer"], tuple(sorted(set(s["emotions"]))))].append(i)
    keys = list(groups)
    exact = {key: k * len(groups[key]) / len(samples) for key in keys}
    quota = {key: int(exact[key]) for key in keys}
    order = sorted(keys, key=lambda key: (-(exact[key] - quota[key]), rng.random()))
    for key in order[: k - sum(quota.values())]:
        quota[key] += 1
    chosen = sorted(i for key in keys for i in rng.sample(groups[key], quota[key]))
    return [samples[i] for i in chosen]


def _check_count(name: str, value) -> int:
    if value is None or isinstance(value, bool) or int(value) != value or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, not {value!r}")
    return int(value)


def load_segment_indexes(segments, train_split: str = "train", test_split: str = "test"):
    """``(train_index, test_index, description, path)`` from a segments ``DatasetDict`` or the
    directory it was saved to."""
    from datasets import DatasetDict, load_from_disk

    path = None
    if not isinstance(segments, DatasetDict):
        path = Path(segments).expanduser().resolve()
        if not path.exists():
            raise FileNotFoundError(f"no segments dataset at {path}")
        segments = load_from_disk(str(path))
        if not isinstance(segments, DatasetDict):
            raise ValueError(f"{path} holds a single Dataset; expected a DatasetDict with splits "
                             f"{train_split!r} and {test_split!r}")
    for split in (train_split, test_split):
        if split not in segments:
            raise ValueError(f"the segments dataset has no split {split!r} (it has {sorted(segments)})")
    train = SegmentIndex.from_dataset(segments[train_split], name="train")
    test = SegmentIndex.from_dataset(segments[test_split], name="test")
    overlap = set(train.ids) & set(test.ids)
    if overlap:
        raise ValueError(f"{len(overlap)} segment id(s) are in both {train_split!r} and {test_split!r}, "
                         f"e.g. {sorted(overlap)[0]!r}")
    description = segments[train_split].info.description or ""
    return train, test, description, (str(path) if path else None)


def build_task_samples(
    train: SegmentIndex,
    test: SegmentIndex,
    *,
    cot: bool = True,
    seed: int = 0,
    n_train: int = 10_000,
    n_train_sft: int = 3_000,
    n_multi: int = 500,
    n_esr: int = 167,
    n_test_ied: int | None = None,
) -> dict[str, list[dict]]:
    """The samples of every split (``SPLITS``) as lists of dicts; see :func:`build_task_datasets`."""
    n_train, n_train_sft = _check_count("n_train", n_train), _check_count("n_train_sft", n_train_sft)
    n_multi, n_esr = _check_count("n_multi", n_multi), _check_count("n_esr", n_esr)
    if n_test_ied is not None:
        n_test_ied = _check_count("n_test_ied", n_test_ied)
    if n_train_sft > n_train:
        raise ValueError(f"n_train_sft ({n_train_sft}) exceeds n_train ({n_train}): it is a subset of train")
    by_task = {t: BUILDERS[t](train, k, cot=cot, seed=seed) if k else []
               for t, k in _split_evenly(n_train, TRAIN_TASKS).items()}
    sft_quota = _split_evenly(n_train_sft, TRAIN_TASKS)
    sft_ids = {s["id"] for t in TRAIN_TASKS
               for s in _stratified_subset(by_task[t], sft_quota[t], _rng(seed, "train_sft", t))}
    train_samples = [s for t in TRAIN_TASKS for s in by_task[t]]
    _rng(seed, "train", "order").shuffle(train_samples)
    if n_test_ied is None:
        test_ied = build_ied(test, None, cot=cot, seed=seed)
    else:
        all_ied = build_ied(test, None, cot=cot, seed=seed)
        test_ied = _stratified_subset(all_ied, n_test_ied, _rng(seed, "test", "ied-subset"))
    multi = [s for t, k in _split_evenly(n_multi, MULTI_TASKS).items() if k
             for s in BUILDERS[t](test, k, cot=cot, seed=seed)]
    return {
        "train": train_samples,
        "train_sft": [s for s in train_samples if s["id"] in sft_ids],
        "test_ied": test_ied,
        "test_multi": multi,
        "test_esr": build_esr(test, n_esr, cot=cot, seed=seed) if n_esr else [],
    }


def task_counts(samples_by_split: dict[str, Iterable[dict]]) -> dict[str, Any]:
    """Counts of a built set: ``samples[split][task]``, ``emotions[split][task][emotion]`` (segment
    slots: the flattened ``emotions`` column, i.e. the label for IED) and
    ``answers[split][task][answer]``. Accepts lists of dicts or a ``DatasetDict``."""
    samples, emotions, answers = {}, {}, {}
    for split, rows in samples_by_split.items():
        if hasattr(rows, "select_columns"):
            sub = rows.select_columns(["task", "answer", "emotions"])
            rows = [dict(task=t, answer=a, emotions=e) for t, a, e in zip(sub["task"], sub["answer"], sub["emotions"])]
        n, emo, ans = Counter(), defaultdict(Counter), defaultdict(Counter)
        for r in rows:
            n[r["task"]] += 1
            emo[r["task"]].update(r["emotions"])
            ans[r["task"]][r["answer"]] += 1
        tasks = [t for t in TASKS if t in n]
        samples[split] = {t: n[t] for t in tasks}
        emotions[split] = {t: {e: emo[t][e] for e in EMOTIONS} for t in tasks}
        answers[split] = {t: dict(sorted(ans[t].items())) for t in tasks}
    return {"samples": samples, "emotions": emotions, "answers": answers}


def format_counts(counts: dict[str, Any]) -> str:
    """A plain-text table of :func:`task_counts`: one row per split and task, emotion columns."""
    header = f"{'split':<11} {'task':<4} {'samples':>7} " + " ".join(f"{e:>8}" for e in EMOTIONS)
    lines = [header, "-" * len(header)]
    for split, per_task in counts["samples"].items():
        for task, n in per_task.items():
            emo = counts["emotions"][split][task]
            lines.append(f"{split:<11} {task:<4} {n:>7} " + " ".join(f"{emo[e]:>8}" for e in EMOTIONS))
    lines.append("(emotion columns count EEG segment slots: one per IED sample, two per EPC, three otherwise)")
    return "\n".join(lines)


def build_task_datasets(
    segments,
    out_dir: str | os.PathLike | None = None,
    *,
    cot: bool = True,
    seed: int = 0,
    n_train: int = 10_000,
    n_train_sft: int = 3_000,
    n_multi: int = 500,
    n_esr: int = 167,
    n_test_ied: int | None = None,
    train_split: str = "train",
    test_split: str = "test",
):
    """Build the instruction data of the five tasks from a segments dataset.

    Args:
        segments: the segments ``DatasetDict`` (splits ``train`` and ``test``; columns ``id`` and
            ``emotion`` are read, the EEG arrays never) or the directory it was saved to.
        out_dir: where to save the result (``save_to_disk`` plus ``tasks_info.json``), written
            atomically; an existing directory is replaced only if it holds a previous build (or
            is empty). ``None``: do not save.
        cot: chain-of-thought reference answers (descriptions, then the conclusion line) or the
            direct-answer variant (conclusion line only).
        seed: the build is a deterministic function of the segments and the arguments.
        n_train: training samples, split evenly over IED, EPC, ESS, EIM (paper: 10,000).
        n_train_sft: the stage-3 subset of ``train`` (paper: 3,000), stratified per task.
        n_multi: ``test_multi`` samples, split evenly over EPC, ESS, EIM (paper: 500).
        n_esr: ``test_esr`` samples (paper: 167; at most 30 per emotion, the ESR bank's size).
        n_test_ied: ``None`` (paper): one IED sample per test segment; a number: a subset of
            those, stratified by emotion (for small demos).

    Returns:
        a ``datasets.DatasetDict`` with splits ``train``, ``train_sft``, ``test_ied``,
        ``test_multi``, ``test_esr`` and the columns of the module docstring. Its splits'
        ``info.description`` starts with ``"SYNTHETIC DATA — "`` if the segments' does.

    Raises:
        ValueError: a split cannot supply a task (e.g. fewer than three emotions), bad counts.
        FileNotFoundError: no segments dataset at ``segments``.
        FileExistsError: ``out_dir`` exists and is not a previous build.
    """
    from datasets import Dataset, DatasetDict, DatasetInfo

    train, test, description, path = load_segment_indexes(segments, train_split, test_split)
    synthetic = is_synthetic_description(description)
    by_split = build_task_samples(train, test, cot=cot, seed=seed, n_train=n_train, n_train_sft=n_train_sft,
                                  n_multi=n_multi, n_esr=n_esr, n_test_ied=n_test_ied)
    style = "chain-of-thought" if cot else "direct-answer"
    text = (f"{SYNTHETIC_PREFIX if synthetic else ''}E2LLM instruction samples for IED, EPC, ESS, EIM (train) and "
            f"IED, EPC, ESS, EIM, ESR (test), {style} references, seed {seed}, "
            f"built from the EEG segments dataset{f' at {path}' if path else ''}.")
    features = _features()
    info = DatasetInfo(description=text, features=features)
    dd = DatasetDict({split: Dataset.from_list(rows, features=features, info=info.copy())
                      for split, rows in by_split.items()})
    if out_dir is not None:
        info = {
            "version": TASKS_FORMAT_VERSION,
            "seed": seed,
            "cot": cot,
            "synthetic": synthetic,
            "pseudonymized": _segments_pseudonymized(path, description),
            "segments_dir": path,
            "params": {"n_train": n_train, "n_train_sft": n_train_sft, "n_multi": n_multi, "n_esr": n_esr,
                       "n_test_ied": n_test_ied, "train_split": train_split, "test_split": test_split},
            "counts": task_counts(by_split),
        }
        save_task_datasets(dd, out_dir, info)
    return dd


def _segments_pseudonymized(path: str | None, description: str) -> bool:
    """Whether the segments' ids, subjects and sources are pseudonyms (``prepare --pseudonymize``):
    from their ``summary.json`` if there is one, else from their description."""
    from ..datasets_builder.builder import PSEUDONYMOUS_NOTE
    from ..datasets_builder.lookup import read_summary

    summary = read_summary(path) if path else None
    if summary is not None and "pseudonymized" in summary:
        return bool(summary["pseudonymized"])
    return PSEUDONYMOUS_NOTE in description


def save_task_datasets(dd, out_dir: str | os.PathLike, info: dict) -> Path:
    """Save ``dd`` and ``info`` (as ``tasks_info.json``) to ``out_dir`` atomically
    (:func:`e2llm.atomic.atomic_directory`): everything is written to a temporary sibling
    ``.NAME.tmp-HOST-PID-RANDOM``, which then replaces ``out_dir``. Leftovers of a killed build of
    this host (``.NAME.tmp-*`` / ``.NAME.old-*`` whose process is gone) are removed first; another
    host's are left alone."""
    from ..atomic import atomic_directory

    out = Path(out_dir).expanduser().resolve()
    if out.exists():
        if not out.is_dir():
            raise FileExistsError(f"{out} exists and is not a directory")
        if any(out.iterdir()) and not (out / INFO_FILE).exists():
            raise FileExistsError(f"{out} exists and is not a previous build-tasks output; choose another --out")
    from datasets.utils import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars

    bars_were_on = not are_progress_bars_disabled()
    try:
        disable_progress_bars()
        with atomic_directory(out) as tmp:
            dd.save_to_disk(str(tmp))
            (tmp / INFO_FILE).write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    finally:
        if bars_were_on:
            enable_progress_bars()
    return out


def load_task_datasets(path: str | os.PathLike):
    """``(DatasetDict, info dict)`` of a directory written by :func:`build_task_datasets`."""
    from datasets import load_from_disk

    path = Path(path).expanduser()
    info_file = path / INFO_FILE
    if not info_file.exists():
        raise FileNotFoundError(f"no {INFO_FILE} in {path}: not a build-tasks output")
    return load_from_disk(str(path)), json.loads(info_file.read_text(encoding="utf-8"))
