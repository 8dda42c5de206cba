"""Benchmark: `e2llm describe --lsl` on the loopback — latency per window, and how far live windows
are from the offline ones at each ``--lag``.

A real recording (``../shared/data/real-eeg``'s 128 Hz EDF by default, or ``--file``) is played with
mne-lsl's ``PlayerLSL`` in this process and described live by ``e2llm.live.describe_stream`` (one
window every 4 s, the default lag unless ``--lag``) for ``--seconds``. The model is ``--model DIR``,
or a tiny random one whose answers mean nothing (what it shows is the time the steps take). Where
``generate_responses`` has no ``confidence`` argument yet, a stand-in calls it without and parses the
emotion (the real one also scores the seven emotion words in the same pass); the output says which.

Prints per window: its start, its latency (from its last sample's LSL timestamp to its row), the
live verdict and the offline one (``e2llm describe``'s path on the whole file, same samples). Then,
for lags of 0, 2, 4, 8 s and ``auto``, the relative RMS difference between a window as described
live with that lag and the offline window, over every window of the samples received, in all and
above 1 Hz (a live window with lag L is ``e2llm describe``'s window of the samples up to its end
plus L, as ``tests/test_live.py`` checks, so it is computed from those). Last, ``ratio: X``: the mean
latency over the 4 s step (below 1, describing keeps up with the stream). Run alone:
``python bench/live.py [--seconds 60] [--lag 8] [--model DIR]``.
"""

from __future__ import annotations

import argparse
import inspect
import types
from pathlib import Path

import numpy as np

REAL_EDF = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "real-eeg"
    / "EDF"
    / "test_edf_overlapping_annotations.edf"
)


def _model(path: str | None):
    from e2llm.inference import load_model_and_processor

    if path:
        return load_model_and_processor(path, device="cpu")[:2]
    import torch

    from e2llm.assembly import build_model
    from e2llm.configuration_e2llm import EMOTIONS
    from e2llm.tokenization import train_tokenizer

    torch.manual_seed(0)
    corpus = [f"The EEG signals indicate {e}. Emotion: {e}" for e in EMOTIONS] * 20
    return build_model("tiny", train_tokenizer(corpus, vocab_size=300))


def _confidence_api() -> str:
    """The real ``generate_responses(confidence=True)``, or a stand-in (see the module docstring)."""
    from e2llm import describe
    from e2llm.evaluation import generation
    from e2llm.tasks import parse_answer

    real = generation.generate_responses
    if "confidence" in inspect.signature(real).parameters:
        return "generate_responses(confidence=True)"

    def stand_in(*args, confidence=False, **kwargs):
        texts = real(*args, **kwargs)
        return [
            types.SimpleNamespace(text=t, emotion=parse_answer("ied", t), confidence=None, probabilities=None)
            for t in texts
        ]

    describe.generate_responses = stand_in
    return "a stand-in: generate_responses without confidence, emotion parsed (no confidence)"


