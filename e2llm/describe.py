"""``e2llm describe``: a timeline of emotion descriptions for a recording, saying how sure it is.

The recording is read lazily with MNE and preprocessed a chunk of windows at a time exactly as for
training (:mod:`e2llm.eeg.windows`), so memory does not grow with its length. Each 4 s window is
checked against the model's training data (:mod:`e2llm.eeg.quality`): a window that fails is
``not assessable`` and the model is not asked about it. The others are asked the IED question; the
answer gives an emotion and the model's confidence in it (its probability over the seven emotion
words, ``generate_responses(..., confidence=True)``), and an answer below ``min_confidence`` is
``uncertain``. Neither abstention is reported as an emotion.

What is printed and written beside the rows: what the model was trained on (a one-line warning if
synthetic), and the recording's facts (rate and usable band against the model's, channels matched,
zero-filled, flat and out of range, filters applied or skipped, duration).

With an output folder, finished windows are appended to ``timeline.partial.jsonl`` as they come; an
interrupted run keeps them and the same command resumes. Live streams: :mod:`e2llm.live`.

The browser app (:mod:`e2llm.app`) asks more of chosen windows: :func:`window_segments` reads them
again exactly as they were described, and :func:`ask_windows` streams the answer to any task's
question (:mod:`e2llm.tasks.questions`) about them.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .configuration_e2llm import EMOTIONS
from .eeg import (
    PreprocessingConfig,
    RecordingError,
    channel_match,
    describe_config,
    effective_filters,
    iter_window_chunks,
    read_recording,
    window_starts,
)
from .eeg.quality import QualityRanges, assess, quality_ranges, window_features
from .eeg.windows import WindowChunk
from .errors import InvalidInputError
from .evaluation.generation import generate_responses
from .paths import check_model_location
from .provenance import Provenance, model_provenance
from .runs.atomic import atomic_file
from .runs.records import RecordLog
from .tasks.questions import TASK_WINDOWS, Question, task_question
from .tasks.templates import IED_QUESTIONS

IED_QUESTION = IED_QUESTIONS[0]  # "Describe the emotion of {e1}."

# Default of --min-confidence: an answer whose confidence (the probability of its emotion over the
# seven emotion words) is below it is reported as "uncertain". Chosen on the demo's IED test data
# (`e2llm demo`, 42 answers; bench/README.md): the lowest threshold that keeps most answers while
# dropping those that are mostly wrong. Two demo models measured: one kept 36 of 42 answers at 0.6,
# 91.7 % of them right against 78.6 % of all, the 6 dropped all wrong (at 0.7 it kept 33); the
# other (seed 0) kept 40, 97.5 % right against 92.9 %, the 2 dropped both wrong (at 0.8 it drops
# 2 right answers).
DEFAULT_MIN_CONFIDENCE = 0.6

# A recording must contain at least half of the model's band (from its high-pass edge to its
# low-pass edge, 0.1–70 Hz): below a rate of about 70 Hz most of what the model was trained on is
# missing. A rate that only clips the top (128 Hz: 0.1–64 Hz, 91 %) is described, with that said.
MIN_BAND_COVERAGE = 0.5

UNCERTAIN = "uncertain"
NOT_ASSESSABLE = "not assessable"
PARTIAL_FILE = "timeline.partial.jsonl"
PARTIAL_FORMAT = 2  # bumped when kept windows could not be read back as they are


@dataclass
class TimelineRow:
    """One window: what the checks and the model said, and the verdict reported.

    Attributes:
        start, end: s from the recording's (or the stream's) first sample.
        verdict: an emotion of ``EMOTIONS``, ``"uncertain"`` or ``"not assessable"``.
        emotion: the emotion the answer names ("invalid" if none; "" when the model was not asked).
        confidence: the model's probability of ``emotion`` over the seven emotion words, or None.
        quality: why the window is not assessable (empty: it passed the checks).
        description: the answer's first sentence; text: the whole answer.
        probabilities: emotion → probability, or None.
        flat_channels, out_of_range: channels flat, or with an RMS outside the training range, here.
        latency: live only: s from the window's last sample to its row.
    """

    start: float
    end: float
    verdict: str
    emotion: str = ""
    confidence: float | None = None
    quality: tuple[str, ...] = ()
    description: str = ""
    text: str = ""
    probabilities: dict | None = None
    flat_channels: tuple[str, ...] = ()
    out_of_range: tuple[str, ...] = ()
    latency: float | None = None


def verdict(emotion: str, confidence: float | None, quality: Sequence[str], min_confidence: float) -> str:
    """The reported verdict: ``not assessable`` if a check failed, ``uncertain`` if the answer names no
    emotion or its confidence is below ``min_confidence``, else the emotion."""
    if quality:
        return NOT_ASSESSABLE
    if emotion not in EMOTIONS or confidence is None or confidence < min_confidence:
        return UNCERTAIN
    return emotion


def check_min_confidence(value: float) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise InvalidInputError(f"--min-confidence {value:g}: must be between 0 and 1")
    return value


def ied_conversation() -> list[dict]:
    """The IED question about one EEG segment, as chat messages."""
    return list(task_question("ied").turns)


def _first_sentence(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    for stop in (". ", "! ", "? "):
        if stop in line:
            return line.split(stop)[0] + stop.strip()
    return line


# -- the model side ------------------------------------------------------------------------------


@dataclass
class ModelSide:
    """What ``describe`` takes from a model before loading its weights."""

    config: object  # E2LLMConfig
    provenance: Provenance
    preprocessing: PreprocessingConfig  # the recipe of its training data, at its input rate
    ranges: QualityRanges
    name: str
    identity: str  # changes when the model does (part of the resume key)


def model_side(model) -> ModelSide:
    """The model's config, provenance, preprocessing and quality ranges, from a loaded model or its
    folder / Hub id (only the config is read)."""
    folder = None
    if isinstance(model, (str, os.PathLike)):
        from transformers import AutoConfig

        import e2llm  # noqa: F401  (registers the Auto classes)

        if check_model_location(model) == "folder":
            folder = Path(model).expanduser()
        config = AutoConfig.from_pretrained(str(folder or model))
        name = str(model)
    else:
        config, name = model.config, str(getattr(model, "name_or_path", "") or type(model).__name__)
    where = folder or (Path(name) if (Path(name) / "config.json").is_file() else None)  # a loaded model's folder
    provenance = model_provenance(config, where)
    eeg = config.eeg_config
    settings = (getattr(config, "training_data", None) or {}).get("preprocessing") or {}
    default = PreprocessingConfig()
    recipe = PreprocessingConfig(
        channels=tuple(eeg.channel_names),
        sfreq=eeg.sampling_rate,
        window_seconds=eeg.num_samples / eeg.sampling_rate,
        segment_seconds=max(default.segment_seconds, eeg.num_samples / eeg.sampling_rate),
        **{k: settings[k] for k in ("l_freq", "h_freq", "notch_freq") if k in settings},
    )
    identity = hashlib.sha256(config.to_json_string().encode()).hexdigest()[:16]
    if folder is not None:
        weights = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.glob("*.safetensors"))
        identity = hashlib.sha256((identity + json.dumps(weights)).encode()).hexdigest()[:16]
    return ModelSide(config, provenance, recipe, quality_ranges(provenance.statistics, recipe), name, identity)


# -- the recording's facts -----------------------------------------------------------------------


@dataclass
class RecordingFacts:
    """What ``describe`` says about a recording (or a stream) beside its rows."""

    source: str
    sfreq: float
    duration: float | None  # s; None for a live stream
    n_channels: int
    usable_band: tuple[float | None, float]
    model_band: tuple[float | None, float | None]
    band_coverage: float
    filters: list[str]
    matched: list[str]
    zero_filled: list[str]
    flat: dict[str, int] = field(default_factory=dict)  # channel → windows in which it was flat
    out_of_range: dict[str, int] = field(default_factory=dict)
    n_windows: int = 0

    def lines(self) -> list[str]:
        lo, hi = self.usable_band
        mlo, mhi = self.model_band
        length = f"{self.duration:.1f} s, " if self.duration is not None else ""
        lines = [
            f"recording: {self.source} ({length}{self.sfreq:g} Hz, {self.n_channels} channels)",
            f"band:      {_hz(lo)}–{hi:g} Hz usable of the model's {_hz(mlo)}–{_hz(mhi)} Hz "
            f"({100 * self.band_coverage:.0f} %)",
            "filters:   " + "; ".join(self.filters),
            f"channels:  {len(self.matched)} of the model's {len(self.matched) + len(self.zero_filled)} matched"
            + (f"; zero-filled: {', '.join(self.zero_filled)}" if self.zero_filled else "; none zero-filled"),
        ]
        if self.n_windows:
            half = self.n_windows / 2
            flat = [f"{c} ({n})" for c, n in self.flat.items() if n >= half]
            loud = [f"{c} ({n})" for c, n in self.out_of_range.items() if n >= half]
            lines.append(
                f"           flat in half the windows or more: {', '.join(flat) or 'none'}; "
                f"out of range in half or more: {', '.join(loud) or 'none'} (of {self.n_windows} windows)"
            )
        return lines

    def add(self, row: TimelineRow) -> None:
        self.n_windows += 1
        for name in row.flat_channels:
            self.flat[name] = self.flat.get(name, 0) + 1
        for name in row.out_of_range:
            self.out_of_range[name] = self.out_of_range.get(name, 0) + 1


def _hz(value) -> str:
    return "0" if value is None else f"{value:g}"


def band_coverage(source: str, sfreq: float, recipe: PreprocessingConfig) -> float:
    """The share of the model's band (high-pass to low-pass edge) below the Nyquist frequency of a
    rate of ``sfreq``.

    Raises:
        RecordingError: less than :data:`MIN_BAND_COVERAGE` of it.
    """
    nyquist = sfreq / 2.0
    lo, hi = recipe.l_freq, recipe.h_freq
    bottom = lo or 0.0
    span = (hi if hi is not None else recipe.sfreq / 2) - bottom
    top = min(bottom + span, nyquist)
    coverage = max(0.0, min(1.0, (top - bottom) / span))
    if coverage < MIN_BAND_COVERAGE:
        raise RecordingError(
            f"{source}: sampled at {sfreq:g} Hz, so only {_hz(lo)}–{nyquist:g} Hz of the model's {_hz(lo)}–"
            f"{_hz(hi)} Hz band is in it ({100 * coverage:.0f} %); describing needs at least half of it "
            f"(a rate above {2 * (bottom + MIN_BAND_COVERAGE * span):g} Hz)"
        )
    return coverage


def recording_facts(
    source: str, sfreq: float, ch_names: Sequence[str], bads: Sequence[str], duration, recipe: PreprocessingConfig
) -> RecordingFacts:
    """The facts known before any window is read, and the checks that make a recording (or a
    stream) bad input.

    Raises:
        RecordingError: a rate that leaves less than half of the model's band, or too few of the
            model's channels (one line naming ``source``).
    """
    coverage = band_coverage(source, sfreq, recipe)
    nyquist = sfreq / 2.0
    lo, hi = recipe.l_freq, recipe.h_freq
    top = hi if hi is not None and hi < nyquist else nyquist
    match = channel_match(ch_names, bads, recipe, source)
    l_freq, h_freq, notch = effective_filters(sfreq, recipe)
    filters = [f"high-pass {l_freq:g} Hz" if l_freq else "no high-pass"]
    filters.append(
        f"low-pass {h_freq:g} Hz"
        if h_freq
        else (
            f"low-pass {hi:g} Hz skipped (at or above the Nyquist frequency, {nyquist:g} Hz)" if hi else "no low-pass"
        )
    )
    if recipe.notch_freq:
        filters.append(
            f"notch {notch:g} Hz"
            if notch
            else f"notch {recipe.notch_freq:g} Hz skipped (above the Nyquist frequency, {nyquist:g} Hz)"
        )
    filters.append(f"resampled {sfreq:g} → {recipe.sfreq:g} Hz" if sfreq != recipe.sfreq else "not resampled")
    filters.append("average reference" if recipe.reference == "average" else "no re-reference")
    matched = [t for t, n in zip(recipe.channels, match.source_names) if n]
    return RecordingFacts(
        source=source,
        sfreq=float(sfreq),
        duration=duration,
        n_channels=len(ch_names),
        usable_band=(lo, top),
        model_band=(lo, hi),
        band_coverage=coverage,
        filters=filters,
        matched=matched,
        zero_filled=[t for t in recipe.channels if t not in set(matched)],
    )


# -- windows → rows ------------------------------------------------------------------------------


def describe_chunk(
    chunk: WindowChunk,
    model,
    processor,
    side: ModelSide,
    present: np.ndarray,
    *,
    min_confidence: float,
    batch_size: int = 16,
    max_new_tokens: int = 96,
) -> list[TimelineRow]:
    """Check each window of a chunk and ask the model about those that pass; one row per window.

    ``present``: (n_channels,) bool, the model's channels the recording has (one of them masked in
    the chunk was flat throughout it).
    """
    recipe = side.preprocessing
    names = recipe.channels
    n = len(chunk.index)
    seconds = recipe.window_seconds
    if chunk.eeg is None:  # the recipe rejected the chunk (NaN values, too few usable channels)
        return [
            TimelineRow(float(s), float(s + seconds), NOT_ASSESSABLE, quality=(chunk.problem,)) for s in chunk.starts
        ]
    mask = np.asarray(chunk.channel_mask, dtype=bool)
    present = np.asarray(present, dtype=bool)
    features, channel_log_rms = window_features(chunk.eeg, mask, recipe.sfreq)
    # a channel flat throughout the chunk is masked (zero-filled) by the recipe: still flat here
    flat = (chunk.flat | (present & ~mask)) & present
    reasons = assess(features, channel_log_rms, flat, chunk.clipped & mask, present, side.ranges)
    lo, hi = side.ranges.channel
    with np.errstate(invalid="ignore"):
        loud = (channel_log_rms < lo) | (channel_log_rms > hi)
    rows = []
    for i in range(n):
        flat_here = tuple(c for c, f in zip(names, flat[i]) if f)
        rows.append(
            TimelineRow(
                float(chunk.starts[i]),
                float(chunk.starts[i] + seconds),
                NOT_ASSESSABLE if reasons[i] else "",
                quality=tuple(reasons[i]),
                flat_channels=flat_here,
                out_of_range=tuple(c for c, x, m in zip(names, loud[i], mask) if m and x),
            )
        )
    ask = [i for i in range(n) if not reasons[i]]
    if ask:
        responses = generate_responses(
            model,
            processor,
            [ied_conversation()] * len(ask),
            [[chunk.eeg[i]] for i in ask],
            [[mask]] * len(ask),
            batch_size=batch_size,
            max_new_tokens=max_new_tokens,
            confidence=True,
        )
        for i, response in zip(ask, responses):
            row = rows[i]
            row.emotion, row.text = response.emotion, response.text
            row.confidence = None if response.confidence is None else float(response.confidence)
            row.probabilities = response.probabilities
            row.description = _first_sentence(response.text)
            row.verdict = verdict(row.emotion, row.confidence, (), min_confidence)
    return rows


# -- a whole recording ---------------------------------------------------------------------------


@dataclass
class Timeline:
    """The rows of a recording or a stream, with what is said beside them."""

    rows: list[TimelineRow]
    facts: RecordingFacts
    provenance: Provenance
    settings: dict

    def header(self) -> list[str]:
        lines = [f"model:     {self.settings['model']}: {self.provenance.text}"]
        lines += [self.provenance.warning] if self.provenance.warning else []
        lines += self.facts.lines()
        lines.append(f"checks:    {self.settings['checks']}")
        lines.append(
            f"windows:   {self.settings['window_seconds']:g} s every {self.settings['step_seconds']:g} s; "
            f"'uncertain' below a confidence of {self.settings['min_confidence']:g}"
        )
        return lines

    def summary(self) -> dict[str, int]:
        counts = Counter(r.verdict for r in self.rows)
        return {name: counts[name] for name in (*EMOTIONS, UNCERTAIN, NOT_ASSESSABLE) if counts[name]}

    def to_dict(self) -> dict:
        return {
            "provenance": self.provenance.to_dict(),
            "recording": asdict(self.facts),
            "settings": self.settings,
            "summary": self.summary(),
            "windows": [
                {
                    "start_s": r.start,
                    "verdict": r.verdict,
                    "confidence": r.confidence,
                    "probabilities": r.probabilities,
                    "quality": list(r.quality),
                    **({"latency_s": r.latency} if r.latency is not None else {}),
                }
                for r in self.rows
            ],
        }


def describe_recording(
    recording: str | os.PathLike,
    model,
    processor=None,
    *,
    window_seconds: float = 4.0,
    step_seconds: float | None = None,
    cnt_format: str | None = None,
    batch_size: int = 16,
    max_new_tokens: int = 96,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    out: str | os.PathLike | None = None,
    progress: bool = True,
    verbose=None,
) -> Timeline:
    """Describe each window of ``recording``, abstaining where the model cannot tell.

    Args:
        recording: any file ``e2llm.eeg.read_recording`` reads (EDF, BDF, BrainVision, EEGLAB,
            FIF, CNT with ``cnt_format``); read lazily, a chunk of windows at a time.
        model: an ``E2LLMForConditionalGeneration`` or the directory / Hub id of one.
        processor: its processor (loaded from ``model`` when that is a path).
        window_seconds: window length; must be the model's (4 s).
        step_seconds: step between windows (default: ``window_seconds``).
        min_confidence: answers less confident than this are ``uncertain`` (0–1).
        out: a folder to keep finished windows in (``timeline.partial.jsonl``) as they come; a
            run into the same folder resumes from them. Nothing is written before every check on
            the input has passed. :func:`write_timeline` writes the results there.
        progress: show a progress bar over the windows.

    Raises:
        ValueError / FileNotFoundError: unreadable file, too few of the model's channels, a rate
            that leaves less than half of its band, shorter than one window, a window length
            the model does not take, ``min_confidence`` outside [0, 1].
        KeyboardInterrupt: interrupted; with ``out``, what finished is kept (the message says so).
    """
    min_confidence = check_min_confidence(min_confidence)
    raw = read_recording(recording, cnt_format=cnt_format, verbose=verbose)
    side = model_side(model)  # the config only: the recording is checked before the weights load
    recipe = side.preprocessing
    if abs(window_seconds - recipe.window_seconds) > 1e-9:
        raise InvalidInputError(
            f"{recording}: the model takes {recipe.window_seconds:g} s windows, not {window_seconds:g} s"
        )
    sfreq = float(raw.info["sfreq"])
    facts = recording_facts(str(recording), sfreq, raw.ch_names, raw.info["bads"], raw.n_times / sfreq, recipe)
    starts = window_starts(raw, recipe, step_seconds, source=str(recording))
    settings = run_settings(side, window_seconds, step_seconds, min_confidence)
    rows: dict[int, TimelineRow] = {}
    log = None
    if out is not None:
        log = _partial_log(out, _resume_key(recording, cnt_format, side, starts, max_new_tokens))
        rows = _kept_rows(log, min_confidence)
        if rows:
            print(f"resuming: {len(rows)} of {len(starts)} windows done in {log.path}", flush=True)
    opened = False
    if len(rows) < len(starts) and isinstance(model, (str, os.PathLike)):
        from .inference import load_model_and_processor

        model, processor, _ = load_model_and_processor(model)
    present = np.isin(recipe.channels, facts.matched)
    chunks = iter_window_chunks(
        raw, describe_config(recipe), starts, max_windows=batch_size, skip=list(rows), source=str(recording)
    )
    from tqdm.auto import tqdm

    bar = tqdm(total=len(starts), initial=len(rows), unit="window", desc="describe", disable=not progress)
    try:
        for chunk in chunks:
            new = describe_chunk(
                chunk,
                model,
                processor,
                side,
                present,
                min_confidence=min_confidence,
                batch_size=batch_size,
                max_new_tokens=max_new_tokens,
            )
            fresh = [(int(i), row) for i, row in zip(chunk.index, new) if int(i) not in rows]
            rows.update(fresh)
            if log is not None:
                if not opened:  # the first write into --out, once every input check has passed
                    log.open()
                    opened = True
                log.append([{"index": i, **asdict(row)} for i, row in fresh])
            bar.update(len(fresh))
    except KeyboardInterrupt:
        kept = (
            f"; {len(rows)} of {len(starts)} windows kept in {log.path}: run the same command to resume" if log else ""
        )
        raise KeyboardInterrupt(f"interrupted{kept}") from None
    finally:
        bar.close()
    ordered = [rows[i] for i in sorted(rows)]
    for row in ordered:
        facts.add(row)
    return Timeline(ordered, facts, side.provenance, settings)


def run_settings(side: ModelSide, window_seconds: float, step_seconds: float | None, min_confidence: float) -> dict:
    """What a run was asked to do, for the header and timeline.json."""
    return {
        "model": side.name,
        "window_seconds": window_seconds,
        "step_seconds": step_seconds or window_seconds,
        "min_confidence": min_confidence,
        "checks": side.ranges.describe(),
        "quality_ranges": {"window": side.ranges.window, "channel_log_rms": side.ranges.channel},
    }


# -- resuming ------------------------------------------------------------------------------------


def _resume_key(recording, cnt_format, side: ModelSide, starts: np.ndarray, max_new_tokens: int) -> dict:
    """What the finished windows depend on: a partial file with another key is started over."""
    path = Path(recording).resolve()
    stat = path.stat()
    return {
        "format": PARTIAL_FORMAT,
        "recording": [str(path), stat.st_size, stat.st_mtime_ns, cnt_format],
        "model": side.identity,
        "preprocessing": side.preprocessing.to_dict(),
        "checks": [side.ranges.window, side.ranges.channel],
        "windows": [int(starts[0]), int(starts[1] - starts[0]) if len(starts) > 1 else 0, len(starts)],
        "max_new_tokens": max_new_tokens,
    }


def _partial_log(out, key: dict | None = None) -> RecordLog:
    return RecordLog(Path(out) / PARTIAL_FILE, key or {}, lambda record: record["index"])


def _kept_rows(log: RecordLog, min_confidence: float) -> dict[int, TimelineRow]:
    """The windows a previous run with the same key finished, judged by this run's threshold."""
    rows = {}
    for index, item in log.kept().items():
        item = {k: v for k, v in item.items() if k != "index"}
        for name in ("quality", "flat_channels", "out_of_range"):
            item[name] = tuple(item[name])
        row = TimelineRow(**item)
        row.verdict = verdict(row.emotion, row.confidence, row.quality, min_confidence)
        rows[index] = row
    return rows


