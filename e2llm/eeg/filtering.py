"""Band-pass, notch and resampling in one pass in the frequency domain: the ``"fused"`` method of
:func:`e2llm.eeg.preprocess_raw`.

The channels are filtered and resampled together: one real FFT of each channel at the source
rate, a multiply by the frequency response of MNE's own FIR kernels (``mne.filter.create_filter``
with exactly the parameters ``Raw.filter``/``Raw.notch_filter`` use, designed at the source rate),
truncation (or zero-extension) of the spectrum to the target band, and one inverse FFT at the
target rate, in float32. Edges are padded like MNE's ``'reflect_limited'``. Linear filtering and
FFT resampling commute, so this is MNE's recipe computed differently (see
:mod:`e2llm.eeg.preprocessing` for how closely the two agree).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from fractions import Fraction

import mne
import numpy as np
from scipy import fft as sp_fft

FLAT_STD_V = 1e-11  # a channel whose standard deviation is below this (in V) counts as flat


@functools.lru_cache(maxsize=32)
def fir_kernels(sfreq: float, l_freq: float | None, h_freq: float | None, notch: float | None) -> tuple:
    """MNE's zero-phase FIR kernels for the band-pass and the notch at ``sfreq``.

    Designed with ``mne.filter.create_filter`` and the parameters ``Raw.filter(l_freq, h_freq)``
    and ``Raw.notch_filter(notch)`` use by default (firwin, Hamming window, automatic lengths and
    transition bands; notch width ``notch / 200``, transition 1 Hz).
    """
    kernels = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if l_freq is not None or h_freq is not None:
            kernels.append(np.asarray(mne.filter.create_filter(None, sfreq, l_freq, h_freq, verbose="error")))
        if notch is not None:
            width, tb_2 = notch / 200.0, 0.5
            low, high = notch - width / 2 - tb_2, notch + width / 2 + tb_2
            kernels.append(
                np.asarray(
                    mne.filter.create_filter(
                        None, sfreq, high, low, l_trans_bandwidth=tb_2, h_trans_bandwidth=tb_2, verbose="error"
                    )
                )
            )
    return tuple(kernels)


def kernel_half_length(kernels: Sequence[np.ndarray]) -> int:
    """Half the length of the kernels convolved together (samples of context each side needs)."""
    return int(sum((len(h) - 1) // 2 for h in kernels))


def _reflect_limited(x: np.ndarray, n_left: int, n_right: int) -> np.ndarray:
    """Pad the last axis as MNE's ``'reflect_limited'`` does: odd reflection, then zeros."""
    n = x.shape[-1]
    parts = []
    if n_left:
        k = min(n_left, n - 1)
        parts += [np.zeros(x.shape[:-1] + (n_left - k,), x.dtype), 2 * x[..., :1] - x[..., k:0:-1]]
    parts.append(x)
    if n_right:
        k = min(n_right, n - 1)
        parts += [2 * x[..., -1:] - x[..., -2 : -k - 2 : -1], np.zeros(x.shape[:-1] + (n_right - k,), x.dtype)]
    return np.concatenate(parts, axis=-1) if len(parts) > 1 else x


def _fill_padded(buf: np.ndarray, x: np.ndarray, offset: float, pad_left: int, pad_right: int) -> None:
    """Write ``reflect_limited``-padded ``x - offset`` (1-D) into the float32 row ``buf`` (in place).

    Odd reflection commutes with subtracting a constant; MNE's zero padding becomes ``-offset``.
    """
    n = x.shape[-1]
    c0, c1 = pad_left, pad_left + n
    np.subtract(x, offset, out=buf[c0:c1], casting="unsafe")
    if pad_left:
        k = min(pad_left, n - 1)
        np.subtract(2 * buf[c0], buf[c0 + k : c0 : -1], out=buf[c0 - k : c0])
        buf[: c0 - k] = -offset
    if pad_right:
        k = min(pad_right, n - 1)
        np.subtract(2 * buf[c1 - 1], buf[c1 - 2 : c1 - k - 2 if c1 - k - 2 >= 0 else None : -1], out=buf[c1 : c1 + k])
        buf[c1 + k : c1 + pad_right] = -offset
    buf[c1 + pad_right :] = 0.0


def resample_ratio(sfreq_in: float, sfreq_out: float) -> Fraction:
    return Fraction(sfreq_out / sfreq_in).limit_denominator(100_000)


