"""Reading recordings and their emotion labels.

* :func:`read_recording`: any MNE-readable EEG file (EDF, BDF, BrainVision ``.vhdr``, EEGLAB
  ``.set``, FIF, GDF, Neuroscan ``.cnt`` with an explicit ``data_format``), with one-line errors
  for missing, unknown, unreadable and truncated files, and header identity fields removed.
* Labels: a CSV (or BIDS-style TSV) of ``onset, duration, label`` or the recording's annotations,
  as :class:`~e2llm.eeg.preprocessing.LabeledSpan` objects.
* SEED-VII as distributed: ``EEG_raw/<subject>_<date>_<session>.cnt`` (Neuroscan, 1000 Hz, 62
  EEG channels plus non-EEG ones, two triggers per clip, replacement trigger files for sessions
  whose in-file triggers are wrong) and ``EEG_preprocessed/<subject>.mat`` (keys ``'1'``…``'80'``,
  62 × T at 200 Hz), with the emotions of the 80 clips from
  ``emotion_label_and_stimuli_order.xlsx`` or, when that file is absent, the dataset's fixed
  published order (:data:`SEED_VII_CLIP_EMOTIONS`).
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import gzip
import logging
import os
import re
import struct
import types
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import mne
import numpy as np

from ..configuration_e2llm import EMOTIONS
from ..emotions import emotion_of_label
from ..errors import InvalidInputError, MachineError, MissingInputError
from .channels import SEED_VII_CHANNELS
from .preprocessing import LabeledSpan, RecordingError

logger = logging.getLogger(__name__)

# -- emotion names ------------------------------------------------------------------------------

# -- any MNE-readable file ----------------------------------------------------------------------

_READERS = {
    ".edf": ("EDF", mne.io.read_raw_edf),
    ".bdf": ("BDF", mne.io.read_raw_bdf),
    ".gdf": ("GDF", mne.io.read_raw_gdf),
    ".vhdr": ("BrainVision", mne.io.read_raw_brainvision),
    ".set": ("EEGLAB", mne.io.read_raw_eeglab),
    ".fif": ("FIF", mne.io.read_raw_fif),
    ".cnt": ("Neuroscan CNT", mne.io.read_raw_cnt),
}
RECORDING_SUFFIXES: tuple[str, ...] = (".edf", ".bdf", ".gdf", ".vhdr", ".set", ".fif", ".fif.gz", ".cnt")
CNT_FORMATS = ("int16", "int32")


def _suffix(path: Path) -> str:
    name = path.name.lower()
    return ".fif" if name.endswith((".fif.gz", "_raw.fif", "_eeg.fif")) else path.suffix.lower()


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


class EEGReadError(RecordingError):
    """A recording file that cannot be read: unknown type, empty, corrupt, truncated, or a
    companion file (``.fdt``, ``.eeg``, ``.vmrk``) missing. One line naming the file and the problem."""


class SystemReadError(MachineError):
    """The system failed while a recording was read (I/O error, no space left, no permission, out
    of memory): not the recording's fault, so a build stops instead of skipping it. Keeps the
    ``errno``; prints as one line naming the file."""


# errno values that say "the machine", not "the file": stop, never skip
SYSTEM_ERRNOS = frozenset(
    e
    for e in (
        errno.EIO,
        errno.ENOSPC,
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
        errno.ENOMEM,
        errno.EMFILE,
        errno.ENFILE,
        errno.EBUSY,
        errno.ETIMEDOUT,
        errno.ENXIO,
        errno.ENODEV,
        getattr(errno, "EDQUOT", None),
        getattr(errno, "ESTALE", None),
        getattr(errno, "ENOLCK", None),
        getattr(errno, "EREMOTEIO", None),
        getattr(errno, "ECONNRESET", None),
    )
    if e is not None
)


def _chain(err: BaseException | None):
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        yield err
        err = err.__cause__ or err.__context__


def is_system_error(err: BaseException | None) -> bool:
    """True for errors of the machine rather than of a recording: ``PermissionError``,
    ``MemoryError`` and ``OSError`` with an errno of :data:`SYSTEM_ERRNOS` (also when wrapped
    in another exception)."""
    return any(
        isinstance(e, (SystemReadError, PermissionError, MemoryError))
        or (isinstance(e, OSError) and e.errno in SYSTEM_ERRNOS)
        for e in _chain(err)
    )


def system_errno(err: BaseException) -> int:
    """The errno of a system error (:func:`is_system_error`), looked up through wrapped errors."""
    for e in _chain(err):
        if isinstance(e, OSError) and e.errno:
            return e.errno
        if isinstance(e, PermissionError):
            return errno.EACCES
        if isinstance(e, MemoryError):
            return errno.ENOMEM
    return errno.EIO


def reading_error(path, kind: str, err: BaseException, what: str = "cannot read as") -> Exception:
    """The one error every failure of reading a recording becomes: a :class:`SystemReadError`
    for a system error, else an :class:`EEGReadError`; both name ``path`` in one line."""
    if isinstance(err, (EEGReadError, SystemReadError)):
        return err
    if is_system_error(err):
        code = system_errno(err)
        return SystemReadError(code, f"{path}: system error while reading this {kind} recording: {os.strerror(code)}")
    if isinstance(err, FileNotFoundError):
        named = getattr(err, "filename", None) or next(iter(re.findall(r"[^\s'\"]+\.\w+", _first_line(err))), None)
        missing = Path(str(named)).name if named else _first_line(err)
        return EEGReadError(f"{path}: a file of this {kind} recording is missing: {missing}")
    return EEGReadError(f"{path}: {what} {kind}: {_first_line(err)}")


def _guarded_read_segment(self, *args, **kwargs):
    """``Raw._read_segment`` of a recording opened by :func:`read_recording`: samples read on demand
    (``get_data``, ``load_data``, ``copy().crop()``…) fail through :func:`reading_error` too."""
    try:
        return type(self)._read_segment(self, *args, **kwargs)
    except Exception as err:
        source = getattr(self, "_e2llm_source", None) or (self.filenames[0] if self.filenames else "recording")
        raise reading_error(
            source, getattr(self, "_e2llm_kind", "EEG"), err, "cannot read the samples of this"
        ) from err


def read_recording(
    path, cnt_format: str | None = None, *, preload: bool = False, anonymize: bool = True, verbose=None
) -> mne.io.BaseRaw:
    """Read an EEG recording with MNE.

    Args:
        path: an ``.edf``, ``.bdf``, ``.gdf``, ``.vhdr`` (BrainVision), ``.set`` (EEGLAB), ``.fif``
            or ``.cnt`` (Neuroscan) file.
        cnt_format: for ``.cnt`` files, the bytes per sample: ``'int16'`` or ``'int32'``. Required:
            MNE's automatic detection misreads some CNT files. Where the header implies a width
            (data bytes over samples × channels), a ``cnt_format`` that disagrees is an error
            naming both. (The SEED-VII build assumes ``'int32'``; public SEED-VII readers use
            MNE's automatic detection, so no one has confirmed it.)
        preload: load the samples now (otherwise they are read on demand).
        anonymize: drop identity fields of the header (names, birth date, measurement date)
            from ``raw.info`` (``Raw.anonymize``). The data pipeline never copies header fields
            into datasets either way.
        verbose: MNE verbosity (default: errors only).

    Every file's length is checked against what its header announces (EDF, BDF, GDF,
    BrainVision, EEGLAB ``.set``/``.fdt``, FIF, Neuroscan CNT), and every failure, also of samples
    read later on demand, goes through :func:`reading_error`.

    Returns:
        The ``mne.io.BaseRaw``, in volts.

    Raises:
        FileNotFoundError: no such file.
        EEGReadError: (a ``ValueError``) unknown file type, missing ``cnt_format`` for a CNT file,
            a file that MNE cannot read, that is truncated, or whose companion file is missing
            (one line naming the file and the problem).
        SystemReadError: (an ``OSError``) an I/O error, no space, no permission, out of memory.
    """
    path = Path(path)
    try:
        if not path.is_file():
            raise MissingInputError(f"{path}: no such file")
        size = path.stat().st_size
    except OSError as err:
        if isinstance(err, FileNotFoundError) and not is_system_error(err):
            raise
        raise reading_error(path, "EEG", err) from err
    suffix = _suffix(path)
    if suffix not in _READERS:
        raise EEGReadError(f"{path}: unknown EEG file type '{path.suffix}' (readable: {', '.join(RECORDING_SUFFIXES)})")
    kind, reader = _READERS[suffix]
    kwargs: dict = {"preload": False}
    if suffix == ".cnt":
        if cnt_format not in CNT_FORMATS:
            raise EEGReadError(
                f"{path}: a Neuroscan CNT file needs cnt_format ('int16' or 'int32', bytes per sample): automatic "
                f"detection misreads some CNT files (got cnt_format={cnt_format!r})"
            )
        kwargs["data_format"] = cnt_format
    if size == 0:
        raise EEGReadError(f"{path}: empty file")
    with mne.utils.use_log_level(verbose if verbose is not None else "error"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            _check_complete_before_reading(path, suffix)
            if suffix == ".cnt":
                _check_cnt_format(path, cnt_format)
            raw = reader(path, **kwargs)
            raw._e2llm_source = str(path)  # error messages name this file (not e.g. an EEGLAB .fdt)
            raw._e2llm_kind = kind
            raw._read_segment = types.MethodType(_guarded_read_segment, raw)
            _check_not_truncated(path, suffix, raw)
            if preload:
                raw.load_data()
            if anonymize:
                try:
                    raw.anonymize(daysback=None, keep_his=False)
                except Exception:  # noqa: BLE001  # pragma: no cover - anonymize is best effort on exotic headers
                    raw.set_meas_date(None)
                    raw.info["subject_info"] = None
        except Exception as err:  # MNE raises many types for corrupt files
            raise reading_error(path, kind, err) from err
    if raw.n_times < 1 or len(raw.ch_names) == 0:
        raise EEGReadError(f"{path}: no samples or no channels in this {kind} file")
    return raw


def _require_size(path: Path, data_file: Path, expected: int, what: str, announced: str) -> None:
    """A truncation error naming ``path`` unless ``data_file`` holds ``expected`` bytes or more."""
    actual = data_file.stat().st_size
    if actual < expected:
        raise _truncated(path, f"{what} ({actual} bytes; {announced}, {expected} bytes)")


def _truncated(path: Path, what: str) -> EEGReadError:
    return EEGReadError(f"{path}: truncated {what}")


def _check_not_truncated(path: Path, suffix: str, raw: mne.io.BaseRaw) -> None:
    """The file holds at least what its header announces. MNE reads truncated EDF/BDF/GDF,
    BrainVision, EEGLAB and CNT files silently (fewer samples, or zeros), and a truncated FIF
    file as a shorter recording or with an error that names no file."""
    if suffix in (".edf", ".bdf"):
        with open(path, "rb") as f:
            head = f.read(256)
            try:
                n_records = int(head[236:244].decode("ascii").strip())
                n_signals = int(head[252:256].decode("ascii").strip())
            except ValueError:
                return
            f.seek(256 + n_signals * 216)
            samples = f.read(n_signals * 8).decode("ascii", "replace")
        try:
            per_record = sum(int(samples[i * 8 : (i + 1) * 8].strip()) for i in range(n_signals))
        except ValueError:
            return
        if n_records > 0:
            expected = 256 * (n_signals + 1) + n_records * per_record * (2 if suffix == ".edf" else 3)
            _require_size(
                path, path, expected, f"{suffix[1:].upper()} file", f"the header announces {n_records} records"
            )
    elif suffix == ".gdf":
        extras = raw._raw_extras[0]
        n_records, per_record = int(extras.get("n_records", -1)), int(extras.get("bytes_tot", 0) or 0)
        if n_records > 0 and per_record > 0:
            expected = int(extras["data_offset"]) + n_records * per_record
            _require_size(path, path, expected, "GDF file", f"the header announces {n_records} records")
    elif suffix == ".vhdr":
        data_file = Path(raw.filenames[0]) if raw.filenames and raw.filenames[0] else None
        text = path.read_text(errors="replace")
        fmt = re.search(r"^BinaryFormat\s*=\s*(\w+)", text, re.M)
        points = re.search(r"^DataPoints\s*=\s*(\d+)", text, re.M)
        width = {"INT_16": 2, "UINT_16": 2, "INT_32": 4, "IEEE_FLOAT_32": 4}.get(fmt.group(1) if fmt else "", 0)
        if points and raw.n_times < int(points.group(1)):
            raise _truncated(path, f"BrainVision data ({raw.n_times} of {points.group(1)} samples)")
        if data_file is not None and data_file.is_file() and width:
            size = data_file.stat().st_size
            if size % (width * len(raw.ch_names)):
                raise _truncated(
                    path,
                    f"BrainVision data file {data_file.name} ({size} bytes is not a whole number of "
                    f"{len(raw.ch_names)}-channel samples)",
                )
        if len(raw.annotations) and raw.annotations.onset.max() > raw.times[-1] + 1.0 / raw.info["sfreq"]:
            raise _truncated(
                path,
                f"BrainVision data: markers at up to {raw.annotations.onset.max():.1f} s but the data ends "
                f"at {raw.times[-1]:.1f} s",
            )
    elif suffix == ".set":
        extras = raw._raw_extras[0]
        if not extras.get("is_embedded", True) and raw.filenames and raw.filenames[0]:
            data_file = Path(raw.filenames[0])
            n_channels = int(extras.get("orig_nchan", len(raw.ch_names)))
            expected = 4 * n_channels * raw.n_times  # float32, channels × samples (× epochs)
            _require_size(
                path,
                data_file,
                expected,
                f"EEGLAB data file {data_file.name}",
                f"the .set announces {n_channels} channels × {raw.n_times} samples",
            )
    elif suffix == ".cnt":
        extras = raw._raw_extras[0]
        n_channels, n_bytes = int(extras["orig_nchan"]), int(extras["n_bytes"])
        expected = 900 + 75 * n_channels + int(extras["n_samples"]) * n_channels * n_bytes
        _require_size(
            path,
            path,
            expected,
            "Neuroscan CNT file",
            f"the header announces {extras['n_samples']} samples of {n_channels} channels",
        )
    elif suffix == ".fif":
        for part in raw.filenames or ():  # the parts of a split recording (the first is checked already)
            if part and Path(part).resolve() != path.resolve():
                problem = _fif_problem(Path(part))
                if problem:
                    raise _truncated(path, f"FIF file (part {Path(part).name}): {problem}")


def _check_complete_before_reading(path: Path, suffix: str) -> None:
    """Checks that need no MNE: a FIF file's tag structure, a CNT file's event table (MNE fails on
    them with messages that do not say the file is cut short, or reads a shorter recording)."""
    if suffix == ".fif":
        problem = _fif_problem(path)
        if problem:
            raise _truncated(path, f"FIF file: {problem}")
    elif suffix == ".cnt":
        actual = path.stat().st_size
        if actual < 900:
            raise _truncated(path, f"Neuroscan CNT file ({actual} bytes, less than its 900-byte header)")
        if actual >= 2e9:  # the header's event table offset overflows in larger files
            return
        with open(path, "rb") as f:
            f.seek(886)
            event_table = int(np.frombuffer(f.read(4), dtype="<i4")[0])
            f.seek(max(event_table, 0) + 1)
            table_size = f.read(4)
        table_size = int(np.frombuffer(table_size, dtype="<i4")[0]) if len(table_size) == 4 else 0
        expected = event_table + 9 + max(table_size, 0)  # the event table: a 9-byte header, then its events
        if actual < expected:
            raise _truncated(
                path,
                f"Neuroscan CNT file ({actual} bytes; the header puts the event table at byte {event_table}, "
                f"ending at byte {expected})",
            )


def _check_cnt_format(path: Path, cnt_format: str) -> None:
    """``cnt_format`` agrees with the bytes per sample the header implies (its data block over
    samples × channels), where it implies 2 or 4: read with the other width, the file would seem
    truncated, or its samples would be noise. Headers that give no sample count imply nothing."""
    size = path.stat().st_size
    if size >= 2e9:  # the event table offset overflows in larger files
        return
    with open(path, "rb") as f:
        header = f.read(900)
    (n_channels,) = struct.unpack_from("<H", header, 370)
    (n_samples,) = struct.unpack_from("<i", header, 864)
    (event_table,) = struct.unpack_from("<i", header, 886)
    data_bytes = event_table - (900 + 75 * n_channels)
    if n_channels == 0 or n_samples <= 0 or data_bytes <= 0 or event_table > size:
        return
    implied, rest = divmod(data_bytes, n_samples * n_channels)
    if rest == 0 and implied in (2, 4) and implied != {"int16": 2, "int32": 4}[cnt_format]:
        raise EEGReadError(
            f"{path}: its header implies {implied} bytes per sample ({data_bytes} data bytes for {n_samples} samples "
            f"of {n_channels} channels), so cnt_format should be 'int{8 * implied}', not {cnt_format!r}"
        )


_FIFF_BLOCK_START, _FIFF_BLOCK_END = 104, 105


def _fif_problem(path: Path) -> str | None:
    """Why a FIF file is incomplete (a tag cut short, or blocks opened and never closed), or None.

    FIF is a sequence of tags (16-byte big-endian header: kind, type, size, next) whose blocks
    (start/end tags) nest; a complete file closes every block it opens."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as f:
        size = f.seek(0, os.SEEK_END)
        pos, depth = 0, 0
        while pos < size:
            if pos + 16 > size:
                return f"{size} bytes, cut inside the tag header at byte {pos}"
            f.seek(pos)
            kind, _, length, nxt = struct.unpack(">iiii", f.read(16))
            end = pos + 16 + length
            if length < 0 or end > size:
                return f"{size} bytes; the tag at byte {pos} needs {end}"
            depth += (kind == _FIFF_BLOCK_START) - (kind == _FIFF_BLOCK_END)
            if nxt == 0:
                pos = end
            elif nxt > 0:
                pos = nxt
            else:
                break
    if depth > 0:
        return f"{size} bytes; it ends inside {depth} unclosed block(s)"
    return None


