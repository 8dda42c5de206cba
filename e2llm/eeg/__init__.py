"""The signal side of E2LLM: channels, the paper's preprocessing, readers and synthetic data.

MNE-based; nothing here is part of the model a Hub repository carries.
"""

from .channels import CHANNEL_ALIASES, SEED_VII_CHANNELS, ChannelMatch, match_channels
from .errors import EEGReadError, RecordingError, SystemReadError
from .formats import RECORDING_SUFFIXES
from .preprocessing import (
    LabeledSpan,
    PreprocessedEEG,
    PreprocessingConfig,
    Segment,
    channel_match,
    crop_offset,
    cut_windows,
    effective_filters,
    filter_context,
    output_samples,
    preprocess_raw,
    segments_from_spans,
    window_offsets,
)
from .readers import labels_from_annotations, read_labels_csv, read_recording
from .seed_vii import SEED_VII_CLIP_EMOTIONS, read_seed_vii_labels, seed_vii_clip_spans, seed_vii_mat_clip
from .synthetic import SYNTHETIC_MARKER, synthesize_eeg, synthetic_raw, write_synthetic_seed_vii
from .windows import WindowChunk, describe_config, iter_window_chunks, window_starts

__all__ = [
    "CHANNEL_ALIASES",
    "ChannelMatch",
    "LabeledSpan",
    "PreprocessedEEG",
    "PreprocessingConfig",
    "RECORDING_SUFFIXES",
    "EEGReadError",
    "RecordingError",
    "SystemReadError",
    "SEED_VII_CHANNELS",
    "SEED_VII_CLIP_EMOTIONS",
    "SYNTHETIC_MARKER",
    "Segment",
    "WindowChunk",
    "channel_match",
    "crop_offset",
    "cut_windows",
    "describe_config",
    "effective_filters",
    "filter_context",
    "iter_window_chunks",
    "output_samples",
    "labels_from_annotations",
    "match_channels",
    "preprocess_raw",
    "read_labels_csv",
    "read_recording",
    "read_seed_vii_labels",
    "seed_vii_clip_spans",
    "seed_vii_mat_clip",
    "segments_from_spans",
    "synthesize_eeg",
    "synthetic_raw",
    "window_offsets",
    "window_starts",
    "write_synthetic_seed_vii",
]
