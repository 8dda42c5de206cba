"""The segments dataset: end to end on synthetic SEED-VII, splits, caching, atomicity, real files, bad inputs."""

from __future__ import annotations

import errno
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
from conftest import REAL, needs_real
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
from e2llm.datasets_builder.builder import NAMED_NOTE, PSEUDONYMOUS_NOTE
from e2llm.datasets_builder.sources import process_task
from e2llm.eeg import (
    SEED_VII_CLIP_EMOTIONS,
    PreprocessingConfig,
    crop_offset,
    preprocess_raw,
    seed_vii_mat_clip,
    write_synthetic_seed_vii,
)

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


def test_paper_split_is_segment_level_and_its_help_says_what_is_unknown(capsys):
    from e2llm.datasets_builder import splits

    rows = [
        {"id": f"s{s}-c{c:02d}-g{g}", "emotion": EMOTIONS[c % 7], "subject": str(s), "clip": c, "source": str(s)}
        for s in (1, 2)
        for c in range(1, 15)
        for g in range(10)
    ]
    is_test = splits.assign_test(rows, "paper", seed=0)
    sides = [[r for r, t in zip(rows, is_test) if t == side] for side in (False, True)]
    assert {r["subject"] for r in sides[0]} == {r["subject"] for r in sides[1]} == {"1", "2"}
    assert {r["clip"] for r in sides[1]} <= {r["clip"] for r in sides[0]}  # every test clip is in train too
    assert round(0.10 * 27205) != 2761 and f"{100 * 2761 / 27205:.2f}" == "10.15"  # the paper's share is not 10 %

    assert main(["prepare", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    for text in (" ".join(splits.__doc__.split()), help_text):
        assert "segment-level" in text.lower() and "10.15 %" in text and "2,761" in text
    assert "exact rule is unknown" in help_text and "same subjects and clips on both sides" in help_text


def test_clip_and_subject_splits(eeg_small_synthetic, tmp_path):
    from e2llm.datasets_builder import audit_segments, format_summary

    clip_build = build_segments(eeg_small_synthetic, tmp_path / "clip", split="clip", progress=False)
    by_clip = clip_build.dataset
    train_clips, test_clips = set(by_clip["train"]["clip"]), set(by_clip["test"]["clip"])
    assert test_clips and not train_clips & test_clips
    assert set(by_clip["test"]["emotion"]) == set(range(7))  # every emotion is held out somewhere
    subject_build = build_segments(
        eeg_small_synthetic, tmp_path / "subject", split="subject", test_subjects=["2"], progress=False
    )
    by_subject = subject_build.dataset
    assert set(by_subject["train"]["subject"]) == {"1"} and set(by_subject["test"]["subject"]) == {"2"}
    # the leakage audit written with each build: what `e2llm prepare` prints, and what evaluation reads
    for build, shared in ((clip_build, {"subjects": 2, "clips": 0}), (subject_build, {"subjects": 0, "clips": 80})):
        leakage = build.summary["leakage"]
        assert {u: leakage[u]["shared"] for u in shared} == shared
        assert leakage == audit_segments(build.path)
        assert leakage["verdict"] in format_summary(build.summary)
    assert clip_build.summary["leakage"]["verdict"].startswith("subject-dependent, clip-disjoint split ('clip')")
    assert subject_build.summary["leakage"]["verdict"].startswith("subject-independent, clip-overlapping")
    with pytest.raises(ValueError, match=r"test_subjects: 7 not among the recordings' subjects \(1, 2\)"):
        build_segments(eeg_small_synthetic, tmp_path / "bad", split="subject", test_subjects=["7"], progress=False)
    assert not (tmp_path / "bad").exists()


@pytest.mark.slow
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
    deadline = time.time() + 300  # starting Python and importing e2llm can take a minute on a loaded machine
    killed_mid_build = False
    while time.time() < deadline and proc.poll() is None:
        # the first shard file marks a build under way: waiting for its first bytes left too short a
        # window on a loaded machine, where the build could finish between two looks
        if list(tmp_path.glob(".segments.tmp-*/shards/*.eeg")):
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

    DatasetDict({"train": Dataset.from_dict({"id": ["a"]}), "test": Dataset.from_dict({"id": ["b"]})}).save_to_disk(
        str(other)
    )
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
    for ds in result.dataset.values():
        for meta, arrays in zip(ds.remove_columns(["eeg", "channel_mask"]).to_list(), _rows(ds)):
            rows[meta["id"]] = (meta, arrays)
    by_source = {}
    for meta, arrays in rows.values():
        by_source.setdefault(meta["source"], []).append((meta, arrays))
    assert {k: len(v) for k, v in by_source.items()} == {
        "edf/test_edf_overlapping_annotations.edf": 6, "bv/test_CA_208_start_stop.vhdr": 1,
        "bdf/multiple_annotation_chans.bdf": 6}  # fmt: skip
    assert all(a["channel_mask"].all() for _, a in by_source["edf/test_edf_overlapping_annotations.edf"])
    ((bv_meta, bv),) = by_source["bv/test_CA_208_start_stop.vhdr"]
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
    with pytest.raises(
        ValueError, match=r"test_raw_chanloc\.set: recording is 3\.0 s long, shorter than one 4 s window"
    ):
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
    _fif(
        tmp_path / "in" / "good_raw.fif",
        rng.standard_normal((58, 25 * 200)) * 20,
        labels="onset,duration,label\n0,25,happy\n",
    )
    bad = rng.standard_normal((58, 25 * 200)) * 20
    bad[0] = np.inf
    _fif(tmp_path / "in" / "bad_raw.fif", bad)
    _fif(
        tmp_path / "in" / "more_raw.fif",
        rng.standard_normal((58, 25 * 200)) * 20,
        labels="onset,duration,label\n0,25,sad\n",
    )
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


@pytest.mark.parametrize("save_info", ["folder", "zip"])
def test_seed_vii_raw_layout(save_info, tmp_path, monkeypatch):
    """SEED-VII as distributed: EEG_raw/<subject>_<date>_<session>.cnt read with cnt_format 'int32' (MNE
    cannot write CNT, so the reader is replaced by one returning a recording with the real files' channels —
    62 EEG, M1, M2, HEO, VEO, ECG — and triggers: start/end codes 1 and 2 plus two 'KeyPad Response'), clips
    from the in-file triggers or, for a session known to have wrong ones, from its <stem>_trigger_info.csv;
    every session has that file and a <stem>_save_info.csv, in save_info/ or only inside save_info.zip;
    emotions from the published order (no xlsx here)."""
    import zipfile

    from e2llm.datasets_builder import sources
    from e2llm.eeg import SEED_VII_CHANNELS

    src = tmp_path / "SEED-VII"
    (src / "EEG_raw").mkdir(parents=True)
    for name in ("3_20221010_2.cnt", "9_20221111_3.cnt"):
        (src / "EEG_raw" / name).write_bytes(b"stand-in")
    # trigger times of 9_20221111_3 (recording started 14:01:27): clip k at 33 + 22 k s, 21 s long
    stamps = []
    for k in range(20):
        for offset in (33 + 22 * k, 54 + 22 * k):
            stamps.append(
                f"{1 + len(stamps) % 2},2022-11-11 14:{1 + (27 + offset) // 60:02d}:{(27 + offset) % 60:02d}.000000"
            )
    files = {}
    for stem, rows in (("3_20221010_2", stamps), ("9_20221111_3", stamps)):
        files[f"save_info/{stem}_trigger_info.csv"] = "\n".join(rows) + "\n"
        files[f"save_info/{stem}_save_info.csv"] = "not read\n"
    if save_info == "zip":
        with zipfile.ZipFile(src / "save_info.zip", "w") as z:
            for member, text in files.items():
                z.writestr(member, text)
    else:
        for member, text in files.items():
            (src / member).parent.mkdir(exist_ok=True)
            (src / member).write_text(text)
    calls = []

    def fake_read_recording(path, cnt_format=None, **kwargs):
        calls.append((Path(path).name, cnt_format))
        rng = np.random.default_rng(len(calls))
        names = list(SEED_VII_CHANNELS) + ["M1", "M2", "HEO", "VEO", "ECG"]
        raw = mne.io.RawArray(rng.standard_normal((67, 480 * 200)) * 20e-6, mne.create_info(names, 200.0, "eeg"))
        raw.set_meas_date(mne.utils._stamp_to_dt((1_668_175_287, 0)))  # 2022-11-11 14:01:27 UTC
        onsets = list(np.ravel([(10.0 + 16 * k, 21.0 + 16 * k) for k in range(20)]))  # in-file: clip k at 10 + 16 k s
        descriptions = ["1", "2"] * 20 + ["KeyPad Response"] * 2
        raw.set_annotations(mne.Annotations(onsets + [12.0, 200.0], 0.0, descriptions, orig_time=raw.info["meas_date"]))
        return raw

    monkeypatch.setattr(sources, "read_recording", fake_read_recording)
    result = build_segments(src, tmp_path / "out", progress=False)
    assert sorted(calls) == [("3_20221010_2.cnt", "int32"), ("9_20221111_3.cnt", "int32")]
    rows = [r for ds in result.dataset.values() for r in ds.remove_columns(["eeg", "channel_mask"]).to_list()]
    assert len(rows) == 20 + 40  # in-file triggers: 11 s clips (1 segment); trigger file: 21 s clips (2)
    sub3 = sorted((r["clip"], r["session"], EMOTIONS[r["emotion"]]) for r in rows if r["subject"] == "3")
    assert sub3 == [(20 + k, 2, SEED_VII_CLIP_EMOTIONS[19 + k]) for k in range(1, 21)]
    assert {r["id"] for r in rows if r["subject"] == "9"} == {
        f"sub09-s3-c{40 + k:02d}-g0{g}" for k in range(1, 21) for g in (0, 1)
    }
    assert result.summary["labels"] == "published order" and result.summary["input_format"] == "seed-vii"
    assert result.summary["channels_filled"]["by_channel"] == {}


# -- system errors are not bad recordings ---------------------------------------------------------


def _three_recordings(root: Path) -> Path:
    rng = np.random.default_rng(1)
    for name, emotion in (("good", "happy"), ("more", "sad"), ("third", "fear")):
        _fif(
            root / f"{name}_raw.fif",
            rng.standard_normal((58, 25 * 200)) * 20,
            labels=f"onset,duration,label\n0,25,{emotion}\n",
        )
    return root


def _failing_reader(monkeypatch, name: str, error: BaseException):
    """Replace the reader so that reading ``name`` raises ``error`` (the others read normally)."""
    from e2llm.datasets_builder import sources

    real = sources.read_recording

    def reader(path, *args, **kwargs):
        if Path(path).name == name:
            raise error
        return real(path, *args, **kwargs)

    monkeypatch.setattr(sources, "read_recording", reader)


@pytest.mark.parametrize("error", [
    OSError(errno.EIO, "Input/output error"),
    OSError(errno.ENOSPC, "No space left on device"),
    PermissionError(errno.EACCES, "Permission denied"),
])  # fmt: skip
def test_system_errors_stop_the_build_even_with_skip_bad(tmp_path, monkeypatch, error):
    """An EIO/ENOSPC/EACCES while reading was taken for a bad recording and skipped; the build must
    stop with nothing published: no output folder, no temporary folder, an old build untouched."""
    src = _three_recordings(tmp_path / "in")
    out = tmp_path / "out"
    _failing_reader(monkeypatch, "more_raw.fif", error)
    with pytest.raises(OSError) as info:
        build_segments(src, out, skip_bad=True, split="subject", progress=False)
    assert info.value.errno == error.errno and "more_raw.fif: system error" in str(info.value)
    assert "\n" not in str(info.value) and not isinstance(info.value, ValueError)
    assert not out.exists() and _leftovers(tmp_path, "out") == []
    # over an earlier build: it stays as it was
    monkeypatch.undo()
    first = build_segments(src, out, split="subject", progress=False)
    (src / "third_raw.fif").touch()  # an input changed: a rebuild is due
    _failing_reader(monkeypatch, "more_raw.fif", error)
    with pytest.raises(OSError):
        build_segments(src, out, skip_bad=True, split="subject", progress=False)
    assert json.loads((out / "summary.json").read_text()) == first.summary and _leftovers(tmp_path, "out") == []
    # the CLI: one line naming the file, exit 2, nothing written
    assert main(["prepare", str(src), "--out", str(tmp_path / "o2"), "--skip-bad", "--no-progress"]) == 2
    assert not (tmp_path / "o2").exists() and _leftovers(tmp_path, "o2") == []


def test_system_error_while_writing_shards_stops_the_build(tmp_path, monkeypatch):
    """A full disk while writing a recording's segments is not a bad recording either."""
    from e2llm.datasets_builder import sources

    src = _three_recordings(tmp_path / "in")
    real = sources.segments_from_spans

    def full_disk(*args, **kwargs):
        yield from real(*args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device", "/somewhere/shard.eeg")

    monkeypatch.setattr(sources, "segments_from_spans", full_disk)
    with pytest.raises(
        OSError, match="good_raw.fif: system error while processing this recording: No space left"
    ) as info:
        build_segments(src, tmp_path / "out", skip_bad=True, split="subject", progress=False)
    assert info.value.errno == errno.ENOSPC and not (tmp_path / "out").exists()


def test_skipped_recordings_are_part_of_the_cache_key(tmp_path, monkeypatch):
    """A build that skipped a recording was reused on the rerun after the recording was fixed (its
    name, size and time unchanged). Now the skipped recordings are tried again: reused only if
    they are still unusable."""
    from e2llm.eeg import RecordingError

    src = _three_recordings(tmp_path / "in")
    out = tmp_path / "out"
    _failing_reader(monkeypatch, "more_raw.fif", RecordingError("more_raw.fif: cannot read as FIF: oops"))
    first = build_segments(src, out, skip_bad=True, split="subject", progress=False)
    assert [s["source"] for s in first.summary["recordings"]["skipped"]] == ["more_raw.fif"]
    assert build_segments(src, out, skip_bad=True, split="subject", progress=False).reused  # still bad: reused
    monkeypatch.undo()  # the recording is fixed (nothing about the file changed)
    fixed = build_segments(src, out, skip_bad=True, split="subject", progress=False)
    assert not fixed.reused and fixed.summary["recordings"]["skipped"] == []
    assert "more_raw.fif" in set(fixed.dataset["train"]["source"]) | set(fixed.dataset["test"]["source"])
    assert fixed.summary["fingerprint"] != first.summary["fingerprint"]
    assert fixed.summary["input_fingerprint"] == first.summary["input_fingerprint"]
    assert build_segments(src, out, skip_bad=True, split="subject", progress=False).reused
    assert _leftovers(tmp_path, "out") == []


# -- arguments checked before any recording is read ------------------------------------------------


@pytest.fixture()
def no_recording_read(monkeypatch):
    """Fail the test if a recording is read or processed."""
    from e2llm.datasets_builder import builder, sources

    def forbidden(*args, **kwargs):
        raise AssertionError("a recording was read before the arguments were checked")

    monkeypatch.setattr(sources, "read_recording", forbidden)
    monkeypatch.setattr(sources, "seed_vii_mat_clip", forbidden)
    monkeypatch.setattr(builder, "process_task", forbidden)


PREPARE_BAD_ARGUMENTS = [
    (["--seed", "-1"], "--seed must be a whole number ≥ 0 (got -1)"),
    (["--test-size", "0"], "--test-size must be a fraction strictly between 0 and 1 (got 0.0)"),
    (["--test-size", "1.5"], "--test-size must be a fraction strictly between 0 and 1 (got 1.5)"),
    (["--test-size", "nan"], "--test-size must be a fraction strictly between 0 and 1 (got nan)"),
    (["--test-subjects", "1"], "--test-subjects applies to --split subject only (got --split paper)"),
    (["--split", "subject", "--test-subjects", "7"], "--test-subjects: 7 not among the recordings' subjects (1, 2)"),
    (["--split", "subject", "--test-subjects", "1", "2"],
     "--test-subjects: holds out every subject (1, 2); train would be empty"),
    (["--n-jobs", "0"], "--n-jobs must be at least 1 (got 0)"),
    (["--label-map", "T1=elated"],
     "--label-map: T1=elated: 'elated' is not an emotion (one of happy, surprise, neutral, disgust, fear, sad, anger)"),
    (["--label-map", "T1"], "--label-map takes CODE=EMOTION pairs, e.g. T1=happy"),
    (["--labels", "{tmp}/nowhere.csv"], "--labels: {tmp}/nowhere.csv: labels file not found"),
    (["--labels", "{tmp}"], "--labels: {tmp} is a folder, not a labels file (CSV of file, onset, duration, label)"),
    (["--notch", "-50"], "--notch must be a frequency in Hz, or 0 to disable the notch (got -50)"),
    (["--pseudonym-key", "{tmp}/k.json"], "--pseudonym-key applies with --pseudonymize only"),
    (["--pseudonymize", "--pseudonym-key", "{out}/k.json"],
     ("--pseudonym-key: {out}/k.json is inside the dataset folder {out}; keep the key outside it, so that it is "
      "never uploaded with the dataset")),
]  # fmt: skip


@pytest.mark.parametrize("argv, message", PREPARE_BAD_ARGUMENTS, ids=[" ".join(a) for a, _ in PREPARE_BAD_ARGUMENTS])
def test_prepare_arguments_are_checked_before_any_recording_is_read(
    eeg_small_synthetic, tmp_path, capsys, no_recording_read, argv, message
):
    """`--seed -1`, `--test-size` and `--test-subjects` were checked only after every recording had
    been processed; now every argument is checked first (the test subjects once the recordings
    are listed), in one line naming the argument, exit status 2, nothing written."""
    out = tmp_path / "out"
    argv = [a.format(tmp=tmp_path, out=out) for a in argv]
    rc = main(["prepare", str(eeg_small_synthetic), "--out", str(out), "--no-progress", *argv])
    err = capsys.readouterr().err
    assert rc == 2 and err == f"e2llm prepare: error: {message.format(tmp=tmp_path, out=out)}\n"
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == []


def test_build_arguments_are_checked_in_python_too(eeg_small_synthetic, tmp_path, no_recording_read):
    for kwargs, message in [
        ({"seed": -1}, r"^seed must be a whole number ≥ 0 \(got -1\)$"),
        ({"test_size": 1.0}, r"^test_size must be a fraction strictly between 0 and 1"),
        ({"test_subjects": ["1"]}, r"^test_subjects applies to split='subject' only \(got split='paper'\)$"),
        ({"n_jobs": 0}, r"^n_jobs must be at least 1"),
        ({"label_map": {"T1": "bored"}}, r"^label_map: T1=bored: 'bored' is not an emotion"),
        ({"split": "random"}, r"^split: unknown split 'random'"),
    ]:
        with pytest.raises(ValueError, match=message):
            build_segments(eeg_small_synthetic, tmp_path / "out", progress=False, **kwargs)
    with pytest.raises(ValueError, match=r"crop_seed must be a whole number ≥ 0"):
        PreprocessingConfig(crop_seed=-1)
    with pytest.raises(ValueError, match=r"notch_freq must be a frequency above 0 Hz"):
        PreprocessingConfig(notch_freq=-50.0)
    assert not (tmp_path / "out").exists()


# -- leftovers of killed builds --------------------------------------------------------------------


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _plant_leftovers(parent: Path, name: str) -> tuple[list[Path], list[Path]]:
    """Leftovers of a killed writer of this host (to be removed) and of another host (to be kept)."""
    from e2llm.runs.atomic import _owner_tag

    host, pid = _owner_tag().split("-")[0], _dead_pid()
    ours = [parent / f".{name}.tmp-{host}-{pid}-0badf00d", parent / f".{name}.old-{host}-{pid}-0badf00d"]
    theirs = [parent / f".{name}.tmp-otherhost-{pid}-0badf00d", parent / f".{name}.old-otherhost-{pid}-0badf00d"]
    for d in ours + theirs:
        (d / "shards").mkdir(parents=True)
        (d / "shards" / "00000.eeg").write_bytes(b"x")
    return ours, theirs


def test_leftovers_of_killed_builds_of_this_host_are_cleaned_not_another_hosts(eeg_small_synthetic, tmp_path):
    """Stale-build cleaning decided by PID only, so on a shared filesystem it removed another
    host's live build; now only this host's leftovers whose process is gone are removed."""
    ours, theirs = _plant_leftovers(tmp_path, "segments")
    build_segments(eeg_small_synthetic, tmp_path / "segments", progress=False)
    assert not any(p.exists() for p in ours)
    assert all((p / "shards" / "00000.eeg").read_bytes() == b"x" for p in theirs)
    assert sorted(_leftovers(tmp_path, "segments")) == sorted(p.name for p in theirs)


# -- pseudonyms and no local paths -----------------------------------------------------------------


def _named_recordings(root: Path) -> Path:
    """Recordings whose folder and file names are a person's name, as clinical data often are."""
    rng = np.random.default_rng(4)
    _fif(root / "sub-JaneDoe" / "jane_doe_raw.fif", rng.standard_normal((58, 25 * 200)) * 20,
         labels="onset,duration,label\n0,25,happy\n")  # fmt: skip
    _fif(root / "sub-JohnRoe" / "john_roe_raw.fif", rng.standard_normal((58, 25 * 200)) * 20,
         labels="onset,duration,label\n0,25,sad\n")  # fmt: skip
    bad = rng.standard_normal((58, 25 * 200)) * 20
    bad[0] = np.inf
    _fif(root / "sub-MaxMuster" / "max_muster_raw.fif", bad)
    return root


def _everything_in(folder: Path) -> bytes:
    return b"".join(f.read_bytes() for f in sorted(folder.rglob("*")) if f.is_file())


def test_no_absolute_local_path_in_the_dataset(tmp_path):
    src = _named_recordings(tmp_path / "in")
    result = build_segments(src, tmp_path / "out", skip_bad=True, split="subject", progress=False)
    summary = result.summary
    assert summary["pseudonymized"] is False and NAMED_NOTE in result.dataset["train"].info.description
    skipped = summary["recordings"]["skipped"]
    assert [s["source"] for s in skipped] == ["sub-MaxMuster/max_muster_raw.fif"]
    assert skipped[0]["reason"].startswith("sub-MaxMuster/max_muster_raw.fif: ")  # was the absolute path
    content = _everything_in(tmp_path / "out")
    assert str(tmp_path).encode() not in content and str(tmp_path.resolve()).encode() not in content
    assert {r for ds in result.dataset.values() for r in ds["subject"]} == {"JaneDoe", "JohnRoe"}


def test_pseudonymize(tmp_path):
    """--pseudonymize: stable keyed pseudonyms for subject, source and id; the key and the table in
    a 0600 file beside the dataset, never inside it; summary and description say so."""
    src = _named_recordings(tmp_path / "in")
    out = tmp_path / "out"
    result = build_segments(src, out, skip_bad=True, split="subject", pseudonymize=True, progress=False)
    rows = [r for ds in result.dataset.values() for r in ds.remove_columns(["eeg", "channel_mask"]).to_list()]
    assert {r["subject"] for r in rows} == set(result.summary["subjects"]["train"] + result.summary["subjects"]["test"])
    for r in rows:
        assert re.fullmatch(r"sub-[0-9a-f]{12}", r["subject"]) and re.fullmatch(r"rec-[0-9a-f]{12}\.fif", r["source"])
        assert r["id"].startswith(r["source"][: -len(".fif")] + "-s1-c01-g")
    key_file = tmp_path / "out.pseudonym-key.json"
    assert key_file.is_file() and (key_file.stat().st_mode & 0o777) == 0o600
    key = json.loads(key_file.read_text())
    assert key["subjects"]["JaneDoe"] in {r["subject"] for r in rows}
    assert key["sources"]["sub-JaneDoe/jane_doe_raw.fif"] in {r["source"] for r in rows}
    summary = result.summary
    assert summary["pseudonymized"] is True and summary["input_dir"] is None
    assert summary["pseudonymization"]["key_id"] == key["key_id"] and key["key"] not in json.dumps(summary)
    assert PSEUDONYMOUS_NOTE in result.dataset["test"].info.description and PSEUDONYMOUS_NOTE in summary["description"]
    (skipped,) = summary["recordings"]["skipped"]
    assert skipped["source"] == key["sources"]["sub-MaxMuster/max_muster_raw.fif"]
    content = _everything_in(out)
    for name in (b"Jane", b"jane", b"John", b"john", b"Max", b"max_muster", str(tmp_path).encode()):
        assert name not in content, name
    # the same key gives the same pseudonyms; the build is reused
    again = build_segments(src, out, skip_bad=True, split="subject", pseudonymize=True, progress=False)
    assert again.reused
    rebuilt = build_segments(
        src, out, skip_bad=True, split="subject", pseudonymize=True, overwrite=True, progress=False
    )
    assert sorted([*rebuilt.dataset["train"]["id"], *rebuilt.dataset["test"]["id"]]) == sorted(r["id"] for r in rows)
    # a held-out subject is named by its real name and stored as its pseudonym
    held = build_segments(src, out, skip_bad=True, split="subject", test_subjects=["JohnRoe"], pseudonymize=True,
                          progress=False)  # fmt: skip
    assert set(held.dataset["test"]["subject"]) == {key["subjects"]["JohnRoe"]}
    assert held.summary["settings"]["test_subjects"] == [key["subjects"]["JohnRoe"]]
    # without the key file: a new key, other pseudonyms
    other_key = tmp_path / "elsewhere" / "my.key.json"
    other = build_segments(src, tmp_path / "out2", skip_bad=True, split="subject", pseudonymize=True,
                           pseudonym_key=other_key, progress=False)  # fmt: skip
    assert other_key.is_file() and not (tmp_path / "out2.pseudonym-key.json").exists()
    assert not set(other.dataset["train"]["subject"]) & set(key["subjects"].values())
    # a plain build is not reused for a pseudonymized one, and the other way round
    plain = build_segments(src, out, skip_bad=True, split="subject", progress=False)
    assert not plain.reused and plain.summary["pseudonymized"] is False


def test_cli_prepare_pseudonymize(tmp_path, capsys):
    src = _named_recordings(tmp_path / "in")
    out = tmp_path / "segments"
    assert main(["prepare", str(src), "--out", str(out), "--skip-bad", "--split", "subject", "--pseudonymize",
                 "--no-progress"]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert f"wrote {out}" in printed and "Jane" not in printed
    assert json.loads((out / "summary.json").read_text())["pseudonymized"] is True
    assert (tmp_path / "segments.pseudonym-key.json").is_file()
    (tmp_path / "segments.pseudonym-key.json").write_text("{not json")
    assert main(["prepare", str(src), "--out", str(out), "--pseudonymize", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("e2llm prepare: error: ")
        and "segments.pseudonym-key.json: not an e2llm pseudonym key file" in err
    )
    assert err.count("\n") == 1
