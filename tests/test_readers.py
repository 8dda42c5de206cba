"""Readers: any-format recordings (real files), labels, SEED-VII labels and triggers."""

from __future__ import annotations

import errno
import os
import re
import shutil
import struct
from pathlib import Path

import mne
import numpy as np
import pytest
from conftest import REAL, needs_real

from e2llm.configuration_e2llm import EEGPT_CHANNELS, EMOTIONS
from e2llm.eeg import RecordingError, match_channels, read_recording
from e2llm.eeg.errors import EEGReadError, SystemReadError, is_system_error
from e2llm.eeg.readers import labels_from_annotations, read_labels_csv
from e2llm.eeg.seed_vii import (
    SEED_VII_CLIP_EMOTIONS,
    parse_seed_vii_cnt_name,
    read_seed_vii_labels,
    seed_vii_clip_spans,
    seed_vii_mat_clip,
)
from e2llm.emotions import emotion_of_label

mne.set_log_level("ERROR")


@needs_real
@pytest.mark.parametrize(
    "rel, kwargs, n_channels, sfreq, seconds, n_eegpt",
    [
        ("antio/CA_208/test_CA_208_start_stop.vhdr", {}, 88, 1000.0, 11.087, 57),  # 59 of SEED's 62; no CPz
        ("EDF/test_edf_overlapping_annotations.edf", {}, 64, 128.0, 124.0, 58),  # BCI2000 names 'Fc5.'
        ("BDF/multiple_annotation_chans.bdf", {}, 19, 125.0, 247.0, 10),
        ("EEGLAB/test_raw_chanloc.set", {}, 61, 128.0, 3.008, 57),
        ("CNT/test_CNT_events_mne_JWoess_clipped.cnt", {"cnt_format": "int32"}, 2, 1000.0, 90.0, 2),
    ],
)
def test_reads_real_files_of_every_format(rel, kwargs, n_channels, sfreq, seconds, n_eegpt):
    raw = read_recording(REAL / rel, **kwargs)
    assert len(raw.ch_names) == n_channels and raw.info["sfreq"] == sfreq
    assert raw.n_times / sfreq == pytest.approx(seconds, abs=0.01)
    assert int(match_channels(raw.ch_names).present.sum()) == n_eegpt
    x = raw.get_data(picks=[raw.ch_names.index(n) for n in match_channels(raw.ch_names).source_names if n])
    assert np.isfinite(x).all() and np.median(x.std(axis=1)) < 1e-3  # volts, EEG-sized


@needs_real
def test_cnt_needs_an_explicit_data_format():
    path = REAL / "CNT" / "scan41_short.cnt"
    with pytest.raises(ValueError, match=r"scan41_short\.cnt: a Neuroscan CNT file needs cnt_format"):
        read_recording(path)
    raw16 = read_recording(path, cnt_format="int16")
    raw32 = read_recording(path, cnt_format="int32")
    # int16 is this file's format: 7.7 s of EEG-sized values; int32 reads half the samples, in volts
    assert raw16.n_times == 3070 and raw16.info["sfreq"] == 400.0
    assert np.median(raw16.get_data().std(axis=1)) < 1e-4
    assert raw32.n_times == 1535 and np.median(raw32.get_data().std(axis=1)) > 0.1


@needs_real
def test_header_identity_is_removed():
    raw = read_recording(REAL / "BDF" / "multiple_annotation_chans.bdf")  # header names subject OPSA614
    info = raw.info
    assert "OPSA614" not in repr(info.get("subject_info")) and info["meas_date"].year != 2019


def _copy(src: Path, dst_dir: Path) -> Path:
    dst = dst_dir / src.name
    shutil.copy(src, dst)
    dst.chmod(0o644)
    return dst


