"""`e2llm describe` on files: chunked reading equal to the whole-recording path, the quality checks,
what is said beside the rows (provenance, the recording's facts), abstentions, resuming, bad input.

Models are tiny and random; the answers' emotions and confidences that matter come from a fake
generation at the ``generate_responses`` boundary. Synthetic EEG (``e2llm.eeg.synthetic``) and white
noise are labelled as such; the real recordings are ../shared/data/real-eeg.
"""

from __future__ import annotations

import csv
import json
import types
from pathlib import Path

import mne
import numpy as np
import pytest
from conftest import REAL, needs_real

from e2llm import describe as describe_module
from e2llm.configuration_e2llm import EEGPT_CHANNELS, EMOTIONS
from e2llm.describe import NOT_ASSESSABLE, UNCERTAIN, describe_recording, format_timeline, write_timeline
from e2llm.eeg import (
    PreprocessingConfig,
    cut_windows,
    describe_config,
    iter_window_chunks,
    preprocess_raw,
    read_recording,
    synthetic_raw,
    window_starts,
)
from e2llm.eeg.quality import assess, eeg_statistics, quality_ranges, source_flags, window_features
from e2llm.provenance import SYNTHETIC_WARNING, model_provenance, training_data_record

mne.set_log_level("ERROR")
EDF = REAL / "EDF" / "test_edf_overlapping_annotations.edf"  # 128 Hz, 64 channels, 124 s
BRAINVISION = REAL / "antio" / "CA_208" / "test_CA_208_start_stop.vhdr"  # 1000 Hz, 11 s
BDF = REAL / "BDF" / "multiple_annotation_chans.bdf"  # 125 Hz, 10 EEG channels, 247 s


def white_noise(seconds: float, sfreq: float = 1000.0, n_eeg: int = 58, seed: int = 0) -> mne.io.RawArray:
    """WHITE NOISE (not EEG) of 20 µV on ``n_eeg`` EEGPT channels and 6 others."""
    names = list(EEGPT_CHANNELS[:n_eeg]) + [f"X{i}" for i in range(6)]
    data = np.random.default_rng(seed).standard_normal((len(names), int(seconds * sfreq))) * 20e-6
    return mne.io.RawArray(data, mne.create_info(names, sfreq, "eeg"))


def save(raw: mne.io.BaseRaw, path: Path) -> str:
    raw.save(path, fmt="double", overwrite=True)
    return str(path)


@pytest.fixture(scope="module")
def synthetic_statistics():
    """Training statistics, as training stores them, of SYNTHETIC EEG windows: 4 synthetic subjects
    at SEED-VII's preprocessed rate (200 Hz), every emotion (140 windows)."""

    def batches():
        for seed in range(1, 5):
            pre = preprocess_raw(synthetic_raw(140.0, 200.0, seed=seed, clip_seconds=20.0))
            windows, _ = cut_windows(pre, 4.0)
            yield windows, np.broadcast_to(pre.channel_mask, windows.shape[:2])

    return eeg_statistics(batches())


def with_training_data(model, statistics, synthetic=True):
    model.config.training_data = {
        "version": 1,
        "synthetic": synthetic,
        "description": "SYNTHETIC DATA — windows of e2llm.eeg.synthetic; for tests",
        "n_segments": statistics["n_windows"],
        "preprocessing": {"l_freq": 0.1, "h_freq": 70.0, "notch_freq": 50.0, "sfreq": 256.0},
        "eeg_statistics": statistics,
    }
    return model


