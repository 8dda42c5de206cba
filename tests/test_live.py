"""Live describing of a Lab Streaming Layer stream (`e2llm describe --lsl`) and `e2llm replay`.

A fake stream at mne-lsl's ``StreamLSL`` boundary feeds a recording's samples without a clock (fast,
deterministic); the loopback tests replay a real recording with mne-lsl's ``PlayerLSL`` and read it
with ``StreamLSL`` (no network but the loopback). What the model is given is recorded at the
``generate_responses`` boundary. Synthetic EEG is labelled as such.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import threading
import types

import mne
import numpy as np
import pytest
from conftest import REAL, needs_real

from e2llm import describe as describe_module
from e2llm.cli import main as cli
from e2llm.configuration_e2llm import EEGPT_CHANNELS
from e2llm.eeg import synthetic_raw
from e2llm.live import describe_stream, player_chunk_size

mne.set_log_level("ERROR")
EDF = REAL / "EDF" / "test_edf_overlapping_annotations.edf"  # 128 Hz, 64 channels, 124 s


class Recorder:
    """``generate_responses(..., confidence=True)`` at its boundary: keeps each EEG window it is given
    and answers with an emotion picked from the window's values (so different inputs differ)."""

    def __init__(self):
        self.windows = []

    def __call__(self, model, processor, conversations, eeg, masks, *, confidence=False, **kwargs):
        out = []
        for (window,) in eeg:
            self.windows.append(np.array(window))
            emotion = ("happy", "sad", "fear")[int(abs(window[0, :64].sum()) * 1e3) % 3]
            out.append(types.SimpleNamespace(text=f"{emotion}.", emotion=emotion, confidence=0.9, probabilities=None))
        return out


class FakeStream:
    """mne-lsl's ``StreamLSL`` as ``e2llm.live`` uses it, serving ``data`` (volts): each reading of
    ``n_new_samples`` brings ``per_poll`` more samples (no clock), into a ring buffer of ``bufsize``
    seconds; with ``interrupt_after``, that many readings later it raises KeyboardInterrupt (Ctrl-C)."""

    def __init__(self, data, info, per_poll, interrupt_after=None):
        self.data, self.info, self.per_poll, self.interrupt_after = data, info, per_poll, interrupt_after
        self.sent = self.new = self.polls = 0

    def __call__(self, bufsize, *, name=None):  # the class's constructor
        self.n_buf = int(np.ceil(bufsize * self.info["sfreq"]))
        return self

    def connect(self, acquisition_delay=None, timeout=None):
        return self

    @property
    def ch_names(self):
        return self.info["ch_names"]

    @property
    def n_new_samples(self):
        self.polls += 1
        if self.interrupt_after is not None and self.polls > self.interrupt_after:
            raise KeyboardInterrupt
        take = min(self.per_poll, self.data.shape[1] - self.sent)
        self.sent += take
        self.new += take
        return self.new

    def get_data(self, winsize=None, picks=None):
        self.new = 0
        lo = max(0, self.sent - self.n_buf)
        data, ts = np.zeros((self.data.shape[0], self.n_buf)), np.zeros(self.n_buf)
        k = self.sent - lo
        if k:
            data[:, -k:] = self.data[:, lo : self.sent]
            ts[-k:] = 100.0 + np.arange(lo, self.sent) / self.info["sfreq"]
        return data[picks], ts

    def disconnect(self):
        pass


def fake_stream(monkeypatch, raw, per_poll, interrupt_after=None) -> FakeStream:
    import mne_lsl.stream

    from e2llm import live

    stream = FakeStream(raw.get_data(), raw.info, per_poll, interrupt_after)
    monkeypatch.setattr(mne_lsl.stream, "StreamLSL", stream)
    monkeypatch.setattr(live, "find_stream", lambda name, timeout: types.SimpleNamespace(sfreq=raw.info["sfreq"]))
    return stream


@pytest.fixture(scope="module")
def synthetic_60s():
    """60 s of SYNTHETIC 62-channel EEG at 1000 Hz."""
    return synthetic_raw(60.0, 1000.0, seed=4, clip_seconds=20.0)


def offline_windows(raw, tmp_path, model, processor, monkeypatch, name="offline_raw.fif"):
    """What ``e2llm describe`` gives the model for each window of ``raw`` (saved as a file)."""
    raw.save(tmp_path / name, fmt="double", overwrite=True)
    recorder = Recorder()
    monkeypatch.setattr(describe_module, "generate_responses", recorder)
    timeline = describe_module.describe_recording(tmp_path / name, model, processor, progress=False)
    return timeline, recorder.windows


