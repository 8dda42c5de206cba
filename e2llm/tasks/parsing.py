"""Answers from free generated text, in the canonical format of the ``answer`` column.

:func:`parse_answer` is what the evaluation calls; it returns :data:`INVALID` (``"invalid"``)
when nothing parses, which counts as wrong and is reported separately.

Every parser first looks for the explicit conclusion line the reference answers end with
(``Emotion: sad``, ``Answer: yes``, ``Answer: (b)``, ``Matching: a→2, b→1, c→3``), taking the
*last* one, so the descriptions before it (which mention emotions and segments) never decide.
Without one, it falls back to weaker cues and returns an answer only when they are unambiguous.
Before parsing, a Qwen3 ``<think>…</think>`` block is dropped (when text follows it), as are
special tokens such as ``<|im_end|>`` and Markdown emphasis; case is ignored.
"""

from __future__ import annotations

import re

from ..emotions import ANSWER_WORDS
from ..errors import InvalidInputError

INVALID = "invalid"

_WORD_TO_EMOTION = {w: e for e, words in ANSWER_WORDS.items() for w in words}  # matched as whole words
_EMOTION_WORDS = re.compile(r"\b(" + "|".join(sorted(_WORD_TO_EMOTION, key=len, reverse=True)) + r")\b")
_NEGATION = re.compile(
    r"(?:\bnot|\bno|\bnever|\bwithout|\bneither|\bnor|n't|\brather than|\binstead of|\black of"
    r"|\babsence of|\bfree of|\bless)\s+(?:\w+\s+){0,2}$"
)

_EMOTION_CUE = re.compile(
    r"\b(?:emotion(?:al\s+state)?|label|category|class|feeling)s?"
    r"(?:\s*(?::|=|-|is|was|would\s+be|seems\s+to\s+be|appears\s+to\s+be))+\s*"
    r"(?:(?:a|an|the|one|of|state|likely|probably|most|clearly|primarily|mainly|mostly|predominantly|strong|mild)\s+)*"
    r"([a-z]+)"
)

_LETTER = (
    r"(?:(?:segment|option|choice|eeg|individual|person)\s*\(?\s*([abc])\b\)?"
    r"|\(\s*([abc])\s*\)|\b([abc])\)|\b([abc])(?=\s*(?:$|[.,;:!?\n]))|\b(first|second|third)\b)"
)
_ORDINALS = {"first": "a", "second": "b", "third": "c"}
_OPTION_CUES = (
    re.compile(r"\banswer\s*(?:is|:|=|-)?\s*(?:the\s+)?" + _LETTER),
    re.compile(
        r"\b(?:i\s+would\s+)?(?:choose|chose|select|selected|pick|picked|go\s+with|opt\s+for|fits|matches)"
        r"\s+(?:best\s+)?(?:the\s+)?" + _LETTER
    ),
    re.compile(
        r"(?:segment|option|choice|eeg|individual)\s*\(?\s*([abc])\b\)?\s*"
        r"(?:is\s+(?:the\s+)?(?:best|correct|right|most|answer|\w+est\b)|fits|matches|best)"
    ),
    re.compile(r"\(\s*([abc])\s*\)\s+is\s+the\s+one\b"),  # "so (b) is the one" (the ESS/ESR chain of thought)
)
_MENTION = re.compile(r"\(\s*([abc])\s*\)|(?:segment|option)\s*\(?\s*([abc])\b")
_BARE_OPTION = re.compile(r"^\s*\(?\s*([abc])\s*\)?\s*[.!]?\s*$")

