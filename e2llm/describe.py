"""``e2llm describe``: a timeline of emotion descriptions for any recording.

The recording is read with MNE, preprocessed exactly as for training (``e2llm.eeg``), cut into
4 s windows, and each window is asked the IED question; the answers are parsed into an emotion
label and a one-line description per window.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from transformers import AutoConfig

from .atomic import atomic_file
from .configuration_e2llm import EMOTIONS
from .eeg import PreprocessingConfig, cut_windows, preprocess_raw, read_recording
from .evaluation.generation import generate_responses
from .evaluation.runner import load_model_and_processor
from .paths import check_model_location
from .tasks import parse_answer
from .tasks.templates import IED_QUESTIONS

IED_QUESTION = IED_QUESTIONS[0]  # "Describe the emotion of {e1}."


@dataclass
class TimelineRow:
    start: float  # s from the recording's start
    end: float
    emotion: str  # one of EMOTIONS, or "invalid" when the answer names none
    description: str  # the first sentence of the answer
    text: str  # the whole answer


def ied_conversation() -> list[dict]:
    """The IED question about one EEG segment, as chat messages."""
    before, after = IED_QUESTION.split("{e1}")
    parts = ([{"type": "text", "text": before}] if before else []) + [{"type": "eeg"}]
    parts += [{"type": "text", "text": after}] if after else []
    return [{"role": "user", "content": parts}]


def _first_sentence(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    for stop in (". ", "! ", "? "):
        if stop in line:
            return line.split(stop)[0] + stop.strip()
    return line


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
    verbose=None,
) -> list[TimelineRow]:
    """Describe each window of ``recording``.

    Args:
        recording: any file ``e2llm.eeg.read_recording`` reads (EDF, BDF, BrainVision, EEGLAB,
            FIF, CNT with ``cnt_format``).
        model: an ``E2LLMForConditionalGeneration`` or the directory / Hub id of one.
        processor: its processor (loaded from ``model`` when that is a path).
        window_seconds: window length; must be the model's (4 s).
        step_seconds: step between windows (default: ``window_seconds``).

    Raises:
        ValueError / FileNotFoundError: unreadable file, too few EEGPT channels, shorter than one
            window, NaN or flat channels, a window length the model does not take.
    """
    raw = read_recording(recording, cnt_format=cnt_format, verbose=verbose)
    if isinstance(model, (str, os.PathLike)):  # check the recording before loading the weights
        check_model_location(model)
        eeg_config = AutoConfig.from_pretrained(model).eeg_config
    else:
        eeg_config = model.config.eeg_config
    expected = eeg_config.num_samples / eeg_config.sampling_rate
    if abs(window_seconds - expected) > 1e-9:
        raise ValueError(f"{recording}: the model takes {expected:g} s windows, not {window_seconds:g} s")
    config = PreprocessingConfig(channels=tuple(eeg_config.channel_names), sfreq=eeg_config.sampling_rate)
    pre = preprocess_raw(raw, config, source=str(recording), verbose=verbose)
    windows, starts = cut_windows(pre, window_seconds, step_seconds)
    if isinstance(model, (str, os.PathLike)):
        model, processor, _ = load_model_and_processor(model)
    conversation = ied_conversation()
    texts = generate_responses(
        model,
        processor,
        [conversation] * len(windows),
        [[w] for w in windows],
        [[pre.channel_mask]] * len(windows),
        batch_size=batch_size,
        max_new_tokens=max_new_tokens,
    )
    return [
        TimelineRow(float(s), float(s + window_seconds), parse_answer("ied", t), _first_sentence(t), t)
        for s, t in zip(starts, texts)
    ]


def format_timeline(rows: list[TimelineRow]) -> str:
    lines = [f"{'time (s)':>13}  {'emotion':<9} description"]
    lines += [f"{r.start:6.1f}–{r.end:6.1f}  {r.emotion:<9} {r.description}" for r in rows]
    return "\n".join(lines)


def write_timeline(rows: list[TimelineRow], out_dir: str | os.PathLike, title: str = "") -> Path:
    """``timeline.csv`` and ``timeline.png`` in ``out_dir``, each written beside its destination
    under a temporary name (``e2llm.atomic``) and moved in place only when both are complete: an
    error leaves the previous files as they were and no temporary file behind."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_file(out / "timeline.csv") as csv_tmp, atomic_file(out / "timeline.png") as png_tmp:
        with open(csv_tmp, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["start_s", "end_s", "emotion", "description", "answer"])
            for r in rows:
                writer.writerow([f"{r.start:.3f}", f"{r.end:.3f}", r.emotion, r.description, r.text])
        labels = list(EMOTIONS) + ["invalid"]
        colors = plt.get_cmap("tab10").colors
        fig, ax = plt.subplots(figsize=(max(6, min(20, len(rows) * 0.4)), 3.2))
        for r in rows:
            k = labels.index(r.emotion) if r.emotion in labels else len(labels) - 1
            ax.barh(k, r.end - r.start, left=r.start, color=colors[k % len(colors)], edgecolor="white")
        ax.set_yticks(range(len(labels)), labels)
        ax.set_xlabel("time (s)")
        ax.set_title(title or "Emotion timeline (E2LLM)")
        ax.invert_yaxis()
        fig.tight_layout()
        try:
            fig.savefig(png_tmp, dpi=120, format="png")
        finally:
            plt.close(fig)
    return out
