"""Live: ``e2llm describe --lsl NAME`` reads a Lab Streaming Layer stream, ``e2llm replay`` makes one.

Both use ``mne-lsl``: :class:`mne_lsl.stream.StreamLSL` keeps the newest samples of a stream in a
ring buffer, :class:`mne_lsl.player.PlayerLSL` plays a recording as a stream in real time. Nothing
but the local network (the loopback, for a replay on the same machine) is used.

Each window of the stream is preprocessed as the offline path does it: its samples, with the
filters' context before it, become an MNE ``RawArray`` that goes through
:func:`~e2llm.eeg.iter_window_chunks` (the same zero-phase filters, resampling and reference) and
:func:`~e2llm.describe.describe_chunk` (the same checks and question). What cannot be the same is
the future: a window is described ``lag`` s after its last sample (:data:`DEFAULT_LAG`, 8 s), and
the filters see the stream end there, padded as at a recording's end. ``lag=0`` describes it at
once, with the largest difference from the offline result; ``lag="auto"`` (the filters' half
length, 16.5 s for the 0.1 Hz high-pass) gives the offline result (``bench/live.py`` measures each). Either way a window is processed from exactly the samples up
to its end plus the lag, however late its turn comes, so a row does not depend on timing: it is
``e2llm describe``'s row for that window of the samples received up to there
(``tests/test_live.py``). When the stream stops sending, the windows still waiting are described
with what arrived, as at a recording's end.

Row times are seconds from the first sample received; latency is the time from a window's last
sample (its LSL timestamp) to its row.
"""

from __future__ import annotations

import csv
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .describe import (
    CSV_COLUMNS,
    DEFAULT_MIN_CONFIDENCE,
    Timeline,
    TimelineRow,
    band_coverage,
    check_min_confidence,
    csv_row,
    describe_chunk,
    model_side,
    recording_facts,
    run_settings,
    write_timeline,
)
from .eeg import describe_config, filter_context, iter_window_chunks, match_channels
from .errors import InvalidInputError

DEFAULT_TIMEOUT = 10.0  # s to wait for a stream to appear, and for a silent stream before stopping
# Seconds a live window waits for the samples after it before it is described. The zero-phase
# filters reach 16.5 s past a window (the 0.1 Hz high-pass); measured on the real 128 Hz EDF replayed
# (bench/live.py, 10 windows), the live windows' RMS difference from the offline ones is 97 % at a lag
# of 0 (15 % above 1 Hz: the filters padded at the newest sample), 4 % at 8 s (0.4 % above 1 Hz) and
# 0.1 % at 16.5 s. 8 s keeps the windows close to what the model was trained on at half the delay.
DEFAULT_LAG = 8.0


class StreamError(InvalidInputError):
    """A stream that cannot be described (absent, irregular, without channel names). One line."""


def _quiet_liblsl() -> None:
    """liblsl logs its start-up to stderr at INFO level; keep its warnings and errors only."""
    from mne_lsl.lsl import set_config_content

    set_config_content("[log]\nlevel = -2\n")


def find_stream(name: str, timeout: float = DEFAULT_TIMEOUT):
    """The LSL stream called ``name`` (its ``StreamInfo``), waiting up to ``timeout`` s for it.

    Raises:
        StreamError: none appeared, several did, or it is not a regularly sampled numeric stream.
    """
    from mne_lsl.lsl import resolve_streams

    _quiet_liblsl()
    found = resolve_streams(timeout=timeout, name=name)
    if not found:
        raise StreamError(f"--lsl {name}: no Lab Streaming Layer stream of that name appeared within {timeout:g} s")
    if len({(s.name, s.stype, s.source_id) for s in found}) > 1:
        raise StreamError(f"--lsl {name}: {len(found)} streams have that name; stop the others or rename them")
    sinfo = found[0]
    if sinfo.sfreq <= 0:
        raise StreamError(f"--lsl {name}: an irregularly sampled stream (rate 0); EEG needs a fixed rate")
    if sinfo.dtype == "string":
        raise StreamError(f"--lsl {name}: a stream of strings (markers?), not of samples")
    return sinfo


