"""What a model was trained on: recorded when it is trained, read back by ``e2llm describe``.

Training (stages 2 and 3) stores :func:`training_data_record` in ``E2LLMConfig.training_data``:
whether the segments were synthetic, their description and preprocessing, and summary statistics
of the training windows (:func:`e2llm.eeg.quality.eeg_statistics`), so that a described window can
be checked against the training data without the dataset. :func:`model_provenance` reads it back,
and for models saved before it existed falls back to what the model folder says (the stage marker
``e2llm_stage.json`` or the model card).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .eeg.preprocessing import PreprocessingConfig
from .eeg.quality import eeg_statistics
from .eeg.synthetic import is_synthetic_description
from .runs.artifacts import MARKER, Artifact

RECORD_VERSION = 1
SYNTHETIC_WARNING = (
    "WARNING: this model was trained on SYNTHETIC EEG (generated, not recorded from people); what it says "
    "about a real recording is no evidence of anyone's emotions."
)


def training_data_record(segments_dir, segment_ids: Sequence[str], segments, *, max_windows: int = 2048) -> dict:
    """What a training run's EEG was: plain JSON for ``E2LLMConfig.training_data``.

    Args:
        segments_dir: the segments dataset (``e2llm prepare``'s output) the run reads.
        segment_ids: the ids of the segments the run trains on (repeats allowed).
        segments: indexable by id, giving ``(eeg (58, T) mV, channel_mask (58,))`` (a
            ``SegmentLookup``).
        max_windows: statistics are computed on at most this many segments, evenly spaced over
            the sorted ids (deterministic).
    """
    from .datasets_builder.lookup import load_segments, read_summary

    summary = read_summary(segments_dir) or {}
    description = summary.get("description") or load_segments(segments_dir)["train"].info.description or ""
    synthetic = bool(summary.get("synthetic")) or is_synthetic_description(description)
    settings = (summary.get("settings") or {}).get("preprocessing") or PreprocessingConfig().to_dict()
    ids = sorted(set(segment_ids))
    chosen = [ids[int(i)] for i in np.unique(np.linspace(0, len(ids) - 1, min(max_windows, len(ids))).round())]

    def batches():
        for start in range(0, len(chosen), 64):
            pairs = [segments[i] for i in chosen[start : start + 64]]
            yield np.stack([eeg for eeg, _ in pairs]), np.stack([mask for _, mask in pairs])

    return {
        "version": RECORD_VERSION,
        "synthetic": synthetic,
        "description": description[:400],
        "n_segments": len(ids),
        "preprocessing": {key: settings.get(key) for key in ("l_freq", "h_freq", "notch_freq", "sfreq", "reference")},
        "eeg_statistics": eeg_statistics(batches(), sfreq=float(settings.get("sfreq") or 256.0)),
    }


@dataclass(frozen=True)
class Provenance:
    """What ``describe`` can say about a model's training data.

    Attributes:
        synthetic: True / False, or None when unknown.
        text: one line saying what the model was trained on and where that comes from.
        statistics: the training windows' statistics, or None.
        band: the band-pass edges (Hz) of the training data's preprocessing.
    """

    synthetic: bool | None
    text: str
    statistics: dict | None
    band: tuple[float | None, float | None]

    @property
    def warning(self) -> str | None:
        """The one-line warning a model trained on synthetic data gets, else None."""
        return SYNTHETIC_WARNING if self.synthetic else None

    def to_dict(self) -> dict:
        return {
            "synthetic": self.synthetic,
            "text": self.text,
            "band_hz": list(self.band),
            "statistics": self.statistics,
            "warning": self.warning,
        }


def model_provenance(config, model_dir: str | Path | None = None) -> Provenance:
    """Read what the model was trained on from its config (``training_data``), else from its
    folder: the stage marker's ``synthetic`` flag (the demo's models) or a card tagged
    ``synthetic-data``.

    Args:
        config: an ``E2LLMConfig``.
        model_dir: the model's local folder, if it has one.
    """
    default = PreprocessingConfig()
    record = getattr(config, "training_data", None)
    if record:
        settings = record.get("preprocessing") or {}
        band = (settings.get("l_freq", default.l_freq), settings.get("h_freq", default.h_freq))
        synthetic = bool(record.get("synthetic"))
        kind = "SYNTHETIC EEG" if synthetic else "EEG"
        n = record.get("n_segments")
        first = (record.get("description") or "").split("; ")[0]
        text = f"trained on {n} segments of {kind}" + (f" ({first})" if first else "") + " (the model's config)"
        return Provenance(synthetic, text, record.get("eeg_statistics"), band)
    band = (default.l_freq, default.h_freq)
    folder = Path(model_dir) if model_dir is not None else None
    flag = Artifact(folder).marker().get("synthetic") if folder is not None else None
    if flag is not None:
        kind = "SYNTHETIC EEG" if flag else "recorded EEG"
        return Provenance(bool(flag), f"trained on {kind} (its {MARKER}; no training statistics)", None, band)
    card = folder / "README.md" if folder is not None else None
    if card is not None and card.is_file() and "synthetic-data" in card.read_text(encoding="utf-8", errors="replace"):
        return Provenance(True, "trained on SYNTHETIC EEG (its model card; no training statistics)", None, band)
    return Provenance(None, "training data unknown: the model carries no record of it", None, band)


__all__ = ["Provenance", "SYNTHETIC_WARNING", "model_provenance", "training_data_record"]