class FakeAnswers:
    """``generate_responses(..., confidence=True)`` at its boundary: answers naming ``emotions[k]``
    with ``confidences[k]`` for the k-th window asked, counting what it was asked."""

    def __init__(self, emotions, confidences, interrupt_on_call=None):
        self.emotions, self.confidences = emotions, confidences
        self.asked = 0
        self.calls = 0
        self.interrupt_on_call = interrupt_on_call

    def __call__(self, model, processor, conversations, eeg, masks, *, confidence=False, **kwargs):
        assert confidence is True and all(len(segs) == 1 and segs[0].shape == (58, 1024) for segs in eeg)
        self.calls += 1
        if self.calls == self.interrupt_on_call:
            raise KeyboardInterrupt
        out = []
        for _ in conversations:
            k = self.asked % len(self.emotions)
            emotion, sure = self.emotions[k], self.confidences[k]
            text = f"The EEG signals indicate {emotion}. Emotion: {emotion}"
            probabilities = {e: (sure if e == emotion else (1 - sure) / 6) for e in EMOTIONS} if sure else None
            out.append(types.SimpleNamespace(text=text, emotion=emotion, confidence=sure, probabilities=probabilities))
            self.asked += 1
        return out


# -- chunked reading ------------------------------------------------------------------------------


def test_chunked_windows_equal_the_whole_recording(tmp_path):
    """A 150 s SYNTHETIC 62-channel 1000 Hz recording read lazily from FIF: windows preprocessed a
    chunk at a time equal those cut from the whole preprocessed recording within 1e-6 mV."""
    path = tmp_path / "synthetic_raw.fif"
    synthetic_raw(150.0, 1000.0, seed=3, clip_seconds=30.0).save(path, fmt="single")
    raw = read_recording(path)
    assert not raw.preload
    config = describe_config(PreprocessingConfig())
    whole = preprocess_raw(raw, config)
    expected, expected_starts = cut_windows(whole, 4.0, 3.0)
    starts = window_starts(raw, config, 3.0)
    assert np.array_equal(starts / 256.0, expected_starts)
    chunks = list(iter_window_chunks(raw, config, starts, max_windows=7))
    assert len(chunks) == -(-len(starts) // 7) and all(c.problem is None for c in chunks)
    got = np.concatenate([c.eeg for c in chunks])
    assert got.shape == expected.shape == (49, 58, 1024)
    assert np.abs(got - expected).max() <= 1e-6
    assert not np.concatenate([c.flat | c.clipped for c in chunks]).any()


@needs_real
def test_chunked_windows_at_128_hz_differ_only_at_the_source_nyquist_frequency():
    """At 128 Hz nothing is filtered between the band and 64 Hz before upsampling, and the component
    at exactly 64 Hz is not fixed by the samples: that is where (and all) the two paths differ."""
    raw = read_recording(EDF)
    config = describe_config(PreprocessingConfig())
    expected, _ = cut_windows(preprocess_raw(raw, config), 4.0)
    got = np.concatenate([c.eeg for c in iter_window_chunks(raw, config, window_starts(raw, config))])
    diff = (got - expected).astype(np.float64)
    assert 1e-6 < np.abs(diff).max() <= 5e-4 and np.abs(diff).max() <= 1e-3 * np.abs(expected).max()
    power = np.abs(np.fft.rfft(diff, axis=-1)) ** 2
    freqs = np.fft.rfftfreq(1024, 1 / 256)
    assert power[..., freqs >= 63.0].sum() >= 0.9 * power.sum()


# -- quality checks -------------------------------------------------------------------------------


def share_not_assessable(raw, statistics) -> float:
    config = describe_config(PreprocessingConfig())
    ranges = quality_ranges(statistics)
    flagged = []
    for chunk in iter_window_chunks(raw, config, window_starts(raw, config)):
        features, channel_rms = window_features(chunk.eeg, chunk.channel_mask, 256.0)
        flagged += [
            bool(r) for r in assess(features, channel_rms, chunk.flat, chunk.clipped, chunk.channel_mask, ranges)
        ]
    return sum(flagged) / len(flagged)


@needs_real
def test_white_noise_is_not_assessable_and_real_eeg_is(synthetic_statistics):
    assert share_not_assessable(white_noise(60.0), synthetic_statistics) >= 0.95
    assert share_not_assessable(white_noise(60.0, sfreq=128.0, n_eeg=10, seed=1), synthetic_statistics) >= 0.95
    # real recordings: the 128 Hz EDF and the BrainVision file pass whole; the BDF's flagged windows
    # (6 of 61) are its opening artifact and a few with muscle-like flat spectra
    for path in (EDF, BRAINVISION, BDF):
        assert share_not_assessable(read_recording(path), synthetic_statistics) <= 0.15, path.name


def test_flat_and_clipped_channels_are_found_in_the_source_samples():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 4000)) * 20e-6
    x[1] = 3e-6 + rng.standard_normal(4000) * 1e-8  # a disconnected electrode: 0.1 µV of noise
    x[2] = np.clip(x[2], -15e-6, 15e-6)  # amplifier range exceeded
    flat, clipped = source_flags(x)
    assert flat.tolist() == [False, True, False, False] and clipped.tolist() == [False, False, True, False]