def _fast_multiple(n: int, q: int) -> int:
    """Smallest FFT-friendly multiple of ``q`` that is at least ``n``."""
    return q * sp_fft.next_fast_len(max(1, -(-n // q)), real=True)


def _frequency_response(kernels: Sequence[np.ndarray], n_fft: int, n_bins: int) -> np.ndarray:
    """Real zero-phase response of the kernels (convolved) at the first ``n_bins`` rfft bins of ``n_fft``."""
    response = np.ones(n_bins, dtype=np.float64)
    for h in kernels:
        centre = (len(h) - 1) // 2
        wrapped = np.zeros(n_fft)
        wrapped[: len(h) - centre] = h[centre:]
        wrapped[n_fft - centre :] = h[:centre]
        response *= sp_fft.rfft(wrapped)[:n_bins].real
    return response


def fused_filter_resample(
    read: Callable[[np.ndarray], np.ndarray],
    n_channels: int,
    n_times: int,
    sfreq_in: float,
    sfreq_out: float,
    kernels: Sequence[np.ndarray],
    *,
    pad_left: int,
    pad_right: int,
    keep: slice = slice(None),
    workers: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Band-pass + notch (``kernels``) and FFT-resample in one frequency-domain pass.

    Args:
        read: ``read(rows)`` returns those channels' source samples, each (n_times,) float volts
            (views where possible); called for a few channels at a time so memory stays bounded.
        n_channels, n_times: size of what ``read`` returns.
        pad_left, pad_right: ``reflect_limited`` padding added at each end (``pad_left`` a
            multiple of the resampling period, so the output grid stays aligned).
        keep: the output samples to return.

    Returns:
        ``(out, flat)``: (n_channels, ·) float32 volts at ``sfreq_out``, ``out[:, keep]`` where
        output sample ``j`` is at source position ``j * sfreq_in / sfreq_out - pad_left``; and
        (n_channels,) bool, True for channels whose source samples are constant (flat).
    """
    ratio = resample_ratio(sfreq_in, sfreq_out)
    q = ratio.denominator
    n_fft = _fast_multiple(n_times + pad_left + pad_right, q)
    m_fft = n_fft * ratio.numerator // q
    n_in_bins, n_out_bins = n_fft // 2 + 1, m_fft // 2 + 1
    n_common = min(n_in_bins, n_out_bins)
    response = _frequency_response(kernels, n_fft, n_common)
    if m_fft > n_fft and n_fft % 2 == 0:
        response[n_fft // 2] *= 0.5  # split the input's Nyquist bin when upsampling
    dc_gain = float(response[0])
    response32 = (response * (m_fft / n_fft)).astype(np.float32)
    kept = range(m_fft)[keep]
    out = np.empty((n_channels, len(kept)), dtype=np.float32)
    flat = np.zeros(n_channels, dtype=bool)
    chunk = int(min(n_channels, max(1, 48e6 // (n_fft * 8))))
    buf = np.empty((chunk, n_fft), dtype=np.float32)
    for start in range(0, n_channels, chunk):
        rows = np.arange(start, min(start + chunk, n_channels))
        b = buf[: len(rows)]
        # Large DC offsets would cost float32 precision: filter x - x[0] (padded exactly as MNE
        # pads x) and add back what the filter passes of the constant, H(0) × x[0].
        offsets = np.empty(len(rows))
        for j, x in enumerate(read(rows)):
            offsets[j] = x[0]
            with np.errstate(invalid="ignore"):  # inf - inf: reported as non-finite below
                _fill_padded(b[j], x, offsets[j], pad_left, pad_right)
            flat[rows[j]] = np.abs(b[j, pad_left : pad_left + len(x)]).max() < FLAT_STD_V
            del x
        spectrum = sp_fft.rfft(b, axis=-1, workers=workers, overwrite_x=True)
        if n_out_bins <= n_in_bins:
            spec_out = spectrum[:, :n_out_bins]
            spec_out *= response32
        else:
            spec_out = np.zeros((len(rows), n_out_bins), dtype=spectrum.dtype)
            np.multiply(spectrum, response32, out=spec_out[:, :n_in_bins])
        del spectrum
        y = sp_fft.irfft(spec_out, n=m_fft, axis=-1, workers=workers, overwrite_x=True)
        out[rows] = y[:, keep]
        if dc_gain != 0.0:
            out[rows] += (offsets[:, None] * dc_gain).astype(np.float32)
    return out, flat


__all__ = ["FLAT_STD_V", "fir_kernels", "fused_filter_resample", "kernel_half_length", "resample_ratio"]