# -- labels -------------------------------------------------------------------------------------


def read_labels_csv(
    path, *, recording: str | None = None, label_map: Mapping[str, str] | None = None
) -> list[LabeledSpan]:
    """Read emotion-labelled spans from a CSV (or tab-separated) file.

    Columns (header names case-insensitive): ``onset`` and ``duration`` in seconds from the
    recording's first sample, and ``label`` (or ``emotion`` / ``trial_type``) naming one of the
    seven emotions (or a label ``label_map`` maps to one). An optional ``file`` column restricts
    rows to the recording whose file name (or path relative to the input folder) is
    ``recording``; optional ``session`` and ``clip`` columns number the spans (default: session
    1, clips numbered in row order).

    Raises:
        FileNotFoundError: no such file.
        ValueError: missing columns, non-numeric or negative times, or an unknown label
            (the message names the file and the row).
    """
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(f"{path}: labels file not found")
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    if not text.strip():
        raise InvalidInputError(f"{path}: empty labels file")
    dialect = "excel-tab" if ("\t" in text.splitlines()[0] and "," not in text.splitlines()[0]) else "excel"
    rows = list(csv.DictReader(text.splitlines(), dialect=dialect))
    header = {(k or "").strip().lower(): k for k in (rows[0].keys() if rows else [])}
    label_key = next((header[k] for k in ("label", "emotion", "trial_type") if k in header), None)
    missing = [k for k in ("onset", "duration") if k not in header] + (["label"] if label_key is None else [])
    if missing:
        raise InvalidInputError(
            f"{path}: labels file lacks column(s) {', '.join(missing)} (needs onset, duration, label)"
        )
    spans: list[LabeledSpan] = []
    for i, row in enumerate(rows, start=2):
        if "file" in header and recording is not None:
            name = (row[header["file"]] or "").strip()
            if name not in (recording, Path(recording).name):
                continue
        try:
            onset = float(row[header["onset"]])
            duration = float(row[header["duration"]])
        except (TypeError, ValueError):
            raise InvalidInputError(
                f"{path}: row {i}: onset {row[header['onset']]!r} / duration {row[header['duration']]!r} are not numbers"
            ) from None
        if not (np.isfinite(onset) and np.isfinite(duration)) or onset < 0 or duration <= 0:
            raise InvalidInputError(f"{path}: row {i}: onset must be ≥ 0 and duration > 0 (got {onset}, {duration})")
        emotion = emotion_of_label(row[label_key], label_map)
        if emotion is None:
            raise InvalidInputError(
                f"{path}: row {i}: unknown emotion label {row[label_key]!r} (expected one of {', '.join(EMOTIONS)}"
                f"{' or a label in label_map' if label_map else ''})"
            )
        try:
            session = int(row[header["session"]]) if "session" in header and row[header["session"]] else 1
            clip = int(row[header["clip"]]) if "clip" in header and row[header["clip"]] else len(spans) + 1
        except ValueError:
            raise InvalidInputError(f"{path}: row {i}: session and clip must be whole numbers") from None
        spans.append(LabeledSpan(onset, duration, emotion, clip, session))
    return spans