def test_live_with_the_filters_lag_gives_the_offline_windows(
    synthetic_60s, tiny_model_and_processor, monkeypatch, tmp_path
):
    """lag='auto': the windows described while the stream runs and those left at its end equal
    ``e2llm describe``'s windows of the same samples, within 1e-6 mV, with the same verdicts."""
    model, processor = tiny_model_and_processor
    expected, expected_windows = offline_windows(synthetic_60s, tmp_path, model, processor, monkeypatch)
    fake_stream(monkeypatch, synthetic_60s, per_poll=250)
    recorder = Recorder()
    monkeypatch.setattr(describe_module, "generate_responses", recorder)
    live = describe_stream("synthetic", model, processor, lag="auto", timeout=0.3, on_row=lambda row: None)
    assert live.settings["stopped"] == "the stream sent nothing for 0.3 s"
    assert [r.start for r in live.rows] == [r.start for r in expected.rows] == [4.0 * j for j in range(15)]
    assert [r.verdict for r in live.rows] == [r.verdict for r in expected.rows]
    assert len(recorder.windows) == 15 and np.abs(np.stack(recorder.windows) - np.stack(expected_windows)).max() <= 1e-6
    assert all(np.isfinite(r.latency) for r in live.rows)


def test_live_without_lag_describes_each_window_as_the_recording_ending_there(
    synthetic_60s, tiny_model_and_processor, monkeypatch, tmp_path
):
    """lag=0: window j is what ``e2llm describe`` gives for the samples up to its end; the filters'
    missing future makes it differ from the whole recording's window (bench/live.py measures it)."""
    model, processor = tiny_model_and_processor
    raw = synthetic_60s.copy().crop(0, 20.0, include_tmax=False)
    fake_stream(monkeypatch, raw, per_poll=250)
    recorder = Recorder()
    monkeypatch.setattr(describe_module, "generate_responses", recorder)
    live = describe_stream("synthetic", model, processor, lag=0, timeout=0.3, on_row=lambda row: None)
    assert [r.start for r in live.rows] == [0.0, 4.0, 8.0, 12.0, 16.0]
    for j, window in enumerate(recorder.windows):
        cut = raw.copy().crop(0, 4.0 * (j + 1), include_tmax=False)
        _, reference = offline_windows(cut, tmp_path, model, processor, monkeypatch, f"cut{j}_raw.fif")
        assert np.abs(window - reference[-1]).max() <= 1e-6
    _, whole = offline_windows(raw, tmp_path, model, processor, monkeypatch)
    assert np.abs(recorder.windows[1] - whole[1]).max() > 1e-4  # the edge shows


def test_ctrl_c_ends_a_live_run_with_whole_rows(synthetic_60s, tiny_model_and_processor, monkeypatch, tmp_path):
    model, processor = tiny_model_and_processor
    fake_stream(monkeypatch, synthetic_60s, per_poll=250, interrupt_after=60)  # 15 s of samples, then Ctrl-C
    monkeypatch.setattr(describe_module, "generate_responses", Recorder())
    out = tmp_path / "live"
    timeline = describe_stream("synthetic", model, processor, out=out, lag=0, timeout=5, on_row=lambda row: None)
    assert timeline.settings["stopped"] == "Ctrl-C" and len(timeline.rows) == 3
    rows = list(csv.DictReader(open(out / "timeline.csv", encoding="utf-8")))
    assert [float(r["start_s"]) for r in rows] == [0.0, 4.0, 8.0] and all(float(r["latency_s"]) >= -1 for r in rows)
    assert (out / "timeline.json").is_file() and (out / "timeline.png").is_file()


# -- the loopback ------------------------------------------------------------------------------------


@pytest.fixture
def player():
    """Start mne-lsl ``PlayerLSL`` streams on the loopback; each is stopped at the end."""
    from mne_lsl.player import PlayerLSL

    started = []

    def start(raw, name, n_repeat=1):
        chunk = player_chunk_size(raw.n_times, raw.info["sfreq"])
        p = PlayerLSL(raw, chunk_size=chunk, n_repeat=n_repeat, name=name, annotations=False)
        started.append(p.start())
        return p

    yield start
    for p in started:
        if p.running:
            p.stop()


def test_bad_streams_give_one_line_and_exit_2(player, tiny_model_dir, tmp_path, capsys):
    """Nothing is written for a stream that does not appear, has too few of the model's channels
    or too low a rate (WHITE NOISE streams)."""
    rng = np.random.default_rng(0)
    few = mne.io.RawArray(rng.standard_normal((3, 20_000)) * 2e-5, mne.create_info(["Cz", "Pz", "Fz"], 1000.0, "eeg"))
    slow = mne.io.RawArray(
        rng.standard_normal((20, 2_000)) * 2e-5, mne.create_info(list(EEGPT_CHANNELS[:20]), 40.0, "eeg")
    )
    player(few, "e2llm-test-few")
    player(slow, "e2llm-test-slow")
    out = tmp_path / "out"
    cases = [
        (["--lsl", "e2llm-test-nobody", "--lsl-timeout", "0.5"], "no Lab Streaming Layer stream of that name appeared"),
        (["--lsl", "e2llm-test-few"], "only 3 of the 58 EEGPT channels found"),
        (["--lsl", "e2llm-test-slow"], "sampled at 40 Hz, so only 0.1–20 Hz of the model's 0.1–70 Hz band"),
        (["--lsl", "e2llm-test-few", "--min-confidence", "-0.1"], "argument --min-confidence: must be between 0 and 1"),
        (["--lsl", "e2llm-test-few", "--lag", "soon"], "argument --lag"),
    ]
    for extra, message in cases:
        assert cli(["describe", "--model", tiny_model_dir, "--out", str(out), *extra]) == 2, extra
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and message in err, err
    assert not out.exists()


