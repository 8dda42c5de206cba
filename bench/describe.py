"""Benchmark: `e2llm describe` on long recordings, windows read and preprocessed a chunk at a time
against the whole-recording path.

Recordings: SYNTHETIC 64-channel 1000 Hz EDF files (EEG of ``e2llm.eeg.synthetic`` on SEED-VII's
62 channels, plus two EOG labels carrying Fp1 and Fp2) of 10 min, 30 min and 2 h, written once
into ``--dir`` (10-minute blocks of three synthetic subjects, repeated; 0.9 GB for 2 h).

Each path runs in a fresh process, and its peak memory is that process's maximum resident set
(``os.wait4``):

chunked
    what ``describe`` does before asking the model: ``window_starts``, ``iter_window_chunks``
    (``preprocess_raw`` per chunk, the source samples' flat and clipped checks) and the window
    features of ``e2llm.eeg.quality``.
whole
    the path ``describe`` took before: ``preprocess_raw`` of the whole recording, ``cut_windows``,
    the same source checks and features.
command
    ``e2llm describe FILE --model TINY`` itself (chunked), with a tiny random model answering 8
    tokens: the peak memory a user sees, model and all. Skipped where ``generate_responses`` has
    no ``confidence`` argument yet.

One window every ``--step`` s (240 by default, so that reading and preprocessing dominate). Prints a
table (recording, path, windows, seconds, windows/s, peak RSS), the 2 h over 10 min peak of each
path, and last ``ratio: X``: the whole path's peak memory over the chunked one's on the 2 h file.
Run alone on the machine: ``python bench/describe.py [--dir /tmp/e2llm-bench-describe] [--step 240]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

LENGTHS = {"10 min": 600, "30 min": 1800, "2 h": 7200}
BLOCK_SECONDS = 600


def write_recording(path: Path, seconds: int) -> None:
    """A SYNTHETIC 64-channel 1000 Hz EDF of ``seconds``, from three 10-minute synthetic blocks
    repeated (digital samples kept as int16, as EDF stores them)."""
    import numpy as np
    from edfio import Edf, EdfSignal

    from e2llm.eeg import SEED_VII_CHANNELS, synthetic_raw

    blocks = [synthetic_raw(BLOCK_SECONDS, 1000.0, seed=s, clip_seconds=60.0).get_data() for s in range(3)]
    names = [*SEED_VII_CHANNELS, "EOG1", "EOG2"]
    rows = [*range(62), 0, 2]  # the EOG labels carry Fp1 and Fp2
    n_blocks = -(-seconds // BLOCK_SECONDS)
    signals = []
    for name, row in zip(names, rows):
        data = np.concatenate([blocks[b % 3][row] for b in range(n_blocks)])[: seconds * 1000] * 1e6  # µV
        signals.append(EdfSignal(data, 1000.0, label=name, physical_dimension="uV", physical_range=(-3200, 3200)))
        del data
    del blocks
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.edf")
    Edf(signals, data_record_duration=1.0).write(tmp)
    os.replace(tmp, path)


def run_chunked(path: str, step: float) -> int:
    from e2llm.eeg import PreprocessingConfig, describe_config, iter_window_chunks, read_recording, window_starts
    from e2llm.eeg.quality import window_features

    raw = read_recording(path)
    config = describe_config(PreprocessingConfig())
    n = 0
    for chunk in iter_window_chunks(raw, config, window_starts(raw, config, step)):
        window_features(chunk.eeg, chunk.channel_mask, config.sfreq)
        n += len(chunk.index)
    return n


def run_whole(path: str, step: float) -> int:
    import numpy as np

    from e2llm.eeg import PreprocessingConfig, cut_windows, describe_config, preprocess_raw, read_recording
    from e2llm.eeg.quality import source_flags, window_features

    raw = read_recording(path)
    config = describe_config(PreprocessingConfig())
    pre = preprocess_raw(raw, config)
    windows, starts = cut_windows(pre, config.window_seconds, step)
    picks = [raw.ch_names.index(n) for n in pre.source_channels if n]
    for s in starts:  # the same source checks as the chunked path
        a = int(round(s * raw.info["sfreq"]))
        source_flags(raw.get_data(picks=picks, start=a, stop=a + int(config.window_seconds * raw.info["sfreq"])))
    window_features(windows, np.broadcast_to(pre.channel_mask, windows.shape[:2]), config.sfreq)
    return len(windows)


def _measure(command: list[str]) -> tuple[float, float, str]:
    """Run ``command``; its wall seconds, its peak resident memory (MB) and its stdout."""
    import tempfile

    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True)
        out = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)  # the child's own rusage (getrusage would merge children)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{' '.join(command)} failed: {err.read().strip().splitlines()[-1:]}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024, out


def _worker(kind: str, path: str, step: float) -> None:
    started = time.perf_counter()
    n = run_chunked(path, step) if kind == "chunked" else run_whole(path, step)
    print(json.dumps({"windows": n, "seconds": time.perf_counter() - started}))


def tiny_model(folder: Path) -> str | None:
    """A tiny random E2LLM saved in ``folder`` (None where describe's confidence API is missing)."""
    import inspect

    from e2llm.evaluation import generation

    if "confidence" not in inspect.signature(generation.generate_responses).parameters:
        return None
    if not (folder / "config.json").is_file():
        import torch

        from e2llm.assembly import build_model
        from e2llm.configuration_e2llm import EMOTIONS
        from e2llm.tokenization import train_tokenizer

        corpus = [f"The EEG signals indicate {e}. Emotion: {e}" for e in EMOTIONS] * 20
        torch.manual_seed(0)
        model, processor = build_model("tiny", train_tokenizer(corpus, vocab_size=300))
        model.save_pretrained(folder)
        processor.save_pretrained(folder)
    return str(folder)


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default="/tmp/e2llm-bench-describe", help="where the EDF files are written once")
    parser.add_argument("--step", type=float, default=240.0, help="seconds between windows")
    parser.add_argument("--worker", nargs=2, metavar=("PATH_KIND", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--write", nargs=2, metavar=("FILE", "SECONDS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:  # one path, in its own process
        _worker(args.worker[0], args.worker[1], args.step)
        return 0.0
    if args.write:  # one recording, in its own process (about 3 GB for 2 h)
        write_recording(Path(args.write[0]), int(args.write[1]))
        return 0.0
    folder = Path(args.dir)
    files = {}
    for label, seconds in LENGTHS.items():
        files[label] = folder / f"synthetic_64ch_1000hz_{seconds}s.edf"
        if not files[label].is_file():
            print(f"writing {files[label]} (SYNTHETIC) …", flush=True)
            subprocess.run([sys.executable, __file__, "--write", str(files[label]), str(seconds)], check=True)
    model = tiny_model(folder / "tiny-model")
    rows, peaks = [], {}
    print(f"{'recording':<9} {'path':<8} {'windows':>7} {'seconds':>8} {'windows/s':>9} {'peak RSS':>10}")
    for label, path in files.items():
        for kind in ("chunked", "whole", "command"):
            if kind == "command":
                if model is None:
                    continue
                step = ["--step", str(args.step), "--max-new-tokens", "8", "--no-progress"]
                seconds, peak, _ = _measure(
                    [sys.executable, "-m", "e2llm.cli", "describe", str(path), "--model", model, *step]
                )
                n = int((LENGTHS[label] - 4) // args.step) + 1
            else:
                _, peak, out = _measure(
                    [sys.executable, __file__, "--step", str(args.step), "--worker", kind, str(path)]
                )
                result = json.loads(out.strip().splitlines()[-1])
                n, seconds = result["windows"], result["seconds"]
            peaks[(label, kind)] = peak
            rows.append((label, kind, n, seconds, peak))
            print(f"{label:<9} {kind:<8} {n:>7} {seconds:>8.1f} {n / seconds:>9.2f} {peak:>7.0f} MB", flush=True)
    for kind in ("chunked", "whole", "command"):
        if ("2 h", kind) in peaks:
            print(f"{kind}: peak memory 2 h / 10 min = {peaks[('2 h', kind)] / peaks[('10 min', kind)]:.2f}")
    ratio = peaks[("2 h", "whole")] / peaks[("2 h", "chunked")]
    print(f"ratio: {ratio:.2f}")
    return ratio


if __name__ == "__main__":
    main()
