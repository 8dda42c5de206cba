"""Synthetic SEED-VII (SYNTHETIC DATA): layout, EEG-likeness, labelling, and a learnable-not-trivial signature."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.io

from e2llm.configuration_e2llm import EMOTIONS
from e2llm.eeg import (
    SEED_VII_CHANNELS,
    SEED_VII_CLIP_EMOTIONS,
    read_seed_vii_labels,
    synthetic_raw,
    write_synthetic_seed_vii,
)
from e2llm.eeg.seed_vii import read_seed_vii_channel_order
from e2llm.eeg.synthetic import make_subject_profile, synthesize_eeg


def test_layout_is_seed_vii_preprocessed(eeg_small_synthetic):
    d = eeg_small_synthetic
    assert sorted(p.name for p in (d / "EEG_preprocessed").iterdir()) == ["1.mat", "2.mat"]
    variables = scipy.io.whosmat(d / "EEG_preprocessed" / "1.mat")
    assert sorted(int(name) for name, _, _ in variables) == list(range(1, 81))
    assert all(shape == (62, 2000) and cls == "single" for _, shape, cls in variables)  # 10 s at 200 Hz, float32
    assert read_seed_vii_labels(d) == (SEED_VII_CLIP_EMOTIONS, "xlsx")
    assert read_seed_vii_channel_order(d) == SEED_VII_CHANNELS
    marker = (d / "SYNTHETIC.txt").read_text()
    assert marker.startswith("SYNTHETIC DATA") and json.loads(marker.split("\n", 1)[1])["n_subjects"] == 2
    assert "SYNTHETIC DATA" in (d / "README.md").read_text()


def test_refuses_to_overwrite_and_is_deterministic(tmp_path, eeg_small_synthetic):
    with pytest.raises(FileExistsError):
        write_synthetic_seed_vii(eeg_small_synthetic, n_subjects=1, clip_seconds=5.0)
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "data.cnt").write_bytes(b"x")
    with pytest.raises(ValueError, match="not a synthetic dataset"):
        write_synthetic_seed_vii(tmp_path / "real", n_subjects=1, clip_seconds=5.0, overwrite=True)
    a = write_synthetic_seed_vii(tmp_path / "a", n_subjects=1, clip_seconds=5.0, seed=7)
    b = write_synthetic_seed_vii(tmp_path / "b", n_subjects=1, clip_seconds=5.0, seed=7)
    x = scipy.io.loadmat(a / "EEG_preprocessed" / "1.mat", variable_names=["17"])["17"]
    y = scipy.io.loadmat(b / "EEG_preprocessed" / "1.mat", variable_names=["17"])["17"]
    np.testing.assert_array_equal(x, y)


def _band_power(x, sfreq, lo, hi):
    f = np.fft.rfftfreq(x.shape[-1], 1 / sfreq)
    p = np.abs(np.fft.rfft(x, axis=-1)) ** 2
    return p[..., (f >= lo) & (f < hi)].mean(-1)


def test_signals_are_eeg_like():
    rng = np.random.default_rng(0)
    subject = make_subject_profile(rng)
    x = synthesize_eeg(60 * 200, 200.0, "neutral", subject, rng)  # µV
    x -= x.mean(axis=0)  # average reference
    rms = np.sqrt((x**2).mean(axis=1))
    assert 5 < np.median(rms) < 80  # tens of µV
    names = list(SEED_VII_CHANNELS)
    occ, front = [names.index(c) for c in ("O1", "OZ", "O2")], [names.index(c) for c in ("F3", "FZ", "F4")]
    alpha = _band_power(x, 200.0, subject.alpha_peak - 1, subject.alpha_peak + 1)
    assert alpha[occ].mean() > 2 * alpha[front].mean()  # posterior alpha
    # 1/f background: more power at 2-4 Hz than at 20-24 Hz, in every channel
    assert (_band_power(x, 200.0, 2, 4) > _band_power(x, 200.0, 20, 24)).all()
    # blinks: frontal, 80-200 µV; mains noise at 50 Hz only when asked for (same draws otherwise)
    quiet = synthesize_eeg(
        60 * 200, 200.0, "neutral", subject, np.random.default_rng(1), blinks=False, line_noise=False
    )
    blinks = synthesize_eeg(
        60 * 200, 200.0, "neutral", subject, np.random.default_rng(1), blinks=True, line_noise=False
    )
    blink = np.abs(blinks - quiet).max(axis=1)
    assert 60 < blink[names.index("FP1")] < 400 and blink[names.index("FP1")] > 20 * blink[names.index("OZ")]
    noisy = synthesize_eeg(60 * 200, 200.0, "neutral", subject, np.random.default_rng(1), blinks=False, line_noise=True)
    ratio = lambda z: _band_power(z, 200.0, 49.9, 50.1).mean() / _band_power(z, 200.0, 45, 49).mean()  # noqa: E731
    assert ratio(noisy) > 20 * ratio(quiet)


def test_continuous_recording_for_benchmarks():
    raw = synthetic_raw(30.0, 1000.0, clip_seconds=10.0, seed=1)
    assert raw.info["sfreq"] == 1000.0 and len(raw.ch_names) == 62 and raw.n_times == 30_000
    assert list(raw.annotations.description) == list(EMOTIONS[:3]) and list(raw.annotations.duration) == [10.0] * 3


def _log_band_power_features(ds):
    x = ds.with_format("numpy")["eeg"][:]
    f = np.fft.rfftfreq(x.shape[-1], 1 / 256)
    p = np.abs(np.fft.rfft(x * np.hanning(x.shape[-1]), axis=-1)) ** 2
    bands = [(4, 8), (8, 13), (14, 30), (30, 45)]
    feats = np.stack([np.log(p[..., (f >= lo) & (f < hi)].mean(-1) + 1e-12) for lo, hi in bands], -1)
    return feats.reshape(len(x), -1), np.asarray(ds["emotion"])


def test_emotion_signature_is_learnable_but_not_trivial(eeg_demo_size_segments):
    """A band-power + logistic-regression probe on the paper split's held-out segments (demo size:
    4 synthetic subjects × 80 clips of 20 s) lands between chance (1/7) and perfection; with
    shuffled training labels it is at chance."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    ds = eeg_demo_size_segments.dataset
    x_train, y_train = _log_band_power_features(ds["train"])
    x_test, y_test = _log_band_power_features(ds["test"])
    assert len(y_train) > 500 and len(y_test) > 50
    probe = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
    acc = balanced_accuracy_score(y_test, probe.fit(x_train, y_train).predict(x_test))
    assert 0.6 <= acc <= 0.95, acc
    shuffled = np.random.default_rng(0).permutation(y_train)
    control = balanced_accuracy_score(y_test, probe.fit(x_train, shuffled).predict(x_test))
    assert control < 0.3, control
