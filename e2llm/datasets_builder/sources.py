"""Finding the recordings of an input folder and turning one recording into segments.

Three input formats:

``seed-vii``
    SEED-VII as distributed: ``EEG_raw/<subject>_<date>_<session>.cnt`` (Neuroscan, read with
    an explicit ``cnt_format``, 'int32' by default), clip boundaries from the in-file start/end
    triggers or, where those are known wrong or too few, the session's
    ``save_info/<stem>_trigger_info.csv`` (also read inside ``save_info.zip``), emotions from
    ``emotion_label_and_stimuli_order.xlsx`` (or the published order).
``seed-vii-preprocessed``
    ``EEG_preprocessed/<subject>.mat`` with keys '1'…'80' (62 × T, µV, 200 Hz), channel names from
    ``Channel Order.xlsx`` if present. The synthetic generator writes this layout.
``files``
    Any MNE-readable recordings anywhere under the folder, labelled by a CSV (one given
    explicitly with a ``file`` column, or a sidecar ``<stem>.labels.csv`` / BIDS
    ``<stem>_events.tsv``) or by their own annotations.

One :class:`RecordingTask` per recording file; :func:`process_task` streams its segments to a
shard file on disk so no recording's segments accumulate in memory.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..eeg.errors import RecordingError, SystemReadError, is_system_error, system_errno
from ..eeg.formats import RECORDING_SUFFIXES
from ..eeg.preprocessing import LabeledSpan, PreprocessingConfig, Segment, segments_from_spans
from ..eeg.readers import labels_from_annotations, read_labels_csv, read_recording
from ..eeg.seed_vii import (
    SEED_VII_CLIPS_PER_SESSION,
    SEED_VII_MAT_UNIT,
    SEED_VII_SFREQ,
    find_seed_vii_trigger_files,
    list_mat_variables,
    parse_seed_vii_cnt_name,
    read_seed_vii_channel_order,
    read_seed_vii_labels,
    seed_vii_clip_spans,
    seed_vii_mat_clip,
)
from ..eeg.synthetic import SYNTHETIC_MARKER
from ..errors import InvalidInputError, MissingInputError

FORMATS = ("seed-vii", "seed-vii-preprocessed", "files")


@dataclass
class RecordingTask:
    """One recording to process (picklable, so it can go to a worker process).

    Attributes:
        kind: the input format.
        path: absolute path of the recording file.
        source: its path relative to the input folder (POSIX), stored in the dataset.
        subject: subject identifier (string).
        session: session number when known from the file name, else None.
        options: format-specific settings (cnt format, labels, channel names, …).
    """

    kind: str
    path: str
    source: str
    subject: str
    session: int | None = None
    options: dict = field(default_factory=dict)


def detect_format(input_dir) -> str:
    """'seed-vii' if there is an ``EEG_raw`` folder of .cnt files, 'seed-vii-preprocessed' for an
    ``EEG_preprocessed`` folder of .mat files, else 'files'."""
    d = Path(input_dir)
    if (d / "EEG_raw").is_dir() and any((d / "EEG_raw").glob("*.cnt")):
        return "seed-vii"
    if (d / "EEG_preprocessed").is_dir() and any((d / "EEG_preprocessed").glob("*.mat")):
        return "seed-vii-preprocessed"
    return "files"


def is_synthetic(input_dir) -> bool:
    """True if the folder was written by the synthetic generator (it holds ``SYNTHETIC.txt``)."""
    return (Path(input_dir) / SYNTHETIC_MARKER).is_file()


def _numeric_key(path: Path):
    digits = re.findall(r"\d+", path.stem)
    return (int(digits[0]) if digits else 10**9, path.name)


def discover(
    input_dir,
    fmt: str,
    *,
    cnt_format: str | None = None,
    labels=None,
    label_map: Mapping[str, str] | None = None,
    exclude=(),
) -> tuple[list[RecordingTask], dict]:
    """The recordings of ``input_dir`` in format ``fmt``, in a stable order.

    Returns:
        ``(tasks, info)``; ``info`` says where labels come from.

    Raises:
        MissingInputError: no such folder.
        InvalidInputError: unknown format, no recordings, or an unreadable labels file.
    """
    d = Path(input_dir)
    if not d.is_dir():
        raise MissingInputError(f"{d}: input folder not found")
    if fmt not in FORMATS:
        raise InvalidInputError(f"unknown input format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "files":
        return _discover_files(d, cnt_format, labels, label_map, exclude)
    emotions, origin = read_seed_vii_labels(d)
    if fmt == "seed-vii":
        return _discover_seed_vii_raw(d, emotions, cnt_format or "int32"), {"labels": origin}
    return _discover_seed_vii_preprocessed(d, emotions), {"labels": origin}


def _discover_seed_vii_raw(d: Path, emotions, cnt_format: str) -> list[RecordingTask]:
    folder = d / "EEG_raw"
    files = sorted(folder.glob("*.cnt"), key=lambda p: (_numeric_key(p), p.name)) if folder.is_dir() else []
    if not files:
        raise InvalidInputError(f"{d}: no SEED-VII recordings found (expected EEG_raw/<subject>_<date>_<session>.cnt)")
    trigger_files = find_seed_vii_trigger_files(d)
    tasks = []
    for path in files:
        subject, session = parse_seed_vii_cnt_name(path)
        options = {"cnt_format": cnt_format, "emotions": emotions, "trigger_file": trigger_files.get(path.stem)}
        tasks.append(
            RecordingTask("seed-vii", str(path.resolve()), path.relative_to(d).as_posix(), subject, session, options)
        )
    return tasks


def _discover_seed_vii_preprocessed(d: Path, emotions) -> list[RecordingTask]:
    folder = d / "EEG_preprocessed"
    files = sorted(folder.glob("*.mat"), key=_numeric_key) if folder.is_dir() else []
    if not files:
        raise InvalidInputError(
            f"{d}: no SEED-VII preprocessed recordings found (expected EEG_preprocessed/<subject>.mat)"
        )
    channels = read_seed_vii_channel_order(d)
    tasks = []
    for path in files:
        if not re.fullmatch(r"\d+", path.stem):
            raise InvalidInputError(f"{path}: not a SEED-VII preprocessed file name (expected <subject number>.mat)")
        options = {"emotions": emotions, "channels": list(channels)}
        tasks.append(
            RecordingTask(
                "seed-vii-preprocessed", str(path.resolve()), path.relative_to(d).as_posix(), str(int(path.stem)), None,
                options,
            )
        )  # fmt: skip
    return tasks


def _discover_files(d: Path, cnt_format, labels, label_map, exclude) -> tuple[list[RecordingTask], dict]:
    """Every recording file under ``d`` (BIDS ``sub-``/``ses-`` folders name subject and session)."""
    excluded = [Path(p).resolve() for p in exclude]
    files = sorted(
        p
        for p in d.rglob("*")
        if p.is_file()
        and p.name.lower().endswith(RECORDING_SUFFIXES)
        and not any(part.startswith(".") for part in p.relative_to(d).parts)
        and not any(p.resolve().is_relative_to(e) for e in excluded)
    )
    if not files:
        raise InvalidInputError(f"{d}: no EEG recordings found (looked for {', '.join(RECORDING_SUFFIXES)} files)")
    labels_path = Path(labels) if labels is not None else None
    if labels_path is not None:
        read_labels_csv(labels_path, label_map=label_map)  # validate once, up front
    info = {"labels": labels_path.name if labels_path is not None else "sidecar CSV or annotations"}
    tasks = []
    for path in files:
        parts = path.relative_to(d).parts
        subject = next((p[4:] for p in parts if p.startswith("sub-")), None)
        session = next((p[4:] for p in parts if p.startswith("ses-")), None)
        options = {
            "cnt_format": cnt_format,
            "labels": str(labels_path.resolve()) if labels_path else None,
            "label_map": dict(label_map or {}),
        }
        tasks.append(
            RecordingTask(
                "files", str(path.resolve()), path.relative_to(d).as_posix(),
                subject or re.sub(r"_(raw|eeg)$", "", _stem(path)), int(session) if session and session.isdigit() else None,
                options,
            )
        )  # fmt: skip
    return tasks, info


def _stem(path: Path) -> str:
    name = path.name
    for suffix in sorted(RECORDING_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _sidecar_labels(path: Path) -> Path | None:
    """``<stem>.labels.csv``, ``<stem>_labels.csv`` or BIDS ``<stem>_events.tsv`` next to the recording
    (``stem`` also without MNE's and BIDS' ``_raw`` / ``_eeg`` endings)."""
    stem = _stem(path)
    bases = dict.fromkeys([stem, re.sub(r"_(raw|eeg)$", "", stem)])
    candidates = [path.with_name(f"{b}{end}") for b in bases for end in (".labels.csv", "_labels.csv", "_events.tsv")]
    return next((c for c in candidates if c.is_file()), None)


def id_prefix(task: RecordingTask) -> str:
    """The part of a segment id naming its recording: 'sub03' (SEED-VII) or 'rec_a' (files: the
    path relative to the input folder without its file type)."""
    if task.kind == "files":
        stem = task.source[: len(task.source) - (len(Path(task.source).name) - len(_stem(Path(task.source))))]
        return re.sub(r"[^A-Za-z0-9]+", "_", stem).strip("_")
    return f"sub{int(task.subject):02d}"


def recording_suffix(name: str) -> str:
    """The file type of a recording name ('.edf', '.fif.gz', '.mat', …)."""
    stem = _stem(Path(name))
    return Path(name).name[len(stem) :] if Path(name).name.startswith(stem) else Path(name).suffix


def segment_id(task: RecordingTask, seg: Segment, sliding: bool, prefix: str | None = None) -> str:
    """Unique id of a segment, e.g. 'sub03-s2-c27-g01' (SEED-VII) or 'rec_a-s1-c02-g00' (files);
    ``prefix`` replaces the recording's part (:func:`id_prefix`), e.g. by a pseudonym."""
    prefix = id_prefix(task) if prefix is None else prefix
    sid = f"{prefix}-s{seg.session}-c{seg.clip:02d}-g{seg.segment:02d}"
    return f"{sid}-w{seg.window}" if sliding else sid


