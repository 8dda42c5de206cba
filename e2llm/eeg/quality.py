"""Quality checks of EEG windows against the data a model was trained on.

``e2llm describe`` abstains (``not assessable``) on a window that fails a check instead of putting
an emotion on it. The checks, per window:

* ``flat``: more than a quarter of the window's channels have a peak-to-peak amplitude below
  1 µV in their source samples (disconnected electrodes, a paused amplifier);
* ``clipped``: more than a quarter of its channels sit at their extreme value for 2 % of the
  window or more (the amplifier's or the file's range was exceeded);
* ``amplitude``: its median channel RMS (preprocessed, mV) is more than 3× outside the central 99 %
  of the training windows';
* ``spectrum``: its spectral slope (the median over channels of the log-log slope of each
  channel's Welch spectrum over 1–45 Hz) is more than 0.5 flatter or more than 1.0 steeper than
  the training windows' central 99 %, or one of its relative band powers (delta … gamma, of the
  channel-averaged spectrum) is more than 10× outside theirs. EEG falls with frequency (slopes of
  about -1 to -2.4 on the real recordings in ``shared/data/real-eeg``, -1.5 to -0.7 on the demo's
  synthetic data); white noise and muscle are flat (slope near 0), so the flat side is the strict
  one. A steeper slope or a large delta share is slow activity (drift, eye movements) dominating
  a window of EEG, common in real recordings. The band powers alone do not tell white noise from
  the demo's data: its strongest emotion signatures put as much power above 30 Hz as white noise;
* ``channels out of range``: more than a quarter of its channels have an RMS more than 3× outside
  the central 99 % of the training channels'.

The training side is :func:`eeg_statistics`: quantiles of the same features over the training
windows, stored with the model when it is trained (``E2LLMConfig.training_data``), so a check
needs no dataset. A model without them gets the preprocessing's plausibility bounds on amplitude
(0.1 µV–1 mV) and no spectrum check; :func:`quality_ranges` says which applies.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidInputError
from .preprocessing import PreprocessingConfig

BANDS: dict[str, tuple[float, float]] = {
    "delta": (1.0, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 13.0),
    "beta": (13.0, 30.0),
    "gamma": (30.0, 45.0),
}
# 45 Hz: below the 50 Hz notch and inside the band of every rate the recipe accepts
SPECTRUM_RANGE = (1.0, 45.0)
WINDOW_FEATURES: tuple[str, ...] = ("log_rms", "slope", *(f"log_rel_{band}" for band in BANDS))
QUANTILES = (0.005, 0.5, 0.995)
STATISTICS_VERSION = 1

FLAT_PTP_V = 1e-6  # a channel moving less than 1 µV peak to peak in a window is not recording EEG
CLIP_FRACTION = 0.02  # share of a window's samples pinned at one extreme that counts as clipping
BAD_CHANNEL_FRACTION = 0.25  # share of a window's channels that may be flat, clipped or out of range
AMPLITUDE_TOLERANCE = math.log10(5.0)  # log10 units beyond the training's central 99 %
SPECTRUM_TOLERANCE = 1.0  # log10 units (10×) beyond the training's central 99 %
# log10 power per decade of frequency beyond the training's central 99 %: (steeper, flatter)
SLOPE_TOLERANCE = (1.0, 0.5)


def source_flags(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flat and clipped channels of one window's source samples.

    Args:
        x: (n_channels, n_samples) volts, at the recording's own rate (before filtering, which
            would smooth a plateau away).

    Returns:
        ``(flat, clipped)``: (n_channels,) bool each. Clipped: not flat, and at least 2 % (and 3)
        of the samples equal the channel's maximum, or its minimum, in the window. Continuous EEG
        reaches its extreme value once or twice; an amplifier or file range held for a while
        repeats it.
    """
    x = np.asarray(x)
    high, low = x.max(axis=1, keepdims=True), x.min(axis=1, keepdims=True)
    flat = (high - low)[:, 0] < FLAT_PTP_V
    pinned = np.maximum((x == high).sum(axis=1), (x == low).sum(axis=1))
    clipped = ~flat & (pinned >= max(3, CLIP_FRACTION * x.shape[1]))
    return flat, clipped