def labels_from_annotations(raw: mne.io.BaseRaw, label_map: Mapping[str, str] | None = None) -> list[LabeledSpan]:
    """Emotion-labelled spans from a recording's annotations.

    Annotations whose description names an emotion (directly or through ``label_map``) become
    spans; others (triggers, 'BAD_…', 'boundary') are ignored. An annotation of zero duration is
    a marker: its emotion lasts until the next emotion marker or the end of the recording.
    Spans are numbered as clips 1, 2, … in time order.
    """
    ann = raw.annotations
    shift = raw.first_time if ann.orig_time is not None else 0.0  # onsets are relative to meas_date then
    items = []
    for onset, duration, desc in zip(ann.onset, ann.duration, ann.description):
        emotion = emotion_of_label(desc, label_map)
        if emotion is not None:
            items.append((float(onset) - shift, float(duration), emotion))
    items.sort()
    end = raw.n_times / raw.info["sfreq"]
    spans = []
    for k, (start, duration, emotion) in enumerate(items):
        if duration <= 0:
            stop = items[k + 1][0] if k + 1 < len(items) else end
            duration = stop - start
        spans.append(LabeledSpan(max(start, 0.0), duration, emotion, k + 1, 1))
    return spans


# -- SEED-VII -----------------------------------------------------------------------------------