def _task_spans(task: RecordingTask, raw) -> tuple[list[LabeledSpan], str]:
    """Labelled spans of a 'seed-vii' or 'files' recording and where they came from."""
    path = Path(task.path)
    if task.kind == "seed-vii":
        spans, origin = seed_vii_clip_spans(
            raw, path.stem, trigger_file=task.options.get("trigger_file"), source=task.source
        )
        emotions = task.options["emotions"]
        first = (task.session - 1) * SEED_VII_CLIPS_PER_SESSION
        return [
            LabeledSpan(a, b - a, emotions[first + k], first + k + 1, task.session) for k, (a, b) in enumerate(spans)
        ], origin
    label_map = task.options.get("label_map") or None
    try:
        if task.options.get("labels"):
            spans = read_labels_csv(task.options["labels"], recording=task.source, label_map=label_map)
            origin = Path(task.options["labels"]).name
        elif (sidecar := _sidecar_labels(path)) is not None:
            spans = read_labels_csv(sidecar, label_map=label_map)
            origin = sidecar.name
        else:
            spans, origin = labels_from_annotations(raw, label_map), "annotations"
    except (ValueError, FileNotFoundError) as err:
        raise RecordingError(str(err)) from err
    if not spans:
        raise RecordingError(
            f"{task.source}: no emotion labels (no labels CSV rows for it and no annotation names an emotion; "
            "give a CSV of onset, duration, label)"
        )
    end = raw.n_times / raw.info["sfreq"]
    for span in spans:
        if span.onset >= end:
            raise RecordingError(
                f"{task.source}: labelled span at {span.onset:g} s starts after the recording ends ({end:.1f} s)"
            )
    if task.session is not None:
        spans = [LabeledSpan(s.onset, s.duration, s.emotion, s.clip, task.session) for s in spans]
    return spans, origin