# -- output --------------------------------------------------------------------------------------


def format_timeline(timeline: Timeline) -> str:
    """The header, one line per window (time, verdict, confidence, quality or description) and the
    verdicts counted."""
    lines = timeline.header() + ["", f"{'time (s)':>13}  {'verdict':<14} {'conf.':>5}  description"]
    for r in timeline.rows:
        conf = f"{r.confidence:.2f}" if r.confidence is not None else "    –"
        note = f"({', '.join(r.quality)})" if r.quality else r.description
        if r.verdict == UNCERTAIN and r.emotion:
            note = f"[{r.emotion}] {note}"
        lines.append(f"{r.start:6.1f}–{r.end:6.1f}  {r.verdict:<14} {conf:>5}  {note}")
    counts = ", ".join(f"{name} {n}" for name, n in timeline.summary().items())
    lines += ["", f"{len(timeline.rows)} windows: {counts or 'none'}"]
    return "\n".join(lines)


CSV_COLUMNS = ("start_s", "end_s", "verdict", "emotion", "confidence", "quality", "description", "answer")


def csv_row(row: TimelineRow) -> list[str]:
    confidence = "" if row.confidence is None else f"{row.confidence:.4f}"
    quality = ";".join(row.quality) or "ok"
    return [
        f"{row.start:.3f}",
        f"{row.end:.3f}",
        row.verdict,
        row.emotion,
        confidence,
        quality,
        row.description,
        row.text,
    ]