@needs_real
def test_windows_with_flat_or_clipped_channels_are_not_assessable(synthetic_statistics):
    raw = read_recording(EDF, preload=True)
    data = raw.get_data()
    top = np.quantile(np.abs(data), 0.9)
    clipped = mne.io.RawArray(np.clip(data, -top, top), raw.info)
    assert share_not_assessable(clipped, synthetic_statistics) == 1.0
    loose = data.copy()
    loose[:40, 40 * 128 : 60 * 128] = 1e-6  # 40 of 64 electrodes off for 20 s
    config = describe_config(PreprocessingConfig())
    ranges = quality_ranges(synthetic_statistics)
    raw = mne.io.RawArray(loose, raw.info)
    reasons = []
    for chunk in iter_window_chunks(raw, config, window_starts(raw, config)):
        features, channel_rms = window_features(chunk.eeg, chunk.channel_mask, 256.0)
        reasons += assess(features, channel_rms, chunk.flat, chunk.clipped, chunk.channel_mask, ranges)
    assert ["flat" in r for r in reasons[9:16]] == [False, True, True, True, True, True, False]


# -- describe_recording -----------------------------------------------------------------------------


@needs_real
def test_describe_says_what_the_model_learnt_from_and_the_recordings_facts(
    tiny_model_and_processor, synthetic_statistics, tmp_path, capsys
):
    model, processor = tiny_model_and_processor
    unknown = describe_recording(EDF, model, processor, max_new_tokens=4, progress=False)
    assert "training data unknown" in format_timeline(unknown) and SYNTHETIC_WARNING not in format_timeline(unknown)
    with_training_data(model, synthetic_statistics)
    timeline = describe_recording(EDF, model, processor, max_new_tokens=4, progress=False)
    text = format_timeline(timeline)
    assert SYNTHETIC_WARNING in text.splitlines()  # its own line
    assert "0.1–64 Hz usable of the model's 0.1–70 Hz (91 %)" in text
    assert "low-pass 70 Hz skipped (at or above the Nyquist frequency, 64 Hz)" in text and "notch 50 Hz" in text
    assert "resampled 128 → 256 Hz" in text and "124.0 s, 128 Hz, 64 channels" in text
    assert "58 of the model's 58 matched" in text and "spectral slope" in text
    assert len(timeline.rows) == 31 and {r.verdict for r in timeline.rows} <= {*EMOTIONS, UNCERTAIN, NOT_ASSESSABLE}
    write_timeline(timeline, tmp_path, title="test")
    sidecar = json.loads((tmp_path / "timeline.json").read_text())
    assert sidecar["provenance"]["synthetic"] is True and sidecar["provenance"]["warning"] == SYNTHETIC_WARNING
    assert sidecar["recording"]["band_coverage"] == pytest.approx(63.9 / 69.9)
    assert sidecar["recording"]["filters"][1].startswith("low-pass 70 Hz skipped")
    rows = list(csv.DictReader(open(tmp_path / "timeline.csv", encoding="utf-8")))
    assert [r["verdict"] for r in rows] == [r.verdict for r in timeline.rows]