@needs_real
@pytest.mark.slow
def test_a_replayed_real_recording_is_described_live(player, tiny_model_and_processor, monkeypatch, tmp_path):
    """10 s of the real 128 Hz EDF replayed on the loopback and described live (lag 0): the samples
    arrive as they are in the file, and each window is given to the model as ``e2llm describe``
    gives it for the samples received up to its end (within float32 rounding; at 128 Hz the source
    Nyquist component is not fixed by the samples, see e2llm.eeg.windows)."""
    from e2llm.eeg import read_recording

    model, processor = tiny_model_and_processor
    raw = read_recording(EDF, preload=True).crop(0, 10.0, include_tmax=False)
    received = []
    recorder = Recorder()
    monkeypatch.setattr(describe_module, "generate_responses", recorder)
    player(raw, "e2llm-test-edf")
    live = describe_stream(
        "e2llm-test-edf", model, processor, lag=0, timeout=2.0, on_row=lambda row: None,
        on_samples=lambda x, ts: received.append(x.copy()),
    )  # fmt: skip
    got = np.concatenate(received, axis=1)
    file = raw.get_data(picks=[raw.ch_names[i] for i in _picks(raw)])
    k = int(np.flatnonzero(np.all(file.T == got[:, 0], axis=1))[0])  # where the stream was joined
    assert np.array_equal(got, file[:, k : k + got.shape[1]])
    assert len(live.rows) >= 2 and all(np.isfinite(r.latency) for r in live.rows)
    arrived = mne.io.RawArray(got, mne.create_info([raw.ch_names[i] for i in _picks(raw)], 128.0, "eeg"))
    for j, window in enumerate(recorder.windows):
        cut = arrived.copy().crop(0, 4.0 * (j + 1), include_tmax=False)
        _, reference = offline_windows(cut, tmp_path, model, processor, monkeypatch, f"cut{j}_raw.fif")
        assert np.abs(window - reference[-1]).max() <= 5e-4


def _picks(raw):
    from e2llm.eeg import match_channels

    return [int(i) for i in match_channels(raw.ch_names, EEGPT_CHANNELS).picks]


@needs_real
@pytest.mark.slow
def test_e2llm_replay_and_describe_lsl_from_the_command_line(tiny_model_dir, monkeypatch, tmp_path, capsys):
    """`e2llm replay` in its own process, `e2llm describe --lsl … --duration` here: rows printed and
    appended with their latency, the run ended by --duration."""
    monkeypatch.setattr(describe_module, "generate_responses", Recorder())
    replay = subprocess.Popen(
        [sys.executable, "-m", "e2llm.cli", "replay", str(EDF), "--name", "e2llm-test-replay"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out = tmp_path / "live"
        code = cli(
            ["describe", "--lsl", "e2llm-test-replay", "--model", tiny_model_dir, "--duration", "10", "--lag", "0",
             "--lsl-timeout", "120", "--out", str(out)]
        )  # fmt: skip
    finally:
        replay.terminate()
        replay.wait(timeout=30)
    assert code == 0
    printed = capsys.readouterr().out
    rows = list(csv.DictReader(open(out / "timeline.csv", encoding="utf-8")))
    assert rows and list(rows[0])[-1] == "latency_s"
    assert "LSL stream e2llm-test-replay (128 Hz, 64 channels)" in printed and "stopped: 10 s" in printed
    assert (out / "timeline.json").is_file() and (out / "timeline.png").is_file()


def test_replay_streams_a_recording_until_it_ends(tmp_path):
    """`e2llm.live.replay` of 1 s of SYNTHETIC EEG: the stream appears, carries the file's channels
    and rate, and ``replay`` returns once the recording has been played."""
    from mne_lsl.lsl import resolve_streams

    from e2llm.live import replay

    path = tmp_path / "short_raw.fif"
    synthetic_raw(1.0, 250.0, seed=2, clip_seconds=1.0).save(path)
    thread = threading.Thread(target=replay, args=(path,), kwargs={"name": "e2llm-test-short", "announce": False})
    thread.start()
    found = resolve_streams(timeout=10, name="e2llm-test-short")
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert len(found) == 1 and found[0].sfreq == 250.0 and found[0].n_channels == 62