def window_features(eeg: np.ndarray, mask: np.ndarray, sfreq: float) -> tuple[np.ndarray, np.ndarray]:
    """The features a window is checked on.

    Args:
        eeg: (n, n_channels, n_samples) preprocessed windows, mV.
        mask: (n_channels,) or (n, n_channels) bool, True for channels with data.
        sfreq: their sampling rate, Hz.

    Returns:
        ``(features, channel_log_rms)``: (n, len(WINDOW_FEATURES)) — log10 of the median channel
        RMS (mV); the median over channels of the least-squares slope of log10 power against
        log10 frequency over 1–45 Hz (Welch, 1 s segments); log10 of each band's share of the
        1–45 Hz power of the channel-averaged spectrum. And (n, n_channels) log10 channel RMS,
        NaN where masked.
    """
    from mne.time_frequency import psd_array_welch

    eeg = np.asarray(eeg, dtype=np.float32)
    mask = np.broadcast_to(np.asarray(mask, dtype=bool), eeg.shape[:2])
    rms = np.sqrt(np.einsum("nct,nct->nc", eeg, eeg, dtype=np.float64) / eeg.shape[-1])
    channel_log_rms = np.where(mask, np.log10(np.maximum(rms, 1e-12)), np.nan)
    features = np.empty((len(eeg), len(WINDOW_FEATURES)))
    features[:, 0] = np.nanmedian(channel_log_rms, axis=1)
    psd, freqs = psd_array_welch(
        eeg, sfreq, fmin=SPECTRUM_RANGE[0], fmax=SPECTRUM_RANGE[1], n_fft=int(round(sfreq)), verbose="error"
    )
    log_f = np.log10(freqs) - np.log10(freqs).mean()
    log_p = np.log10(np.maximum(psd, 1e-30))
    slopes = ((log_p - log_p.mean(axis=-1, keepdims=True)) @ log_f) / (log_f @ log_f)  # (n, n_channels)
    features[:, 1] = np.nanmedian(np.where(mask, slopes, np.nan), axis=1)
    spectrum = (psd * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1), 1)[:, None]  # (n, n_freqs)
    total = np.maximum(spectrum.sum(axis=1), 1e-30)
    for j, (lo, hi) in enumerate(BANDS.values(), start=2):
        in_band = (freqs >= lo) & ((freqs < hi) if hi < SPECTRUM_RANGE[1] else (freqs <= hi))
        features[:, j] = np.log10(np.maximum(spectrum[:, in_band].sum(axis=1) / total, 1e-12))
    return features, channel_log_rms


def eeg_statistics(batches: Iterable[tuple[np.ndarray, np.ndarray]], sfreq: float = 256.0) -> dict:
    """Summary statistics of training windows, plain JSON (what a model carries).

    Args:
        batches: ``(eeg (n, n_channels, n_samples) mV, mask (n, n_channels))`` pairs.
        sfreq: the windows' rate, Hz.

    Returns:
        ``{"version", "n_windows", "sfreq", "bands", "quantiles", "window": {feature: [q, …]},
        "channel_log_rms": [q, …]}``: the :data:`QUANTILES` of each of :data:`WINDOW_FEATURES`
        over the windows and of the log10 RMS over every (window, channel with data).
    """
    features, channels = [], []
    for eeg, mask in batches:
        f, c = window_features(eeg, mask, sfreq)
        features.append(f)
        channels.append(c[np.isfinite(c)])
    if not features:
        raise InvalidInputError("eeg_statistics: no windows")
    table = np.concatenate(features)
    return {
        "version": STATISTICS_VERSION,
        "n_windows": int(len(table)),
        "sfreq": float(sfreq),
        "bands": {name: list(edges) for name, edges in BANDS.items()},
        "quantiles": list(QUANTILES),
        "window": {
            name: [round(float(v), 4) for v in np.quantile(table[:, j], QUANTILES)]
            for j, name in enumerate(WINDOW_FEATURES)
        },
        "channel_log_rms": [round(float(v), 4) for v in np.quantile(np.concatenate(channels), QUANTILES)],
    }


