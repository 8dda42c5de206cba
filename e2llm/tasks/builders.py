"""Instruction samples for the five tasks, built from a segments dataset, as chat ``messages``.

A sample is a dict with the columns of the task datasets (``e2llm.tasks.dataset``):

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
- EPC: both emotions restated with their valence, then the first valence compared with the
  second, in that order, and the individual it makes happier (``Anger is negative and surprise
  is mildly positive. Negative is less happy than mildly positive, so the second individual is
  happier.``; same emotion: ``Both are the same emotion, so neither is happier.``), then
  ``Answer: yes|no|equal``. The comparison is one relation between two words already written,
  which a pretrained LM knows; the individual follows from the relation. Without that step a
  small LM tends to name one individual whatever the readings;
- ESS: the target and the segment that has it (``The least fearful does not show fear: segment
  (c).``), then ``Answer: (c)``;
- EIM: the segments as ``Recording (a): …``, then one line per situation: the situation restated,
  its emotion and the letter of the segment that shows it (``Situation 1, a driver whose brakes
  fail on a steep hill: fear (c).``), then the matching in the same order, ``Matching: c→1, a→2,
  b→3`` (a copy of the letters just written; listed as ``a→2, b→3, c→1`` it would ask the LM to
  invert the permutation). The restatement puts the words the emotion is read from right before
  it; with all three situations' emotions on one line a small LM writes the segments' emotions in
  their own order instead;
- ESR (reference only, never trained on): T1 the segment lines; T2 the emotion the scene suggests
  and the segment that shows it (``The scene hints at <cue>, so it suggests sadness: segment
  (b).``), then ``Answer: (b)``.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations, permutations

from ..configuration_e2llm import EMOTIONS
from ..errors import InvalidInputError
from .rules import (
    EPC_ANSWERS,
    HAPPINESS,
    NEGATIVE_EMOTIONS,
    OPTIONS,
    conclusion,
    eim_answer,
    epc_answer,
    esr_answer,
    ess_answer,
    format_matching,
    ied_answer,
)
from .templates import (
    DESCRIPTIONS,
    EIM_QUESTIONS,
    EIM_SCENARIOS,
    EMOTION_NOUNS,
    EPC_ANSWER_HINTS,
    EPC_QUESTIONS,
    ESR_SCENARIOS,
    ESR_T1_QUESTIONS,
    ESR_T2_QUESTIONS,
    ESS_LEAST,
    ESS_MOST,
    ESS_QUESTIONS,
    IED_QUESTIONS,
    SHORT_DESCRIPTIONS,
    VALENCE_WORDS,
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
            raise InvalidInputError("ids and emotions differ in length")
        if len(set(self.ids)) != len(self.ids):
            raise InvalidInputError(f"segment ids of split {self.name!r} are not unique")
        self.by_emotion = {e: [] for e in EMOTIONS}
        for sid, emotion in zip(self.ids, self.emotions):
            if emotion not in self.by_emotion:
                raise InvalidInputError(f"segment {sid!r} has unknown emotion {emotion!r}; expected one of {EMOTIONS}")
            self.by_emotion[emotion].append(sid)

    @classmethod
    def from_dataset(cls, dataset, name: str = "train") -> SegmentIndex:
        """Read ``id`` and ``emotion`` of a segments ``datasets.Dataset`` (never its arrays)."""
        from datasets import ClassLabel

        missing = {"id", "emotion"} - set(dataset.column_names)
        if missing:
            raise InvalidInputError(f"segments split {name!r} lacks column(s) {sorted(missing)}")
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
            raise InvalidInputError(f"nothing to build {what} from")

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
            raise InvalidInputError(f"split {self.index.name!r} has too few {emotion!r} segments")
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


def user_turn(template: str, segment_ids: Sequence[str], **fields: str) -> dict:
    """A user turn from ``template``: ``{e1}``..``{e3}`` become EEG parts, other ``{name}`` fields
    are replaced by ``fields``."""
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


def scenario_listing(texts: Sequence[str]) -> str:
    """EIM's numbered scenarios, as its questions' ``{scenarios}`` field: ``1) ..., 2) ..., 3) ...``."""
    return ", ".join(f"{k}) {text}" for k, text in enumerate(texts, start=1))


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


def task_rng(seed: int, split: str, task: str) -> random.Random:
    return random.Random(f"e2llm-tasks:{seed}:{split}:{task}")


def _describe(rng: random.Random, emotion: str) -> str:
    return rng.choice(DESCRIPTIONS[emotion])


def segment_lines(rng, emotions: Sequence[str], cot: bool, name: str = "Segment") -> list[str]:
    """``Segment (a): …`` lines for options a, b, c (the T1 answer of ESR, the start of ESS/EIM):
    the emotion first, then a short description (``Segment (a): sadness, low energy and sorrow.``).
    EIM names them ``Recording (a)``: its answer then differs from ESS's from its first token,
    right after the question, instead of only at the reasoning line after the three descriptions
    (a 135M LM trained for 96 steps answered EIM questions in ESS's layout when both began alike)."""
    if cot:
        return [
            f"{name} ({o}): {EMOTION_NOUNS[e]}, {rng.choice(SHORT_DESCRIPTIONS[e])}." for o, e in zip(OPTIONS, emotions)
        ]
    return [f"{name} ({o}): {e}" for o, e in zip(OPTIONS, emotions)]


# -- the five builders -----------------------------------------------------------------------------


def build_ied(index: SegmentIndex, n: int | None = None, *, cot: bool = True, seed: int = 0) -> list[dict]:
    """Individual Emotion Description: one segment → description, then ``Emotion: <label>``.

    ``n=None`` gives one sample per segment, in the split's order (the test protocol); otherwise
    ``n`` samples whose labels cycle over the emotions the split has (balanced).
    """
    rng = task_rng(seed, index.name, "ied")
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
        answer = ied_answer(emotion)
        reply = conclusion("ied", answer)
        if cot:
            reply = _describe(rng, emotion) + "\n" + reply
        messages = [user_turn(rng.choice(IED_QUESTIONS), [sid]), _assistant(reply)]
        out.append(_sample(index.name, "ied", i, messages, answer, [sid], [emotion], cot))
    return out


def _first_upper(text: str) -> str:
    """``text`` with its first letter upper-case and the rest as it is (unlike ``str.capitalize``)."""
    return text[:1].upper() + text[1:]


# EPC's verdict: the first valence word put beside the second by a relation that already says
# which is happier, then the individual it makes happier
_EPC_VERDICT = {
    "yes": "{v1} is happier than {v2}, so the first individual is happier.",
    "no": "{v1} is less happy than {v2}, so the second individual is happier.",
    "equal": "Both are the same emotion, so neither is happier.",
}
_EPC_EQUAL_WEIGHT = {"happy": 1, "surprise": 1, "neutral": 1} | {e: 8 for e in NEGATIVE_EMOTIONS}


def build_epc(index: SegmentIndex, n: int, *, cot: bool = True, seed: int = 0) -> list[dict]:
    """Emotion Pairwise Comparison: "Is the individual with EEG 1 happier than the one with EEG 2?"

    Answers ``yes`` / ``no`` / ``equal`` by the happiness levels of :mod:`e2llm.tasks.rules`; pairs
    of two different negative emotions are undecidable and never drawn.
    """
    rng = task_rng(seed, index.name, "epc")
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
        raise InvalidInputError(
            f"split {index.name!r} cannot supply EPC samples: it needs two emotions of different "
            "happiness or two segments of one emotion"
        )
    answers = _Cycler([a for a in EPC_ANSWERS if a in cyclers], rng, "EPC") if cyclers else None
    pools = _Pools(index, rng)
    out = []
    for i in range(n):
        planned = next(answers)
        emotions = next(cyclers[planned])
        answer = epc_answer(*emotions)
        assert answer == planned, (emotions, answer, planned)
        sids = pools.draw_many(emotions)
        question = rng.choice(EPC_QUESTIONS) + rng.choice(EPC_ANSWER_HINTS)
        lines = []
        if cot:
            lines = [
                f"Individual {k}: {EMOTION_NOUNS[e]}, {rng.choice(SHORT_DESCRIPTIONS[e])}."
                for k, e in enumerate(emotions, start=1)
            ]
            n1, n2 = (EMOTION_NOUNS[e] for e in emotions)
            v1, v2 = (VALENCE_WORDS[e] for e in emotions)
            verdict = _EPC_VERDICT[answer].format(v1=_first_upper(v1), v2=v2)
            lines.append(f"{_first_upper(n1)} is {v1} and {n2} is {v2}. {verdict}")
        reply = "\n".join(lines + [conclusion("epc", answer)])
        messages = [user_turn(question, sids), _assistant(reply)]
        out.append(_sample(index.name, "epc", i, messages, answer, sids, emotions, cot))
    return out


def build_ess(index: SegmentIndex, n: int, *, cot: bool = True, seed: int = 0) -> list[dict]:
    """Emotion Superlative Selection: three segments, select the most (or least) <emotion> one.

    "Most X": exactly one segment is labelled X. "Least X": exactly two are, and the answer is the
    third. Answer: the option letter ``a``, ``b`` or ``c``.
    """
    rng = task_rng(seed, index.name, "ess")
    have = index.available()
    # "most x" needs two other emotions; "least x" two segments of x and one other emotion
    feasible = {
        x: [p for p, ok in (("most", len(have) >= 3), ("least", index.count(x) >= 2 and len(have) >= 2)) if ok]
        for x in have
    }
    targets = [x for x in have if feasible[x]]
    if n and not targets:
        raise InvalidInputError(
            f"split {index.name!r} cannot supply ESS samples: it needs at least three emotions, "
            "or two emotions with two segments of one of them"
        )
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
        answer = ess_answer(emotions, x, polarity)
        assert answer == OPTIONS[pos], (emotions, x, polarity, answer)
        sids = pools.draw_many(emotions)
        sup = rng.choice((ESS_MOST if polarity == "most" else ESS_LEAST)[x])
        lines = []
        if cot:  # describe the segments; the target and the segment that has it
            wanted = "shows" if polarity == "most" else "does not show"
            lines = segment_lines(rng, emotions, True)
            lines.append(f"{_first_upper(sup)} {wanted} {EMOTION_NOUNS[x]}: segment ({answer}).")
        reply = "\n".join(lines + [conclusion("ess", answer)])
        messages = [user_turn(rng.choice(ESS_QUESTIONS), sids, sup=sup), _assistant(reply)]
        out.append(_sample(index.name, "ess", i, messages, answer, sids, emotions, cot))
    return out


def build_eim(index: SegmentIndex, n: int, *, cot: bool = True, seed: int = 0) -> list[dict]:
    """Emotion Individual Matching: match three segments (three distinct emotions) to three
    scenarios of the same three emotions. Answer: ``"a2,b1,c3"`` (see :mod:`e2llm.tasks.rules`)."""
    rng = task_rng(seed, index.name, "eim")
    have = index.available()
    if n and len(have) < 3:
        raise InvalidInputError(
            f"split {index.name!r} cannot supply EIM samples: it has {len(have)} emotion(s), needs 3"
        )
    triples = _Cycler(list(combinations(have, 3)), rng, "EIM") if len(have) >= 3 else None
    matchings = _Cycler(list(permutations((1, 2, 3))), rng, "EIM")
    scenarios = {e: _Cycler(EIM_SCENARIOS[e], rng, "EIM") for e in EMOTIONS}
    pools = _Pools(index, rng)
    out = []
    for i in range(n):
        emotions = list(next(triples))
        rng.shuffle(emotions)
        numbers = next(matchings)  # scenario number of segment a, b, c
        scen_emotions = [None] * 3
        for e, k in zip(emotions, numbers):
            scen_emotions[k - 1] = e
        answer = eim_answer(emotions, scen_emotions)
        assert answer == format_matching(numbers), (emotions, scen_emotions, answer)
        sids = pools.draw_many(emotions)
        texts = [next(scenarios[e]) for e in scen_emotions]
        listing = scenario_listing(texts)
        lines = []
        if cot:  # describe the segments; per situation (restated) its emotion and that segment's letter
            nouns = EMOTION_NOUNS
            lines = segment_lines(rng, emotions, True, name="Recording")
            lines += [
                f"Situation {k}, {text}: {nouns[e]} ({OPTIONS[emotions.index(e)]})."
                for k, (text, e) in enumerate(zip(texts, scen_emotions), start=1)
            ]
        reply = "\n".join(lines + [conclusion("eim", answer)])
        messages = [user_turn(rng.choice(EIM_QUESTIONS), sids, scenarios=listing), _assistant(reply)]
        out.append(_sample(index.name, "eim", i, messages, answer, sids, emotions, cot))
    return out


def esr_scenarios() -> list[tuple[str, str, str]]:
    """Every ESR scenario text of the bank as ``(emotion, text, cue)`` (210 distinct texts)."""
    return [
        (e, t.format(filler), cue)
        for e, entries in ESR_SCENARIOS.items()
        for t, fillers, cue in entries
        for filler in fillers
    ]


def build_esr(index: SegmentIndex, n: int, *, cot: bool = True, seed: int = 0) -> list[dict]:
    """Emotion Scenario Reasoning (evaluation only): T1 describe three segments (three distinct
    emotions); T2 a scenario of one of those emotions → the segment that fits, with a
    justification. Answer: the option letter. Scenario texts are distinct within the split."""
    rng = task_rng(seed, index.name, "esr")
    have = index.available()
    if n and len(have) < 3:
        raise InvalidInputError(
            f"split {index.name!r} cannot supply ESR samples: it has {len(have)} emotion(s), needs 3"
        )
    # per emotion: every entry with one filler, then every entry with another, ...
    queues: dict[str, list[tuple[str, str]]] = {}
    for e in have:
        entries = list(ESR_SCENARIOS[e])
        rng.shuffle(entries)
        fillers = {t: rng.sample(f, len(f)) for t, f, _ in entries}
        rounds = max(len(f) for _, f, _ in entries)
        queues[e] = [(t.format(fillers[t][r]), cue) for r in range(rounds) for t, f, cue in entries if r < len(f)]
    targets = _Cycler(have, rng, "ESR") if have else None
    positions = _Cycler(range(3), rng, "ESR")
    plan = [next(targets) for _ in range(n)]
    for e, k in Counter(plan).items():
        if k > len(queues[e]):
            raise InvalidInputError(
                f"the ESR bank has {len(queues[e])} {e!r} scenarios; {k} are needed for {n} samples"
            )
    pools, used = _Pools(index, rng), Counter()
    out = []
    for i, target in enumerate(plan):
        scenario, cue = queues[target].pop(0)
        pos = next(positions)
        emotions = _least_used([e for e in have if e != target], 2, used, rng)
        emotions.insert(pos, target)
        answer = esr_answer(emotions, target)
        assert answer == OPTIONS[pos], (emotions, target, answer)
        sids = pools.draw_many(emotions)
        t1 = "\n".join(segment_lines(rng, emotions, cot))
        lines = []
        if cot:
            lines = [f"The scene hints at {cue}, so it suggests {EMOTION_NOUNS[target]}: segment ({answer})."]
        t2 = "\n".join(lines + [conclusion("esr", answer)])
        messages = [
            user_turn(rng.choice(ESR_T1_QUESTIONS), sids),
            _assistant(t1),
            user_turn(rng.choice(ESR_T2_QUESTIONS), [], scenario=scenario),
            _assistant(t2),
        ]
        out.append(_sample(index.name, "esr", i, messages, answer, sids, emotions, cot))
    return out


BUILDERS = {"ied": build_ied, "epc": build_epc, "ess": build_ess, "eim": build_eim, "esr": build_esr}