@needs_real
@pytest.mark.parametrize(
    "rel, data_rel, kwargs",
    [
        ("EDF/test_edf_overlapping_annotations.edf", None, {}),
        ("BDF/multiple_annotation_chans.bdf", None, {}),
        ("antio/CA_208/test_CA_208_start_stop.vhdr", "antio/CA_208/test_CA_208_start_stop.eeg", {}),
        ("EEGLAB/test_raw_chanloc.set", "EEGLAB/test_raw_chanloc.fdt", {}),
        ("CNT/test_CNT_events_mne_JWoess_clipped.cnt", None, {"cnt_format": "int32"}),
    ],
)
@pytest.mark.parametrize("preload", [False, True])
def test_truncated_files_are_detected(tmp_path, rel, data_rel, kwargs, preload):
    """MNE reads these formats silently (fewer samples, zeros) or fails later without naming the
    file when cut short; read_recording says they are truncated, in one line of EEGReadError."""
    src = REAL / rel
    path = _copy(src, tmp_path)
    if data_rel:  # BrainVision: header, markers and data file; EEGLAB: .set and .fdt
        for companion in src.parent.glob(src.stem + ".*"):
            _copy(companion, tmp_path)
    data_file = tmp_path / Path(data_rel or rel).name
    with open(data_file, "r+b") as f:
        f.truncate(int(data_file.stat().st_size * 0.6) + 1)
    with pytest.raises(EEGReadError, match=rf"^{re.escape(str(path))}: truncated") as info:
        read_recording(path, preload=preload, **kwargs)
    assert "\n" not in str(info.value) and isinstance(info.value, ValueError)


def _fif(path: Path, seconds: float = 60.0, **save) -> Path:
    rng = np.random.default_rng(0)
    raw = mne.io.RawArray(
        rng.standard_normal((58, int(seconds * 200))) * 20e-6, mne.create_info(list(EEGPT_CHANNELS), 200.0, "eeg")
    )
    raw.save(path, overwrite=True, **save)
    return path


def _fif_tag_ends(path: Path) -> list[int]:
    """Byte offsets at which the tags of a FIF file end."""
    ends, pos, size = [], 0, path.stat().st_size
    with open(path, "rb") as f:
        while pos < size:
            f.seek(pos)
            _, _, length, nxt = struct.unpack(">iiii", f.read(16))
            pos = pos + 16 + length if nxt <= 0 else nxt
            ends.append(pos)
    return ends


@pytest.mark.parametrize("cut", ["60%", "at a tag boundary", "a split part at 60%"])
def test_truncated_fif_is_detected(tmp_path, cut):
    """A FIF file cut to 60 % failed with 'buffer size must be a multiple of element size' (no file
    named) or, cut between two tags, read as a shorter recording."""
    if cut.startswith("a split part"):
        path = _fif(tmp_path / "rec_raw.fif", seconds=240.0, split_size="10MB")
        part = tmp_path / "rec_raw-1.fif"
        assert part.is_file() and len(read_recording(path).filenames) == 2
    else:
        path = part = _fif(tmp_path / "rec_raw.fif")
        assert read_recording(path).n_times == 12000
    size = part.stat().st_size
    keep = max(e for e in _fif_tag_ends(part) if e < 0.6 * size) if cut == "at a tag boundary" else int(0.6 * size)
    with open(part, "r+b") as f:
        f.truncate(keep)
    for preload in (False, True):
        with pytest.raises(EEGReadError, match=rf"^{re.escape(str(path))}: truncated FIF file") as info:
            read_recording(path, preload=preload)
        assert "\n" not in str(info.value)
    if cut == "at a tag boundary":
        assert "unclosed block" in str(info.value)


@needs_real
def test_cnt_cut_after_its_announced_data_still_reads(tmp_path):
    """scan41_short.cnt holds more bytes than its header announces (data and event table end at
    about 40 %): cut to 60 % it is complete, and reads as the whole file does."""
    path = _copy(REAL / "CNT" / "scan41_short.cnt", tmp_path)
    with open(path, "r+b") as f:
        f.truncate(int(path.stat().st_size * 0.6))
    raw = read_recording(path, cnt_format="int16", preload=True)
    assert raw.n_times == 3070
    with open(path, "r+b") as f:
        f.truncate(int(path.stat().st_size * 0.5))  # 30 % of the original: inside the data
    with pytest.raises(EEGReadError, match=r"scan41_short\.cnt: truncated Neuroscan CNT file"):
        read_recording(path, cnt_format="int16")


