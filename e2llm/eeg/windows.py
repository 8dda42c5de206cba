"""The windows of a recording of any length, preprocessed a chunk at a time.

``e2llm describe`` reads a recording lazily (MNE, ``preload=False``) and preprocesses the windows
it describes a few dozen seconds at a time with :func:`~e2llm.eeg.preprocess_raw`, the same function
and settings as the whole-recording path: for each chunk it reads the span with the filters'
context around it (``Raw.get_data(start, stop)``) and pads at the recording's ends as MNE does.
Memory is bounded by the chunk, never by the recording.

Equality with the whole-recording path (``preprocess_raw`` of everything, then
:func:`~e2llm.eeg.cut_windows`): where the low-pass edge lies below the source's Nyquist frequency
(rates above 140 Hz) the windows agree to float32 rounding (``tests/test_describe.py``: within
1e-6 mV). Below that rate (the 128 Hz EDF) nothing is filtered out between the band and the source's
Nyquist frequency before the FFT resampling doubles the rate, and the component at exactly that
frequency is not fixed by the samples: the two paths differ in it alone (at most 2.1e-4 mV on
that file, 0.04 % of its peak; the test checks where the difference lies).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import mne
import numpy as np

from ..errors import InvalidInputError
from .errors import RecordingError, reading_samples
from .preprocessing import PreprocessingConfig, channel_match, output_samples, preprocess_raw
from .quality import source_flags


@dataclass
class WindowChunk:
    """Consecutive windows of a recording, preprocessed together.

    Attributes:
        index: (n,) window numbers (positions in the ``starts`` given).
        starts: (n,) start times, s from the recording's first sample.
        eeg: (n, n_channels, n_window) float32 mV, or None when the chunk could not be processed.
        channel_mask: (n_channels,) bool: channels with data in this chunk (absent from the
            recording, or flat throughout the chunk: False).
        flat, clipped: (n, n_channels) bool, from the windows' source samples
            (:func:`~e2llm.eeg.quality.source_flags`); False where the recording lacks the channel.
        problem: why the chunk could not be processed (NaN or infinite values, too few usable
            channels), else None.
    """

    index: np.ndarray
    starts: np.ndarray
    eeg: np.ndarray | None
    channel_mask: np.ndarray | None
    flat: np.ndarray | None
    clipped: np.ndarray | None
    problem: str | None = None


def describe_config(config: PreprocessingConfig) -> PreprocessingConfig:
    """The recipe as ``describe`` applies it chunk by chunk: a channel flat throughout a chunk is
    masked there rather than an error, and amplitude is judged per window
    (:mod:`e2llm.eeg.quality`) rather than over the recording."""
    return dataclasses.replace(config, flat_channels="zero", max_rms_mv=None, min_rms_mv=None)


def window_starts(
    raw: mne.io.BaseRaw, config: PreprocessingConfig, step_seconds: float | None = None, source: str = "recording"
) -> np.ndarray:
    """Start samples (at ``config.sfreq``) of the windows :func:`~e2llm.eeg.cut_windows` cuts from
    the whole preprocessed recording, computed without preprocessing it.

    Raises:
        RecordingError: the recording is shorter than one window (the message names ``source``).
    """
    n_window = config.window_samples
    step = n_window if step_seconds is None else int(round(step_seconds * config.sfreq))
    if step <= 0:
        raise InvalidInputError("step_seconds must be positive")
    n = output_samples(raw.n_times, raw.info["sfreq"], config)
    if n < n_window:
        raise RecordingError(
            f"{source}: {n / config.sfreq:.1f} s of data is shorter than one {config.window_seconds:g} s window"
        )
    return np.arange(0, n - n_window + 1, step)


def chunk_slices(starts: np.ndarray, n_window: int, max_windows: int, max_samples: int) -> list[slice]:
    """Group consecutive windows (start samples ``starts``) into chunks of at most ``max_windows``
    windows spanning at most ``max_samples`` samples (a window farther away starts a new chunk)."""
    slices, first = [], 0
    for i in range(1, len(starts) + 1):
        if i == len(starts) or i - first >= max_windows or starts[i] + n_window - starts[first] > max_samples:
            slices.append(slice(first, i))
            first = i
    return slices


def iter_window_chunks(
    raw: mne.io.BaseRaw,
    config: PreprocessingConfig,
    starts: Sequence[int],
    *,
    max_windows: int = 16,
    chunk_seconds: float = 64.0,
    skip: Sequence[int] = (),
    source: str | None = None,
    n_jobs: int | None = None,
    verbose=None,
) -> Iterator[WindowChunk]:
    """Preprocess the windows starting at ``starts`` (samples at ``config.sfreq``), a chunk at a time.

    Args:
        raw: the recording (preloaded or not), in volts.
        config: the recipe (pass :func:`describe_config` of the model's to judge windows one by one).
        starts: window starts, increasing.
        max_windows, chunk_seconds: the most windows, and seconds of output, in one chunk.
        skip: window numbers already done (a resumed run): their chunks are left out, and a chunk
            partly done is processed whole and returned whole.
        source: names the recording in messages.

    Yields:
        :class:`WindowChunk` objects in order. A chunk the recipe rejects (NaN values, too few
        usable channels) comes with ``problem`` set; the recording as a whole must pass
        :func:`~e2llm.eeg.channel_match` (too few channels raise here).
    """
    starts = np.asarray(starts, dtype=np.int64)
    n_window = config.window_samples
    sfreq_in = float(raw.info["sfreq"])
    match = channel_match(raw.ch_names, raw.info["bads"], config, source or "recording")
    rows = np.flatnonzero(match.present)
    done = set(int(i) for i in skip)
    for part in chunk_slices(starts, n_window, max_windows, int(round(chunk_seconds * config.sfreq))):
        index = np.arange(part.start, part.stop)
        if all(int(i) in done for i in index):
            continue
        first, last = int(starts[part][0]), int(starts[part][-1])
        times = starts[part] / config.sfreq
        with reading_samples(source or "recording"):
            flat, clipped = _source_checks(raw, match.picks, rows, starts[part], n_window, sfreq_in, config)
        try:
            pre = preprocess_raw(
                raw,
                config,
                tmin=first / config.sfreq,
                tmax=(last + n_window) / config.sfreq,
                source=source,
                n_jobs=n_jobs,
                verbose=verbose,
            )
        except RecordingError as err:
            yield WindowChunk(index, times, None, None, flat, clipped, problem=str(err).split(": ", 1)[-1])
            continue
        offsets = starts[part] - pre.first_sample
        eeg = np.stack([pre.data[:, o : o + n_window] for o in offsets])
        yield WindowChunk(index, times, eeg, pre.channel_mask, flat, clipped)


def _source_checks(raw, picks, rows, starts, n_window, sfreq_in, config) -> tuple[np.ndarray, np.ndarray]:
    """(n, n_channels) flat and clipped flags of each window from its source samples, read once
    for the chunk's span."""
    n_channels = len(config.channels)
    ratio = sfreq_in / config.sfreq
    bounds = [(int(np.floor(s * ratio)), int(np.ceil((s + n_window) * ratio))) for s in starts]
    a, b = bounds[0][0], min(raw.n_times, bounds[-1][1])
    data = raw.get_data(picks=picks, start=a, stop=b)
    flat = np.zeros((len(starts), n_channels), dtype=bool)
    clipped = np.zeros_like(flat)
    for i, (s, e) in enumerate(bounds):
        flat[i, rows], clipped[i, rows] = source_flags(data[:, s - a : min(e, b) - a])
    return flat, clipped


__all__ = ["WindowChunk", "chunk_slices", "describe_config", "iter_window_chunks", "window_starts"]
