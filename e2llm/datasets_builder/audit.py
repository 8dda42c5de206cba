"""What a train/test split shares between its sides: the leakage audit every report carries.

A segment belongs to a subject, a session of that subject, a recording (its ``source`` file), a
clip (for SEED-VII a stimulus, the same video for every subject; for other recordings one
labelled span of one recording) and a trial (one subject watching one clip). The paper's split
draws segments at random, so both sides hold every subject and nearly every clip: its figures
are those of a model that has seen the test people and the test stimuli. :func:`leakage_audit`
counts, for each of these units, how many the train and test sides hold and how many they share,
and says in one sentence what kind of split that is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..errors import InvalidInputError

COLUMNS = ("id", "subject", "session", "source", "clip")
UNITS = ("subjects", "sessions", "recordings", "clips", "trials")


def _units(columns: Mapping[str, Sequence], clip_is_stimulus: bool) -> dict[str, set]:
    rows = list(zip(*(columns[c] for c in ("subject", "session", "source", "clip"))))
    return {
        "subjects": {s for s, _, _, _ in rows},
        "sessions": {(s, n) for s, n, _, _ in rows},
        "recordings": {r for _, _, r, _ in rows},
        "clips": {c if clip_is_stimulus else (r, c) for _, _, r, c in rows},
        "trials": {(s, c) if clip_is_stimulus else (r, c) for s, _, r, c in rows},
    }


def _share(shared: int, test: int, noun: str) -> str:
    if test == 0:
        return f"no {noun}"
    if shared == test:
        return f"all {test} of their {noun}" if test > 1 else f"their one {noun[:-1]}"
    return f"{shared} of their {test} {noun}"


def _verdict(split: str, counts: Mapping[str, Mapping[str, int]], foreign: int) -> str:
    subjects, clips = counts["subjects"], counts["clips"]
    people = "subject-dependent" if subjects["shared"] else "subject-independent"
    stimuli = "clip-overlapping" if clips["shared"] else "clip-disjoint"
    name = f"{people}, {stimuli} split ({split!r})" if split else f"{people}, {stimuli} split (its name not recorded)"
    if subjects["shared"] and clips["shared"]:
        text = (
            f"{name}: the test segments share {_share(subjects['shared'], subjects['test'], 'subjects')} and "
            f"{_share(clips['shared'], clips['test'], 'clips')} with training"
            + (" (the paper's protocol)" if split == "paper" else "")
            + "; expect optimistic figures"
        )
    elif subjects["shared"]:
        text = (
            f"{name}: no test clip is in training, but {_share(subjects['shared'], subjects['test'], 'subjects')} "
            "are; the figures measure new stimuli seen by known people"
        )
    elif clips["shared"]:
        text = (
            f"{name}: no test subject is in training (the clips, the same stimuli, are); the figures measure "
            "generalisation to new people"
        )
    else:
        text = f"{name}: no test subject and no test clip is in training; the figures measure new people and stimuli"
    if foreign:
        text += f". WARNING: {foreign} test sample(s) use segments that are not in the test split"
    return text


def leakage_audit(
    train: Mapping[str, Sequence],
    test: Mapping[str, Sequence],
    *,
    split: str | None = None,
    settings: Mapping | None = None,
    clip_is_stimulus: bool = True,
    sample_segments: Sequence[Sequence[str]] | None = None,
) -> dict:
    """Count what the two sides of a split share.

    Args:
        train, test: the segments' metadata as columns (``id``, ``subject``, ``session``,
            ``source``, ``clip``), e.g. ``dataset.select_columns(COLUMNS).to_dict()``.
        split: the split's name (``paper``, ``clip``, ``subject``); ``None``: unknown.
        settings: the split's settings as the build recorded them (seed, test_size, test_subjects).
        clip_is_stimulus: clip numbers name the same stimulus in every recording (SEED-VII);
            otherwise a clip is one span of one recording.
        sample_segments: the segment ids of each evaluated sample, to check they are test segments.

    Returns:
        ``{"split", "settings", "segments", "subjects", "sessions", "recordings", "clips",
        "trials", "test_samples", "verdict"}``: each unit ``{"train": n, "test": n, "shared": n}``;
        ``test_samples``: ``{"n": samples checked, "using_other_segments": n}`` (when given).
    """
    missing = [c for c in COLUMNS if c not in train or c not in test]
    if missing:
        raise InvalidInputError(f"the segments lack column(s) {', '.join(missing)}; no leakage audit is possible")
    a, b = _units(train, clip_is_stimulus), _units(test, clip_is_stimulus)
    counts = {u: {"train": len(a[u]), "test": len(b[u]), "shared": len(a[u] & b[u])} for u in UNITS}
    audit = {
        "split": split,
        "settings": {k: v for k, v in (settings or {}).items() if k in ("split", "seed", "test_size", "test_subjects")},
        "segments": {"train": len(train["id"]), "test": len(test["id"])},
        **counts,
    }
    foreign = 0
    if sample_segments is not None:
        test_ids = set(test["id"])
        foreign = sum(1 for ids in sample_segments if not set(ids) <= test_ids)
        audit["test_samples"] = {"n": len(sample_segments), "using_other_segments": foreign}
    audit["verdict"] = _verdict(audit["split"], counts, foreign)
    return audit


def format_audit(audit: Mapping) -> str:
    """The audit as a few plain lines: one per unit, then the verdict."""
    lines = [f"{'leakage audit':<14}{'train':>8}{'test':>8}{'shared':>8}"]
    for unit in UNITS:
        c = audit[unit]
        lines.append(f"{unit:<14}{c['train']:>8}{c['test']:>8}{c['shared']:>8}")
    lines.append(f"split: {audit['verdict']}")
    return "\n".join(lines)


def audit_segments(path, sample_segments: Sequence[Sequence[str]] | None = None) -> dict:
    """:func:`leakage_audit` of a segments dataset folder written by ``e2llm prepare``: the split's
    name, settings and kind of clip come from its ``summary.json`` (unknown without one).

    Raises:
        FileNotFoundError / ValueError: not a segments dataset (so no audit is possible).
    """
    from .lookup import load_segments, read_summary

    dataset = load_segments(path)
    summary = read_summary(path) or {}
    settings = summary.get("settings") or {}
    columns = {name: dataset[name].select_columns(list(COLUMNS)).to_dict() for name in ("train", "test")}
    return leakage_audit(
        columns["train"],
        columns["test"],
        split=settings.get("split"),
        settings=settings,
        clip_is_stimulus=summary.get("input_format") != "files",
        sample_segments=sample_segments,
    )


__all__ = ["COLUMNS", "UNITS", "audit_segments", "format_audit", "leakage_audit"]