@needs_real
def test_samples_read_later_fail_through_the_same_path(tmp_path, monkeypatch):
    """Samples are read on demand (preload=False): an EEGLAB .fdt cut after opening raised MNE's
    RuntimeError outside any error handling. Every read of samples E2LLM makes goes through
    ``reading_samples``, which names the file the user gave (the .set, not the .fdt)."""
    from e2llm.eeg import PreprocessingConfig, describe_config, iter_window_chunks, preprocess_raw
    from e2llm.eeg.errors import reading_samples

    path = _copy(REAL / "EEGLAB" / "test_raw_chanloc.set", tmp_path)
    fdt = _copy(REAL / "EEGLAB" / "test_raw_chanloc.fdt", tmp_path)
    raw = read_recording(path)
    with open(fdt, "r+b") as f:
        f.truncate(fdt.stat().st_size // 2)
    with pytest.raises(EEGReadError, match=rf"^{re.escape(str(path))}: cannot read the samples of this EEGLAB"):
        with reading_samples(path):
            raw.get_data()
    # the preprocessing and the chunked windows read through it, naming the recording they are given
    fif = _fif(tmp_path / "long_raw.fif", seconds=30.0)
    config = describe_config(PreprocessingConfig())

    def eio(self, *args, **kwargs):
        raise OSError(errno.EIO, "Input/output error", "somewhere")

    def broken(self, *args, **kwargs):
        raise RuntimeError("MNE could not read this block")

    for patch, error in ((broken, EEGReadError), (eio, SystemReadError)):
        raw = read_recording(fif)
        monkeypatch.setattr(type(raw), "_read_segment_file", patch)
        with pytest.raises(error, match=rf"^{re.escape(str(fif))}: ") as info:
            preprocess_raw(raw, config, source=str(fif))
        with pytest.raises(error, match=rf"^{re.escape(str(fif))}: "):
            next(iter_window_chunks(raw, config, [0, 1024], source=str(fif)))
        monkeypatch.undo()
    assert info.value.errno == errno.EIO and str(info.value) == (
        f"{fif}: system error while reading this FIF recording: {os.strerror(errno.EIO)}"
    )


@pytest.mark.parametrize(
    "error, code",
    [
        (OSError(errno.EIO, "Input/output error"), errno.EIO),
        (OSError(errno.ENOSPC, "No space left on device"), errno.ENOSPC),
        (PermissionError(errno.EACCES, "Permission denied"), errno.EACCES),
        (ValueError("wrapped"), errno.EIO),  # raised `from` an OSError(EIO) below
    ],
)
def test_system_errors_are_not_bad_recordings(tmp_path, monkeypatch, error, code):
    """An I/O error, a full disk or a missing permission says nothing about the recording: a
    SystemReadError (an OSError, errno kept), never an EEGReadError that --skip-bad would skip."""
    from e2llm.eeg import formats

    path = _fif(tmp_path / "rec_raw.fif", seconds=5.0)

    def failing(*args, **kwargs):
        if isinstance(error, ValueError):
            raise error from OSError(errno.EIO, "Input/output error")
        raise error

    monkeypatch.setitem(formats.FORMATS, ".fif", ("FIF", failing))
    with pytest.raises(SystemReadError) as info:
        read_recording(path)
    assert info.value.errno == code and is_system_error(info.value) and not isinstance(info.value, ValueError)
    assert str(info.value) == f"{path}: system error while reading this FIF recording: {os.strerror(code)}"
    assert not is_system_error(FileNotFoundError(errno.ENOENT, "gone")) and not is_system_error(ValueError("bad"))


@needs_real
def test_missing_companion_files_are_named(tmp_path):
    vhdr = _copy(REAL / "antio" / "CA_208" / "test_CA_208_start_stop.vhdr", tmp_path)
    _copy(REAL / "antio" / "CA_208" / "test_CA_208_start_stop.vmrk", tmp_path)
    with pytest.raises(
        EEGReadError,
        match=r"test_CA_208_start_stop\.vhdr: a file of this BrainVision recording is "
        r"missing: test_CA_208_start_stop\.eeg$",
    ):
        read_recording(vhdr)
    eeglab = _copy(REAL / "EEGLAB" / "test_raw_chanloc.set", tmp_path)
    with pytest.raises(
        EEGReadError,
        match=r"test_raw_chanloc\.set: a file of this EEGLAB recording is missing: "
        r"test_raw_chanloc\.fdt$",
    ):
        read_recording(eeglab)


def test_missing_unknown_empty_and_corrupt_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_recording(tmp_path / "absent.edf")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match=r"notes\.txt: unknown EEG file type '\.txt'"):
        read_recording(tmp_path / "notes.txt")
    (tmp_path / "empty.edf").write_bytes(b"")
    with pytest.raises(ValueError, match=r"empty\.edf: empty file"):
        read_recording(tmp_path / "empty.edf")
    (tmp_path / "junk.edf").write_bytes(b"0" * 300 + b"garbage" * 50)
    with pytest.raises(ValueError, match=r"junk\.edf: cannot read as EDF"):
        read_recording(tmp_path / "junk.edf")