@pytest.fixture
def edf_with_noise(tmp_path):
    """The real EDF with 20 s (40–60 s) replaced by WHITE NOISE, saved as FIF."""
    raw = read_recording(EDF, preload=True)
    data = raw.get_data()
    data[:, 40 * 128 : 60 * 128] = np.random.default_rng(0).standard_normal((64, 20 * 128)) * 20e-6
    return save(mne.io.RawArray(data, raw.info), tmp_path / "edf_with_noise_raw.fif")


@needs_real
def test_abstentions_are_never_reported_as_emotions(
    tiny_model_and_processor, synthetic_statistics, edf_with_noise, monkeypatch, tmp_path
):
    """The noise windows are not assessable and the model is not asked about them; of the others,
    answers below --min-confidence, or naming no emotion, are uncertain."""
    model, processor = tiny_model_and_processor
    with_training_data(model, synthetic_statistics)
    answers = FakeAnswers(["fear", "happy", "invalid", "sad"], [0.9, 0.3, None, 0.6])
    monkeypatch.setattr(describe_module, "generate_responses", answers)
    timeline = describe_recording(edf_with_noise, model, processor, min_confidence=0.5, progress=False)
    rows = timeline.rows
    noise = [r for r in rows if 40 <= r.start < 60]
    assert len(noise) == 5 and all(r.verdict == NOT_ASSESSABLE and "spectrum" in r.quality for r in noise)
    assert all(r.emotion == "" and r.confidence is None and r.text == "" for r in noise)  # never asked
    asked = [r for r in rows if r.verdict != NOT_ASSESSABLE]
    assert answers.asked == len(asked) == 26
    expected = {"fear": "fear", "happy": UNCERTAIN, "invalid": UNCERTAIN, "sad": "sad"}
    assert [r.verdict for r in asked] == [expected[r.emotion] for r in asked]
    assert all(r.confidence >= 0.5 for r in rows if r.verdict in EMOTIONS)
    printed = format_timeline(timeline)
    assert "[happy]" in printed and "(spectrum)" in printed and "not assessable 5" in printed
    write_timeline(timeline, tmp_path)
    table = list(csv.DictReader(open(tmp_path / "timeline.csv", encoding="utf-8")))
    assert [r["verdict"] for r in table].count(NOT_ASSESSABLE) == 5
    assert {r["quality"] for r in table if r["verdict"] != NOT_ASSESSABLE} == {"ok"}
    assert {r["confidence"] for r in table if r["emotion"] == "happy"} == {"0.3000"}
    windows = json.loads((tmp_path / "timeline.json").read_text())["windows"]
    assert windows[0]["probabilities"]["fear"] == pytest.approx(0.9)
    monkeypatch.setattr(describe_module, "generate_responses", FakeAnswers(answers.emotions, answers.confidences))
    everything = describe_recording(edf_with_noise, model, processor, min_confidence=0.0, progress=False)
    assert [r.verdict for r in everything.rows].count(UNCERTAIN) == [r.emotion for r in asked].count("invalid")


@needs_real
def test_dead_channels_are_stated_and_make_windows_not_assessable(
    tiny_model_and_processor, synthetic_statistics, monkeypatch, tmp_path
):
    """20 of the EDF's 64 electrodes flat throughout: the recipe zero-fills them, the facts name them,
    and with a third of the matched channels dead no window is assessed."""
    model, processor = tiny_model_and_processor
    with_training_data(model, synthetic_statistics)
    raw = read_recording(EDF, preload=True)
    data = raw.get_data()
    data[:20] = 2e-6
    path = save(mne.io.RawArray(data, raw.info), tmp_path / "dead_raw.fif")
    answers = FakeAnswers(["fear"], [0.9])
    monkeypatch.setattr(describe_module, "generate_responses", answers)
    timeline = describe_recording(path, model, processor, progress=False)
    assert answers.asked == 0 and all(r.quality == ("flat",) for r in timeline.rows)
    dead = {name for name, n in timeline.facts.flat.items() if n == 31}
    assert len(dead) == 20 and "flat in half the windows or more: " + ", ".join(
        f"{c} (31)" for c in timeline.facts.flat
    ) in format_timeline(timeline)


