"""Answer parsing on a table of realistic model outputs, malformed ones included."""

from __future__ import annotations

import pytest

from e2llm.configuration_e2llm import EMOTIONS
from e2llm.tasks import (
    INVALID,
    parse_answer,
    parse_comparison,
    parse_emotion,
    parse_matching,
    parse_option,
    rules,
    templates,
)

# a table, one case a line
# fmt: off
CASES = [
    # -- IED: label, synonyms, case, extra words, markdown, Qwen3 think blocks ---------------------
    ("ied", "The EEG signals indicate a state of depression, often associated with feelings of loss.\nEmotion: sad", "sad"),
    ("ied", "Emotion: Sadness", "sad"),
    ("ied", "**Emotion:** SAD", "sad"),
    ("ied", "emotion: sorrow.", "sad"),
    ("ied", "Emotion: a state of disgust", "disgust"),
    ("ied", "Emotion: surprised", "surprise"),
    ("ied", "The emotion is most likely fear.", "fear"),
    ("ied", "The emotional state is calm and balanced.", "neutral"),
    ("ied", "The person appears depressed.", "sad"),
    ("ied", "I think they're angry", "anger"),
    ("ied", "The person is not happy; they seem sad.", "sad"),
    ("ied", "The unhappy individual sits alone.", "sad"),
    ("ied", "These signals reflect joy and delight, but the label is: neutral", "neutral"),
    ("ied", "<think>fear or anger? The tension suggests anger.</think>\nEmotion: anger<|im_end|>", "anger"),
    ("ied", "The EEG signals indicate anger, a tense state.\nEmotion: happy", "happy"),  # the conclusion decides
    ("ied", "These signals reflect happiness: a bright, positive mood", "happy"),  # truncated before the label
    ("ied", "Happy or sad, hard to say.", INVALID),
    ("ied", "The signals are noisy.", INVALID),
    ("ied", "Emotion:", INVALID),
    ("ied", "", INVALID),
    ("ied", None, INVALID),
    # -- EPC ---------------------------------------------------------------------------------------
    ("epc", "Individual 1: joy.\nIndividual 2: sorrow.\nThe first individual is in a happier state than the second.\nAnswer: yes", "yes"),
    ("epc", "Answer: No", "no"),
    ("epc", "answer: equal", "equal"),
    ("epc", "Answer: equally happy", "equal"),
    ("epc", "The answer is the same.", "equal"),
    ("epc", "Yes, the first person is happier.", "yes"),
    ("epc", "No.", "no"),
    ("epc", "Individual 1: calm.\nIndividual 2: fear.\nyes", "yes"),
    ("epc", "Both show the same emotional state, so neither is happier.", "equal"),
    ("epc", "The second individual is happier.", "no"),
    ("epc", "The first one is happier.", "yes"),
    ("epc", "The first individual is less happy than the second.", "no"),
    ("epc", "Maybe.", INVALID),
    ("epc", "Individual 1: The EEG signals indicate anger.", INVALID),  # truncated, no conclusion
    ("epc", "", INVALID),
    # -- ESS ---------------------------------------------------------------------------------------
    ("ess", "Segment (a): sad.\nSegment (b): fear. It shows fear, so (b) is the one.\nSegment (c): calm.\nAnswer: (b)", "b"),
    ("ess", "Segment (a): sad. It does not show fear.\nSegment (b): fear. It shows fear, so (b) is the one.", "b"),  # no answer line
    ("ess", "Answer: B", "b"),
    ("ess", "**Answer:** (C)", "c"),
    ("ess", "The answer is segment c because it shows sadness.", "c"),
    ("ess", "Answer: the second", "b"),
    ("ess", "(a)", "a"),
    ("ess", "c", "c"),
    ("ess", "I choose (c).", "c"),
    ("ess", "Segment b is the saddest.", "b"),
    ("ess", "The saddest one is segment (a).", "a"),
    ("ess", "Answer: a sad person", INVALID),  # the article "a" is not an option
    ("ess", "Segment (a): sad. Segment (b): happy. Segment (c): fear.", INVALID),  # descriptions only
    ("ess", "Answer: (d)", INVALID),
    ("ess", "", INVALID),
    # -- ESR (the T2 generation) -------------------------------------------------------------------
    ("esr", "The scene hints at grief. This fits segment (b), which shows sadness, better than (a) or (c).\nAnswer: (b)", "b"),
    ("esr", "Looking for the feeling of this scene: it hints at grief, so it suggests sadness.\nSegment (a): fear. It does not show sadness.\n"
            "Segment (b): sadness. It shows sadness, so (b) is the one.\nSegment (c): happiness. It does not show sadness.", "b"),
    ("esr", "This fits segment (c), which shows fear.", "c"),
    ("esr", "<think>a or c…</think>Answer: (a)", "a"),
    ("esr", "All three could fit.", INVALID),
    # -- EIM ---------------------------------------------------------------------------------------
    ("eim", "Segment (a): anger.\nSegment (b): joy.\nSegment (c): calm.\nMatching: a→2, b→1, c→3", "a2,b1,c3"),
    ("eim", "Matching: a->3, b->2, c->1", "a3,b2,c1"),
    ("eim", "In short: fear (a), anger (b), sadness (c).\nSituation 1 suggests anger (b), so b→1.\n"  # no Matching line
            "Situation 2 suggests sadness (c), so c→2.\nSituation 3 suggests fear (a), so a→3.", "a3,b1,c2"),
    ("eim", "**Matching:** (a) → 1, (b) → 3, (c) → 2", "a1,b3,c2"),
    ("eim", "Matching: A→1, B→3, C→2", "a1,b3,c2"),
    ("eim", "a: 2, b: 3, c: 1", "a2,b3,c1"),
    ("eim", "a2, b1, c3", "a2,b1,c3"),
    ("eim", "Segment a matches scenario 3, segment b matches scenario 1, segment c matches scenario 2.", "a3,b1,c2"),
    ("eim", "1 → b, 2 → c, 3 → a", "a3,b1,c2"),
    ("eim", "Scenario 1: segment c; scenario 2: segment a; scenario 3: segment b", "a2,b3,c1"),
    ("eim", "Matching: a→2, b→2, c→3", INVALID),  # not one-to-one
    ("eim", "Matching: a→2, b→1", INVALID),  # partial
    ("eim", "Matching: a→2, a→3, b→1, c→3", INVALID),  # conflicting
    ("eim", "I cannot tell.", INVALID),
]
# fmt: on


