"""Raw recordings → Hugging Face ``datasets`` of preprocessed, emotion-labelled EEG segments.

``build_segments`` (what ``e2llm prepare`` runs) writes a ``DatasetDict`` with splits ``train``
and ``test``; ``load_segments`` opens it and ``SegmentLookup`` reads single segments by id.
"""

from .builder import PIPELINE_VERSION, SYNTHETIC_PREFIX, BuildResult, build_segments, fingerprint, format_summary, segment_features
from .lookup import COLUMNS, SegmentLookup, load_segments, read_summary
from .sources import FORMATS, RecordingTask, detect_format, discover, is_synthetic
from .splits import PAPER_TEST_FRACTION, SPLITS, assign_test

__all__ = [
    "BuildResult",
    "COLUMNS",
    "FORMATS",
    "PAPER_TEST_FRACTION",
    "PIPELINE_VERSION",
    "SPLITS",
    "SYNTHETIC_PREFIX",
    "RecordingTask",
    "SegmentLookup",
    "assign_test",
    "build_segments",
    "detect_format",
    "discover",
    "fingerprint",
    "format_summary",
    "is_synthetic",
    "load_segments",
    "read_summary",
    "segment_features",
]