def write_timeline(timeline: Timeline, out_dir: str | os.PathLike, title: str = "") -> Path:
    """``timeline.csv`` (one row per window), ``timeline.json`` (provenance, recording facts,
    settings, counts, per-window probabilities) and ``timeline.png`` in ``out_dir``, each written
    under a temporary name (``e2llm.runs.atomic``) and moved in place only when all three are complete:
    an error leaves the previous files as they were. A finished run's ``timeline.partial.jsonl``
    is removed afterwards."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with (
        atomic_file(out / "timeline.csv") as csv_tmp,
        atomic_file(out / "timeline.json") as json_tmp,
        atomic_file(out / "timeline.png") as png_tmp,
    ):
        with open(csv_tmp, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(CSV_COLUMNS + (("latency_s",) if _live(timeline) else ()))
            for r in timeline.rows:
                writer.writerow(csv_row(r) + ([f"{r.latency:.3f}"] if _live(timeline) else []))
        json_tmp.write_text(json.dumps(timeline.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        plot_timeline(timeline, png_tmp, title=title)
    _partial_log(out).remove()
    return out


def _live(timeline: Timeline) -> bool:
    return timeline.facts.duration is None


def plot_timeline(timeline: Timeline, path, title: str = "") -> None:
    """Save :func:`timeline_figure` as a PNG."""
    import matplotlib.pyplot as plt

    fig = timeline_figure(timeline, title)
    try:
        fig.savefig(path, dpi=120, format="png")
    finally:
        plt.close(fig)


def timeline_figure(timeline: Timeline, title: str = ""):
    """Emotion lanes with bar opacity = confidence, ``uncertain`` hatched, ``not assessable`` grey; a
    confidence track below, with the threshold (dashed) and the not-assessable windows shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lanes = [*EMOTIONS, UNCERTAIN, NOT_ASSESSABLE]
    colors = dict(zip(EMOTIONS, plt.get_cmap("tab10").colors))
    grey = (0.6, 0.6, 0.6, 1.0)
    width = max(6, min(20, len(timeline.rows) * 0.4))
    fig, (ax, track) = plt.subplots(2, 1, figsize=(width, 4.6), sharex=True, height_ratios=(3, 1))
    for k, lane in enumerate(lanes):
        rows = [r for r in timeline.rows if r.verdict == lane]
        if not rows:
            continue
        faces = [
            grey if lane == NOT_ASSESSABLE else (*colors.get(r.emotion, grey[:3]), _alpha(r.confidence)) for r in rows
        ]
        ax.broken_barh(
            [(r.start, r.end - r.start) for r in rows],
            (k - 0.4, 0.8),
            facecolors=faces,
            edgecolor="white",
            hatch="//" if lane == UNCERTAIN else None,
        )
    ax.set_yticks(range(len(lanes)), lanes)
    ax.set_ylim(len(lanes) - 0.5, -0.5)
    times = [r.start for r in timeline.rows] + ([timeline.rows[-1].end] if timeline.rows else [])
    values = [np.nan if r.confidence is None or r.quality else r.confidence for r in timeline.rows]
    if timeline.rows:
        track.stairs(values, times, color="black", baseline=None)
        gaps = [(r.start, r.end - r.start) for r in timeline.rows if r.verdict == NOT_ASSESSABLE]
        track.broken_barh(gaps, (0, 1), facecolors=(0.85, 0.85, 0.85, 1.0))
    track.axhline(timeline.settings["min_confidence"], color="tab:red", linestyle="--", linewidth=1)
    track.set_ylim(0, 1)
    track.set_ylabel("confidence")
    track.set_xlabel("time (s)")
    heading = title or "Emotion timeline (E2LLM)"
    if timeline.provenance.synthetic:
        heading += "\nmodel trained on SYNTHETIC EEG"
    ax.set_title(heading)
    fig.tight_layout()
    return fig