@dataclass
class _Schedule:
    """Which window is due, in source samples counted from the first sample received."""

    sfreq: float
    out_sfreq: float
    step_out: int  # window step at the output rate
    window_out: int
    lag: int  # source samples a window waits for after its end
    context: int  # source samples of filter context before a window
    period: int  # the resampling period: blocks start on multiples of it, so output grids align

    def start(self, j: int) -> float:
        return j * self.step_out * self.sfreq / self.out_sfreq

    def end(self, j: int) -> int:
        return math.ceil((j * self.step_out + self.window_out) * self.sfreq / self.out_sfreq)

    def due(self, j: int, received: int) -> bool:
        return self.end(j) + self.lag <= received

    def block_start(self, j: int, oldest: int) -> int:
        """First source sample of window ``j``'s block: the filter context before it, on the period grid."""
        a = max(0, math.floor((self.start(j) - self.context) / self.period) * self.period)
        return max(a, math.ceil(oldest / self.period) * self.period)


def describe_stream(
    name: str,
    model,
    processor=None,
    *,
    duration: float | None = None,
    out: str | os.PathLike | None = None,
    step_seconds: float | None = None,
    lag: float | str = DEFAULT_LAG,
    timeout: float = DEFAULT_TIMEOUT,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    batch_size: int = 1,
    max_new_tokens: int = 96,
    on_row: Callable[[TimelineRow], None] | None = None,
    on_samples: Callable[[np.ndarray, np.ndarray], None] | None = None,
) -> Timeline:
    """Describe the LSL stream ``name`` window by window as it arrives.

    Args:
        name: the stream's name.
        model, processor: as for :func:`~e2llm.describe.describe_recording`.
        duration: stop after this many seconds (default: until Ctrl-C, or until the stream sends
            nothing for ``timeout`` s).
        out: folder of ``timeline.csv`` (a row appended and flushed per window), and at the end
            ``timeline.json`` and ``timeline.png``.
        step_seconds: step between windows (default: the model's window, 4 s).
        lag: seconds a window waits after its end before it is described, or ``"auto"`` (the
            filters' half length: the offline result); see :data:`DEFAULT_LAG`.
        timeout: seconds to wait for the stream to appear, and for a silent stream before stopping.
        on_row: called with each row (default: print the header, then each row as it comes).
        on_samples: called with each new block of samples received (channels matched to the model,
            volts; timestamps), e.g. to keep them.

    Raises:
        StreamError / RecordingError (ValueErrors): no such stream within ``timeout``, too few of
            the model's channels, a rate leaving less than half of the model's band,
            ``min_confidence`` outside [0, 1]. Nothing is written then.
    """
    from mne_lsl.stream import StreamLSL

    min_confidence = check_min_confidence(min_confidence)
    check_lag(lag)
    side = model_side(model)
    recipe = side.preprocessing
    sfreq = float(find_stream(name, timeout).sfreq)
    band_coverage(f"LSL stream {name}", sfreq, recipe)
    schedule = _make_schedule(sfreq, recipe, step_seconds, lag)
    bufsize = (schedule.end(1) + schedule.lag + 2 * schedule.context) / sfreq + 10.0
    # the channels are in the stream's description, which only an open inlet receives
    stream = StreamLSL(bufsize, name=name).connect(acquisition_delay=0.005, timeout=timeout)
    try:
        ch_names = list(stream.ch_names)
        facts = recording_facts(f"LSL stream {name}", sfreq, ch_names, stream.info["bads"], None, recipe)
        if isinstance(model, (str, os.PathLike)):
            from .inference import load_model_and_processor

            model, processor, _ = load_model_and_processor(model)
    except BaseException:
        stream.disconnect()
        raise
    picks = [int(i) for i in match_channels(ch_names, recipe.channels).picks]
    settings = run_settings(side, recipe.window_seconds, schedule.step_out / recipe.sfreq, min_confidence)
    timeline = Timeline([], facts, side.provenance, {**settings, "lag_seconds": schedule.lag / sfreq})
    if on_row is None:
        print("\n".join(timeline.header()), flush=True)
    present = np.isin(recipe.channels, facts.matched)

    def describe(chunk):
        return describe_chunk(
            chunk,
            model,
            processor,
            side,
            present,
            min_confidence=min_confidence,
            batch_size=batch_size,
            max_new_tokens=max_new_tokens,
        )

    def show(row):
        print(format_row(row), flush=True)

    writer = _RowWriter(out)
    run = _LiveRun(stream, picks, ch_names, schedule, recipe, timeline, writer, on_row or show, on_samples, describe)
    try:
        why = run.run(duration, timeout)
    finally:
        stream.disconnect()
        writer.close()
    for row in timeline.rows:
        facts.add(row)
    timeline.settings["stopped"] = why
    if out is not None:
        write_timeline(timeline, out, title=f"LSL stream {name} (live)")
    return timeline