_EPC_WORDS = {
    "yes": "yes",
    "no": "no",
    "equal": "equal",
    "equally": "equal",
    "same": "equal",
    "the same": "equal",
    "neither": "equal",
    "both": "equal",
}
_EPC_CUE = re.compile(r"\banswer\s*(?:is|:|=|-)?\s*[\"'(\[]*\s*(yes|no|equally|equal|the\s+same|same|neither|both)\b")
_EPC_LEAD = re.compile(r"^\W*(yes|no|equally|equal)\b")
_EPC_PHRASES = (
    (
        "equal",
        re.compile(
            r"\b(?:equally\s+happy|as\s+happy\s+as"
            r"|(?:the\s+)?same\s+(?:level|emotional\s+state|state|emotion|degree)"
            r"|neither\s+(?:one\s+|individual\s+|person\s+)?is\s+happier)\b"
        ),
    ),
    (
        "yes",
        re.compile(
            r"\bfirst\s+(?:individual|person|one|segment)?\s*(?:is|seems|appears|feels)\s+(?:to\s+be\s+)?"
            r"(?:happier|more\s+happy|in\s+a\s+happier)"
        ),
    ),
    (
        "no",
        re.compile(
            r"\bsecond\s+(?:individual|person|one|segment)?\s*(?:is|seems|appears|feels)\s+(?:to\s+be\s+)?"
            r"(?:happier|more\s+happy|in\s+a\s+happier)"
        ),
    ),
    (
        "no",
        re.compile(
            r"\bfirst\s+(?:individual|person|one|segment)?\s*(?:is|seems|appears|feels)\s+(?:to\s+be\s+)?"
            r"(?:less\s+happy|unhappier|not\s+as\s+happy)"
        ),
    ),
    (
        "yes",
        re.compile(
            r"\bsecond\s+(?:individual|person|one|segment)?\s*(?:is|seems|appears|feels)\s+(?:to\s+be\s+)?"
            r"(?:less\s+happy|unhappier|not\s+as\s+happy)"
        ),
    ),
)

_LINK = r"\s*(?:→|:|=|-|–|—|to|with|matches|fits|goes\s+with|belongs\s+to|is|↔)\s*"
_MATCH_FORWARD = re.compile(
    r"\b([abc])\s*\)?" + _LINK + r"(?:the\s+)?"
    r"(?:scenario|individual|person|description|situation|number|no\.?|#)?\s*\(?\s*([123])\b"
)
_MATCH_COMPACT = re.compile(r"\b([abc])([123])\b")
_MATCH_REVERSE = re.compile(
    r"\b([123])\s*\)?" + _LINK + r"(?:the\s+)?"
    r"(?:(?:segment|eeg)\s*\(?\s*([abc])\b|\(\s*([abc])\s*\)|\b([abc])(?=\s*(?:$|[.,;)\n])))"
)
_MATCHING_CUE = re.compile(r"\bmatch(?:ing|es)?\s*(?:is|are)?\s*[:=\-]")


def _clean(text) -> str:
    if text is None:
        return ""
    text = str(text)
    if "</think>" in text:
        after = text.rsplit("</think>", 1)[1]
        text = after if after.strip() else text
    text = re.sub(r"</?think>", " ", text)
    text = re.sub(r"<\|[^|>]*\|>", " ", text)
    text = re.sub(r"[*_`#]", "", text)
    for arrow in ("-->", "->", "=>", "⟶", "➔", "➝", "⇒", "—>", "↦", "=="):
        text = text.replace(arrow, "→")
    return text.lower()


def _first_group(match: re.Match) -> str:
    return next(g for g in match.groups() if g)


def parse_emotion(text: str) -> str:
    """The emotion (a name of :data:`EMOTIONS`) a generation concludes, or :data:`INVALID`.

    The last ``Emotion: X``-style cue naming an emotion word (synonyms, any case) decides;
    without one, the emotion words that are not negated ("not happy", "rather than anger") must
    all name the same emotion.
    """
    text = _clean(text)
    for match in reversed(list(_EMOTION_CUE.finditer(text))):
        emotion = _WORD_TO_EMOTION.get(match.group(1))
        if emotion is not None:
            return emotion
    found = {
        _WORD_TO_EMOTION[m.group(1)]
        for m in _EMOTION_WORDS.finditer(text)
        if not _NEGATION.search(text[max(0, m.start() - 40) : m.start()])
    }
    return found.pop() if len(found) == 1 else INVALID


