"""SEED-VII as the BCMI laboratory distributes it (one module per dataset, as braindecode keeps them).

* ``EEG_raw/<subject>_<date>_<session>.cnt``: Neuroscan CNT, 1000 Hz, 62 EEG channels plus
  non-EEG ones, two triggers per clip (``1`` start, ``2`` end); the sessions whose in-file
  triggers are wrong get theirs from ``save_info/<stem>_trigger_info.csv`` (or inside
  ``save_info.zip``).
* ``EEG_preprocessed/<subject>.mat``: keys ``'1'``…``'80'``, 62 × T at 200 Hz.
* The emotions of the 80 clips from ``emotion_label_and_stimuli_order.xlsx`` or, when that file is
  absent, the dataset's fixed published order (:data:`SEED_VII_CLIP_EMOTIONS`); the channel order
  from ``Channel Order.xlsx``.

Generic reading (any MNE-readable file, labels CSVs, annotations) is :mod:`e2llm.eeg.readers`.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import mne
import numpy as np

from ..configuration_e2llm import EMOTIONS
from ..emotions import emotion_of_label
from ..errors import InvalidInputError, MissingInputError, first_line
from .channels import SEED_VII_CHANNELS
from .errors import RecordingError

logger = logging.getLogger(__name__)

SEED_VII_LABELS_FILE = "emotion_label_and_stimuli_order.xlsx"
SEED_VII_SFREQ = 200.0  # the sampling rate of SEED-VII's EEG_preprocessed arrays
SEED_VII_MAT_UNIT = 1e-6  # volts per stored unit of those arrays: they are in µV
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
        raise InvalidInputError(f"{path}: cannot read as an Excel workbook: {first_line(err)}") from err
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
        raise InvalidInputError(f"{path}: cannot read as an Excel workbook: {first_line(err)}") from err
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
            raise InvalidInputError(f"{archive}: cannot read as a zip archive: {first_line(err)}") from err
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
        raise RecordingError(f"{source}: {first_line(err)}") from err
    except (KeyError, zipfile.BadZipFile) as err:
        raise RecordingError(f"{source}: cannot read {trigger_file.name}: {first_line(err)}") from err
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
        raise InvalidInputError(f"{path}: cannot read as a MATLAB file: {first_line(err)}") from err


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
        raise InvalidInputError(f"{path}: cannot read array {name!r}: {first_line(err)}") from err


def seed_vii_mat_clip(
    path,
    clip: int,
    *,
    channel_names: Sequence[str] = SEED_VII_CHANNELS,
    sfreq: float = SEED_VII_SFREQ,
    unit: float = SEED_VII_MAT_UNIT,
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
    "SEED_VII_CHANNEL_FILE",
    "SEED_VII_CLIPS_PER_SESSION",
    "SEED_VII_CLIP_EMOTIONS",
    "SEED_VII_LABELS_FILE",
    "SEED_VII_MAT_UNIT",
    "SEED_VII_REPLACEMENT_TRIGGERS",
    "SEED_VII_SFREQ",
    "TriggerFile",
    "find_seed_vii_trigger_files",
    "list_mat_variables",
    "parse_seed_vii_cnt_name",
    "read_mat_array",
    "read_seed_vii_channel_order",
    "read_seed_vii_labels",
    "read_trigger_csv",
    "seed_vii_clip_spans",
    "seed_vii_mat_clip",
    "trigger_pairs",
]