def test_emotion_of_label_and_label_map():
    assert [emotion_of_label(x) for x in ("Happy", "happiness", "SADNESS", "angry", "Neutral", "fearful")] == [
        "happy",
        "happy",
        "sad",
        "anger",
        "neutral",
        "fear",
    ]
    assert emotion_of_label("T1") is None and emotion_of_label("T1", {"T1": "Surprise"}) == "surprise"


def test_labels_csv(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("file,onset,duration,label\na.edf,0,30,Happy\na.edf,40,25.5,sadness\nb.edf,0,20,fear\n")
    spans = read_labels_csv(path, recording="a.edf")
    assert [(s.onset, s.duration, s.emotion, s.clip) for s in spans] == [
        (0.0, 30.0, "happy", 1),
        (40.0, 25.5, "sad", 2),
    ]
    assert [s.emotion for s in read_labels_csv(path, recording="sub/b.edf")] == ["fear"]
    tsv = tmp_path / "rec_events.tsv"
    tsv.write_text("onset\tduration\ttrial_type\n5\t12\tanger\n")
    assert read_labels_csv(tsv)[0].emotion == "anger"
    bad = tmp_path / "bad.csv"
    bad.write_text("onset,duration,label\n0,30,happy\n30,30,bored\n")
    with pytest.raises(ValueError, match=r"bad\.csv: row 3: unknown emotion label 'bored'"):
        read_labels_csv(bad)
    bad.write_text("onset,label\n0,happy\n")
    with pytest.raises(ValueError, match=r"bad\.csv: labels file lacks column\(s\) duration"):
        read_labels_csv(bad)
    bad.write_text("onset,duration,label\nsoon,30,happy\n")
    with pytest.raises(ValueError, match="row 2: onset 'soon'"):
        read_labels_csv(bad)
    with pytest.raises(FileNotFoundError, match="labels file not found"):
        read_labels_csv(tmp_path / "nope.csv")


def test_labels_from_annotations():
    raw = mne.io.RawArray(np.zeros((1, 100 * 100)), mne.create_info(["CZ"], 100.0, "eeg"))
    raw.set_annotations(mne.Annotations([5, 20, 50, 70], [10, 0, 0, 2], ["happy", "Sadness", "BAD_x", "fear"]))
    spans = labels_from_annotations(raw)
    assert [(s.onset, s.duration, s.emotion, s.clip) for s in spans] == [
        (5.0, 10.0, "happy", 1),
        (20.0, 50.0, "sad", 2),
        (70.0, 2.0, "fear", 3),
    ]
    # a marker (zero duration) lasts until the next emotion marker
    raw.set_annotations(mne.Annotations([0, 1], [4.2, 4.2], ["T0", "T1"]))
    assert labels_from_annotations(raw) == []
    assert [s.emotion for s in labels_from_annotations(raw, {"T0": "neutral", "T1": "happy"})] == ["neutral", "happy"]


def test_seed_vii_published_order():
    assert len(SEED_VII_CLIP_EMOTIONS) == 80
    counts = {e: SEED_VII_CLIP_EMOTIONS.count(e) for e in EMOTIONS}
    assert counts == {"happy": 12, "surprise": 12, "neutral": 8, "disgust": 12, "fear": 12, "sad": 12, "anger": 12}
    for s in range(4):
        session = SEED_VII_CLIP_EMOTIONS[20 * s : 20 * s + 20]
        assert len(set(session)) == 5 and all(session.count(e) == 4 for e in set(session))
    assert SEED_VII_CLIP_EMOTIONS[:5] == ("happy", "neutral", "disgust", "sad", "anger")


def _write_labels_xlsx(path: Path, rows):
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)


