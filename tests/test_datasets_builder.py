"""The segments dataset: end to end on synthetic SEED-VII, splits, caching, atomicity, real files, bad inputs."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import mne
import numpy as np
import pytest
from datasets import Dataset

from e2llm.cli import main
from e2llm.configuration_e2llm import EEGPT_CHANNELS, EMOTIONS
from e2llm.datasets_builder import (
    COLUMNS,
    PAPER_TEST_FRACTION,
    SegmentLookup,
    build_segments,
    discover,
    format_summary,
    load_segments,
    segment_features,
)
from e2llm.datasets_builder.sources import process_task
from e2llm.eeg import (
    SEED_VII_CLIP_EMOTIONS,
    PreprocessingConfig,
    crop_offset,
    preprocess_raw,
    seed_vii_mat_clip,
    write_synthetic_seed_vii,
)
from conftest import REAL, needs_real

mne.set_log_level("ERROR")


def _rows(ds):
    return ds.with_format("numpy", columns=["eeg", "channel_mask"])


def _leftovers(parent: Path, name: str) -> list[str]:
    return [p.name for p in parent.iterdir() if p.name.startswith(f".{name}")]


def test_end_to_end_on_synthetic_seed_vii(eeg_small_segments, eeg_small_synthetic):
    result = eeg_small_segments
    dsd = result.dataset
    assert set(dsd) == {"train", "test"} and not result.reused
    n = dsd["train"].num_rows + dsd["test"].num_rows
    assert n == 2 * 80  # 2 subjects × 80 clips × one 10 s segment
    ids = []
    for split, ds in dsd.items():
        assert ds.column_names == list(COLUMNS) and ds.features == segment_features()
        assert ds.info.description.startswith("SYNTHETIC DATA — ") and split in ds.info.description
        meta = ds.remove_columns(["eeg", "channel_mask"]).to_list()
        for row in meta:
            assert re.fullmatch(r"sub0[12]-s[1-4]-c\d\d-g00", row["id"])
            assert EMOTIONS[row["emotion"]] == SEED_VII_CLIP_EMOTIONS[row["clip"] - 1]
            assert row["session"] == (row["clip"] - 1) // 20 + 1 and row["segment"] == 0
            assert row["source"] == f"EEG_preprocessed/{row['subject']}.mat"
        ids += [row["id"] for row in meta]
        arrays = _rows(ds)[:8]
        assert arrays["eeg"].shape == (8, 58, 1024) and arrays["eeg"].dtype == np.float32
        assert arrays["channel_mask"].all() and np.isfinite(arrays["eeg"]).all()
        assert 0.003 < np.sqrt((arrays["eeg"] ** 2).mean()) < 0.3  # mV
    assert len(set(ids)) == n
    summary = json.loads((result.path / "summary.json").read_text())
    assert summary == result.summary and summary["synthetic"] is True
    assert summary["description"].startswith("SYNTHETIC DATA — ")
    assert sum(summary["counts"]["train"].values()) + sum(summary["counts"]["test"].values()) == n
    assert summary["recordings"] == {"found": 2, "used": 2, "skipped": []} and summary["labels"] == "xlsx"
    assert summary["channels_filled"]["by_channel"] == {} and len(summary["fingerprint"]) == 32
    table = format_summary(summary)
    assert table.startswith("SYNTHETIC DATA") and "happy" in table and "channels zero-filled: none" in table


def test_segments_are_the_preprocessing_of_their_source(eeg_small_segments, eeg_small_synthetic):
    """A row equals preprocess_raw (the function `e2llm describe` uses) on its clip, cropped as documented."""
    ds = eeg_small_segments.dataset["train"]
    row = ds.remove_columns(["eeg", "channel_mask"])[5]
    clip = seed_vii_mat_clip(eeg_small_synthetic / row["source"], row["clip"])
    pre = preprocess_raw(clip, PreprocessingConfig())
    off = crop_offset(2560, 1024, "random", seed=0, key=f"{row['source']}|c{row['clip']}|g0")
    np.testing.assert_allclose(_rows(ds)[5]["eeg"], pre.data[:, off : off + 1024], atol=1e-6)


def test_paper_split_is_stratified_per_emotion(eeg_small_segments):
    counts = eeg_small_segments.summary["counts"]
    for e in EMOTIONS:
        total = counts["train"][e] + counts["test"][e]
        assert counts["test"][e] == round(total * PAPER_TEST_FRACTION)
    assert PAPER_TEST_FRACTION == pytest.approx(2761 / 27205)


def test_clip_and_subject_splits(eeg_small_synthetic, tmp_path):
    by_clip = build_segments(eeg_small_synthetic, tmp_path / "clip", split="clip", progress=False).dataset
    train_clips, test_clips = set(by_clip["train"]["clip"]), set(by_clip["test"]["clip"])
    assert test_clips and not train_clips & test_clips
    assert set(by_clip["test"]["emotion"]) == set(range(7))  # every emotion is held out somewhere
    by_subject = build_segments(
        eeg_small_synthetic, tmp_path / "subject", split="subject", test_subjects=["2"], progress=False
    ).dataset
    assert set(by_subject["train"]["subject"]) == {"1"} and set(by_subject["test"]["subject"]) == {"2"}
    with pytest.raises(ValueError, match=r"test subjects \['7'\] are not in the data"):
        build_segments(eeg_small_synthetic, tmp_path / "bad", split="subject", test_subjects=["7"], progress=False)
    assert not (tmp_path / "bad").exists()


def test_cache_is_reused_for_the_same_inputs_and_settings(tmp_path):
    src = write_synthetic_seed_vii(tmp_path / "in", n_subjects=1, clip_seconds=10.0, seed=2)
    out = tmp_path / "segments"
    first = build_segments(src, out, progress=False)
    t0 = time.perf_counter()
    again = build_segments(src, out, progress=False)
    assert again.reused and time.perf_counter() - t0 < 2.0
    assert again.summary["fingerprint"] == first.summary["fingerprint"]
    other = build_segments(src, out, config=PreprocessingConfig(crop="center"), progress=False)
    assert not other.reused and other.summary["fingerprint"] != first.summary["fingerprint"]
    mat = src / "EEG_preprocessed" / "1.mat"
    os.utime(mat, ns=(mat.stat().st_atime_ns, mat.stat().st_mtime_ns + 10**9))  # an input changed
    assert not build_segments(src, out, config=PreprocessingConfig(crop="center"), progress=False).reused
    assert _leftovers(tmp_path, "segments") == []
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("mine")
    with pytest.raises(ValueError, match="not an e2llm segments dataset"):
        build_segments(src, tmp_path / "notes", progress=False)
    assert (tmp_path / "notes" / "a.txt").read_text() == "mine"


def test_interrupted_build_leaves_no_dataset_and_the_rerun_completes(eeg_small_synthetic, eeg_small_segments, tmp_path):
    out = tmp_path / "segments"
    code = (
        "import sys; from e2llm.datasets_builder import build_segments; "
        f"build_segments({str(eeg_small_synthetic)!r}, {str(out)!r}, progress=False)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    killed_mid_build = False
    while time.time() < deadline and proc.poll() is None:
        shards = list(tmp_path.glob(".segments.building-*/shards/*.eeg"))
        if shards and any(s.stat().st_size > 0 for s in shards):
            os.kill(proc.pid, signal.SIGKILL)
            killed_mid_build = True
            break
        time.sleep(0.01)
    proc.wait()
    assert killed_mid_build, "the build finished before it could be interrupted"
    assert not out.exists()  # no partial dataset where a dataset is expected
    assert _leftovers(tmp_path, "segments")  # the killed build's temporary folder is still there …
    rerun = build_segments(eeg_small_synthetic, out, progress=False)
    assert not rerun.reused and _leftovers(tmp_path, "segments") == []  # … and is cleaned by the rerun
    for split in ("train", "test"):
        ref, got = eeg_small_segments.dataset[split], rerun.dataset[split]
        assert got["id"] == ref["id"]
        np.testing.assert_array_equal(_rows(got)[:]["eeg"], _rows(ref)[:]["eeg"])


def test_parallel_build_gives_the_same_dataset(eeg_small_synthetic, eeg_small_segments, tmp_path):
    parallel = build_segments(eeg_small_synthetic, tmp_path / "segments", n_jobs=2, progress=False)
    for split in ("train", "test"):
        ref, got = eeg_small_segments.dataset[split], parallel.dataset[split]
        assert got["id"] == ref["id"]
        np.testing.assert_array_equal(_rows(got)[:]["eeg"], _rows(ref)[:]["eeg"])


def test_a_recording_is_streamed_not_held_in_memory(eeg_small_synthetic, tmp_path):
    """Memory while processing a subject file of 80 clips is that of one clip: segments go to disk as
    they are made, so it does not grow with the recording (or the corpus)."""
    from e2llm.eeg import LabeledSpan, segments_from_spans

    tasks, _ = discover(eeg_small_synthetic, "seed-vii-preprocessed")
    clip = seed_vii_mat_clip(tasks[0].path, 1)
    tracemalloc.start()
    list(segments_from_spans(clip, [LabeledSpan(0.0, 10.0, "happy", 1)]))
    one_clip = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    result = process_task(tasks[0], PreprocessingConfig(), str(tmp_path / "shard"), skip_bad=False)
    whole = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    written = (tmp_path / "shard.eeg").stat().st_size
    assert len(result["rows"]) == 80 and written == 80 * 58 * 1024 * 4
    assert whole < 1.5 * one_clip + 2**20 and whole < written, (whole, one_clip, written)


def test_segment_lookup(eeg_small_segments):
    dsd = eeg_small_segments.dataset
    lookup = SegmentLookup(dsd)
    assert len(lookup) == dsd["train"].num_rows + dsd["test"].num_rows
    for split in ("train", "test"):
        ids = dsd[split]["id"]
        for row in (0, len(ids) - 1):
            eeg, mask = lookup[ids[row]]
            assert eeg.shape == (58, 1024) and eeg.dtype == np.float32 and mask.dtype == bool
            np.testing.assert_array_equal(eeg, _rows(dsd[split])[row]["eeg"])
            assert lookup.emotion(ids[row]) == EMOTIONS[dsd[split][row]["emotion"]]
            assert lookup.split_of(ids[row]) == split
    assert lookup.ids("test") == dsd["test"]["id"]
    with pytest.raises(KeyError, match="no segment with id 'nope'"):
        lookup["nope"]


def test_load_segments_and_parquet_round_trip(eeg_small_segments, tmp_path):
    dsd = load_segments(eeg_small_segments.path)
    assert dsd["test"].num_rows == eeg_small_segments.dataset["test"].num_rows
    with pytest.raises(FileNotFoundError):
        load_segments(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="not a segments dataset"):
        load_segments(tmp_path / "empty")
    other = tmp_path / "other"
    from datasets import DatasetDict

    DatasetDict({"train": Dataset.from_dict({"id": ["a"]}), "test": Dataset.from_dict({"id": ["b"]})}).save_to_disk(str(other))
    with pytest.raises(ValueError, match="missing column"):
        load_segments(other)
    # push_to_hub uploads Parquet shards with the features in their schema: the round trip keeps everything
    dsd["test"].to_parquet(str(tmp_path / "test.parquet"))
    back = Dataset.from_parquet(str(tmp_path / "test.parquet"))
    assert back.features == segment_features() and back["id"] == dsd["test"]["id"]
    np.testing.assert_array_equal(_rows(back)[:3]["eeg"], _rows(dsd["test"])[:3]["eeg"])


def _copy(src: Path, dst_dir: Path) -> Path:
    dst_dir.mkdir(parents=True, exist_ok=True)
    for companion in src.parent.glob(src.stem + ".*"):
        shutil.copy(companion, dst_dir / companion.name)
        (dst_dir / companion.name).chmod(0o644)
    return dst_dir / src.name


@needs_real
def test_real_recordings_of_several_formats(tmp_path):
    """EDF (dotted BCI2000 names), BrainVision (57 of 58 channels), BDF (10 channels; its header names a
    person and a birth date) labelled by one CSV; nothing of the headers enters the dataset."""
    src = tmp_path / "in"
    _copy(REAL / "EDF" / "test_edf_overlapping_annotations.edf", src / "edf")
    _copy(REAL / "antio" / "CA_208" / "test_CA_208_start_stop.vhdr", src / "bv")
    _copy(REAL / "BDF" / "multiple_annotation_chans.bdf", src / "bdf")
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "file,onset,duration,label\n"
        "edf/test_edf_overlapping_annotations.edf,0,30,Happy\n"
        "edf/test_edf_overlapping_annotations.edf,40,30,sad\n"
        "bv/test_CA_208_start_stop.vhdr,0,11,neutral\n"
        "bdf/multiple_annotation_chans.bdf,10,60,fear\n"
    )
    result = build_segments(src, tmp_path / "out", labels=labels, split="paper", test_size=0.3, progress=False)
    rows = {}
    for split, ds in result.dataset.items():
        for meta, arrays in zip(ds.remove_columns(["eeg", "channel_mask"]).to_list(), _rows(ds)):
            rows[meta["id"]] = (meta, arrays)
    by_source = {}
    for meta, arrays in rows.values():
        by_source.setdefault(meta["source"], []).append((meta, arrays))
    assert {k: len(v) for k, v in by_source.items()} == {
        "edf/test_edf_overlapping_annotations.edf": 6, "bv/test_CA_208_start_stop.vhdr": 1,
        "bdf/multiple_annotation_chans.bdf": 6}  # fmt: skip
    assert all(a["channel_mask"].all() for _, a in by_source["edf/test_edf_overlapping_annotations.edf"])
    (bv_meta, bv), = by_source["bv/test_CA_208_start_stop.vhdr"]
    cpz = EEGPT_CHANNELS.index("CPZ")
    assert not bv["channel_mask"][cpz] and bv["channel_mask"].sum() == 57 and not bv["eeg"][cpz].any()
    assert all(a["channel_mask"].sum() == 10 for _, a in by_source["bdf/multiple_annotation_chans.bdf"])
    assert bv_meta["id"] == "bv_test_CA_208_start_stop-s1-c01-g00" and EMOTIONS[bv_meta["emotion"]] == "neutral"
    summary = result.summary
    assert summary["synthetic"] is False and not result.dataset["train"].info.description.startswith("SYNTHETIC")
    assert summary["channels_filled"]["by_recording"]["bv/test_CA_208_start_stop.vhdr"] == ["CPZ"]
    assert "CPZ (2)" in format_summary(summary)  # BrainVision and BDF both lack CPz
    for f in (tmp_path / "out").rglob("*"):
        if f.is_file():
            content = f.read_bytes()
            for secret in (b"OPSA614", b"2019-12-15", b"14:36:46", b"2000-01-01"):
                assert secret not in content, (f.name, secret)


@needs_real
def test_recording_shorter_than_one_window(tmp_path):
    _copy(REAL / "EEGLAB" / "test_raw_chanloc.set", tmp_path / "in")
    (tmp_path / "in" / "test_raw_chanloc.labels.csv").write_text("onset,duration,label\n0,3,happy\n")
    with pytest.raises(ValueError, match=r"test_raw_chanloc\.set: recording is 3\.0 s long, shorter than one 4 s window"):
        build_segments(tmp_path / "in", tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists() and _leftovers(tmp_path, "out") == []


def _fif(path: Path, data_uv: np.ndarray, sfreq: float = 200.0, labels: str = "onset,duration,label\n0,20,happy\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = mne.io.RawArray(data_uv * 1e-6, mne.create_info(list(EEGPT_CHANNELS), sfreq, "eeg"))
    raw.save(path, overwrite=True)
    if labels is not None:
        path.with_name(path.name.replace("_raw.fif", ".labels.csv")).write_text(labels)
    return path


def _bad_input(kind: str, root: Path):
    """A folder with one bad input of the given kind; returns (input_dir, build kwargs, expected error)."""
    rng = np.random.default_rng(0)
    good = rng.standard_normal((58, 20 * 200)) * 20
    d = root / kind
    d.mkdir()
    if kind == "empty":
        return d, {}, (ValueError, "no EEG recordings found")
    if kind == "nan":
        x = good.copy()
        x[5, 300:400] = np.nan
        _fif(d / "rec_raw.fif", x)
        return d, {}, (ValueError, r"rec_raw\.fif: channel\(s\) F7 contain NaN")
    if kind == "flat":
        x = good.copy()
        x[7] = 0.0
        _fif(d / "rec_raw.fif", x)
        return d, {}, (ValueError, r"rec_raw\.fif: flat channel\(s\) F3")
    if kind == "wrong_labels":
        _fif(d / "rec_raw.fif", good, labels="onset,duration,label\n0,20,elated\n")
        return d, {}, (ValueError, r"rec\.labels\.csv: row 2: unknown emotion label 'elated'")
    if kind == "missing_labels":
        _fif(d / "rec_raw.fif", good, labels=None)
        return d, {"labels": root / "nowhere.csv"}, (FileNotFoundError, r"nowhere\.csv: labels file not found")
    if kind == "unlabelled":
        _fif(d / "rec_raw.fif", good, labels=None)
        return d, {}, (ValueError, r"rec_raw\.fif: no emotion labels")
    if kind == "truncated":
        path = _fif(d / "rec_raw.fif", good)
        edf = d / "rec.edf"
        mne.export.export_raw(edf, mne.io.read_raw_fif(path), fmt="edf")
        path.unlink()
        edf.with_name("rec.labels.csv").write_text("onset,duration,label\n0,20,happy\n")
        with open(edf, "r+b") as f:
            f.truncate(edf.stat().st_size // 2)
        return d, {}, (ValueError, r"rec\.edf: truncated EDF file")
    if kind == "seed_labels":
        src = write_synthetic_seed_vii(d / "seed", n_subjects=1, clip_seconds=10.0)
        (src / "emotion_label_and_stimuli_order.xlsx").write_bytes(b"not a workbook")
        return src, {}, (ValueError, r"emotion_label_and_stimuli_order\.xlsx: cannot read")
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind", ["empty", "nan", "flat", "wrong_labels", "missing_labels", "unlabelled", "truncated", "seed_labels"]
)
def test_bad_inputs_give_a_clear_error_and_write_nothing(kind, tmp_path):
    src, kwargs, (error, message) = _bad_input(kind, tmp_path)
    out = tmp_path / "out"
    with pytest.raises(error, match=message) as info:
        build_segments(src, out, progress=False, **kwargs)
    assert "\n" not in str(info.value)
    assert not out.exists() and _leftovers(tmp_path, "out") == []


def test_skip_bad_lists_skipped_recordings(tmp_path):
    rng = np.random.default_rng(1)
    _fif(tmp_path / "in" / "good_raw.fif", rng.standard_normal((58, 25 * 200)) * 20, labels="onset,duration,label\n0,25,happy\n")
    bad = rng.standard_normal((58, 25 * 200)) * 20
    bad[0] = np.inf
    _fif(tmp_path / "in" / "bad_raw.fif", bad)
    _fif(tmp_path / "in" / "more_raw.fif", rng.standard_normal((58, 25 * 200)) * 20, labels="onset,duration,label\n0,25,sad\n")
    result = build_segments(tmp_path / "in", tmp_path / "out", skip_bad=True, split="subject", progress=False)
    skipped = result.summary["recordings"]["skipped"]
    assert [s["source"] for s in skipped] == ["bad_raw.fif"] and "NaN or infinite" in skipped[0]["reason"]
    assert "skipped bad_raw.fif" in format_summary(result.summary)
    assert result.dataset["train"].num_rows + result.dataset["test"].num_rows == 4


def test_cli_prepare(eeg_small_synthetic, tmp_path, capsys):
    out = tmp_path / "segments"
    assert main(["prepare", str(eeg_small_synthetic), "--out", str(out), "--split", "clip", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "SYNTHETIC DATA" in printed and "anger" in printed and f"wrote {out}" in printed
    assert load_segments(out)["train"].num_rows > 0
    assert main(["prepare", str(eeg_small_synthetic), "--out", str(out), "--split", "clip", "--no-progress"]) == 0
    assert "reused" in capsys.readouterr().out
    (tmp_path / "empty").mkdir()
    assert main(["prepare", str(tmp_path / "empty"), "--out", str(tmp_path / "o2"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("e2llm prepare: error:") and "no EEG recordings found" in err and "\n" not in err


def test_seed_vii_raw_layout(tmp_path, monkeypatch):
    """SEED-VII as distributed: EEG_raw/<subject>_<date>_<session>.cnt read with cnt_format 'int32' (MNE
    cannot write CNT, so the reader is replaced by one returning a recording with the same channels
    and triggers), clips from the in-file triggers or, for a session known to have wrong ones, from
    save_info/<stem>_trigger_info.csv; emotions from the published order (no xlsx here)."""
    from e2llm.datasets_builder import sources
    from e2llm.eeg import SEED_VII_CHANNELS

    src = tmp_path / "SEED-VII"
    (src / "EEG_raw").mkdir(parents=True)
    (src / "save_info").mkdir()
    for name in ("3_20221010_2.cnt", "9_20221111_3.cnt"):
        (src / "EEG_raw" / name).write_bytes(b"stand-in")
    # replacement triggers for 9_20221111_3 (recording started 14:01:27): clip k at 33 + 22 k s, 21 s long
    stamps = []
    for k in range(20):
        for offset in (33 + 22 * k, 54 + 22 * k):
            stamps.append(f"{1 + len(stamps) % 2},2022-11-11 14:{1 + (27 + offset) // 60:02d}:{(27 + offset) % 60:02d}.000000")
    (src / "save_info" / "9_20221111_3_trigger_info.csv").write_text("\n".join(stamps) + "\n")
    calls = []

    def fake_read_recording(path, cnt_format=None, **kwargs):
        calls.append((Path(path).name, cnt_format))
        rng = np.random.default_rng(len(calls))
        names = list(SEED_VII_CHANNELS) + ["M1", "M2", "HEO", "VEO"]
        raw = mne.io.RawArray(rng.standard_normal((66, 480 * 200)) * 20e-6, mne.create_info(names, 200.0, "eeg"))
        raw.set_meas_date(mne.utils._stamp_to_dt((1_668_175_287, 0)))  # 2022-11-11 14:01:27 UTC
        onsets = np.ravel([(10.0 + 16 * k, 21.0 + 16 * k) for k in range(20)])  # in-file: clip k at 10 + 16 k s
        raw.set_annotations(mne.Annotations(onsets, 0.0, ["1", "2"] * 20, orig_time=raw.info["meas_date"]))
        return raw

    monkeypatch.setattr(sources, "read_recording", fake_read_recording)
    result = build_segments(src, tmp_path / "out", progress=False)
    assert sorted(calls) == [("3_20221010_2.cnt", "int32"), ("9_20221111_3.cnt", "int32")]
    rows = [r for ds in result.dataset.values() for r in ds.remove_columns(["eeg", "channel_mask"]).to_list()]
    assert len(rows) == 20 + 40  # in-file triggers: 11 s clips (1 segment); replacement file: 21 s clips (2)
    sub3 = sorted((r["clip"], r["session"], EMOTIONS[r["emotion"]]) for r in rows if r["subject"] == "3")
    assert sub3 == [(20 + k, 2, SEED_VII_CLIP_EMOTIONS[19 + k]) for k in range(1, 21)]
    assert {r["id"] for r in rows if r["subject"] == "9"} == {f"sub09-s3-c{40 + k:02d}-g0{g}" for k in range(1, 21) for g in (0, 1)}
    assert result.summary["labels"] == "published order" and result.summary["input_format"] == "seed-vii"
    assert result.summary["channels_filled"]["by_channel"] == {}
