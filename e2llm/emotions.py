"""The words that name each of the seven emotions — one home for the vocabulary.

A data file's label is read strictly (:data:`LABEL_FORMS`: the name and its inflections,
``Happiness``, ``angry``); generated text is read broadly (:data:`ANSWER_WORDS`: those and
near-synonyms, ``delighted``, ``furious``), since a model describes rather than labels.
"""

from __future__ import annotations

from .configuration_e2llm import EMOTIONS

LABEL_FORMS: dict[str, tuple[str, ...]] = {
    "happy": ("happy", "happiness", "joy", "joyful"),
    "surprise": ("surprise", "surprised"),
    "neutral": ("neutral", "neutrality"),
    "disgust": ("disgust", "disgusted"),
    "fear": ("fear", "fearful", "afraid"),
    "sad": ("sad", "sadness"),
    "anger": ("anger", "angry"),
}
# one word per emotion, the noun the reference answers name it by (``Segment (a): sadness``;
# ``tasks.templates.EMOTION_NOUNS`` is built from it); the projector's warm start begins each EEG
# token at the LM's embedding of one of these
EMOTION_WORDS: dict[str, str] = {
    "happy": "happiness",
    "surprise": "surprise",
    "neutral": "neutral",
    "disgust": "disgust",
    "fear": "fear",
    "sad": "sadness",
    "anger": "anger",
}
ANSWER_WORDS: dict[str, tuple[str, ...]] = {
    "happy": LABEL_FORMS["happy"]
    + (
        "happier",
        "happiest",
        "joyous",
        "glad",
        "cheerful",
        "delighted",
        "delight",
        "elated",
        "pleased",
        "contented",
        "contentment",
    ),
    "surprise": LABEL_FORMS["surprise"]
    + ("surprising", "astonished", "astonishment", "amazed", "amazement", "startled", "shocked", "astounded"),
    "neutral": LABEL_FORMS["neutral"]
    + ("calm", "calmness", "indifferent", "indifference", "emotionless", "unemotional", "impassive"),
    "disgust": LABEL_FORMS["disgust"]
    + (
        "disgusting",
        "revulsion",
        "repulsed",
        "revolted",
        "aversion",
        "repugnance",
        "loathing",
        "distaste",
        "repelled",
        "repulsive",
        "repulsion",
    ),
    "fear": LABEL_FORMS["fear"]
    + (
        "scared",
        "frightened",
        "terrified",
        "terror",
        "anxious",
        "anxiety",
        "dread",
        "panic",
        "panicked",
        "fright",
        "apprehension",
        "apprehensive",
    ),
    "sad": LABEL_FORMS["sad"]
    + (
        "sadder",
        "saddest",
        "sorrow",
        "sorrowful",
        "depressed",
        "depression",
        "unhappy",
        "unhappiness",
        "grief",
        "grieving",
        "melancholy",
        "melancholic",
        "gloomy",
        "dejected",
        "downcast",
        "miserable",
        "heartbroken",
    ),
    "anger": LABEL_FORMS["anger"]
    + (
        "angrier",
        "angriest",
        "furious",
        "fury",
        "rage",
        "enraged",
        "irritated",
        "irritation",
        "annoyed",
        "annoyance",
        "hostile",
        "hostility",
        "outraged",
        "resentful",
        "resentment",
        "frustrated",
        "frustration",
        "mad",
    ),
}
assert set(LABEL_FORMS) == set(ANSWER_WORDS) == set(EMOTIONS)

_LABEL_TO_EMOTION = {word: emotion for emotion, words in LABEL_FORMS.items() for word in words}


def emotion_of_label(label, label_map=None) -> str | None:
    """The emotion (one of ``EMOTIONS``) a data file's label names, or ``None``.

    Case-insensitive; ``label_map`` first maps a file's own codes (e.g. ``{'T1': 'happy'}``).
    """
    text = str(label).strip()
    if label_map:
        mapped = label_map.get(text, label_map.get(text.lower()))
        if mapped is not None:
            text = str(mapped).strip()
    return _LABEL_TO_EMOTION.get(text.lower())


__all__ = ["ANSWER_WORDS", "LABEL_FORMS", "emotion_of_label"]