def _released_label_rows(order=(1, 2, 3, 4)):
    """The label sheet's layout as released: per session a row of stimuli (column A empty) and a
    row of emotions with "Session N" in column A."""
    rows = []
    for n in order:
        s = n - 1
        rows.append([None] + [f"clip_{k:02d}.mp4" for k in range(20 * s + 1, 20 * s + 21)])
        rows.append([f"Session {n}"] + [e.capitalize() for e in SEED_VII_CLIP_EMOTIONS[20 * s : 20 * s + 20]])
    return rows


def test_seed_vii_labels_file(tmp_path):
    assert read_seed_vii_labels(tmp_path) == (SEED_VII_CLIP_EMOTIONS, "published order")  # file absent
    f = tmp_path / "emotion_label_and_stimuli_order.xlsx"
    rows = _released_label_rows()
    _write_labels_xlsx(f, rows)
    assert read_seed_vii_labels(tmp_path) == (SEED_VII_CLIP_EMOTIONS, "xlsx")
    rows[3][5] = "Boredom"
    _write_labels_xlsx(f, rows)
    with pytest.raises(ValueError, match=r"emotion_label_and_stimuli_order\.xlsx: cell F4: unknown emotion 'Boredom'"):
        read_seed_vii_labels(tmp_path)
    rows[3][5] = "Fear"
    _write_labels_xlsx(f, rows[:4])
    with pytest.raises(ValueError, match=r"expected 4 rows of 20 emotion names \(sessions 1–4\), found 2"):
        read_seed_vii_labels(tmp_path)
    f.write_bytes(b"not an excel file")
    with pytest.raises(ValueError, match="cannot read as an Excel workbook"):
        read_seed_vii_labels(tmp_path)


def test_seed_vii_labels_follow_the_session_named_in_column_a(tmp_path):
    f = tmp_path / "emotion_label_and_stimuli_order.xlsx"
    _write_labels_xlsx(f, _released_label_rows(order=(2, 1, 3, 4)))
    assert read_seed_vii_labels(tmp_path) == (SEED_VII_CLIP_EMOTIONS, "xlsx")
    rows = _released_label_rows()
    rows[3][0] = "Session 1"  # session 2's emotions, named session 1 as well
    _write_labels_xlsx(f, rows)
    with pytest.raises(ValueError, match="cell A4: session 1 has a row of emotions already"):
        read_seed_vii_labels(tmp_path)
    unnamed = [[None] + row[1:] for row in _released_label_rows()]  # no names: sheet order
    _write_labels_xlsx(f, unnamed)
    assert read_seed_vii_labels(tmp_path) == (SEED_VII_CLIP_EMOTIONS, "xlsx")


def test_seed_vii_file_names():
    assert parse_seed_vii_cnt_name("EEG_raw/3_20221010_2.cnt") == ("3", 2)
    with pytest.raises(ValueError, match="not a SEED-VII raw file name"):
        parse_seed_vii_cnt_name("subject3.cnt")


def _session_raw(descriptions, onsets) -> mne.io.BaseRaw:
    """1000 s of a one-channel recording that started 2023-11-14 22:13:20 UTC, with these triggers."""
    raw = mne.io.RawArray(np.zeros((1, 100 * 1000)), mne.create_info(["CZ"], 100.0, "eeg"))
    raw.set_meas_date(mne.utils._stamp_to_dt((1_700_000_000, 0)))
    raw.set_annotations(mne.Annotations(onsets, 0.0, descriptions, orig_time=raw.info["meas_date"]))
    return raw