def check_lag(lag: float | str) -> float | str:
    """``"auto"``, or a number of seconds ≥ 0."""
    if lag == "auto":
        return lag
    try:
        value = float(lag)
    except (TypeError, ValueError):
        value = float("nan")
    if not 0 <= value < float("inf"):
        raise InvalidInputError(f"--lag {lag}: must be 0 or more seconds, or 'auto'")
    return value


def _make_schedule(sfreq: float, recipe, step_seconds: float | None, lag: float | str) -> _Schedule:
    from fractions import Fraction

    context = filter_context(sfreq, recipe)
    lag_samples = context if lag == "auto" else math.ceil(float(lag) * sfreq)
    step = recipe.window_seconds if step_seconds is None else float(step_seconds)
    return _Schedule(
        sfreq=sfreq,
        out_sfreq=recipe.sfreq,
        step_out=int(round(step * recipe.sfreq)),
        window_out=recipe.window_samples,
        lag=lag_samples,
        context=context,
        period=Fraction(recipe.sfreq / sfreq).limit_denominator(100_000).denominator,
    )


class _RowWriter:
    """``timeline.csv`` of a live run: created once the stream has passed every check, one row
    appended and flushed per window, so an interrupted run leaves whole rows."""

    def __init__(self, out):
        self.file = None
        if out is not None:
            Path(out).mkdir(parents=True, exist_ok=True)
            self.file = open(Path(out) / "timeline.csv", "w", newline="", encoding="utf-8")
            self.writer = csv.writer(self.file)
            self.writer.writerow((*CSV_COLUMNS, "latency_s"))
            self.file.flush()

    def write(self, row: TimelineRow) -> None:
        if self.file is not None:
            self.writer.writerow(csv_row(row) + [f"{row.latency:.3f}"])
            self.file.flush()

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def format_row(row: TimelineRow) -> str:
    """One printed line per window: time, verdict, confidence, sentence (or why not assessable), latency."""
    conf = f"{row.confidence:.2f}" if row.confidence is not None else "   –"
    note = f"({', '.join(row.quality)})" if row.quality else row.description
    return f"{row.start:7.1f}–{row.end:7.1f}  {row.verdict:<14} {conf:>4}  {note}  [{row.latency:.2f} s]"


class _LiveRun:
    """The acquisition loop of :func:`describe_stream` and what it keeps between pulls."""

    def __init__(self, stream, picks, ch_names, schedule, recipe, timeline, writer, on_row, on_samples, describe):
        import mne

        self.stream, self.picks, self.schedule, self.recipe = stream, picks, schedule, recipe
        self.timeline, self.writer, self.on_row = timeline, writer, on_row
        self.on_samples, self.describe = on_samples, describe
        self.scale = np.array([10.0 ** stream.info["chs"][i]["unit_mul"] for i in picks])[:, None]  # to volts
        self.info = mne.create_info([ch_names[i] for i in picks], schedule.sfreq, "eeg")
        self.received = 0  # samples received, counted from the first
        self.last_ts = 0.0  # LSL timestamp of the newest sample received (the buffer starts as zeros)
        self.next = 0  # the next window to describe

    def run(self, duration: float | None, timeout: float) -> str:
        """Pull new samples when the next window is due and describe it; stop at ``duration``, on
        Ctrl-C, or when the stream has been silent for ``timeout`` s (the windows still waiting are
        then described with what arrived). Returns why it stopped."""
        started = last_arrival = time.monotonic()
        pending_before = 0
        try:
            while duration is None or time.monotonic() - started < duration:
                pending = self.stream.n_new_samples
                if pending > pending_before:
                    last_arrival, pending_before = time.monotonic(), pending
                elif time.monotonic() - last_arrival > timeout:
                    self.pull(flush=True)
                    return f"the stream sent nothing for {timeout:g} s"
                if self.schedule.due(self.next, self.received + pending):
                    self.pull()
                    pending_before = 0
                else:
                    time.sleep(0.01)
        except KeyboardInterrupt:
            return "Ctrl-C"
        return f"{duration:g} s"

    def pull(self, flush: bool = False) -> None:
        """Take the new samples from the stream's buffer and describe every window now due (with
        ``flush``, every complete window)."""
        data, ts = self.stream.get_data(picks=self.picks)
        n_fresh = int((ts > self.last_ts).sum())
        if n_fresh:
            if self.on_samples is not None:
                self.on_samples(data[:, -n_fresh:] * self.scale, ts[-n_fresh:])
            self.received += n_fresh
            self.last_ts = float(ts[-1])
        first = self.received - int((ts > 0).sum())  # the oldest sample in the buffer
        offset = self.received - data.shape[1]  # the sample data[:, 0] holds (negative: not yet filled)
        schedule = self.schedule
        while schedule.due(self.next, self.received) or (flush and schedule.end(self.next) <= self.received):
            j = self.next
            self.next += 1
            if schedule.start(j) - schedule.context < first and first > 0:
                print(f"window {j} skipped: its samples left the buffer (describing is slower than the stream)")
                continue
            self.describe_window(j, data, ts, offset, first)

    def describe_window(self, j: int, data, ts, offset: int, first: int) -> None:
        from mne_lsl.lsl import local_clock

        schedule = self.schedule
        a = schedule.block_start(j, first)
        b = min(self.received, schedule.end(j) + schedule.lag)  # what the filters see: the same whenever it runs
        raw = mne_raw(data[:, a - offset : b - offset] * self.scale, self.info)
        start = j * schedule.step_out - round(a * schedule.out_sfreq / schedule.sfreq)  # on the block's grid
        chunk = next(iter_window_chunks(raw, describe_config(self.recipe), [start]))
        row = self.describe(chunk)[0]
        row.start = j * schedule.step_out / schedule.out_sfreq
        row.end = row.start + schedule.window_out / schedule.out_sfreq
        row.latency = float(local_clock() - ts[schedule.end(j) - 1 - offset])
        self.timeline.rows.append(row)
        self.writer.write(row)
        if self.on_row is not None:
            self.on_row(row)