@needs_real
def test_an_interrupted_run_keeps_what_it_finished_and_resumes(
    tiny_model_and_processor, synthetic_statistics, monkeypatch, tmp_path
):
    model, processor = tiny_model_and_processor
    with_training_data(model, synthetic_statistics)
    out = tmp_path / "out"
    emotions, confidences = ["fear", "sad", "happy"], [0.9, 0.8, 0.2]
    monkeypatch.setattr(describe_module, "generate_responses", FakeAnswers(emotions, confidences, interrupt_on_call=3))
    with pytest.raises(KeyboardInterrupt, match="16 of 31 windows kept"):
        describe_recording(EDF, model, processor, batch_size=8, out=out, progress=False)
    partial = out / "timeline.partial.jsonl"
    assert len(partial.read_text().splitlines()) == 16
    assert sorted(p.name for p in out.iterdir()) == [partial.name, "timeline.partial.key.json"]
    resumed_answers = FakeAnswers(emotions, confidences)
    monkeypatch.setattr(describe_module, "generate_responses", resumed_answers)
    resumed = describe_recording(EDF, model, processor, batch_size=8, out=out, progress=False, min_confidence=0.1)
    assert resumed_answers.asked == 31 - 16  # only what was left
    assert [r.start for r in resumed.rows] == [4.0 * i for i in range(31)]
    assert [r.emotion for r in resumed.rows] == (emotions * 11)[:16] + (emotions * 5)[:15]
    assert all(r.verdict == r.emotion for r in resumed.rows)  # kept windows judged by this run's --min-confidence
    write_timeline(resumed, out)
    assert sorted(p.name for p in out.iterdir()) == ["timeline.csv", "timeline.json", "timeline.png"]
    # a kept window of another model is not reused
    monkeypatch.setattr(describe_module, "generate_responses", FakeAnswers(emotions, confidences, interrupt_on_call=2))
    with pytest.raises(KeyboardInterrupt):
        describe_recording(EDF, model, processor, batch_size=8, out=out, progress=False)
    with_training_data(model, synthetic_statistics, synthetic=False)
    other = FakeAnswers(emotions, confidences)
    monkeypatch.setattr(describe_module, "generate_responses", other)
    describe_recording(EDF, model, processor, batch_size=8, out=out, progress=False)
    assert other.asked == 31


# -- provenance ----------------------------------------------------------------------------------------


def test_training_records_what_the_model_learnt_from(toy_segments_dir, tiny_model_and_processor, tmp_path):
    """The record training stores in the config (toy SYNTHETIC segments), kept by save/load; a model
    saved without one falls back on its folder's stage marker."""
    from e2llm.datasets_builder import SegmentLookup, load_segments
    from e2llm.modeling_e2llm import E2LLMForConditionalGeneration

    lookup = SegmentLookup(load_segments(toy_segments_dir))
    ids = lookup.ids("train") * 2
    record = training_data_record(toy_segments_dir, ids, lookup)
    assert record["synthetic"] is True and record["n_segments"] == 42
    assert record["description"].startswith("SYNTHETIC DATA")
    stats = record["eeg_statistics"]
    assert stats["n_windows"] == 42 and all(a <= b <= c for a, b, c in stats["window"].values())
    model, _ = tiny_model_and_processor
    model.config.training_data = record
    model.save_pretrained(tmp_path / "m")
    loaded = E2LLMForConditionalGeneration.from_pretrained(tmp_path / "m")
    assert loaded.config.training_data == json.loads(json.dumps(record))
    provenance = model_provenance(loaded.config)
    assert provenance.synthetic is True and provenance.warning == SYNTHETIC_WARNING
    assert "42 segments of SYNTHETIC EEG" in provenance.text and provenance.statistics == stats
    model.config.training_data = None
    model.save_pretrained(tmp_path / "old")
    old = E2LLMForConditionalGeneration.from_pretrained(tmp_path / "old").config
    assert model_provenance(old, tmp_path / "old").synthetic is None
    (tmp_path / "old" / "e2llm_stage.json").write_text(json.dumps({"stage": "stage3", "synthetic": True}))
    assert model_provenance(old, tmp_path / "old").warning == SYNTHETIC_WARNING