def _trigger_rows(codes, seconds, day="2023-11-14", start=(22, 13, 20)) -> str:
    """Rows of a <stem>_trigger_info.csv: ``code,<day> HH:MM:SS.ffffff`` at ``seconds`` after ``start``."""
    t0 = start[0] * 3600 + start[1] * 60 + start[2]
    stamp = lambda t: f"{int(t0 + t) // 3600:02d}:{int(t0 + t) // 60 % 60:02d}:{(t0 + t) % 60:09.6f}"  # noqa: E731
    return "".join(f"{code},{day} {stamp(t)}\n" for code, t in zip(codes, seconds))


def test_seed_vii_triggers_in_file_keep_only_start_and_end_codes(caplog):
    onsets = list(np.arange(40) * 20.0 + 10.0)
    keypad = [15.0, 333.0]  # SEED-VII's 9_20221111_3.cnt holds two of these among its triggers
    raw = _session_raw(["1", "2"] * 20 + ["KeyPad Response"] * 2, onsets + keypad)
    spans, origin = seed_vii_clip_spans(raw, "3_20221010_2")
    assert origin == "annotations" and len(spans) == 20 and spans[0] == (10.0, 30.0) and spans[-1] == (770.0, 790.0)

    more = _session_raw(["1", "2"] * 22, list(np.arange(44) * 20.0 + 10.0))  # 22 start/end pairs
    with caplog.at_level("WARNING", logger="e2llm.eeg.seed_vii"):
        spans, origin = seed_vii_clip_spans(more, "3_20221010_2", source="EEG_raw/3_20221010_2.cnt")
    assert origin == "annotations" and len(spans) == 20 and spans[-1] == (770.0, 790.0)
    assert "EEG_raw/3_20221010_2.cnt: 22 start/end trigger pairs in annotations; using the first 20" in caplog.text

    swapped = _session_raw(["2", "1"] + ["1", "2"] * 19, onsets)  # an end before its start
    with pytest.raises(RecordingError, match="do not alternate in increasing time order"):
        seed_vii_clip_spans(swapped, "3_20221010_2")


def test_seed_vii_triggers_from_the_sessions_trigger_file(tmp_path, caplog):
    raw = _session_raw(["1", "2"] * 19 + ["1", "KeyPad Response"], list(np.arange(40) * 20.0 + 10.0))
    with pytest.raises(RecordingError, match="holds 19 start/end trigger pairs, not 20, and no 3_20221010_2_trigger"):
        seed_vii_clip_spans(raw, "3_20221010_2")
    csv = tmp_path / "3_20221010_2_trigger_info.csv"
    seconds = [0.5 + 15 * k for k in range(42)]
    csv.write_text("type,time\n" + _trigger_rows(["1", "2"] * 10 + ["3", "3"] + ["1", "2"] * 10, seconds))
    spans, origin = seed_vii_clip_spans(raw, "3_20221010_2", trigger_file=csv)
    assert origin == csv.name and spans[0] == (0.5, 15.5) and len(spans) == 20 and spans[-1] == (600.5, 615.5)

    csv.write_text(_trigger_rows(["1", "2"] * 21, seconds))  # 21 pairs: the first 20, with a warning
    with caplog.at_level("WARNING", logger="e2llm.eeg.seed_vii"):
        spans, _ = seed_vii_clip_spans(raw, "3_20221010_2", trigger_file=csv)
    assert spans[-1] == (570.5, 585.5) and "21 start/end trigger pairs in 3_20221010_2_trigger_info.csv" in caplog.text

    # sessions known to carry wrong in-file triggers always use the file, with the known start time
    good = _session_raw(["1", "2"] * 20, list(np.arange(40) * 20.0 + 10.0))
    with pytest.raises(RecordingError, match="known to be wrong"):
        seed_vii_clip_spans(good, "9_20221111_3")
    known = tmp_path / "9_20221111_3_trigger_info.csv"
    known.write_text(_trigger_rows(["1", "2"] * 20, [33 + 10 * k for k in range(40)], "2022-11-11", (14, 1, 27)))
    spans, _ = seed_vii_clip_spans(good, "9_20221111_3", trigger_file=known)
    assert spans[0] == (33.0, 43.0)  # 14:02:00 - 14:01:27