@pytest.mark.parametrize(("task", "text", "expected"), CASES)
def test_parse_table(task, text, expected):
    assert parse_answer(task, text) == expected


def test_helpers_agree_with_parse_answer():
    assert parse_emotion("Emotion: fear") == parse_answer("ied", "Emotion: fear") == "fear"
    assert parse_comparison("Answer: yes") == "yes"
    assert parse_option("Answer: (b)") == parse_answer("esr", "Answer: (b)") == "b"
    assert parse_matching("Matching: a→3, b→1, c→2") == "a3,b1,c2"


def test_unknown_task_raises():
    with pytest.raises(ValueError, match="unknown task"):
        parse_answer("xyz", "Answer: (a)")


def test_every_conclusion_line_parses_back():
    """The conclusion line of every possible canonical answer of every task parses to itself."""
    answers = {
        "ied": list(EMOTIONS),
        "epc": list(rules.EPC_ANSWERS),
        "ess": list(rules.OPTIONS),
        "esr": list(rules.OPTIONS),
        "eim": [rules.format_matching(p) for p in ((1, 2, 3), (1, 3, 2), (2, 1, 3), (2, 3, 1), (3, 1, 2), (3, 2, 1))],
    }
    for task, values in answers.items():
        for value in values:
            assert parse_answer(task, rules.conclusion(task, value)) == value, (task, value)


def test_each_description_alone_names_its_own_emotion():
    """A chain-of-thought cut off after its description still parses to the described emotion:
    descriptions never mention another emotion's words."""
    for emotion, sentences in templates.DESCRIPTIONS.items():
        for sentence in sentences:
            assert parse_emotion(sentence) == emotion, sentence
