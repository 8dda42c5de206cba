"""Ground-truth rules of the five tasks, and the canonical answer strings.

Every rule is a pure function of the segments' emotion labels (the SEED-VII annotation of the
clip a segment comes from). A rule returns ``None`` when a combination is undecidable; the
builders never generate such a sample, so every built sample has exactly one correct answer.

Canonical answers (the ``answer`` column, and what :func:`e2llm.tasks.parse_answer` returns):

=====  ==============================  ===========================================================
task   canonical answer                conclusion line of the reference answer
=====  ==============================  ===========================================================
IED    an emotion name of EMOTIONS     ``Emotion: sad``
EPC    ``yes`` | ``no`` | ``equal``    ``Answer: yes``
ESS    ``a`` | ``b`` | ``c``           ``Answer: (b)``
EIM    ``a2,b1,c3`` (scenario number   ``Matching: b→1, a→2, c→3`` (in scenario order: the
       of segment a, b, c, in order)   order in which the reasoning line finds the letters)
ESR    ``a`` | ``b`` | ``c``           ``Answer: (b)`` (in the second assistant turn)
=====  ==============================  ===========================================================

Rules
-----
IED
    The answer is the segment's emotion label.
EPC ("Is the individual with EEG 1 happier than the individual with EEG 2?")
    Each emotion has a fixed happiness level (:data:`HAPPINESS`): happy 2, surprise 1, neutral 0,
    and the four negative emotions (disgust, fear, sad, anger) −1. The answer is ``yes`` if the
    first level is higher, ``no`` if the second is higher (so "no" means "the second individual is
    happier", not merely "not happier"), and ``equal`` if both segments have the *same emotion*.
    Two *different* negative emotions share a level but are not comparable: undecidable, never
    generated. There are thus three answers (random baseline 1/3).
ESS ("select the saddest" / "select the least sad")
    The degree of emotion X in a segment is 1 if its label is X, else 0. "Most X" is decidable
    when exactly one of the three segments is labelled X (the answer); "least X" when exactly two
    are labelled X and one is not (the answer is the one that is not). Three choices.
EIM (match segments a, b, c to scenarios 1, 2, 3)
    Each scenario of the EIM bank is tied to one emotion. A sample uses three segments of three
    distinct emotions and one scenario of each of those emotions, so exactly one matching (of
    the 3! = 6) pairs every segment with the scenario of its own emotion (random baseline 1/6).
ESR (two turns; the second asks which segment fits a scenario)
    Each scenario of the ESR bank is tied to one emotion. A sample uses three segments of three
    distinct emotions, exactly one of which is the scenario's emotion: that segment is the answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..configuration_e2llm import EMOTIONS
from ..errors import InvalidInputError

TASKS: tuple[str, ...] = ("ied", "epc", "ess", "eim", "esr")
TRAIN_TASKS: tuple[str, ...] = ("ied", "epc", "ess", "eim")
MULTI_TASKS: tuple[str, ...] = ("epc", "ess", "eim")
OPTIONS: tuple[str, ...] = ("a", "b", "c")
EPC_ANSWERS: tuple[str, ...] = ("yes", "no", "equal")
NEGATIVE_EMOTIONS: tuple[str, ...] = ("disgust", "fear", "sad", "anger")

# Happiness level per emotion, the EPC rule's scale.
HAPPINESS: dict[str, int] = {"happy": 2, "surprise": 1, "neutral": 0, "disgust": -1, "fear": -1, "sad": -1, "anger": -1}


def _check(emotion: str) -> str:
    if emotion not in EMOTIONS:
        raise InvalidInputError(f"unknown emotion {emotion!r}; expected one of {EMOTIONS}")
    return emotion


def ied_answer(emotion: str) -> str:
    """IED: the segment's emotion label."""
    return _check(emotion)


def epc_answer(first: str, second: str) -> str | None:
    """EPC: ``yes`` (first happier), ``no`` (second happier), ``equal`` (same emotion), or
    ``None`` for two different emotions of the same happiness level (undecidable)."""
    if _check(first) == _check(second):
        return "equal"
    a, b = HAPPINESS[first], HAPPINESS[second]
    if a == b:
        return None
    return "yes" if a > b else "no"


def ess_answer(emotions: Sequence[str], target: str, polarity: str) -> str | None:
    """ESS: the option letter of the one segment with the most (``polarity="most"``) or least
    (``"least"``) of ``target``, or ``None`` if that segment is not unique."""
    if len(emotions) != 3:
        raise InvalidInputError("ESS takes exactly three segments")
    has = [_check(e) == _check(target) for e in emotions]
    if polarity == "most":
        hits = [i for i, h in enumerate(has) if h]
    elif polarity == "least":
        hits = [i for i, h in enumerate(has) if not h]
    else:
        raise InvalidInputError(f"polarity must be 'most' or 'least', not {polarity!r}")
    return OPTIONS[hits[0]] if len(hits) == 1 else None


def eim_answer(segment_emotions: Sequence[str], scenario_emotions: Sequence[str]) -> str | None:
    """EIM: the canonical matching ``"a2,b1,c3"`` (segment letter + number of its scenario) or
    ``None`` unless both lists are three distinct emotions and the same set."""
    seg, scen = [_check(e) for e in segment_emotions], [_check(e) for e in scenario_emotions]
    if len(seg) != 3 or len(set(seg)) != 3 or sorted(seg) != sorted(scen):
        return None
    return format_matching([scen.index(e) + 1 for e in seg])


def esr_answer(segment_emotions: Sequence[str], scenario_emotion: str) -> str | None:
    """ESR: the option letter of the one segment whose emotion is the scenario's, or ``None``."""
    if len(segment_emotions) != 3 or len(set(segment_emotions)) != 3:
        return None
    hits = [i for i, e in enumerate(segment_emotions) if _check(e) == _check(scenario_emotion)]
    return OPTIONS[hits[0]] if len(hits) == 1 else None


def format_matching(numbers: Sequence[int]) -> str:
    """``[2, 1, 3]`` (scenario number of segment a, b, c) → ``"a2,b1,c3"``."""
    return ",".join(f"{letter}{n}" for letter, n in zip(OPTIONS, numbers, strict=True))


def matching_numbers(answer: str) -> list[int]:
    """``"a2,b1,c3"`` → ``[2, 1, 3]``."""
    return [int(part[1:]) for part in answer.split(",")]


# -- conclusion lines (the last line of every reference answer) -------------------------------------


def conclusion(task: str, answer: str) -> str:
    """The explicit, parseable last line of a reference answer for ``task`` with ``answer``."""
    if task == "ied":
        return f"Emotion: {answer}"
    if task == "epc":
        return f"Answer: {answer}"
    if task in ("ess", "esr"):
        return f"Answer: ({answer})"
    if task == "eim":  # scenario 1's segment first: a copy of the reasoning line, not its inversion
        pairs = sorted(zip(matching_numbers(answer), OPTIONS))
        return "Matching: " + ", ".join(f"{letter}→{n}" for n, letter in pairs)
    raise InvalidInputError(f"unknown task {task!r}; expected one of {TASKS}")