def mne_raw(data: np.ndarray, info):
    """A block of stream samples (channels × samples, volts) as an MNE ``RawArray``."""
    import mne

    return mne.io.RawArray(data, info, verbose="error")


def player_chunk_size(n_times: int, sfreq: float, seconds: float = 0.02) -> int:
    """Samples per pushed chunk: about ``seconds``, leaving a last chunk of two samples or more
    (mne-lsl's player warns of an empty or a one-sample last chunk)."""
    chunk = max(3, int(round(seconds * sfreq)))
    while n_times % chunk in (0, 1):
        chunk += 1
    return chunk


def replay(
    path: str | os.PathLike,
    *,
    name: str | None = None,
    loop: bool = False,
    cnt_format: str | None = None,
    chunk_seconds: float = 0.02,
    announce: bool = True,
) -> None:
    """Play a recording as an LSL stream in real time (``mne_lsl.player.PlayerLSL``) until it ends
    (or forever with ``loop``), or until Ctrl-C.

    Args:
        path: any file ``e2llm describe`` reads; samples are read from it as they are played.
        name: the stream's name (default: the file's stem).
        loop: start over at the end (a small jump in the signal where it wraps).
        chunk_seconds: samples pushed at once (20 ms by default).

    Raises:
        ValueError / FileNotFoundError: the file cannot be read.
    """
    from mne_lsl.player import PlayerLSL

    from .eeg import read_recording

    raw = read_recording(path, cnt_format=cnt_format)
    name = name or Path(path).name.split(".")[0]
    sfreq = float(raw.info["sfreq"])
    _quiet_liblsl()
    chunk = player_chunk_size(raw.n_times, sfreq, chunk_seconds)
    player = PlayerLSL(raw, chunk_size=chunk, n_repeat=np.inf if loop else 1, name=name, annotations=False)
    player.start()
    if announce:
        length = raw.n_times / sfreq
        print(
            f"streaming {path} as LSL stream '{name}': {len(raw.ch_names)} channels at {sfreq:g} Hz, "
            f"{length:.1f} s{' (looping)' if loop else ''}; Ctrl-C stops",
            flush=True,
        )
    try:
        while player.running:
            time.sleep(0.1)
    except KeyboardInterrupt:
        pass
    finally:
        if player.running:
            player.stop()


__all__ = [
    "DEFAULT_LAG",
    "DEFAULT_TIMEOUT",
    "StreamError",
    "check_lag",
    "describe_stream",
    "find_stream",
    "format_row",
    "player_chunk_size",
    "replay",
]
