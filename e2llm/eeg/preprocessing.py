"""The paper's EEG preprocessing (§3.1), MNE-based.

Recipe, each step configurable in :class:`PreprocessingConfig` (defaults are the paper's):
0.1–70 Hz band-pass and 50 Hz notch, EEGPT's 58 channels in EEGPT's order, resampling to
256 Hz, 10 s segments, scaling to mV, average reference, and 4 s windows cropped from each
segment (random with a seed and fixed at build time; centre or sliding windows as options).

Two implementations of the same recipe, chosen by ``PreprocessingConfig.method``:

``"mne"`` (the straightforward recipe)
    ``raw.filter(0.1, 70)``, ``raw.notch_filter(50)`` at the source rate, ``raw.resample(256)``,
    then pick the channels, scale and re-reference. Kept as the reference the tests and the
    benchmark compare against.

``"fused"`` (the default, several times faster)
    The channels are picked *before* filtering, and filtering and resampling are done in one
    pass in the frequency domain with MNE's own FIR kernels (:mod:`e2llm.eeg.filtering`). Where
    MNE's FFT resampler lands exactly on the 256 Hz grid the two agree to float32 precision
    (relative difference ~1e-4, edges included). With MNE's default resampling padding (to a
    power of two) MNE's output is off the grid by a fraction of a sample that drifts along the
    recording, and the two differ by that sub-millisecond shift (correlation ≥ 0.98 per channel
    on real EEG). ``tests/test_eeg_preprocessing.py`` measures both on a real recording and
    ``bench/preprocess.py`` on a 10-minute one.

Long recordings are processed one span (one labelled clip) at a time, with enough context
around it that the result is the same as processing the whole recording: memory stays bounded by
the longest span, never by the recording.

Units: MNE ``Raw`` objects hold volts; every array this module returns is float32 **mV**,
shape ``(58, T)`` (channels in EEGPT order) at 256 Hz, with a ``(58,)`` bool channel mask that
is False for channels the recording lacks (zero-filled).
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction

import mne
import numpy as np

from ..configuration_e2llm import EEGPT_CHANNELS
from ..errors import InvalidInputError
from .channels import ChannelMatch, match_channels
from .errors import RecordingError, reading_samples
from .filtering import FLAT_STD_V, fir_kernels, fused_filter_resample, kernel_half_length, resample_ratio

logger = logging.getLogger(__name__)

CROP_MODES = ("random", "center", "sliding")
MISSING_MODES = ("zero", "raise")
FLAT_MODES = ("raise", "zero")
METHODS = ("fused", "mne")


@dataclass
class PreprocessingConfig:
    """Every setting of the preprocessing recipe; defaults are the paper's (§3.1).

    Args:
        l_freq, h_freq: band-pass edges in Hz (``None`` skips that edge). A low-pass edge at or
            above a recording's Nyquist frequency is skipped for that recording.
        notch_freq: mains frequency to notch out, Hz: 50 (paper), 60, or ``None``.
        channels: the output channels, in order (EEGPT's 58 by default).
        sfreq: output sampling rate, Hz.
        segment_seconds: length of the segments a labelled span is cut into, s.
        window_seconds: length of the window cropped from each segment (the model input), s.
        crop: ``"random"`` (one window per segment at a random offset drawn from ``crop_seed``
            and the segment's identity, so fixed at build time and independent of processing
            order), ``"center"`` (one centred window) or ``"sliding"`` (every window at
            ``window_step_seconds`` steps).
        crop_seed: seed of the random crops.
        window_step_seconds: step of sliding windows, s.
        reference: ``"average"`` (global average over the channels present) or ``None``.
        missing_channels: ``"zero"``: absent channels (and channels the file marks bad) are
            zero-filled and marked False in the channel mask (the encoder ignores them; the build
            summary lists them); ``"raise"``: a recording lacking any channel is an error.
        min_channels: a recording needs at least this many of ``channels``.
        flat_channels: ``"raise"``: a flat (constant) channel is an error; ``"zero"``: treat it
            as missing.
        max_rms_mv, min_rms_mv: bounds on the median RMS of the preprocessed channels, mV; outside
            them the data is not EEG in volts (wrong units, or a CNT read with the wrong
            ``data_format``). ``None`` disables a bound.
        method: ``"fused"`` (default) or ``"mne"`` (the straightforward recipe); see the module
            docstring.
    """

    l_freq: float | None = 0.1
    h_freq: float | None = 70.0
    notch_freq: float | None = 50.0
    channels: tuple[str, ...] = EEGPT_CHANNELS
    sfreq: float = 256.0
    segment_seconds: float = 10.0
    window_seconds: float = 4.0
    crop: str = "random"
    crop_seed: int = 0
    window_step_seconds: float = 2.0
    reference: str | None = "average"
    missing_channels: str = "zero"
    min_channels: int = 8
    flat_channels: str = "raise"
    max_rms_mv: float | None = 1.0
    min_rms_mv: float | None = 1e-4
    method: str = "fused"

    def __post_init__(self):
        self.channels = tuple(str(c).upper() for c in self.channels)
        for name, value, allowed in (
            ("crop", self.crop, CROP_MODES),
            ("missing_channels", self.missing_channels, MISSING_MODES),
            ("flat_channels", self.flat_channels, FLAT_MODES),
            ("method", self.method, METHODS),
            ("reference", self.reference, ("average", None)),
        ):
            if value not in allowed:
                raise InvalidInputError(f"PreprocessingConfig: {name}={value!r}; choose one of {allowed}")
        for name in ("l_freq", "h_freq", "notch_freq"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not np.isfinite(value) or value <= 0):
                raise InvalidInputError(
                    f"PreprocessingConfig: {name} must be a frequency above 0 Hz or None (got {value!r})"
                )
        if isinstance(self.crop_seed, bool) or not isinstance(self.crop_seed, (int, np.integer)) or self.crop_seed < 0:
            raise InvalidInputError(
                f"PreprocessingConfig: crop_seed must be a whole number ≥ 0 (got {self.crop_seed!r})"
            )
        if self.l_freq is not None and self.h_freq is not None and self.l_freq >= self.h_freq:
            raise InvalidInputError(f"PreprocessingConfig: l_freq ({self.l_freq}) must be below h_freq ({self.h_freq})")
        if self.window_seconds > self.segment_seconds:
            raise InvalidInputError("PreprocessingConfig: window_seconds must not exceed segment_seconds")
        for name in ("sfreq", "segment_seconds", "window_seconds", "window_step_seconds"):
            if getattr(self, name) <= 0:
                raise InvalidInputError(f"PreprocessingConfig: {name} must be positive")
        if self.min_channels < 1:
            raise InvalidInputError("PreprocessingConfig: min_channels must be at least 1")
        for name in ("segment", "window", "window_step"):
            samples = getattr(self, f"{name}_seconds") * self.sfreq
            if abs(samples - round(samples)) > 1e-6:
                raise InvalidInputError(
                    f"PreprocessingConfig: {name}_seconds × sfreq must be a whole number of samples"
                )

    @property
    def segment_samples(self) -> int:
        return int(round(self.segment_seconds * self.sfreq))

    @property
    def window_samples(self) -> int:
        return int(round(self.window_seconds * self.sfreq))

    def segments_in(self, seconds: float) -> int:
        """How many segments a labelled span of ``seconds`` is cut into: ``floor(seconds /
        segment_seconds)``."""
        return int(math.floor(seconds * self.sfreq + 1e-6)) // self.segment_samples

    @property
    def step_samples(self) -> int:
        return int(round(self.window_step_seconds * self.sfreq))

    def to_dict(self) -> dict:
        """JSON-able settings (for fingerprints and summaries)."""
        out = asdict(self)
        out["channels"] = list(self.channels)
        return out


@dataclass
class PreprocessedEEG:
    """A preprocessed stretch of a recording.

    Attributes:
        data: (n_channels, T) float32, mV, average-referenced, channels in ``channel_names`` order,
            zero rows where ``channel_mask`` is False.
        channel_mask: (n_channels,) bool, True where the row is real data.
        sfreq: sampling rate of ``data``, Hz.
        first_sample: index of ``data[:, 0]`` on the output grid of the whole recording (sample
            ``k`` of that grid is at ``k / sfreq`` s from the recording's first sample).
        channel_names: the output channel names (EEGPT order).
        source_channels: for each output channel, the recording's name for it ('' if missing).
    """

    data: np.ndarray
    channel_mask: np.ndarray
    sfreq: float
    first_sample: int = 0
    channel_names: tuple[str, ...] = EEGPT_CHANNELS
    source_channels: tuple[str, ...] = ()

    @property
    def tmin(self) -> float:
        """Time of the first sample, s from the recording's start."""
        return self.first_sample / self.sfreq

    @property
    def filled_channels(self) -> list[str]:
        """Channels that were zero-filled (absent from the recording, or flat with ``flat_channels='zero'``)."""
        return [name for name, ok in zip(self.channel_names, self.channel_mask) if not ok]

    @property
    def duration(self) -> float:
        return self.data.shape[1] / self.sfreq


# -- filters ------------------------------------------------------------------------------------


def _effective_bands(sfreq: float, config: PreprocessingConfig) -> tuple[float | None, float | None, float | None]:
    """The band-pass edges and notch frequency that apply at a source rate (edges above Nyquist dropped)."""
    nyq = sfreq / 2.0
    l_freq = config.l_freq
    h_freq = config.h_freq
    if h_freq is not None and h_freq >= nyq:
        h_freq = None
    if l_freq is not None and l_freq >= nyq:
        raise RecordingError(f"high-pass edge {l_freq} Hz is above the Nyquist frequency ({nyq:g} Hz)")
    notch = config.notch_freq
    if notch is not None and notch + notch / 400.0 + 0.5 >= nyq:
        notch = None  # mains frequency above Nyquist: nothing to remove
    return l_freq, h_freq, notch


# -- preprocessing a Raw ------------------------------------------------------------------------


def _source_name(raw: mne.io.BaseRaw, source: str | None) -> str:
    """What messages call the recording: ``source`` (the file the user named; an EEGLAB ``.set``
    rather than its ``.fdt``), else the file MNE read."""
    if source:
        return source
    names = getattr(raw, "filenames", None) or [None]
    return str(names[0]) if names[0] else "recording"


def _match(raw: mne.io.BaseRaw, config: PreprocessingConfig, source: str) -> ChannelMatch:
    return channel_match(raw.ch_names, raw.info["bads"], config, source)


def channel_match(
    ch_names: Sequence[str], bads: Sequence[str], config: PreprocessingConfig, source: str = "recording"
) -> ChannelMatch:
    """Where each of ``config.channels`` is among a recording's (or a stream's) channels; channels
    marked bad count as missing.

    Raises:
        RecordingError: fewer than ``config.min_channels`` found (or any missing with
            ``missing_channels='raise'``); one line naming ``source``.
    """
    match = match_channels(ch_names, config.channels, source=source)
    bads = set(bads)
    if bads & set(match.source_names):  # channels marked bad in the file count as missing
        index = np.array([-1 if n in bads else i for n, i in zip(match.source_names, match.index)], dtype=np.int64)
        names = tuple("" if n in bads else n for n in match.source_names)
        match = ChannelMatch(match.target, index, names)
    n_present = int(match.present.sum())
    if config.missing_channels == "raise" and match.missing:
        raise RecordingError(
            f"{source}: {len(match.missing)} of the {len(config.channels)} channels are missing "
            f"({', '.join(match.missing)}); set missing_channels='zero' to zero-fill them"
        )
    if n_present < config.min_channels:
        found = ", ".join(n for n in match.source_names if n) or "none"
        raise RecordingError(
            f"{source}: only {n_present} of the {len(config.channels)} EEGPT channels found (need at least "
            f"{config.min_channels}; found: {found}; the recording's channels: {', '.join(list(ch_names)[:12])}"
            f"{', …' if len(ch_names) > 12 else ''})"
        )
    return match


def _check_values(
    x: np.ndarray, names: Sequence[str], config: PreprocessingConfig, source: str, flat: np.ndarray | None = None
) -> np.ndarray:
    """Check (C, n) samples for NaN/inf and flat channels; return the (C,) mask of usable channels.

    ``x`` may be source samples or filtered output (NaN and inf spread through the filter to the
    whole channel); ``flat`` gives flatness measured on the source samples when ``x`` is output.
    """
    finite = np.isfinite(x).all(axis=-1)
    if not finite.all():
        bad = [n for n, ok in zip(names, finite) if not ok]
        raise RecordingError(f"{source}: channel(s) {', '.join(bad)} contain NaN or infinite values")
    if flat is None:
        flat = x.std(axis=-1) < FLAT_STD_V
    if flat.any():
        bad = [n for n, f in zip(names, flat) if f]
        if config.flat_channels == "raise":
            raise RecordingError(
                f"{source}: flat channel(s) {', '.join(bad)} (constant signal); set flat_channels='zero' to treat "
                "them as missing"
            )
        logger.info("%s: flat channel(s) %s treated as missing", source, ", ".join(bad))
    return ~flat


def _finish(
    data_v: np.ndarray,
    usable: np.ndarray,
    match: ChannelMatch,
    config: PreprocessingConfig,
    first_sample: int,
    source: str,
) -> PreprocessedEEG:
    """(n_present, T) volts at the target rate → scaled, referenced (58, T) mV with mask."""
    n_target = len(config.channels)
    rows = np.flatnonzero(match.present)[usable]
    if len(rows) < config.min_channels:
        raise RecordingError(
            f"{source}: only {len(rows)} usable channels after removing flat ones (need {config.min_channels})"
        )
    mask = np.zeros(n_target, dtype=bool)
    mask[rows] = True
    out = np.zeros((n_target, data_v.shape[1]), dtype=np.float32)
    for row, values in zip(rows, data_v[np.flatnonzero(usable)] if not usable.all() else data_v):
        np.multiply(values, np.float32(1e3), out=out[row])  # V -> mV
    if config.reference == "average":
        ref = out.sum(axis=0, dtype=np.float64).astype(np.float32) / np.float32(len(rows))  # absent rows are 0
        for row in rows:
            out[row] -= ref
    rms = np.sqrt(np.einsum("ij,ij->i", out[rows], out[rows], dtype=np.float64) / max(out.shape[1], 1))
    median_rms = float(np.median(rms))
    if config.max_rms_mv is not None and median_rms > config.max_rms_mv:
        raise RecordingError(
            f"{source}: implausible EEG amplitude (median RMS {median_rms:.3g} mV after filtering, above "
            f"{config.max_rms_mv} mV): wrong units, or for a Neuroscan CNT file the wrong cnt_format"
        )
    if config.min_rms_mv is not None and median_rms < config.min_rms_mv:
        raise RecordingError(
            f"{source}: implausibly small EEG amplitude (median RMS {median_rms:.3g} mV, below "
            f"{config.min_rms_mv} mV): wrong units, or for a Neuroscan CNT file the wrong cnt_format"
        )
    source_channels = tuple(n if ok else "" for n, ok in zip(match.source_names, mask))
    return PreprocessedEEG(out, mask, float(config.sfreq), first_sample, config.channels, source_channels)


def _row_reader(raw: mne.io.BaseRaw, picks: np.ndarray, start: int, stop: int, source: str) -> Callable:
    """``read(rows)`` for :func:`fused_filter_resample`: a few channels at a time, from memory or
    from the file; a failure to read names ``source``."""

    def read(rows):
        with reading_samples(source):
            return list(raw.get_data(picks=picks[rows], start=start, stop=stop))

    return read


def _output_length(n_source: int, ratio: Fraction) -> int:
    return max(int(round(n_source * ratio.numerator / ratio.denominator)), 1)


# -- what the recipe does at a recording's rate (for ``describe`` and chunked reading) -----------


def effective_filters(sfreq: float, config: PreprocessingConfig) -> tuple[float | None, float | None, float | None]:
    """``(l_freq, h_freq, notch)`` that the recipe applies at source rate ``sfreq``: an edge or a
    mains frequency at or above the Nyquist frequency is skipped (``None``).

    Raises:
        RecordingError: the high-pass edge itself is above the Nyquist frequency.
    """
    return _effective_bands(float(sfreq), config)


def filter_context(sfreq: float, config: PreprocessingConfig) -> int:
    """Source samples of context each side of a span that :func:`preprocess_raw` reads so that the
    span comes out as it does from the whole recording (the filters' half length plus two
    resampling periods)."""
    sfreq = float(sfreq)
    kernels = fir_kernels(sfreq, *_effective_bands(sfreq, config))
    return kernel_half_length(kernels) + 2 * resample_ratio(sfreq, config.sfreq).denominator


def output_samples(n_times: int, sfreq: float, config: PreprocessingConfig) -> int:
    """Length, in samples at ``config.sfreq``, of a whole recording of ``n_times`` samples at ``sfreq``
    after :func:`preprocess_raw` (the grid :func:`cut_windows` cuts)."""
    return _output_length(int(n_times), resample_ratio(float(sfreq), config.sfreq))


def preprocess_raw(
    raw: mne.io.BaseRaw,
    config: PreprocessingConfig | None = None,
    *,
    tmin: float | None = None,
    tmax: float | None = None,
    source: str | None = None,
    n_jobs: int | None = None,
    verbose=None,
) -> PreprocessedEEG:
    """Preprocess a recording (or the span ``[tmin, tmax)`` of it) with the paper's recipe.

    Band-pass and notch at the source rate, EEGPT's channels in order, resample, mV, average
    reference. The span is read together with enough surrounding context (the filters' half
    length) that the result equals that of processing the whole recording.

    Args:
        raw: any MNE Raw (preloaded or not), in volts.
        config: the recipe; ``PreprocessingConfig()`` (the paper's) by default.
        tmin, tmax: span to return, s from the recording's first sample (default: all of it).
        source: names the recording in error messages (default: its file name).
        n_jobs: FFT worker threads (``fused``) or MNE's ``n_jobs`` (``mne``).
        verbose: MNE verbosity.

    Returns:
        :class:`PreprocessedEEG` with ``data`` (58, T) float32 mV at ``config.sfreq``.

    Raises:
        RecordingError: too few channels, NaN/inf values, flat channels, implausible amplitude,
            or a span shorter than one window.
    """
    config = config or PreprocessingConfig()
    source = _source_name(raw, source)
    sfreq_in = float(raw.info["sfreq"])
    n_total = raw.n_times
    t_total = n_total / sfreq_in
    start_t = 0.0 if tmin is None else max(0.0, float(tmin))
    stop_t = t_total if tmax is None else min(t_total, float(tmax))
    if stop_t - start_t < config.window_seconds - 1e-9:
        what = "recording" if tmin is None and tmax is None else f"span {start_t:.1f}–{stop_t:.1f} s"
        raise RecordingError(
            f"{source}: {what} is {max(stop_t - start_t, 0):.1f} s long, shorter than one "
            f"{config.window_seconds:g} s window"
        )
    match = _match(raw, config, source)
    picks = match.picks
    names = [raw.ch_names[i] for i in picks]
    ratio = resample_ratio(sfreq_in, config.sfreq)
    q = ratio.denominator
    k_per_q = ratio.numerator  # output samples per q source samples

    # Output grid samples wanted: [o0, o1)
    o0 = int(math.ceil(start_t * config.sfreq - 1e-6))
    o1 = min(int(math.floor(stop_t * config.sfreq + 1e-6)), _output_length(n_total, ratio))

    with mne.utils.use_log_level(verbose if verbose is not None else "error"):
        if config.method == "mne":
            return _preprocess_mne(raw, config, match, o0, o1, source, n_jobs)

        l_freq, h_freq, notch = _effective_bands(sfreq_in, config)
        kernels = fir_kernels(sfreq_in, l_freq, h_freq, notch)
        context = kernel_half_length(kernels) + 2 * q
        # Source block [a, b) with context; a on the q-grid so output samples stay aligned.
        s0 = o0 * q // k_per_q
        s1 = -(-o1 * q // k_per_q)
        a = max(0, ((s0 - context) // q) * q)
        b = min(n_total, s1 + context)
        pad_left = 0 if a > 0 else -(-context // q) * q
        pad_right = 0 if b < n_total else context
        first = (a - pad_left) * k_per_q // q  # global output index of the first output sample
        data, flat = fused_filter_resample(
            _row_reader(raw, picks, a, b, source),
            len(picks),
            b - a,
            sfreq_in,
            config.sfreq,
            kernels,
            pad_left=pad_left,
            pad_right=pad_right,
            keep=slice(o0 - first, o1 - first),
            workers=n_jobs,
        )
        usable = _check_values(data, names, config, source, flat)
    return _finish(data, usable, match, config, o0, source)


def _preprocess_mne(
    raw: mne.io.BaseRaw,
    config: PreprocessingConfig,
    match: ChannelMatch,
    o0: int,
    o1: int,
    source: str,
    n_jobs: int | None,
) -> PreprocessedEEG:
    """The straightforward recipe on the whole recording: filter, notch, resample, pick, scale, reference."""
    sfreq_in = float(raw.info["sfreq"])
    l_freq, h_freq, notch = _effective_bands(sfreq_in, config)
    with reading_samples(source):
        raw = raw.copy().load_data()
    eeg_names = [raw.ch_names[i] for i in match.picks]
    types = dict(zip(raw.ch_names, raw.get_channel_types()))
    raw.set_channel_types({n: "eeg" for n in eeg_names if types[n] != "eeg"}, on_unit_change="ignore")
    usable = _check_values(raw.get_data(picks=eeg_names), eeg_names, config, source)
    if l_freq is not None or h_freq is not None:
        raw.filter(l_freq, h_freq, n_jobs=n_jobs)
    if notch is not None:
        raw.notch_filter(notch, n_jobs=n_jobs)
    raw.resample(config.sfreq, n_jobs=n_jobs)
    data = raw.get_data(picks=eeg_names, start=o0, stop=o1).astype(np.float32)
    return _finish(data, usable, match, config, o0, source)


# -- segments and windows -----------------------------------------------------------------------


def crop_offset(n_segment: int, n_window: int, mode: str, *, seed: int = 0, key: str = "") -> int:
    """Offset (samples) of the window cropped from a segment, for ``mode`` 'random' or 'center'.

    The random offset is drawn from a generator seeded by ``seed`` and ``key`` (the segment's
    identity), so it is the same whatever the order or parallelism of processing.
    """
    room = n_segment - n_window
    if room < 0:
        raise InvalidInputError(f"window ({n_window} samples) longer than segment ({n_segment})")
    if mode == "center":
        return room // 2
    if mode == "random":
        digest = hashlib.blake2b(f"{seed}|{key}".encode(), digest_size=8).digest()
        return int(np.random.default_rng(int.from_bytes(digest, "little")).integers(0, room + 1))
    raise InvalidInputError(f"crop mode {mode!r} has no single offset; choose 'random' or 'center'")


def window_offsets(n_segment: int, config: PreprocessingConfig, *, key: str = "") -> list[int]:
    """Window offsets within one segment, per ``config.crop``."""
    n_window = config.window_samples
    if config.crop == "sliding":
        return list(range(0, n_segment - n_window + 1, config.step_samples))
    return [crop_offset(n_segment, n_window, config.crop, seed=config.crop_seed, key=key)]


def cut_windows(
    pre: PreprocessedEEG, window_seconds: float = 4.0, step_seconds: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Cut sliding windows from preprocessed data (e.g. a whole recording for ``e2llm describe``).

    Args:
        pre: the output of :func:`preprocess_raw`.
        window_seconds: window length, s (4 s = 1024 samples at 256 Hz).
        step_seconds: step between window starts, s (default: ``window_seconds``, no overlap).

    Returns:
        ``(windows, starts)``: (n, 58, n_window) float32 mV (views into ``pre.data`` copied into
        one array) and (n,) float start times in s from the recording's start.

    Raises:
        RecordingError: the data is shorter than one window.
    """
    n_window = int(round(window_seconds * pre.sfreq))
    step = n_window if step_seconds is None else int(round(step_seconds * pre.sfreq))
    if step <= 0:
        raise InvalidInputError("step_seconds must be positive")
    n = pre.data.shape[1]
    if n < n_window:
        raise RecordingError(f"{pre.duration:.1f} s of data is shorter than one {window_seconds:g} s window")
    starts = np.arange(0, n - n_window + 1, step)
    windows = np.stack([pre.data[:, s : s + n_window] for s in starts])
    return windows, (starts + pre.first_sample) / pre.sfreq


@dataclass(frozen=True)
class LabeledSpan:
    """A stretch of a recording with one emotion (a clip).

    Attributes:
        onset, duration: s from the recording's first sample.
        emotion: one of ``EMOTIONS``.
        clip: 1-based clip number (SEED-VII's 1–80, or the span's order in a labelled file).
        session: session number.
    """

    onset: float
    duration: float
    emotion: str
    clip: int
    session: int = 1


@dataclass
class Segment:
    """One model input cut from a labelled span.

    Attributes:
        eeg: (58, 1024) float32 mV.
        channel_mask: (58,) bool.
        emotion, clip, session: from the span.
        segment: 0-based index of the 10 s segment within the span.
        window: 0-based index of the window within the segment (0 unless ``crop='sliding'``).
        filled_channels: channels zero-filled in this segment.
    """

    eeg: np.ndarray
    channel_mask: np.ndarray
    emotion: str
    clip: int
    session: int
    segment: int
    window: int = 0
    filled_channels: list[str] = field(default_factory=list)


def segments_from_spans(
    raw: mne.io.BaseRaw,
    spans: Sequence[LabeledSpan],
    config: PreprocessingConfig | None = None,
    *,
    source: str | None = None,
    key: str = "",
    n_jobs: int | None = None,
) -> Iterator[Segment]:
    """Preprocess each labelled span and cut it into 10 s segments and 4 s windows.

    Each span is processed on its own (with filter context read around it), so memory holds one
    span at a time. A span gives ``floor(duration / segment_seconds)`` segments; the window of a
    segment is placed per ``config.crop`` (random offsets keyed by ``key``, the clip and the
    segment index).

    Yields:
        :class:`Segment` objects, in span order.
    """
    config = config or PreprocessingConfig()
    n_seg, n_win = config.segment_samples, config.window_samples
    for span in spans:
        n_segments = config.segments_in(span.duration)
        if n_segments == 0:
            continue
        pre = preprocess_raw(
            raw, config, tmin=span.onset, tmax=span.onset + span.duration, source=source, n_jobs=n_jobs
        )
        filled = pre.filled_channels
        for g in range(min(n_segments, pre.data.shape[1] // n_seg)):
            seg = pre.data[:, g * n_seg : (g + 1) * n_seg]
            for w, off in enumerate(window_offsets(n_seg, config, key=f"{key}|c{span.clip}|g{g}")):
                yield Segment(
                    eeg=np.ascontiguousarray(seg[:, off : off + n_win]),
                    channel_mask=pre.channel_mask.copy(),
                    emotion=span.emotion,
                    clip=span.clip,
                    session=span.session,
                    segment=g,
                    window=w,
                    filled_channels=filled,
                )


__all__ = [
    "LabeledSpan",
    "PreprocessedEEG",
    "PreprocessingConfig",
    "Segment",
    "channel_match",
    "crop_offset",
    "cut_windows",
    "effective_filters",
    "filter_context",
    "output_samples",
    "preprocess_raw",
    "segments_from_spans",
    "window_offsets",
]
