"""Training: collators, encoder-output cache, the three stages and the run orchestration."""

from .collators import E2LLMDataCollator, EEGClassificationCollator, EncoderOutputCache
from .stages import (
    ABLATIONS,
    ALIGN,
    ENCODER,
    SFT,
    STAGES,
    E2LLMArguments,
    Stage,
    Stage1Arguments,
    freeze_for_stage,
    parameter_table,
    train_encoder,
    train_sft,
)

__all__ = [
    "ABLATIONS",
    "ALIGN",
    "ENCODER",
    "SFT",
    "STAGES",
    "Stage",
    "E2LLMArguments",
    "E2LLMDataCollator",
    "EEGClassificationCollator",
    "EncoderOutputCache",
    "Stage1Arguments",
    "freeze_for_stage",
    "parameter_table",
    "train_encoder",
    "train_sft",
]
