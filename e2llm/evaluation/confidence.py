"""How sure the model is of the emotion an answer names, and how well that matches how often it is right.

The confidence of an answer that concludes emotion E is read from the logits of the generation
pass itself, at the first token where the answer names E: the probability mass on E's words,
normalised over the words of the seven emotions (:data:`e2llm.emotions.ANSWER_WORDS`, the words
the answer parser reads: ``sad``, ``sadness``, ``sorrow``…; ``happy``, ``joy``, ``cheerful``…).
The first naming is where a chain-of-thought answer commits to its emotion ("The EEG signals
indicate sorrow…"); the conclusion line that repeats it ("Emotion: sad") is copied from the
description and nearly always certain (measured on the demo's model: a mean of 0.997 at the
conclusion). Nothing is generated or scored a second time.

- :class:`EmotionVocabulary`: the first token of every emotion word in each spelling a tokenizer
  may produce (with or without a leading space, lower-case or capitalised). A spelling whose first
  tokens do not tell the emotions apart (two emotions beginning with the same token) is not used.
- :class:`EmotionLogitsRecorder`: a ``transformers`` ``LogitsProcessor`` that keeps, at every
  decoding step, the logits of those tokens only (a few dozen numbers, not the vocabulary).
- :func:`emotion_confidence`: finds the first place in a generated sequence where the answer names
  its emotion and returns the normalised probabilities there.
- :func:`calibration`: the expected calibration error (ECE, equal-width bins) of the confidences
  against correctness, with a bootstrap interval, and the bins of a reliability diagram.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from transformers import LogitsProcessor

from ..configuration_e2llm import EMOTIONS
from ..emotions import ANSWER_WORDS
from .metric.e2llm_metrics import N_RESAMPLES, bootstrap_interval

N_BINS = 10
_SPELLINGS = (("", str.lower), (" ", str.lower), ("", str.capitalize), (" ", str.capitalize))


@dataclass(frozen=True)
class _Spelling:
    """First token id → emotion, for one way of writing the emotion words."""

    token_emotion: dict[int, str]


class EmotionVocabulary:
    """The tokens that begin each emotion's words, per spelling, for one tokenizer."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.spellings: list[_Spelling] = []
        for prefix, case in _SPELLINGS:
            claims: dict[int, set[str]] = {}
            for emotion in EMOTIONS:
                for word in ANSWER_WORDS[emotion]:
                    ids = tokenizer(prefix + case(word), add_special_tokens=False)["input_ids"]
                    if ids:
                        claims.setdefault(ids[0], set()).add(emotion)
            token_emotion = {t: next(iter(es)) for t, es in claims.items() if len(es) == 1}
            if set(token_emotion.values()) == set(EMOTIONS):  # every emotion has a token of its own
                self.spellings.append(_Spelling(token_emotion))
        self.token_ids: list[int] = sorted({t for s in self.spellings for t in s.token_emotion})
        self._column = {t: i for i, t in enumerate(self.token_ids)}
        self._word = {
            e: re.compile(
                "(?:" + "|".join(map(re.escape, sorted(ANSWER_WORDS[e], key=len, reverse=True))) + ")(?![a-z])"
            )
            for e in EMOTIONS
        }

    def locate(self, generated_ids: Sequence[int], emotion: str) -> tuple[int, _Spelling] | None:
        """The first step at which ``generated_ids`` begins one of ``emotion``'s words, and the
        spelling of that token; ``None`` if the answer never writes one."""
        if emotion not in self._word:
            return None
        ids = [int(t) for t in generated_ids]
        for step in range(len(ids)):
            for spelling in self.spellings:
                if spelling.token_emotion.get(ids[step]) != emotion:
                    continue
                text = self.tokenizer.decode(ids[step : step + 8], skip_special_tokens=True).lstrip().lower()
                if self._word[emotion].match(text):
                    return step, spelling
        return None

    def probabilities(self, logits: torch.Tensor, spelling: _Spelling) -> dict[str, float]:
        """{emotion: probability} from the recorded logits of one step (``(len(token_ids),)``):
        softmax over the spelling's tokens, summed per emotion."""
        tokens = list(spelling.token_emotion)
        values = logits[[self._column[t] for t in tokens]].double()
        mass = torch.softmax(values, dim=0).tolist()
        probs = dict.fromkeys(EMOTIONS, 0.0)
        for token, p in zip(tokens, mass):
            probs[spelling.token_emotion[token]] += p
        return probs