SEED_VII_LABELS_FILE = "emotion_label_and_stimuli_order.xlsx"
SEED_VII_SFREQ = 200.0  # the sampling rate of SEED-VII's EEG_preprocessed arrays
SEED_VII_CHANNEL_FILE = "Channel Order.xlsx"

# Emotions of SEED-VII's 80 clips, in clip order (clips 1–20 are session 1, 21–40 session 2, …).
# This is the dataset's fixed stimulus order as given in its emotion_label_and_stimuli_order.xlsx
# (and reproduced by public SEED-VII loaders): each session elicits five of the seven emotions,
# four clips each, in a palindromic order A B C D E E D C B A repeated twice, so that valence
# changes gradually. Session 1: happy, neutral, disgust, sad, anger; session 2: anger, sad,
# fear, neutral, surprise; session 3: happy, surprise, disgust, fear, anger; session 4: disgust,
# sad, fear, surprise, happy. Over the 80 clips that is 12 per emotion and 8 neutral, as the
# dataset description states. Used when the xlsx file is absent.
_SEED_VII_SESSION_ORDERS = (
    ("happy", "neutral", "disgust", "sad", "anger"),
    ("anger", "sad", "fear", "neutral", "surprise"),
    ("happy", "surprise", "disgust", "fear", "anger"),
    ("disgust", "sad", "fear", "surprise", "happy"),
)
SEED_VII_CLIP_EMOTIONS: tuple[str, ...] = tuple(
    emotion for order in _SEED_VII_SESSION_ORDERS for emotion in (order + order[::-1]) * 2
)
SEED_VII_CLIPS_PER_SESSION = 20

