"""Raw recordings → Hugging Face ``datasets`` of preprocessed, emotion-labelled EEG segments.

``build_segments`` (what ``e2llm prepare`` runs) writes a ``DatasetDict`` with splits ``train``
and ``test``; ``load_segments`` opens it and ``SegmentLookup`` reads single segments by id.
"""

from .audit import audit_segments, format_audit, leakage_audit
from .builder import PIPELINE_VERSION, SYNTHETIC_PREFIX, BuildResult, build_segments, fingerprint, format_summary
from .config import BuildConfig
from .lookup import COLUMNS, SegmentLookup, load_segments, read_summary, segment_features
from .pseudonyms import Pseudonymizer, default_key_path
from .sources import FORMATS, RecordingTask, detect_format, discover, is_synthetic
from .splits import PAPER_TEST_FRACTION, SPLITS, assign_test

__all__ = [
    "BuildConfig",
    "COLUMNS",
    "FORMATS",
    "PAPER_TEST_FRACTION",
    "PIPELINE_VERSION",
    "SPLITS",
    "SYNTHETIC_PREFIX",
    "BuildResult",
    "Pseudonymizer",
    "RecordingTask",
    "SegmentLookup",
    "assign_test",
    "audit_segments",
    "build_segments",
    "default_key_path",
    "detect_format",
    "discover",
    "fingerprint",
    "format_audit",
    "format_summary",
    "is_synthetic",
    "leakage_audit",
    "load_segments",
    "read_summary",
    "segment_features",
]
