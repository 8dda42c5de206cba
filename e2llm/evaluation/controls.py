"""Signal controls: the same test run with the EEG taken away, to show that the scores come from it.

A model that answers as well without its EEG has not shown that it reads EEG: its scores may come
from the text of the prompts, an answer bias, or the order of options. Each control changes only
what the model is given as EEG; the prompts' text and the reference answers stay as they are, and
the control is generated and scored exactly as the real run.

``shuffled``
    Every sample gets the segments of another test sample of the same task (a seeded
    permutation with no fixed point, drawn over all of that task's test samples, so that it does
    not depend on how many are evaluated): the same number of segments, in the same places, none of
    them its own. The EEG is real, but unrelated to the question.
``noise``
    Every segment is replaced by pink noise (power ∝ 1/f, like the background of EEG, rather than
    white) with that segment's per-channel mean and standard deviation; a channel that was
    missing (all zeros) stays zero. Seeded by the segment id, so a rerun draws the same noise.
``no-eeg``
    The EEG parts are removed from the prompt: what the language model says from the text alone.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence

import numpy as np

from ..errors import InvalidInputError
from ..tasks.messages import segment_ids_of

CONTROLS: tuple[str, ...] = ("shuffled", "noise", "no-eeg")
NOISE_KIND = "pink (1/f)"
# bumped when a control's construction changes, so that earlier generations are not reused
CONTROLS_VERSION = 1


def metrics_key(control: str) -> str:
    """The control's key in ``metrics.json`` (``no-eeg`` → ``no_eeg``)."""
    return control.replace("-", "_")


def check_controls(controls: Sequence[str] | None) -> list[str]:
    """The control names, checked, without repeats; an unknown one is a ``ValueError``."""
    names = list(dict.fromkeys(controls or ()))
    unknown = [c for c in names if c not in CONTROLS]
    if unknown:
        raise InvalidInputError(
            f"unknown control(s) {', '.join(map(repr, unknown))}; choose from {', '.join(CONTROLS)}"
        )
    return names


def _layout(messages: Sequence[Mapping]) -> tuple[int, ...]:
    """How many EEG parts each message holds: a donor must have the same."""
    return tuple(
        0 if isinstance(m["content"], str) else sum(p.get("type") == "eeg" for p in m["content"]) for m in messages
    )


def _rng(seed: int, *keys: str) -> np.random.Generator:
    return np.random.default_rng([int(seed)] + [zlib.crc32(k.encode()) for k in keys])


def derangement(segment_sets: Sequence[frozenset], rng: np.random.Generator, what: str = "samples") -> list[int]:
    """A permutation ``donor`` of ``range(n)`` in which no sample is its own donor and no donor
    shares a segment with its sample: a seeded random permutation, its conflicts swapped away."""
    n = len(segment_sets)
    if n < 2:
        raise InvalidInputError(f"the shuffled control needs at least 2 {what}, not {n}")

    def bad(i: int, d: int) -> bool:
        return i == d or bool(segment_sets[i] & segment_sets[d])

    donor = rng.permutation(n)
    for _ in range(20):
        conflicts = [i for i in range(n) if bad(i, donor[i])]
        if not conflicts:
            return donor.tolist()
        for i in conflicts:
            for j in rng.permutation(n):
                if not bad(i, donor[j]) and not bad(j, donor[i]):
                    donor[i], donor[j] = donor[j], donor[i]
                    break
    raise InvalidInputError(f"the shuffled control cannot give every one of {n} {what} segments other than its own")


def with_segment_ids(messages: Sequence[Mapping], segment_ids: Sequence[str]) -> list[dict]:
    """``messages`` with their EEG parts' segment ids replaced, in order of appearance."""
    ids = iter(segment_ids)
    out = []
    for message in messages:
        if isinstance(message["content"], str):
            out.append(dict(message))
            continue
        content = [{**p, "segment_id": next(ids)} if p.get("type") == "eeg" else dict(p) for p in message["content"]]
        out.append({**message, "content": content})
    return out


def without_eeg(messages: Sequence[Mapping]) -> list[dict]:
    """``messages`` with their EEG parts removed (the text stays)."""
    return [
        dict(m)
        if isinstance(m["content"], str)
        else {**m, "content": [p for p in m["content"] if p.get("type") != "eeg"]}
        for m in messages
    ]


def shuffled_messages(groups: Mapping[str, Sequence[Sequence[Mapping]]], seed: int) -> dict[str, list[list[dict]]]:
    """For each group of samples (one task of one split: ``name → [messages, …]``), every sample's
    messages with the segments of its donor (:func:`derangement`, seeded by ``seed`` and the
    group's name); samples of different EEG layouts are shuffled among their own layout."""
    out = {}
    for name, samples in groups.items():
        result: list = [None] * len(samples)
        by_layout: dict[tuple, list[int]] = {}
        for i, messages in enumerate(samples):
            by_layout.setdefault(_layout(messages), []).append(i)
        for layout, members in by_layout.items():
            ids = [segment_ids_of(samples[i]) for i in members]
            donors = derangement(
                [frozenset(x) for x in ids], _rng(seed, "shuffled", name, str(layout)), f"{name} samples"
            )
            for k, i in enumerate(members):
                result[i] = with_segment_ids(samples[i], ids[donors[k]])
        out[name] = result
    return out


def pink_noise_like(eeg: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Noise of ``eeg``'s shape (channels, samples) with power ∝ 1/f and, per channel, ``eeg``'s
    mean and standard deviation."""
    channels, samples = eeg.shape
    spectrum = rng.standard_normal((channels, samples // 2 + 1)) + 1j * rng.standard_normal(
        (channels, samples // 2 + 1)
    )
    freqs = np.fft.rfftfreq(samples)
    spectrum[:, 0] = 0.0
    spectrum[:, 1:] /= np.sqrt(freqs[1:])
    noise = np.fft.irfft(spectrum, n=samples)
    noise = (noise - noise.mean(axis=1, keepdims=True)) / noise.std(axis=1, keepdims=True)
    eeg = np.asarray(eeg, dtype=np.float64)
    return (noise * eeg.std(axis=1, keepdims=True) + eeg.mean(axis=1, keepdims=True)).astype(np.float32)


class NoiseLookup:
    """A segment lookup (id → ``(eeg, channel_mask)``) that answers with :func:`pink_noise_like`
    of the segment, drawn from a generator seeded by ``seed`` and the segment id."""

    def __init__(self, lookup, seed: int = 0):
        self.lookup, self.seed = lookup, seed

    def __getitem__(self, segment_id):
        eeg, mask = self.lookup[segment_id]
        return pink_noise_like(np.asarray(eeg), _rng(self.seed, "noise", str(segment_id))), mask


__all__ = [
    "CONTROLS",
    "CONTROLS_VERSION",
    "NOISE_KIND",
    "NoiseLookup",
    "check_controls",
    "derangement",
    "metrics_key",
    "pink_noise_like",
    "shuffled_messages",
    "with_segment_ids",
    "without_eeg",
]