# Sessions whose in-file triggers are wrong. SEED-VII ships the trigger times of every session in
# save_info/<stem>_trigger_info.csv (rows "<1 start | 2 end>,<date> <HH:MM:SS.ffffff>"; the
# release may hold the folder as save_info.zip), used for these sessions and wherever a recording
# lacks 20 start/end pairs. The wall-clock time at which these recordings started converts the
# timestamps to offsets.
SEED_VII_REPLACEMENT_TRIGGERS: dict[str, str] = {"9_20221111_3": "14:01:27", "14_20221015_1": "14:25:34"}
SEED_VII_START, SEED_VII_END = "1", "2"  # trigger codes of a clip's start and end; others are ignored
SEED_VII_TRIGGER_SUFFIX = "_trigger_info.csv"
SEED_VII_TRIGGER_ZIP = "save_info.zip"

_CNT_NAME = re.compile(r"^(?P<subject>\d+)_(?P<date>\d{8})_(?P<session>\d+)$")


def parse_seed_vii_cnt_name(path) -> tuple[str, int]:
    """``(subject, session)`` from a SEED-VII raw file name ``<subject>_<date>_<session>.cnt``."""
    match = _CNT_NAME.match(Path(path).stem)
    if not match:
        raise InvalidInputError(f"{path}: not a SEED-VII raw file name (expected <subject>_<YYYYMMDD>_<session>.cnt)")
    session = int(match["session"])
    if not 1 <= session <= 4:
        raise InvalidInputError(f"{path}: SEED-VII sessions are 1–4, got {session}")
    return str(int(match["subject"])), session


