"""Training: collators, encoder-output cache, the three stages and the run orchestration."""

from .collators import E2LLMDataCollator, EEGClassificationCollator, EncoderOutputCache
from .stages import (
    E2LLMArguments,
    Stage1Arguments,
    artifact_exists,
    freeze_for_stage,
    parameter_table,
    train_encoder,
    train_sft,
)

__all__ = [
    "E2LLMArguments",
    "E2LLMDataCollator",
    "EEGClassificationCollator",
    "EncoderOutputCache",
    "Stage1Arguments",
    "artifact_exists",
    "freeze_for_stage",
    "parameter_table",
    "train_encoder",
    "train_sft",
]
