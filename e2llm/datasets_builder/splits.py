"""Train/test splits of a segments table.

``paper``
    Segment-level, as the paper's: a seeded draw of :data:`PAPER_TEST_FRACTION` of each emotion's
    segments, so train and test share every subject, session and clip (neighbouring segments of
    one clip fall on both sides). The fraction is the paper's test share, 2,761 of 27,205 segments
    (10.15 %); a 10 % random draw of segments would not give that number, and the paper does not
    say how it drew its test set, so this reproduces its sizes, not its exact rule.
``clip``
    No clip in both train and test: whole clips are held out, stratified by emotion. For
    SEED-VII a clip is a stimulus (clip numbers 1–80 are the same videos for every subject), so a
    held-out clip is held out for all subjects; for other recordings a clip is one labelled span
    of one recording.
``subject``
    Leave subjects out: all segments of the test subjects (given, or a seeded random
    :data:`PAPER_TEST_FRACTION` of the subjects, at least one).

Assignments depend only on the segments' metadata and the seed, never on processing order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..configuration_e2llm import EMOTIONS
from ..errors import InvalidInputError

SPLITS = ("paper", "clip", "subject")
PAPER_TEST_FRACTION = 2761 / (24444 + 2761)


def _rng(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), *[int(k) for k in keys]])


def assign_test(
    rows: Sequence[dict],
    split: str = "paper",
    *,
    test_size: float | None = None,
    test_subjects: Sequence[str] | None = None,
    seed: int = 0,
    clip_is_stimulus: bool = True,
) -> np.ndarray:
    """Which segments go to the test split.

    Args:
        rows: one dict per segment with ``id``, ``emotion``, ``subject``, ``clip``, ``source``.
        split: ``"paper"``, ``"clip"`` or ``"subject"``.
        test_size: fraction held out (default :data:`PAPER_TEST_FRACTION`).
        test_subjects: for ``split="subject"``, the subjects to hold out.
        seed: seed of the random choices.
        clip_is_stimulus: for ``split="clip"``, clip numbers name the same stimulus across
            recordings (SEED-VII); otherwise a clip is (source, clip).

    Returns:
        (n,) bool array, True for test.

    Raises:
        ValueError: unknown split, or a split that leaves train or test empty.
    """
    if split not in SPLITS:
        raise InvalidInputError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    frac = PAPER_TEST_FRACTION if test_size is None else float(test_size)
    if not 0.0 < frac < 1.0:
        raise InvalidInputError(f"test_size must be between 0 and 1 (got {frac})")
    n = len(rows)
    is_test = np.zeros(n, dtype=bool)
    ids = [r["id"] for r in rows]
    if split == "paper":
        for e, emotion in enumerate(EMOTIONS):
            idx = sorted((i for i in range(n) if rows[i]["emotion"] == emotion), key=lambda i: ids[i])
            n_test = int(round(len(idx) * frac))
            if n_test:
                chosen = _rng(seed, 1, e).permutation(len(idx))[:n_test]
                is_test[np.asarray(idx)[chosen]] = True
    elif split == "clip":

        def group(r):
            return (r["clip"],) if clip_is_stimulus else (r["source"], r["clip"])

        for e, emotion in enumerate(EMOTIONS):
            groups = sorted({group(r) for r in rows if r["emotion"] == emotion})
            n_test = int(round(len(groups) * frac))
            if len(groups) >= 2:
                n_test = min(max(n_test, 1), len(groups) - 1)
            else:
                n_test = 0
            held = {groups[k] for k in _rng(seed, 2, e).permutation(len(groups))[:n_test]}
            for i, r in enumerate(rows):
                if r["emotion"] == emotion and group(r) in held:
                    is_test[i] = True
    else:
        subjects = sorted({r["subject"] for r in rows})
        if test_subjects:
            held = {str(s) for s in test_subjects}
            unknown = held - set(subjects)
            if unknown:
                raise InvalidInputError(
                    f"test subjects {sorted(unknown)} are not in the data (subjects: {', '.join(subjects)})"
                )
        else:
            if len(subjects) < 2:
                raise InvalidInputError(
                    f"a leave-subjects-out split needs at least 2 subjects; the data has {len(subjects)}"
                )
            n_test = min(max(int(round(len(subjects) * frac)), 1), len(subjects) - 1)
            held = {subjects[k] for k in _rng(seed, 3).permutation(len(subjects))[:n_test]}
        is_test = np.array([r["subject"] in held for r in rows], dtype=bool)
    if n and (is_test.all() or not is_test.any()):
        raise InvalidInputError(
            f"the {split!r} split of {n} segments leaves the {'train' if is_test.all() else 'test'} split empty; "
            "use more data or another test_size"
        )
    return is_test


__all__ = ["PAPER_TEST_FRACTION", "SPLITS", "assign_test"]