def read_seed_vii_labels(input_dir) -> tuple[tuple[str, ...], str]:
    """Emotions of SEED-VII's 80 clips.

    Reads ``<input_dir>/emotion_label_and_stimuli_order.xlsx``: the rows that hold 20 emotion
    names each (columns B on), one per session. As released, column A of those rows names the
    session (``Session 3``), and the rows between them hold the stimuli with column A empty; a row
    without a session name is the next session in sheet order. Without the file,
    :data:`SEED_VII_CLIP_EMOTIONS` is used.

    Returns:
        ``(emotions, origin)``: 80 names from ``EMOTIONS``, and ``'xlsx'`` or ``'published order'``.

    Raises:
        ValueError: the file exists but is not a SEED-VII labels table (unreadable, not 4 rows of
            20 emotions, a session named twice or outside 1–4, or an unknown emotion name; the
            message names the cell).
    """
    path = Path(input_dir) / SEED_VII_LABELS_FILE
    if not path.exists():
        logger.info("%s absent: using SEED-VII's published clip order", path)
        return SEED_VII_CLIP_EMOTIONS, "published order"
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:
        raise InvalidInputError(f"{path}: cannot read as an Excel workbook: {_first_line(err)}") from err
    try:
        sessions: dict[int, list[str]] = {}
        for r, row in enumerate(book.active.iter_rows(values_only=True), start=1):
            emotions = _emotion_row(path, r, row)
            if emotions is None:
                continue  # a stimulus or header row
            session = _session_of_row(path, r, row[0], default=len(sessions) + 1)
            if session in sessions:
                raise InvalidInputError(f"{path}: cell A{r}: session {session} has a row of emotions already")
            sessions[session] = emotions
    finally:
        book.close()
    if sorted(sessions) != [1, 2, 3, 4]:
        raise InvalidInputError(
            f"{path}: expected 4 rows of 20 emotion names (sessions 1–4), found {len(sessions)}"
            + (f" (sessions {', '.join(map(str, sorted(sessions)))})" if sessions else "")
        )
    return tuple(e for k in sorted(sessions) for e in sessions[k]), "xlsx"


def _emotion_row(path: Path, r: int, row: tuple) -> list[str] | None:
    """The 20 emotions of sheet row ``r`` (columns B on), or None for a row that holds none."""
    import openpyxl

    cells = [(c, v) for c, v in enumerate(row[1:], start=2) if v is not None and str(v).strip()]
    parsed = [emotion_of_label(v) for _, v in cells]
    if not cells or sum(p is not None for p in parsed) < len(cells) / 2:
        return None
    for (c, v), p in zip(cells, parsed):
        if p is None:
            cell = openpyxl.utils.get_column_letter(c) + str(r)
            raise InvalidInputError(
                f"{path}: cell {cell}: unknown emotion {v!r} (expected one of {', '.join(EMOTIONS)})"
            )
    if len(parsed) != SEED_VII_CLIPS_PER_SESSION:
        raise InvalidInputError(f"{path}: row {r} has {len(parsed)} emotions; expected {SEED_VII_CLIPS_PER_SESSION}")
    return parsed


def _session_of_row(path: Path, r: int, label, default: int) -> int:
    """The session that column A names (``Session 2``), or ``default`` when it names none."""
    match = re.match(r"\s*session\s*(\d+)", str(label or ""), re.IGNORECASE)
    if match is None:
        return default
    session = int(match[1])
    if not 1 <= session <= 4:
        raise InvalidInputError(f"{path}: cell A{r}: SEED-VII sessions are 1–4, not {session}")
    return session


def read_seed_vii_channel_order(input_dir) -> tuple[str, ...]:
    """The 62 channel names of ``EEG_preprocessed`` arrays: from ``Channel Order.xlsx`` if present."""
    path = Path(input_dir) / SEED_VII_CHANNEL_FILE
    if not path.exists():
        return SEED_VII_CHANNELS
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        names = [str(row[0]).strip() for row in book.active.iter_rows(values_only=True) if row and row[0]]
        book.close()
    except Exception as err:
        raise InvalidInputError(f"{path}: cannot read as an Excel workbook: {_first_line(err)}") from err
    if len(names) != 62:
        raise InvalidInputError(f"{path}: expected 62 channel names in the first column, found {len(names)}")
    return tuple(names)


@dataclass(frozen=True)
class TriggerFile:
    """A SEED-VII ``<stem>_trigger_info.csv``: a file, or the ``member`` of a zip archive at ``path``."""

    path: str
    member: str | None = None

    @property
    def name(self) -> str:
        return f"{Path(self.path).name}:{self.member}" if self.member else Path(self.path).name

    def read_text(self) -> str:
        if self.member is None:
            return Path(self.path).read_text(encoding="utf-8-sig")
        with zipfile.ZipFile(self.path) as archive:
            return archive.read(self.member).decode("utf-8-sig")


def find_seed_vii_trigger_files(input_dir) -> dict[str, TriggerFile]:
    """``{stem: TriggerFile}`` for every ``<stem>_trigger_info.csv`` under ``input_dir``, or,
    for a stem with none, inside a ``save_info.zip`` there.

    Raises:
        ValueError: a ``save_info.zip`` that is not a readable zip archive.
    """
    found: dict[str, TriggerFile] = {}
    for path in sorted(Path(input_dir).rglob(f"*{SEED_VII_TRIGGER_SUFFIX}")):
        found.setdefault(path.name.removesuffix(SEED_VII_TRIGGER_SUFFIX), TriggerFile(str(path)))
    for archive in sorted(Path(input_dir).rglob(SEED_VII_TRIGGER_ZIP)):
        try:
            with zipfile.ZipFile(archive) as z:
                members = sorted(m for m in z.namelist() if m.endswith(SEED_VII_TRIGGER_SUFFIX))
        except (zipfile.BadZipFile, OSError) as err:
            raise InvalidInputError(f"{archive}: cannot read as a zip archive: {_first_line(err)}") from err
        for member in members:
            stem = PurePosixPath(member).name.removesuffix(SEED_VII_TRIGGER_SUFFIX)
            found.setdefault(stem, TriggerFile(str(archive), member))
    return found