class EmotionLogitsRecorder(LogitsProcessor):
    """Keeps the logits of ``token_ids`` at every decoding step and changes nothing.

    After ``generate(..., logits_processor=LogitsProcessorList([recorder]))``,
    :meth:`logits` is (batch, steps, len(token_ids)) float32: step s holds the logits that chose
    the s-th generated token of each row.
    """

    def __init__(self, token_ids: Sequence[int]):
        self.index = torch.tensor(list(token_ids), dtype=torch.long)
        self.steps: list[torch.Tensor] = []

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        self.steps.append(scores[:, self.index.to(scores.device)].float().cpu())
        return scores

    def logits(self) -> torch.Tensor:
        return torch.stack(self.steps, dim=1) if self.steps else torch.zeros(0, 0, len(self.index))


def emotion_confidence(
    vocabulary: EmotionVocabulary, generated_ids: Sequence[int], step_logits: torch.Tensor, emotion: str
) -> tuple[float | None, dict[str, float] | None]:
    """``(confidence, probabilities)`` of an answer that concludes ``emotion``: the probabilities
    over the seven emotions where it first names it, from that step's recorded logits (``step_logits``:
    (steps, len(token_ids)) of this row). ``(None, None)`` when the answer names no emotion word
    the vocabulary can read (an invalid answer, a synonym, or no usable spelling)."""
    found = vocabulary.locate(generated_ids, emotion)
    if found is None or found[0] >= step_logits.shape[0]:
        return None, None
    step, spelling = found
    probs = vocabulary.probabilities(step_logits[step], spelling)
    return probs[emotion], probs


# -- calibration -----------------------------------------------------------------------------------


def _ece(confidence: np.ndarray, correct: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """ECE of R rows at once: (R, n) confidences and 0/1 correctness → (R,). Bin b holds the
    confidences in [b/n_bins, (b+1)/n_bins), the last bin 1.0 too; ECE = Σ_b (n_b / n) |acc_b − conf_b|."""
    rows, n = confidence.shape
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1) + (np.arange(rows) * n_bins)[:, None]
    size = rows * n_bins
    conf_sum = np.bincount(bins.ravel(), weights=confidence.ravel(), minlength=size).reshape(rows, n_bins)
    right_sum = np.bincount(bins.ravel(), weights=correct.ravel(), minlength=size).reshape(rows, n_bins)
    return np.abs(right_sum - conf_sum).sum(axis=1) / n


def calibration(
    confidences: Sequence[float], correct: Sequence[bool], n_bins: int = N_BINS, n_resamples=N_RESAMPLES, seed=0
) -> dict:
    """The expected calibration error of ``confidences`` against ``correct`` (equal-width bins,
    Guo et al. 2017), its 95 % bootstrap interval, and the bins of a reliability diagram.

    Returns:
        ``{"ece", "ece_ci95", "n", "mean_confidence", "accuracy", "n_bins", "bins": [{"low",
        "high", "n", "confidence", "accuracy"}, ...]}`` (empty bins have ``n`` 0 and no means);
        ``{"n": 0}`` without confidences.
    """
    conf = np.clip(np.asarray(confidences, dtype=float), 0.0, 1.0)
    right = np.asarray(correct, dtype=float)
    if conf.size == 0:
        return {"n": 0}
    bins = []
    index = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    for b in range(n_bins):
        inside = index == b
        k = int(inside.sum())
        bins.append({
            "low": b / n_bins, "high": (b + 1) / n_bins, "n": k,
            "confidence": float(conf[inside].mean()) if k else None,
            "accuracy": float(right[inside].mean()) if k else None,
        })  # fmt: skip
    return {
        "ece": float(_ece(conf[None], right[None], n_bins)[0]),
        "ece_ci95": bootstrap_interval(lambda c, r: _ece(c, r, n_bins), (conf, right), n_resamples, seed),
        "n": int(conf.size),
        "mean_confidence": float(conf.mean()),
        "accuracy": float(right.mean()),
        "n_bins": n_bins,
        "bins": bins,
    }


__all__ = ["EmotionLogitsRecorder", "EmotionVocabulary", "N_BINS", "calibration", "emotion_confidence"]