def iter_task_segments(task: RecordingTask, config: PreprocessingConfig, info: dict) -> Iterator[Segment]:
    """Segments of one recording, streamed span by span; fills ``info`` (label/trigger origin, …)."""
    key = task.source
    if task.kind == "seed-vii-preprocessed":
        variables = list_mat_variables(task.path)
        emotions = task.options["emotions"]
        missing = [str(k) for k in range(1, len(emotions) + 1) if str(k) not in variables]
        if missing:
            raise RecordingError(
                f"{task.source}: {len(missing)} of the {len(emotions)} clips are missing (keys {', '.join(missing[:8])}"
                f"{', …' if len(missing) > 8 else ''})"
            )
        info["labels"] = "clip order"
        for clip in range(1, len(emotions) + 1):
            raw = seed_vii_mat_clip(
                task.path, clip, channel_names=task.options["channels"], sfreq=SEED_VII_SFREQ, unit=SEED_VII_MAT_UNIT
            )
            span = LabeledSpan(
                0.0,
                raw.n_times / raw.info["sfreq"],
                emotions[clip - 1],
                clip,
                (clip - 1) // SEED_VII_CLIPS_PER_SESSION + 1,
            )
            yield from segments_from_spans(raw, [span], config, source=f"{task.source} clip {clip}", key=key)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = read_recording(task.path, task.options.get("cnt_format"), anonymize=False)
        duration = raw.n_times / raw.info["sfreq"]
        if duration < config.window_seconds:
            raise RecordingError(
                f"{task.source}: recording is {duration:.1f} s long, shorter than one {config.window_seconds:g} s window"
            )
        spans, origin = _task_spans(task, raw)  # may need the header's start time (SEED-VII triggers)
        raw.anonymize(daysback=None, keep_his=False)
    info["labels"] = origin
    yield from segments_from_spans(raw, spans, config, source=task.source, key=key)


