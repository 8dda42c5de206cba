"""Reading recordings and their emotion labels (SEED-VII's own layout: :mod:`e2llm.eeg.seed_vii`).

* :func:`read_recording`: any MNE-readable EEG file (EDF, BDF, BrainVision ``.vhdr``, EEGLAB
  ``.set``, FIF, GDF, Neuroscan ``.cnt`` with an explicit ``data_format``), with one-line errors
  for missing, unknown, unreadable and truncated files, and header identity fields removed.
* Labels: a CSV (or BIDS-style TSV) of ``onset, duration, label`` or the recording's annotations,
  as :class:`~e2llm.eeg.preprocessing.LabeledSpan` objects.
"""

from __future__ import annotations

import csv
import gzip
import logging
import os
import re
import struct
import warnings
from collections.abc import Mapping
from pathlib import Path

import mne
import numpy as np

from ..compat import mne_header
from ..configuration_e2llm import EMOTIONS
from ..emotions import emotion_of_label
from ..errors import InvalidInputError, MissingInputError
from .errors import EEGReadError, is_system_error, reading_error
from .formats import CNT_FORMATS, FORMATS, RECORDING_SUFFIXES, format_suffix
from .preprocessing import LabeledSpan

logger = logging.getLogger(__name__)

# -- any MNE-readable file ----------------------------------------------------------------------


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
    suffix = format_suffix(path)
    if suffix not in FORMATS:
        raise EEGReadError(f"{path}: unknown EEG file type '{path.suffix}' (readable: {', '.join(RECORDING_SUFFIXES)})")
    kind, reader = FORMATS[suffix]
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
        extras = mne_header(raw)
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
        extras = mne_header(raw)
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
        extras = mne_header(raw)
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


__all__ = ["labels_from_annotations", "read_labels_csv", "read_recording"]