# -- the plot ------------------------------------------------------------------------------------------


def test_the_plot_shows_confidence_and_abstentions():
    from e2llm.describe import Timeline, TimelineRow, timeline_figure
    from e2llm.provenance import Provenance

    rows = [
        TimelineRow(0.0, 4.0, "fear", "fear", 0.9),
        TimelineRow(4.0, 8.0, "fear", "fear", 0.6),
        TimelineRow(8.0, 12.0, UNCERTAIN, "sad", 0.3),
        TimelineRow(12.0, 16.0, NOT_ASSESSABLE, quality=("spectrum",)),
    ]
    settings = {"min_confidence": 0.5}
    fig = timeline_figure(Timeline(rows, None, Provenance(True, "", None, (0.1, 70.0)), settings), "t")
    lanes, track = fig.axes
    bars = {
        lanes.get_yticklabels()[int(round(c.get_paths()[0].vertices[:, 1].mean()))].get_text(): c
        for c in lanes.collections
    }
    assert sorted(bars) == ["fear", NOT_ASSESSABLE, UNCERTAIN]
    alphas = bars["fear"].get_facecolors()[:, 3]
    assert alphas[0] > alphas[1] and alphas == pytest.approx([0.25 + 0.75 * 0.9, 0.25 + 0.75 * 0.6])
    assert bars[UNCERTAIN].get_hatch() == "//"
    grey = bars[NOT_ASSESSABLE].get_facecolors()[0]
    assert grey[0] == grey[1] == grey[2]
    assert [line.get_ydata()[0] for line in track.lines] == [0.5]  # the threshold
    assert "SYNTHETIC" in lanes.get_title()


# -- bad input -------------------------------------------------------------------------------------


def test_bad_input_gives_one_line_exit_2_and_writes_nothing(tiny_model_dir, tmp_path, capsys):
    from e2llm.cli import main as cli

    rng = np.random.default_rng(0)
    low = save(  # WHITE NOISE at 50 Hz: 0.1–25 Hz of the model's 0.1–70 Hz
        mne.io.RawArray(
            rng.standard_normal((20, 3000)) * 2e-5, mne.create_info(list(EEGPT_CHANNELS[:20]), 50.0, "eeg")
        ),
        tmp_path / "low_raw.fif",
    )
    few = save(
        mne.io.RawArray(rng.standard_normal((3, 20_000)) * 2e-5, mne.create_info(["Cz", "Pz", "Fz"], 1000.0, "eeg")),
        tmp_path / "few_raw.fif",
    )
    out = tmp_path / "out"
    cases = [
        ([low], "low_raw.fif: sampled at 50 Hz, so only 0.1–25 Hz of the model's 0.1–70 Hz band is in it (36 %)"),
        ([few], "few_raw.fif: only 3 of the 58 EEGPT channels found"),
        ([few, "--min-confidence", "1.5"], "argument --min-confidence: must be between 0 and 1, not 1.5"),
        ([], "give a RECORDING or --lsl NAME (one of them)"),
        ([few, "--lsl", "eeg"], "give a RECORDING or --lsl NAME (one of them)"),
        ([few, "--duration", "10"], "--duration is for --lsl streams"),
    ]
    for extra, message in cases:
        assert cli(["describe", "--model", tiny_model_dir, "--out", str(out), *extra]) == 2, extra
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and message in err, err
    assert not out.exists()