def read_trigger_csv(path, recording_start: dt.time) -> tuple[list[str], np.ndarray]:
    """Codes and onsets (s from the recording start) of a SEED-VII ``<stem>_trigger_info.csv``.

    Each row is ``<code>,<date> <HH:MM:SS[.ffffff]>``; rows without a time (a header) are
    skipped. ``path``: a file or a :class:`TriggerFile`; ``recording_start``: the wall-clock time
    at which the recording began.
    """
    source = path if isinstance(path, TriggerFile) else TriggerFile(str(path))
    if source.member is None and not Path(source.path).is_file():
        raise MissingInputError(f"{source.path}: trigger file not found")
    start = dt.datetime.combine(dt.date(2000, 1, 1), recording_start)
    codes, onsets = [], []
    for i, row in enumerate(csv.reader(source.read_text().splitlines()), start=1):
        if not row or not row[0].strip() or not any(ch.isdigit() for ch in row[-1]):
            continue
        stamp = row[-1].strip().split(" ")[-1]
        for fmt in ("%H:%M:%S.%f", "%H:%M:%S"):
            try:
                t = dt.datetime.strptime(stamp, fmt).time()
                break
            except ValueError:
                t = None
        if t is None:
            raise InvalidInputError(f"{source.name}: row {i}: cannot read the time {row[-1]!r}")
        codes.append(row[0].strip())
        onsets.append((dt.datetime.combine(dt.date(2000, 1, 1), t) - start).total_seconds())
    return codes, np.asarray(onsets, dtype=float)


def trigger_pairs(codes: Sequence[str], onsets) -> np.ndarray:
    """``(n, 2)`` clip start and end times: the k-th start trigger (code ``1``) with the k-th end
    trigger (``2``), in time order; triggers of other codes (e.g. ``KeyPad Response``) are left out."""
    onsets = np.asarray(onsets, dtype=float)
    codes = np.asarray([str(c).strip() for c in codes])
    order = np.argsort(onsets, kind="stable")
    codes, onsets = codes[order], onsets[order]
    starts, ends = onsets[codes == SEED_VII_START], onsets[codes == SEED_VII_END]
    n = min(len(starts), len(ends))
    return np.stack([starts[:n], ends[:n]], axis=1)


def _annotation_pairs(raw: mne.io.BaseRaw) -> np.ndarray:
    ann = raw.annotations
    shift = raw.first_time if ann.orig_time is not None else 0.0  # onsets count from meas_date then
    return trigger_pairs(ann.description, np.asarray(ann.onset) - shift)


def seed_vii_clip_spans(
    raw: mne.io.BaseRaw, stem: str, *, trigger_file=None, source: str | None = None
) -> tuple[list[tuple[float, float]], str]:
    """Start and end (s) of the 20 clips of a SEED-VII session recording.

    The recording marks each clip with a start (``1``) and an end (``2``) trigger; other
    annotations are ignored. For sessions listed in :data:`SEED_VII_REPLACEMENT_TRIGGERS`, or
    whose file holds fewer than 20 start/end pairs, the session's ``<stem>_trigger_info.csv``
    (``trigger_file``: a path or a :class:`TriggerFile`) is used instead. More than 20 pairs:
    the first 20 are used, with a warning (as public SEED-VII readers do).

    Returns:
        ``(spans, origin)``: 20 ``(start, end)`` pairs, and ``'annotations'`` or the trigger file's name.

    Raises:
        RecordingError: neither source gives 20 start/end pairs in increasing time order.
    """
    source = source or stem
    n_clips = SEED_VII_CLIPS_PER_SESSION
    pairs, origin = _annotation_pairs(raw), "annotations"
    if stem in SEED_VII_REPLACEMENT_TRIGGERS or len(pairs) < n_clips:
        why = (
            "its in-file triggers are known to be wrong"
            if stem in SEED_VII_REPLACEMENT_TRIGGERS
            else f"it holds {len(pairs)} start/end trigger pairs, not {n_clips}"
        )
        trigger_file = _existing_trigger_file(trigger_file)
        if trigger_file is None:
            raise RecordingError(
                f"{source}: {why}, and no {stem}{SEED_VII_TRIGGER_SUFFIX} was found (in save_info/ or {SEED_VII_TRIGGER_ZIP})"
            )
        pairs, origin = _file_pairs(raw, stem, trigger_file, source), trigger_file.name
    if len(pairs) > n_clips:
        logger.warning("%s: %d start/end trigger pairs in %s; using the first %d", source, len(pairs), origin, n_clips)
        pairs = pairs[:n_clips]
    if len(pairs) != n_clips:
        raise RecordingError(
            f"{source}: {origin} gives {len(pairs)} start/end trigger pairs (codes {SEED_VII_START} and "
            f"{SEED_VII_END}), not {n_clips}"
        )
    onsets = pairs.ravel()
    if np.any(np.diff(onsets) <= 0) or onsets[0] < 0:
        raise RecordingError(f"{source}: the start/end triggers of {origin} do not alternate in increasing time order")
    end = raw.n_times / raw.info["sfreq"]
    if onsets[-1] > end + 1.0:
        raise RecordingError(f"{source}: triggers run to {onsets[-1]:.0f} s but the recording ends at {end:.0f} s")
    return [(float(a), float(b)) for a, b in pairs], origin