def parse_option(text: str) -> str:
    """The option letter (``a``, ``b`` or ``c``) a generation concludes (ESS, ESR), or
    :data:`INVALID`.

    The last cue ("Answer: (b)", "answer is segment b", "I choose (c)", "segment (a) fits best",
    "so (a) is the one", "answer: the second") decides; otherwise a bare "b" / "(b)" reply, or the
    one option that is mentioned as "(x)" / "segment x" when exactly one is.
    """
    text = _clean(text)
    best = None
    for cue in _OPTION_CUES:
        for match in cue.finditer(text):
            if best is None or match.start() >= best.start():
                best = match
    if best is not None:
        value = _first_group(best)
        return _ORDINALS.get(value, value)
    bare = _BARE_OPTION.match(text)
    if bare:
        return bare.group(1)
    found = {_first_group(m) for m in _MENTION.finditer(text)}
    return found.pop() if len(found) == 1 else INVALID


def parse_comparison(text: str) -> str:
    """The EPC answer ``yes`` / ``no`` / ``equal`` of a generation, or :data:`INVALID`.

    The last "Answer: …" decides ("equally", "the same", "neither" mean ``equal``); then a reply
    that starts or ends with yes / no / equal; then unambiguous phrases ("the first individual is
    happier", "the second is happier", "equally happy").
    """
    text = _clean(text)
    cues = list(_EPC_CUE.finditer(text))
    if cues:
        return _EPC_WORDS[re.sub(r"\s+", " ", cues[-1].group(1))]
    lead = _EPC_LEAD.match(text)
    if lead:
        return _EPC_WORDS[lead.group(1)]
    lines = [ln.strip(" .!\t") for ln in text.splitlines() if ln.strip(" .!\t")]
    if lines and lines[-1] in _EPC_WORDS:
        return _EPC_WORDS[lines[-1]]
    found = {answer for answer, pattern in _EPC_PHRASES if pattern.search(text)}
    return found.pop() if len(found) == 1 else INVALID


def _matching_from(pairs: list[tuple[str, str]]) -> str | None:
    mapping: dict[str, str] = {}
    for letter, number in pairs:
        if mapping.get(letter, number) != number:
            return None
        mapping[letter] = number
    if sorted(mapping) != ["a", "b", "c"] or sorted(mapping.values()) != ["1", "2", "3"]:
        return None
    return ",".join(f"{letter}{mapping[letter]}" for letter in "abc")


def parse_matching(text: str) -> str:
    """The EIM matching as ``"a2,b1,c3"`` (scenario number of segment a, b, c), or
    :data:`INVALID` unless a complete one-to-one matching is given.

    Reads the text after the last "Matching:" cue (else the whole text); accepts ``a→2``,
    ``a -> 2``, ``a: 2``, ``(a) matches scenario 2``, ``a2 b1 c3`` and the reverse
    ``1 → b``, ``scenario 1: segment b``. Conflicting or partial matchings are invalid.
    """
    text = _clean(text)
    regions = []
    cues = list(_MATCHING_CUE.finditer(text))
    if cues:
        regions.append(text[cues[-1].end() :])
    regions.append(text)
    for region in regions:
        candidates = (
            [(m.group(1), m.group(2)) for m in _MATCH_FORWARD.finditer(region)],
            [(m.group(1), m.group(2)) for m in _MATCH_COMPACT.finditer(region)],
            [(next(g for g in m.groups()[1:] if g), m.group(1)) for m in _MATCH_REVERSE.finditer(region)],
        )
        for pairs in candidates:
            if pairs:
                result = _matching_from(pairs)
                if result is not None:
                    return result
    return INVALID


_PARSERS = {
    "ied": parse_emotion,
    "epc": parse_comparison,
    "ess": parse_option,
    "eim": parse_matching,
    "esr": parse_option,
}


def parse_answer(task: str, text: str) -> str:
    """The canonical answer of ``task`` in generated ``text`` (for ESR: the final, T2 generation),
    in the format of the ``answer`` column, or :data:`INVALID`.

    Raises:
        ValueError: unknown task.
    """
    try:
        parser = _PARSERS[task]
    except KeyError:
        raise InvalidInputError(f"unknown task {task!r}; expected one of {tuple(_PARSERS)}") from None
    return parser(text)
