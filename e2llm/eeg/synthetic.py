"""Synthetic SEED-VII: EEG-like signals with a learnable emotion signature, in SEED-VII's layout.

SYNTHETIC DATA. Nothing here was recorded from a person. The generator exists so the whole
pipeline (readers → preprocessing → datasets → training → evaluation) runs end to end without
the real dataset, and every artifact made from it says so (``SYNTHETIC.txt`` in the folder, and
the data pipeline marks datasets built from such a folder as synthetic).

Layout written by :func:`write_synthetic_seed_vii` (the ``EEG_preprocessed`` half of SEED-VII,
since MNE cannot write Neuroscan CNT)::

    OUT_DIR/
      EEG_preprocessed/<subject>.mat       keys '1'…'80': float32 62 × T arrays, µV, 200 Hz
      emotion_label_and_stimuli_order.xlsx per session a row of stimulus numbers and a row of 20
                                           emotion names with "Session N" in column A (SEED-VII's
                                           published order)
      Channel Order.xlsx                   the 62 channel names, in row order of the arrays
                                           (SEED_VII_CHANNELS: FP1 … PO8, CB1, O1, OZ, O2, CB2)
      SYNTHETIC.txt, README.md             what this is

Signal model (per channel, µV, at any sampling rate):

* background: 1/f ("pink") noise, 8 µV RMS, partly shared between neighbouring channels;
* rhythms: band-limited noise in theta (4–8 Hz, frontal-midline), alpha (± 2 Hz around a
  per-subject peak of 9–11.5 Hz, occipito-parietal), beta (14–30 Hz, central) and gamma
  (30–45 Hz, temporal), each 70 % shared within a scalp region and 30 % channel-specific, with
  slow (< 0.3 Hz) amplitude fluctuations;
* artefacts (optional): eye blinks (frontal, 80–200 µV, ~0.3 per second) and mains noise
  (50 Hz, 1–4 µV).

Emotion signature (:data:`EMOTION_SIGNATURES`): each emotion multiplies the amplitude of some
(band, region) pairs by ``exp(effect)``, spread over the scalp by smooth regional weights —
e.g. *happy*: less left-frontal alpha (frontal asymmetry) and more temporal gamma; *sad*: more
occipital alpha, less right-frontal alpha and central beta; *fear*: more parietal beta, less
occipital alpha; *neutral* is the baseline. Between-subject variability: per-subject channel
gains, per-subject band/region power offsets (SD 0.15 in log amplitude), an alpha peak frequency,
a log-normal gain on the signature (SD 0.15) and a random perturbation of every signature entry
(SD 0.1); each clip adds its own jitter (SD 0.12 per band and region) and each recording a random
gain per channel (SD 0.5 in log amplitude: absolute power is a poor cue, spectral shape a good one).

Calibration (demo size: 4 subjects × 80 clips of 20 s, paper split, 4 s windows): a log
band-power + logistic-regression probe reaches a balanced accuracy of about 0.85–0.93 (5-fold
cross-validation over seeds 0–2; ``tests/test_synthetic.py`` checks 0.6–0.95 on the held-out
segments), and a tiny EEGPT-style encoder (the ``tiny`` preset) trained from scratch for 40
epochs on a CPU about 0.5–0.55 (chance is 1/7). Weaker signatures bring the probe lower but leave
the tiny encoder near 0.4.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import mne
import numpy as np
from scipy import fft as sp_fft
from scipy.special import expit
from tqdm.auto import tqdm

from ..configuration_e2llm import EMOTIONS
from ..errors import InvalidInputError, OutputExistsError
from .channels import SEED_VII_CHANNELS
from .seed_vii import (
    SEED_VII_CHANNEL_FILE,
    SEED_VII_CLIP_EMOTIONS,
    SEED_VII_LABELS_FILE,
    SEED_VII_MAT_UNIT,
    SEED_VII_SFREQ,
)

SYNTHETIC_MARKER = "SYNTHETIC.txt"
# how every description of data made from this generator begins (datasets, task data, cards)
SYNTHETIC_PREFIX = "SYNTHETIC DATA — "


def is_synthetic_description(description: str | None) -> bool:
    """Whether a dataset description says its data are synthetic (it starts with ``SYNTHETIC_PREFIX``)."""
    return bool(description) and description.startswith(SYNTHETIC_PREFIX)


BANDS: dict[str, tuple[float, float]] = {
    "theta": (4.0, 8.0),
    "alpha": (8.0, 13.0),
    "beta": (14.0, 30.0),
    "gamma": (30.0, 45.0),
}
# Scalp regions: centre (x: left − / right +, y: posterior − / anterior +) on a unit head.
REGIONS: dict[str, tuple[float, float]] = {
    "frontal_left": (-0.45, 0.7),
    "frontal_mid": (0.0, 0.65),
    "frontal_right": (0.45, 0.7),
    "temporal_left": (-0.85, 0.1),
    "temporal_right": (0.85, 0.1),
    "central": (0.0, 0.2),
    "parietal": (0.0, -0.25),
    "occipital": (0.0, -0.65),
}
# Baseline RMS (µV) of each rhythm and where it is strongest.
_BAND_BASE: dict[str, tuple[float, dict[str, float]]] = {
    "theta": (3.0, {"frontal_mid": 1.0, "central": 0.5}),
    "alpha": (5.0, {"occipital": 1.6, "parietal": 0.9}),
    "beta": (2.5, {"central": 0.6, "frontal_mid": 0.3}),
    "gamma": (1.2, {"temporal_left": 0.6, "temporal_right": 0.6}),
}
# Log-amplitude effect of each emotion on (band, region) pairs; neutral is the baseline.
EMOTION_SIGNATURES: dict[str, dict[tuple[str, str], float]] = {
    "happy": {
        ("alpha", "frontal_left"): -1.4,
        ("gamma", "temporal_left"): 1.26,
        ("gamma", "temporal_right"): 1.26,
        ("beta", "frontal_mid"): 0.56,
    },
    "surprise": {("theta", "frontal_mid"): 1.4, ("alpha", "occipital"): -0.98, ("gamma", "frontal_mid"): 1.12},
    "neutral": {},
    "disgust": {("theta", "central"): 1.26, ("gamma", "temporal_right"): 1.4, ("alpha", "frontal_right"): -0.98},
    "fear": {("beta", "parietal"): 1.4, ("alpha", "occipital"): -1.4, ("gamma", "parietal"): 0.84},
    "sad": {("alpha", "occipital"): 1.4, ("alpha", "frontal_right"): -1.12, ("beta", "central"): -1.12},
    "anger": {
        ("beta", "frontal_left"): 1.26,
        ("beta", "frontal_right"): 1.26,
        ("alpha", "frontal_left"): -1.12,
        ("theta", "temporal_left"): 0.84,
    },
}

_SHARED = 0.7  # fraction of each rhythm's amplitude shared within a region


def channel_positions(channel_names: Sequence[str]) -> np.ndarray:
    """Approximate 2-D scalp positions (x: left − / right +, y: posterior − / anterior +) from 10-10 names."""
    rows = {
        "FP": 1.0,
        "AF": 0.82,
        "F": 0.62,
        "FT": 0.42,
        "FC": 0.42,
        "T": 0.2,
        "C": 0.2,
        "TP": 0.0,
        "CP": 0.0,
        "P": -0.22,
        "PO": -0.45,
        "O": -0.68,
        "CB": -0.8,
        "I": -0.85,
    }
    out = np.zeros((len(channel_names), 2))
    for i, name in enumerate(channel_names):
        name = name.upper()
        letters = name.rstrip("0123456789Z")
        suffix = name[len(letters) :]
        out[i, 1] = rows.get(letters, 0.0)
        if suffix and suffix != "Z":
            k = int(suffix)
            out[i, 0] = (-1 if k % 2 else 1) * ((k + 1) // 2) * 0.2
            if letters in ("T", "FT", "TP") and k in (7, 8):
                out[i, 0] = (-1 if k % 2 else 1) * 0.85
    return out


def region_weights(channel_names: Sequence[str], width: float = 0.3) -> np.ndarray:
    """(n_channels, n_regions) smooth weights (1 at a region's centre, Gaussian fall-off)."""
    pos = channel_positions(channel_names)
    centres = np.array(list(REGIONS.values()))
    d2 = ((pos[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    return np.exp(-d2 / (2 * width**2))


@dataclass
class SubjectProfile:
    """A synthetic subject's idiosyncrasies (see the module docstring)."""

    alpha_peak: float
    channel_gain: np.ndarray  # (n_channels,)
    band_offset: np.ndarray  # (n_bands, n_regions) log-amplitude
    signature_gain: float
    signature: np.ndarray  # (n_emotions, n_bands, n_regions) log-amplitude effects, perturbed


def signature_matrix() -> np.ndarray:
    """(n_emotions, n_bands, n_regions) log-amplitude effects of :data:`EMOTION_SIGNATURES`."""
    bands, regions = list(BANDS), list(REGIONS)
    out = np.zeros((len(EMOTIONS), len(bands), len(regions)))
    for e, emotion in enumerate(EMOTIONS):
        for (band, region), value in EMOTION_SIGNATURES[emotion].items():
            out[e, bands.index(band), regions.index(region)] = value
    return out


def make_subject_profile(rng: np.random.Generator, n_channels: int = 62, *, variability: float = 1.0) -> SubjectProfile:
    """Draw a subject: alpha peak 9–11.5 Hz, channel gains, band offsets, signature gain and perturbation."""
    base = signature_matrix()
    return SubjectProfile(
        alpha_peak=float(rng.uniform(9.0, 11.5)),
        channel_gain=np.exp(rng.normal(0.0, 0.1 * variability, n_channels)),
        band_offset=rng.normal(0.0, 0.15 * variability, base.shape[1:]),
        signature_gain=float(np.exp(rng.normal(0.0, 0.15 * variability))),
        signature=base + rng.normal(0.0, 0.1 * variability, base.shape),
    )


def _spectral_coefficients(rng, n_rows: int, gain: np.ndarray) -> np.ndarray:
    """Random rfft coefficients (n_rows, n_bins) complex64 with amplitude ``gain``.

    Scaled so that the inverse FFT has unit expected RMS per row; coefficients are drawn only
    where the gain is not negligible (fast for narrow bands).
    """
    n_bins = len(gain)
    out = np.zeros((n_rows, n_bins), dtype=np.complex64)
    idx = np.flatnonzero(gain > 1e-4 * gain.max())
    coef = rng.standard_normal((n_rows, 2 * len(idx)), dtype=np.float32).view(np.complex64)
    out[:, idx] = coef * gain[idx].astype(np.float32)
    return out


def _unit_scale(gain: np.ndarray, n_times: int) -> float:
    """Factor giving unit expected RMS to ``irfft`` of coefficients drawn with ``gain`` (see above)."""
    weight = np.full(len(gain), 2.0)
    weight[0] = 1.0
    if n_times % 2 == 0:
        weight[-1] = 1.0
    power = 2.0 * float(np.sum(weight * gain**2)) / n_times**2  # E|c|² = 2 for complex normal
    return 1.0 / np.sqrt(power) if power > 0 else 0.0


def _mix(weights: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """``weights @ sources`` without BLAS (tiny products; avoids thread wake-up latency)."""
    return np.einsum("cr,rt->ct", weights, sources)


def _band_shape(lo: float, hi: float, edge: float = 1.0):
    def shape(f):
        return expit((f - lo) / (0.25 * edge)) * expit((hi - f) / (0.25 * edge))

    return shape


def _pink_shape(f):
    return np.where(f > 0, 1.0 / np.sqrt(np.maximum(f, 0.3)), 0.0) * expit((70.0 - f) / 2.0)


def synthesize_eeg(
    n_times: int,
    sfreq: float,
    emotions: str | Sequence[str],
    subject: SubjectProfile,
    rng: np.random.Generator,
    *,
    channel_names: Sequence[str] = SEED_VII_CHANNELS,
    blinks: bool = True,
    line_noise: bool = True,
    line_freq: float = 50.0,
    strength: float = 1.0,
    clip_jitter: float = 0.12,
    channel_jitter: float = 0.5,
) -> np.ndarray:
    """Synthetic EEG in µV, float32, shape (n_channels, n_times).

    Args:
        emotions: one emotion for the whole signal, or a sequence: the signal is cut into that
            many equal blocks, each with its own emotion and jitter (1 s cross-fades between).
        subject: from :func:`make_subject_profile`.
        strength: multiplies every signature effect (0 gives emotion-free EEG).
        clip_jitter: SD of each block's random log-amplitude change per (band, region).
        channel_jitter: SD of a random log-gain per channel for the whole signal (electrode
            contact varies between recordings): a nuisance on absolute power that leaves each
            channel's spectral shape, where the signature lives, intact.
    """
    emotions = [emotions] if isinstance(emotions, str) else list(emotions)
    n_ch, n_reg = len(channel_names), len(REGIONS)
    weights = region_weights(channel_names)  # (C, R)
    mix = (weights / np.linalg.norm(weights, axis=1, keepdims=True)).astype(np.float32)
    spread = weights / weights.sum(axis=1, keepdims=True)
    n_blocks = len(emotions)
    freqs = sp_fft.rfftfreq(n_times, 1.0 / sfreq)
    t = np.arange(n_times)
    own_share = np.sqrt(1 - _SHARED**2)
    sig = subject.signature * subject.signature_gain * strength

    # Amplitude (µV RMS) of each rhythm per block and channel: baseline topography × exp(log effects).
    amps = []
    for b, band in enumerate(BANDS):
        base_rms, topo = _BAND_BASE[band]
        base = base_rms * (0.35 + sum(w * weights[:, list(REGIONS).index(r)] for r, w in topo.items()))
        log_amp = np.stack(
            [subject.band_offset[b] + sig[EMOTIONS.index(e), b] + rng.normal(0.0, clip_jitter, n_reg) for e in emotions]
        )  # (n_blocks, R)
        amps.append(base[None, :] * np.exp(log_amp @ spread.T))  # (n_blocks, C)
    shapes = []
    for band, (lo, hi) in BANDS.items():
        if band == "alpha":
            lo, hi = subject.alpha_peak - 2.0, subject.alpha_peak + 2.0
        shapes.append(_band_shape(lo, hi)(freqs))
    pink = _pink_shape(freqs)

    # Channel-specific parts: pink background and (for one block) every rhythm, built directly
    # in the frequency domain and inverted once.
    own = _spectral_coefficients(rng, n_ch, pink) * np.float32(8.0 * np.sqrt(0.75) * _unit_scale(pink, n_times))
    if n_blocks == 1:
        for b, gain in enumerate(shapes):
            scale = (amps[b][0] * own_share * _unit_scale(gain, n_times)).astype(np.float32)[:, None]
            own += _spectral_coefficients(rng, n_ch, gain) * scale
    x = sp_fft.irfft(own, n=n_times, axis=-1)
    del own

    # Shared regional sources (with slow amplitude fluctuations), mixed onto the channels.
    n_src = len(BANDS) + 1
    src = np.empty((n_src, n_reg, n_times), dtype=np.float32)
    src[0] = sp_fft.irfft(_spectral_coefficients(rng, n_reg, pink), n=n_times, axis=-1) * _unit_scale(pink, n_times)
    env_gain = _band_shape(0.02, 0.3, 0.2)(freqs)
    for b, gain in enumerate(shapes, start=1):
        coef = np.concatenate([_spectral_coefficients(rng, n_reg, gain), _spectral_coefficients(rng, n_reg, env_gain)])
        pair = sp_fft.irfft(coef, n=n_times, axis=-1)
        src[b] = (
            pair[:n_reg] * _unit_scale(gain, n_times) * (1.0 + 0.25 * pair[n_reg:] * _unit_scale(env_gain, n_times))
        )
    x += _mix(mix, src[0]) * np.float32(8.0 * 0.5)
    if n_blocks == 1:
        for b in range(len(BANDS)):
            x += (amps[b][0] * _SHARED).astype(np.float32)[:, None] * _mix(mix, src[b + 1])
    else:
        _add_blocks(x, amps, shapes, src, mix, own_share, sfreq, rng)
    gain = (
        subject.channel_gain * np.exp(rng.normal(0.0, channel_jitter, n_ch)) if channel_jitter else subject.channel_gain
    )
    x *= gain.astype(np.float32)[:, None]

    if blinks:
        x += _blinks(channel_names, n_times, sfreq, rng)
    if line_noise and line_freq < sfreq / 2:
        amp = rng.uniform(1.0, 4.0, n_ch)[:, None]
        phase = rng.uniform(0, 2 * np.pi, n_ch)[:, None]
        x += (amp * np.sin(2 * np.pi * line_freq * t[None, :] / sfreq + phase)).astype(np.float32)
    return x


def _add_blocks(x, amps, shapes, src, mix, own_share: float, sfreq: float, rng: np.random.Generator) -> None:
    """Add to ``x`` (in place) the rhythms of a signal cut into blocks of their own emotion:
    piecewise-constant amplitudes with 1 s linear cross-fades between blocks, on channel-specific
    and shared sources."""
    n_blocks, n_ch = amps[0].shape
    n_times = src.shape[-1]
    t = np.arange(n_times)
    ramp = max(1.0, sfreq)
    bounds = (np.arange(1, n_blocks) * (n_times / n_blocks))[:, None]
    fade = np.clip((t[None, :] - (bounds - ramp / 2)) / ramp, 0, 1).astype(np.float32)  # (B-1, T)
    for b, gain in enumerate(shapes):
        amp = np.repeat(amps[b][:1].T.astype(np.float32), n_times, axis=1)
        for k in range(n_blocks - 1):
            amp += (amps[b][k + 1] - amps[b][k]).astype(np.float32)[:, None] * fade[k][None, :]
        own_b = sp_fft.irfft(_spectral_coefficients(rng, n_ch, gain), n=n_times, axis=-1)
        own_b *= np.float32(own_share * _unit_scale(gain, n_times))
        own_b += _SHARED * _mix(mix, src[b + 1])
        x += amp * own_b
        del amp, own_b


def _blinks(channel_names: Sequence[str], n_times: int, sfreq: float, rng: np.random.Generator) -> np.ndarray:
    """Eye blinks (µV, (n_channels, n_times)): ~0.3 a second, 80–200 µV, frontal."""
    pos = channel_positions(channel_names)
    topo = np.exp(-((pos[:, 1] - 1.0) ** 2) / 0.12) * np.exp(-(pos[:, 0] ** 2) / 0.8)
    n_blinks = rng.poisson(0.3 * n_times / sfreq)
    width = 0.06 * sfreq
    half = int(4 * width)
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / width) ** 2)
    train = np.zeros(n_times)
    for onset in rng.integers(0, n_times, n_blinks):
        lo, hi = max(0, onset - half), min(n_times, onset + half + 1)
        train[lo:hi] += rng.uniform(80, 200) * kernel[lo - onset + half : hi - onset + half]
    return (topo[:, None] * train[None, :]).astype(np.float32)


def synthetic_raw(
    duration: float = 600.0,
    sfreq: float = 1000.0,
    *,
    seed: int = 0,
    clip_seconds: float = 60.0,
    channel_names: Sequence[str] = SEED_VII_CHANNELS,
    blinks: bool = True,
    line_noise: bool = True,
) -> mne.io.RawArray:
    """A continuous synthetic recording (volts) whose emotion changes every ``clip_seconds``.

    Used by the benchmark (62 channels at 1000 Hz, like a SEED-VII session). Its annotations
    mark each clip with its emotion. SYNTHETIC DATA.
    """
    rng = np.random.default_rng(seed)
    subject = make_subject_profile(rng, len(channel_names))
    n_times = int(round(duration * sfreq))
    n_blocks = max(1, int(round(duration / clip_seconds)))
    emotions = [EMOTIONS[k % len(EMOTIONS)] for k in range(n_blocks)]
    data = synthesize_eeg(
        n_times, sfreq, emotions, subject, rng, channel_names=channel_names, blinks=blinks, line_noise=line_noise
    )
    info = mne.create_info(list(channel_names), sfreq, "eeg")
    raw = mne.io.RawArray(data.astype(np.float64) * SEED_VII_MAT_UNIT, info, verbose="error")  # µV → V
    block = duration / n_blocks
    raw.set_annotations(mne.Annotations([k * block for k in range(n_blocks)], [block] * n_blocks, emotions))
    return raw


def write_synthetic_seed_vii(
    out_dir,
    n_subjects: int = 4,
    clip_seconds: float = 30.0,
    *,
    seed: int = 0,
    blinks: bool = True,
    line_noise: bool = True,
    strength: float = 1.0,
    sfreq: float = SEED_VII_SFREQ,
    overwrite: bool = False,
    progress: bool = False,
) -> Path:
    """Write a synthetic dataset in SEED-VII's ``EEG_preprocessed`` layout (see the module docstring).

    Args:
        out_dir: folder to create.
        n_subjects: subjects 1…n (SEED-VII has 20).
        clip_seconds: length of every clip (SEED-VII's are 2–5 minutes).
        seed: everything is drawn from ``numpy.random.default_rng(seed)``.
        blinks, line_noise: add eye blinks / 50 Hz mains noise.
        strength: multiplies the emotion signature.
        sfreq: sampling rate of the arrays (SEED-VII's preprocessed arrays are 200 Hz).
        overwrite: replace an existing synthetic folder (a folder without ``SYNTHETIC.txt`` is
            never replaced).
        progress: show a progress bar over the subjects (tqdm).

    Returns:
        ``out_dir`` as a Path. 4 sessions × 20 clips per subject in SEED-VII's published emotion
        order; each clip a float32 (62, clip_seconds × sfreq) array in µV.
    """
    import scipy.io

    out = Path(out_dir)
    if n_subjects < 1 or clip_seconds <= 0:
        raise InvalidInputError("write_synthetic_seed_vii: n_subjects must be ≥ 1 and clip_seconds > 0")
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise OutputExistsError(f"{out}: folder exists and is not empty (pass overwrite=True to replace it)")
        if not (out / SYNTHETIC_MARKER).exists():
            raise InvalidInputError(f"{out}: refusing to overwrite a folder that is not a synthetic dataset")
        shutil.rmtree(out)
    tmp = out.with_name(out.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    (tmp / "EEG_preprocessed").mkdir(parents=True)
    rng = np.random.default_rng(seed)
    n_times = int(round(clip_seconds * sfreq))
    for s in tqdm(range(1, n_subjects + 1), unit="subject", desc="synthetic SEED-VII", disable=not progress):
        subject = make_subject_profile(rng, len(SEED_VII_CHANNELS))
        arrays = {
            str(clip): synthesize_eeg(
                n_times, sfreq, emotion, subject, rng, blinks=blinks, line_noise=line_noise, strength=strength
            )
            for clip, emotion in enumerate(SEED_VII_CLIP_EMOTIONS, start=1)
        }
        scipy.io.savemat(tmp / "EEG_preprocessed" / f"{s}.mat", arrays, do_compression=False)
        del arrays

    _write_sheets(tmp)
    settings = {"n_subjects": n_subjects, "clip_seconds": clip_seconds, "seed": seed, "blinks": blinks,
                "line_noise": line_noise, "strength": strength, "sfreq": sfreq}  # fmt: skip
    _write_notes(tmp, settings)
    tmp.rename(out)
    return out


def _write_sheets(folder: Path) -> None:
    """The label sheet and the channel order, laid out as SEED-VII releases them."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for session in range(4):
        clips = range(session * 20 + 1, session * 20 + 21)
        sheet.append([None] + list(clips))  # as released: column A names the session on the emotion row only
        sheet.append([f"Session {session + 1}"] + [SEED_VII_CLIP_EMOTIONS[c - 1].capitalize() for c in clips])
    book.save(folder / SEED_VII_LABELS_FILE)
    book = openpyxl.Workbook()
    for name in SEED_VII_CHANNELS:
        book.active.append([name])
    book.save(folder / SEED_VII_CHANNEL_FILE)


def _write_notes(folder: Path, settings: dict) -> None:
    """``SYNTHETIC.txt`` (what marks the folder as generated, with the generator's settings) and a README."""
    (folder / SYNTHETIC_MARKER).write_text(
        SYNTHETIC_PREFIX
        + "generated by e2llm.eeg.synthetic.write_synthetic_seed_vii; not recorded from any person.\n"
        + json.dumps(settings, indent=2)
        + "\n"
    )
    extras = f"{', eye blinks' if settings['blinks'] else ''}{', 50 Hz mains noise' if settings['line_noise'] else ''}"
    (folder / "README.md").write_text(
        "# Synthetic SEED-VII (SYNTHETIC DATA)\n\n"
        f"{settings['n_subjects']} synthetic subjects × 4 sessions × 20 clips of {settings['clip_seconds']:g} s, in "
        "SEED-VII's `EEG_preprocessed` layout: `EEG_preprocessed/<subject>.mat` with keys '1'…'80', each a float32 "
        f"62 × T array in µV at {settings['sfreq']:g} Hz, channels in the order of `Channel Order.xlsx`; emotions of "
        "the clips in `emotion_label_and_stimuli_order.xlsx` (SEED-VII's published order).\n\n"
        f"The signals are EEG-like (1/f background, posterior alpha, theta/beta/gamma rhythms{extras}) and carry an "
        "emotion signature (band-power changes with spatial patterns, varying between subjects) documented in "
        "`e2llm/eeg/synthetic.py`. Made for testing and demonstrating the E2LLM pipeline; results on it say nothing "
        "about real EEG.\n"
    )


__all__ = [
    "BANDS",
    "EMOTION_SIGNATURES",
    "REGIONS",
    "SYNTHETIC_MARKER",
    "SubjectProfile",
    "make_subject_profile",
    "synthesize_eeg",
    "synthetic_raw",
    "write_synthetic_seed_vii",
]