def _existing_trigger_file(trigger_file) -> TriggerFile | None:
    if trigger_file is None or isinstance(trigger_file, TriggerFile):
        return trigger_file
    return TriggerFile(str(trigger_file)) if Path(trigger_file).is_file() else None


def _file_pairs(raw: mne.io.BaseRaw, stem: str, trigger_file: TriggerFile, source: str) -> np.ndarray:
    if stem in SEED_VII_REPLACEMENT_TRIGGERS:
        start = dt.time.fromisoformat(SEED_VII_REPLACEMENT_TRIGGERS[stem])
    elif raw.info["meas_date"] is not None:
        start = raw.info["meas_date"].time()
    else:
        raise RecordingError(
            f"{source}: the recording's start time is unknown, so {trigger_file.name} cannot be aligned"
        )
    try:
        codes, onsets = read_trigger_csv(trigger_file, start)
    except ValueError as err:  # names the file and the row
        raise RecordingError(f"{source}: {_first_line(err)}") from err
    except (KeyError, zipfile.BadZipFile) as err:
        raise RecordingError(f"{source}: cannot read {trigger_file.name}: {_first_line(err)}") from err
    return trigger_pairs(codes, onsets)


def list_mat_variables(path) -> dict[str, tuple[int, ...]]:
    """Names and shapes of the arrays in a MATLAB file (v5/v7 or v7.3/HDF5), without loading them."""
    import scipy.io

    path = Path(path)
    try:
        return {name: tuple(shape) for name, shape, _ in scipy.io.whosmat(path)}
    except NotImplementedError:  # v7.3
        import h5py

        with h5py.File(path, "r") as f:
            return {k: tuple(reversed(f[k].shape)) for k in f.keys() if hasattr(f[k], "shape")}
    except Exception as err:
        raise InvalidInputError(f"{path}: cannot read as a MATLAB file: {_first_line(err)}") from err


def read_mat_array(path, name: str) -> np.ndarray:
    """One array from a MATLAB file (only that array is read), as float64."""
    import scipy.io

    path = Path(path)
    try:
        try:
            data = scipy.io.loadmat(path, variable_names=[name])
        except NotImplementedError:
            import h5py

            with h5py.File(path, "r") as f:
                return np.asarray(f[name], dtype=np.float64).T
        if name not in data:
            raise InvalidInputError(f"{path}: no array named {name!r}")
        return np.asarray(data[name], dtype=np.float64)
    except ValueError:
        raise
    except Exception as err:
        raise InvalidInputError(f"{path}: cannot read array {name!r}: {_first_line(err)}") from err


def seed_vii_mat_clip(
    path,
    clip: int,
    *,
    channel_names: Sequence[str] = SEED_VII_CHANNELS,
    sfreq: float = SEED_VII_SFREQ,
    unit: float = 1e-6,
) -> mne.io.RawArray:
    """One clip of ``EEG_preprocessed/<subject>.mat`` as a ``RawArray`` in volts.

    Args:
        clip: 1–80 (the key of the array in the file).
        channel_names: names of the 62 rows (SEED-VII's ``Channel Order.xlsx``).
        sfreq: sampling rate of the arrays (200 Hz in SEED-VII).
        unit: volts per stored unit (SEED-VII's preprocessed arrays are in µV: 1e-6).

    Raises:
        RecordingError: the array is missing or not 62 × T.
    """
    x = read_mat_array(path, str(clip))
    if x.ndim != 2 or x.shape[0] != len(channel_names):
        if x.ndim == 2 and x.shape[1] == len(channel_names):
            x = x.T
        else:
            raise RecordingError(f"{path}: clip {clip} has shape {x.shape}; expected ({len(channel_names)}, T)")
    info = mne.create_info(list(channel_names), sfreq, "eeg")
    return mne.io.RawArray(x * unit, info, verbose="error")


__all__ = [
    "CNT_FORMATS",
    "RECORDING_SUFFIXES",
    "SEED_VII_CLIP_EMOTIONS",
    "SEED_VII_LABELS_FILE",
    "SEED_VII_REPLACEMENT_TRIGGERS",
    "SYSTEM_ERRNOS",
    "EEGReadError",
    "SystemReadError",
    "TriggerFile",
    "find_seed_vii_trigger_files",
    "is_system_error",
    "labels_from_annotations",
    "list_mat_variables",
    "emotion_of_label",
    "parse_seed_vii_cnt_name",
    "read_labels_csv",
    "read_mat_array",
    "read_recording",
    "read_seed_vii_channel_order",
    "read_seed_vii_labels",
    "read_trigger_csv",
    "reading_error",
    "seed_vii_clip_spans",
    "seed_vii_mat_clip",
    "system_errno",
    "trigger_pairs",
]