def _alpha(confidence: float | None) -> float:
    return 0.25 if confidence is None else 0.25 + 0.75 * float(confidence)


# -- questions about chosen windows (the browser app) --------------------------------------------


def window_segments(
    recording: str | os.PathLike,
    model,
    indices: Sequence[int],
    *,
    step_seconds: float | None = None,
    cnt_format: str | None = None,
    batch_size: int = 16,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The EEG of windows ``indices`` (positions in :func:`describe_recording`'s rows) and their
    channel masks, exactly as ``describe_recording`` with the same settings gave them to the model:
    the same chunks of ``batch_size`` windows, preprocessed by the same recipe.

    Raises:
        InvalidInputError: a window that is not in the recording, or whose chunk the recipe
            rejected (it is ``not assessable``); and as :func:`describe_recording` for the file.
    """
    raw = read_recording(recording, cnt_format=cnt_format)
    recipe = (model if isinstance(model, ModelSide) else model_side(model)).preprocessing
    starts = window_starts(raw, recipe, step_seconds, source=str(recording))
    wanted = [int(i) for i in indices]
    if any(not 0 <= i < len(starts) for i in wanted):
        raise InvalidInputError(f"{recording}: windows are numbered 1 to {len(starts)}")
    skip = sorted(set(range(len(starts))) - set(wanted))
    found = {}
    chunks = iter_window_chunks(
        raw, describe_config(recipe), starts, max_windows=batch_size, skip=skip, source=str(recording)
    )
    for chunk in chunks:
        for k, i in enumerate(int(i) for i in chunk.index):
            if i in wanted:
                if chunk.eeg is None:
                    raise InvalidInputError(f"window {i + 1} is not assessable ({chunk.problem})")
                found[i] = (chunk.eeg[k], np.asarray(chunk.channel_mask, dtype=bool))
    return [found[i][0] for i in wanted], [found[i][1] for i in wanted]


@dataclass
class Reply:
    """The model's answer to a :class:`~e2llm.tasks.questions.Question` so far.

    ``turns``: its turns' texts (ESR: two); ``answer``: when done, the task's parsed answer
    (:func:`e2llm.tasks.parse_answer`; None for a question of one's own); ``confidence`` and
    ``probabilities``: IED's, as in a timeline row."""

    turns: list[str]
    done: bool = False
    answer: str | None = None
    confidence: float | None = None
    probabilities: dict | None = None


def ask_windows(
    model, processor, question: Question, segments, masks=None, *, max_new_tokens: int = 256
) -> Iterator[Reply]:
    """Ask ``question`` about the windows ``segments`` (from :func:`window_segments`), yielding
    the answer as it is generated: greedy, by :func:`~e2llm.evaluation.generation.stream_response`
    (``generate_responses``), with IED's confidence; ESR's second question follows the model's own
    first answer, as in ``e2llm evaluate``. Text the user wrote cannot pose as an EEG marker."""
    from .evaluation.generation import neutralize_markers, stream_response
    from .tasks import parse_answer

    if len(segments) != question.n_windows:
        raise InvalidInputError(f"the question is about {question.n_windows} window(s), {len(segments)} given")
    segments = question.in_order(segments)
    masks = None if masks is None else question.in_order(masks)
    conversation: list[dict] = []
    done: list[str] = []
    result = None
    for turn in question.turns:
        conversation.append(_neutralized(turn, processor))
        stream = stream_response(
            model,
            processor,
            conversation,
            segments,
            masks,
            max_new_tokens=max_new_tokens,
            confidence=question.task == "ied",
        )
        for text, final in stream:
            result = final
            yield Reply([*done, text])
        done.append(text)
        safe = neutralize_markers(text, processor)
        conversation.append({"role": "assistant", "content": [{"type": "text", "text": safe}]})
    reply = Reply(done, done=True)
    if question.task in TASK_WINDOWS:
        reply.answer = parse_answer(question.task, done[-1])
    if getattr(result, "confidence", None) is not None:
        reply.confidence, reply.probabilities = float(result.confidence), result.probabilities
    yield reply


def _neutralized(turn: dict, processor) -> dict:
    from .evaluation.generation import neutralize_markers

    parts = [
        {"type": "text", "text": neutralize_markers(p["text"], processor)} if p["type"] == "text" else p
        for p in turn["content"]
    ]
    return {"role": turn["role"], "content": parts}


__all__ = [
    "DEFAULT_MIN_CONFIDENCE",
    "NOT_ASSESSABLE",
    "RecordingFacts",
    "Reply",
    "Timeline",
    "TimelineRow",
    "UNCERTAIN",
    "band_coverage",
    "describe_chunk",
    "ask_windows",
    "describe_recording",
    "format_timeline",
    "ied_conversation",
    "model_side",
    "plot_timeline",
    "recording_facts",
    "run_settings",
    "timeline_figure",
    "verdict",
    "window_segments",
    "write_timeline",
]
