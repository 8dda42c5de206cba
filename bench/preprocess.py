"""Benchmark: the paper's preprocessing, ours (``method="fused"``) against the straightforward MNE recipe.

The input is a 62-channel, 1000 Hz recording (SEED-VII's montage and rate) of ``--minutes``
minutes (default 10), synthetic EEG from ``e2llm.eeg.synthetic.synthetic_raw`` held in memory, so
file reading is excluded for both. Both runs get the same ``Raw`` and one core (BLAS/OpenMP
threads are limited to 1 before numpy is imported, ``n_jobs=1``).

straightforward: ``raw.copy()``, ``raw.filter(0.1, 70)``, ``raw.notch_filter(50)`` at 1000 Hz,
    ``raw.resample(256)``, pick the 58 EEGPT channels, mV, average reference.
ours: pick the 58 channels first, then band-pass + notch (MNE's own FIR kernels) and resampling in
    one float32 frequency-domain pass (``e2llm.eeg.preprocessing``).

Prints, for both: seconds of EEG processed per second per core, peak traced memory, and the
per-channel correlation of the two 256 Hz outputs; the last line is ``ratio: X`` (throughput of
ours over straightforward). Run: ``python bench/preprocess.py [--minutes 10] [--repeat 3]``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402


def _run(fn, repeat: int):
    """Best wall time over ``repeat`` runs and the peak traced memory of one run."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, best, peak


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the recording (≥ 10 for the target)")
    parser.add_argument("--repeat", type=int, default=2, help="timed runs per method (best is reported)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import mne

    from e2llm.eeg import PreprocessingConfig, preprocess_raw
    from e2llm.eeg.synthetic import synthetic_raw

    mne.set_log_level("ERROR")
    seconds = args.minutes * 60.0
    print(f"generating a synthetic 62-channel 1000 Hz recording of {seconds:.0f} s (SYNTHETIC DATA) …", flush=True)
    raw = synthetic_raw(seconds, 1000.0, seed=args.seed)
    ours_cfg, mne_cfg = PreprocessingConfig(), PreprocessingConfig(method="mne")
    preprocess_raw(raw.copy().crop(0, 60), ours_cfg)  # warm-up: filter design, FFT plans

    ours, t_ours, mem_ours = _run(lambda: preprocess_raw(raw, ours_cfg, n_jobs=1), args.repeat)
    ref, t_ref, mem_ref = _run(lambda: preprocess_raw(raw, mne_cfg, n_jobs=1), args.repeat)

    mask = ours.channel_mask & ref.channel_mask
    corr = np.array([np.corrcoef(a, b)[0, 1] for a, b in zip(ours.data[mask], ref.data[mask])])
    rel = np.sqrt(((ours.data[mask] - ref.data[mask]) ** 2).mean(1) / (ref.data[mask] ** 2).mean(1))
    rate_ours, rate_ref = seconds / t_ours, seconds / t_ref
    ratio = rate_ours / rate_ref

    print(f"\ninput: {len(raw.ch_names)} channels × {raw.n_times} samples at {raw.info['sfreq']:g} Hz ({seconds:.0f} s); "
          f"output: {ours.data.shape[0]} × {ours.data.shape[1]} at {ours.sfreq:g} Hz; 1 core")  # fmt: skip
    print(f"{'method':<16}{'wall s':>9}{'EEG s / s / core':>19}{'peak MiB':>11}")
    print(f"{'straightforward':<16}{t_ref:>9.2f}{rate_ref:>19.1f}{mem_ref / 2**20:>11.0f}")
    print(f"{'ours (fused)':<16}{t_ours:>9.2f}{rate_ours:>19.1f}{mem_ours / 2**20:>11.0f}")
    print(
        f"per-channel correlation at 256 Hz (ours vs straightforward, {int(mask.sum())} channels): "
        f"min {corr.min():.5f}, median {np.median(corr):.5f}; relative RMS difference: median {np.median(rel):.4f}, "
        f"max {rel.max():.4f}"
    )
    print(f"ratio: {ratio:.2f}")
    return ratio


if __name__ == "__main__":
    main()