def process_task(task: RecordingTask, config: PreprocessingConfig, shard_prefix: str, skip_bad: bool) -> dict:
    """Process one recording, writing its segments to ``<shard_prefix>.eeg`` / ``.mask`` (raw float32 / bool).

    The rows' ``subject``, ``source`` and id prefix are ``task.options["public"]``'s when given
    (pseudonyms), else the task's own; error messages always name the file.

    Returns:
        ``{"source", "rows": [metadata per segment], "filled": [...], "labels": origin}`` or, for a
        bad recording with ``skip_bad``, ``{"source", "skipped": reason}``.

    Raises:
        RecordingError, ValueError, OSError: a bad recording when ``skip_bad`` is False.
        SystemReadError: a system error (I/O error, no space, no permission, out of memory), also
            with ``skip_bad``: it says nothing about the recording, so it is never skipped.
    """
    import mne

    mne.set_log_level("ERROR")
    info: dict = {}
    rows: list[dict] = []
    filled: set[str] = set()
    sliding = config.crop == "sliding"
    eeg_path, mask_path = Path(shard_prefix + ".eeg"), Path(shard_prefix + ".mask")
    public = task.options.get("public") or {}
    prefix, subject, source = (
        public.get("id_prefix"),
        public.get("subject", task.subject),
        public.get("source", task.source),
    )
    try:
        with open(eeg_path, "wb") as f_eeg, open(mask_path, "wb") as f_mask:
            for seg in iter_task_segments(task, config, info):
                f_eeg.write(np.ascontiguousarray(seg.eeg, dtype=np.float32).tobytes())
                f_mask.write(np.asarray(seg.channel_mask, dtype=bool).tobytes())
                filled.update(seg.filled_channels)
                rows.append(
                    {
                        "id": segment_id(task, seg, sliding, prefix),
                        "emotion": seg.emotion,
                        "subject": subject,
                        "session": int(seg.session),
                        "clip": int(seg.clip),
                        "segment": int(seg.segment),
                        "source": source,
                    }
                )
        if not rows:
            raise RecordingError(
                f"{task.source}: no labelled span is at least {config.segment_seconds:g} s long, so no segments"
            )
    except (RecordingError, ValueError, OSError, MemoryError) as err:
        eeg_path.unlink(missing_ok=True)
        mask_path.unlink(missing_ok=True)
        if is_system_error(err):
            if isinstance(err, SystemReadError):
                raise
            code = system_errno(err)
            where = f" ({err.filename})" if getattr(err, "filename", None) else ""
            raise SystemReadError(
                code, f"{task.path}: system error while processing this recording: {os.strerror(code)}{where}"
            ) from err
        if not skip_bad:
            raise
        return {"source": task.source, "skipped": str(err)}
    return {
        "source": task.source,
        "rows": rows,
        "filled": sorted(filled),
        "labels": info.get("labels"),
        "eeg": str(eeg_path),
        "mask": str(mask_path),
    }


__all__ = [
    "FORMATS",
    "RecordingTask",
    "detect_format",
    "discover",
    "id_prefix",
    "is_synthetic",
    "iter_task_segments",
    "process_task",
    "recording_suffix",
    "segment_id",
]