def lag_differences(arrived, reference_raw, config, starts_s, lags) -> dict:
    """Relative RMS difference (all, above 1 Hz) of windows as described live with each lag against
    the offline windows of ``reference_raw`` (the file from the sample the stream began at)."""
    from e2llm.eeg import filter_context, iter_window_chunks

    sfreq = arrived.info["sfreq"]
    starts = [int(t * config.sfreq) for t in starts_s]
    reference = [c.eeg[0] for c in iter_window_chunks(reference_raw, config, starts, max_windows=1)]
    freqs = np.fft.rfftfreq(config.window_samples, 1 / config.sfreq)
    out = {}
    for lag in lags:
        extra = filter_context(sfreq, config) / sfreq if lag == "auto" else lag
        whole, above = [], []
        for t, ref in zip(starts_s, reference):
            end = min(t + config.window_seconds + extra, arrived.times[-1] + 1 / sfreq)
            cut = arrived.copy().crop(0, end, include_tmax=False)
            diff = (next(iter_window_chunks(cut, config, [int(t * config.sfreq)])).eeg[0] - ref).astype(float)
            whole.append(np.sqrt(np.mean(diff**2) / np.mean(ref.astype(float) ** 2)))
            d, r = np.fft.rfft(diff, axis=-1), np.fft.rfft(ref, axis=-1)
            above.append(np.sqrt((np.abs(d[:, freqs >= 1]) ** 2).sum() / (np.abs(r[:, freqs >= 1]) ** 2).sum()))
        out[lag] = (np.mean(whole), np.max(whole), np.mean(above), np.max(above))
    return out


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", default=str(REAL_EDF), help="a recording e2llm describe reads")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to describe the stream")
    parser.add_argument("--model", default=None, help="model folder (default: a tiny random model)")
    parser.add_argument("--lag", default=None, help="the live run's lag (default: describe's)")
    args = parser.parse_args(argv)

    import mne
    from mne_lsl.player import PlayerLSL

    from e2llm.describe import describe_chunk, model_side
    from e2llm.eeg import describe_config, filter_context, iter_window_chunks, match_channels, read_recording
    from e2llm.live import describe_stream, player_chunk_size

    mne.set_log_level("ERROR")
    api = _confidence_api()
    model, processor = _model(args.model)
    raw = read_recording(args.file, preload=True)
    sfreq = raw.info["sfreq"]
    player = PlayerLSL(raw, chunk_size=player_chunk_size(raw.n_times, sfreq), n_repeat=1, name="e2llm-bench-live")
    player.start()
    received = []
    lag = {} if args.lag is None else {"lag": args.lag if args.lag == "auto" else float(args.lag)}
    try:
        live = describe_stream(
            "e2llm-bench-live",
            model,
            processor,
            duration=args.seconds,
            on_row=lambda row: None,
            on_samples=lambda x, ts: received.append(x.copy()),
            **lag,
        )
    finally:
        if player.running:
            player.stop()
    got = np.concatenate(received, axis=1)
    side = model_side(model)
    config = describe_config(side.preprocessing)
    picks = [int(i) for i in match_channels(raw.ch_names, config.channels).picks]
    file = raw.get_data(picks=picks)
    k = int(np.flatnonzero(np.all(file.T == got[:, 0], axis=1))[0])  # the file sample the stream began at
    info = mne.create_info([raw.ch_names[i] for i in picks], sfreq, "eeg")
    arrived = mne.io.RawArray(got, info)
    # offline: the file as a recording that begins where the stream began (the same left edge)
    reference_raw = mne.io.RawArray(file[:, k:], info)
    starts = [int(r.start * config.sfreq) for r in live.rows]
    offline = list(iter_window_chunks(reference_raw, config, starts, max_windows=1))
    present = np.isin(config.channels, [config.channels[i] for i in np.flatnonzero(offline[0].channel_mask)])
    print(f"{args.file}: joined at {k / sfreq:.2f} s; lag {live.settings['lag_seconds']:.1f} s; model answers: {api}")
    print(f"{'start':>6} {'latency':>8}  {'live':<14} offline")
    same = 0
    for row, chunk in zip(live.rows, offline):
        verdict = describe_chunk(chunk, model, processor, side, present, min_confidence=live.settings["min_confidence"])
        same += verdict[0].verdict == row.verdict
        print(f"{row.start:6.1f} {row.latency:7.2f}s  {row.verdict:<14} {verdict[0].verdict}")
    latencies = np.array([r.latency for r in live.rows])
    print(f"verdicts equal to the offline ones: {same} of {len(live.rows)}")
    print(f"latency: mean {latencies.mean():.2f} s, max {latencies.max():.2f} s (n={len(latencies)})")
    # the windows followed by the filters' whole half length of received samples (every lag can be applied)
    room = got.shape[1] / sfreq - config.window_seconds - filter_context(sfreq, config) / sfreq
    every = list(np.arange(0, room + 1e-9, config.window_seconds))
    print(f"live window against offline, relative RMS difference over {len(every)} windows (mean / max):")
    for lag_s, (m, x, m1, x1) in lag_differences(arrived, reference_raw, config, every, [0, 2, 4, 8, "auto"]).items():
        print(f"  lag {lag_s!s:>4}: all {m:.3f} / {x:.3f}   above 1 Hz {m1:.4f} / {x1:.4f}")
    ratio = float(latencies.mean() / live.settings["step_seconds"])
    print(f"ratio: {ratio:.3f}")
    return ratio


if __name__ == "__main__":
    main()