@dataclass(frozen=True)
class QualityRanges:
    """Accepted ranges (log10 units, tolerances included) of the window features.

    Attributes:
        window: feature name → (low, high); features absent are not checked.
        channel: (low, high) of a channel's log10 RMS, mV.
        basis: ``"training"`` (the model's training statistics) or ``"fallback"``.
    """

    window: dict[str, tuple[float, float]]
    channel: tuple[float, float]
    basis: str

    def describe(self) -> str:
        """One line: what a window is checked against."""
        lo, hi = self.window["log_rms"]
        amplitude = f"median channel RMS {1e3 * 10**lo:.3g}–{1e3 * 10**hi:.3g} µV"
        if self.basis == "training":
            slope = self.window.get("slope")
            slope = f", spectral slope {slope[0]:.2f} to {slope[1]:.2f}" if slope else ""
            return f"flat, clipped, {amplitude}{slope} and band powers (from the model's training statistics)"
        return f"flat, clipped, {amplitude}; no spectrum check (the model carries no training statistics)"


def quality_ranges(statistics: dict | None, config: PreprocessingConfig | None = None) -> QualityRanges:
    """The ranges a window is checked against: the training statistics' central 99 % widened by the
    tolerances, or (``statistics`` None or of another version) the preprocessing's amplitude
    bounds (``config.min_rms_mv``–``max_rms_mv``) and no spectrum check."""
    if statistics and statistics.get("version") == STATISTICS_VERSION:
        window = {}
        tolerances = {"log_rms": (AMPLITUDE_TOLERANCE,) * 2, "slope": SLOPE_TOLERANCE}
        for name, values in statistics["window"].items():
            below, above = tolerances.get(name, (SPECTRUM_TOLERANCE,) * 2)
            window[name] = (values[0] - below, values[-1] + above)
        lo, hi = statistics["channel_log_rms"][0], statistics["channel_log_rms"][-1]
        return QualityRanges(window, (lo - AMPLITUDE_TOLERANCE, hi + AMPLITUDE_TOLERANCE), "training")
    config = config or PreprocessingConfig()
    bounds = (math.log10(config.min_rms_mv or 1e-6), math.log10(config.max_rms_mv or 1e3))
    return QualityRanges({"log_rms": bounds}, bounds, "fallback")


def assess(
    features: np.ndarray,
    channel_log_rms: np.ndarray,
    flat: np.ndarray,
    clipped: np.ndarray,
    mask: np.ndarray,
    ranges: QualityRanges,
) -> list[list[str]]:
    """Why each window is not assessable (an empty list: it passes).

    Args:
        features, channel_log_rms: from :func:`window_features`.
        flat, clipped: (n, n_channels) bool, from :func:`source_flags` (False where masked).
        mask: (n_channels,) or (n, n_channels) bool.
        ranges: from :func:`quality_ranges`.
    """
    mask = np.broadcast_to(np.asarray(mask, dtype=bool), channel_log_rms.shape)
    n_present = np.maximum(mask.sum(axis=1), 1)
    lo, hi = ranges.channel
    with np.errstate(invalid="ignore"):
        outside = mask & ((channel_log_rms < lo) | (channel_log_rms > hi))
    shares = {"flat": (flat & mask).sum(axis=1) / n_present, "clipped": (clipped & mask).sum(axis=1) / n_present}
    reasons: list[list[str]] = []
    for i in range(len(features)):
        why = [name for name, share in shares.items() if share[i] > BAD_CHANNEL_FRACTION]
        low, high = ranges.window["log_rms"]
        if not low <= features[i, 0] <= high:
            why.append("amplitude")
        spectral = [n for n in WINDOW_FEATURES[1:] if n in ranges.window]
        if any(
            not ranges.window[n][0] <= features[i, WINDOW_FEATURES.index(n)] <= ranges.window[n][1] for n in spectral
        ):
            why.append("spectrum")
        if outside[i].sum() / n_present[i] > BAD_CHANNEL_FRACTION:
            why.append("channels out of range")
        reasons.append(why)
    return reasons


__all__ = [
    "BANDS",
    "QUANTILES",
    "QualityRanges",
    "WINDOW_FEATURES",
    "assess",
    "eeg_statistics",
    "quality_ranges",
    "source_flags",
    "window_features",
]