def test_seed_vii_trigger_files_are_found_in_the_folder_or_in_save_info_zip(tmp_path):
    import zipfile

    from e2llm.eeg.seed_vii import TriggerFile, find_seed_vii_trigger_files

    rows = _trigger_rows(["1", "2"] * 20, [33 + 10 * k for k in range(40)], "2022-11-11", (14, 1, 27))
    (tmp_path / "save_info").mkdir()
    (tmp_path / "save_info" / "14_20221015_1_trigger_info.csv").write_text(rows)
    with zipfile.ZipFile(tmp_path / "save_info.zip", "w") as z:  # as one release has it: the CSVs only in the zip
        for stem in ("9_20221111_3", "14_20221015_1"):
            z.writestr(f"save_info/{stem}_trigger_info.csv", rows)
            z.writestr(f"save_info/{stem}_save_info.csv", "not read\n")
    found = find_seed_vii_trigger_files(tmp_path)
    assert set(found) == {"9_20221111_3", "14_20221015_1"}
    assert found["14_20221015_1"] == TriggerFile(str(tmp_path / "save_info" / "14_20221015_1_trigger_info.csv"))
    assert found["9_20221111_3"] == TriggerFile(
        str(tmp_path / "save_info.zip"), "save_info/9_20221111_3_trigger_info.csv"
    )
    raw = _session_raw(["1", "2"] * 20, list(np.arange(40) * 20.0 + 10.0))
    spans, origin = seed_vii_clip_spans(raw, "9_20221111_3", trigger_file=found["9_20221111_3"])
    assert spans[0] == (33.0, 43.0) and origin == "save_info.zip:save_info/9_20221111_3_trigger_info.csv"

    (tmp_path / "save_info.zip").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"save_info\.zip: cannot read as a zip archive"):
        find_seed_vii_trigger_files(tmp_path)


@needs_real
def test_a_cnt_format_the_header_contradicts_is_named_not_called_truncated(tmp_path):
    """scan41_short.cnt is int16 and gives no sample count (0): with the count written in, cut
    after its event table, and read as int32, the data block is half what int32 needs."""
    path = _copy(REAL / "CNT" / "scan41_short.cnt", tmp_path)
    data = bytearray(path.read_bytes())
    (event_table,) = struct.unpack_from("<i", data, 886)
    (table_size,) = struct.unpack_from("<i", data, event_table + 1)
    struct.pack_into("<i", data, 864, 3070)  # samples: (event_table - 900 - 75·128) / (128 · 2 bytes)
    path.write_bytes(bytes(data[: event_table + 9 + table_size]))
    assert read_recording(path, cnt_format="int16").n_times == 3070
    with pytest.raises(
        EEGReadError,
        match=r"scan41_short\.cnt: its header implies 2 bytes per sample .* should be 'int16', not 'int32'",
    ):
        read_recording(path, cnt_format="int32")


def test_seed_vii_mat_clip(tmp_path):
    import scipy.io

    scipy.io.savemat(tmp_path / "1.mat", {"1": np.ones((62, 400), np.float32) * 5.0, "2": np.ones((10, 400))})
    raw = seed_vii_mat_clip(tmp_path / "1.mat", 1)
    assert raw.info["sfreq"] == 200.0 and len(raw.ch_names) == 62 and raw.ch_names[57] == "CB1"
    assert np.allclose(raw.get_data(), 5e-6)  # µV → V
    with pytest.raises(RecordingError, match="clip 2 has shape"):
        seed_vii_mat_clip(tmp_path / "1.mat", 2)
    with pytest.raises(ValueError, match="no array named '3'"):
        seed_vii_mat_clip(tmp_path / "1.mat", 3)
    assert set(EEGPT_CHANNELS) < {c.upper() for c in raw.ch_names}
