"""Instruction data of the five E2LLM tasks (IED, EPC, ESS, EIM, ESR) and answer parsing.

- :mod:`.rules`: the ground-truth rules and canonical answer formats (read its docstring);
- :mod:`.templates`: question paraphrases, emotion descriptions, EIM and ESR scenario banks;
- :mod:`.builders`: one builder per task and :func:`build_task_datasets` (the ``e2llm
  build-tasks`` command), which writes a ``datasets.DatasetDict`` of chat ``messages``;
- :mod:`.parsing`: :func:`parse_answer` and its per-task helpers, used by the evaluation.
"""

from .builders import (
    SPLITS,
    SegmentIndex,
    build_eim,
    build_epc,
    build_esr,
    build_ess,
    build_ied,
    build_task_datasets,
    build_task_samples,
    esr_scenarios,
    esr_turns,
    format_counts,
    load_segment_indexes,
    load_task_datasets,
    message_text,
    prompt_messages,
    reference_answer,
    segment_ids_of,
    task_counts,
)
from .parsing import (
    INVALID,
    parse_answer,
    parse_comparison,
    parse_emotion,
    parse_matching,
    parse_option,
)
from .rules import EPC_ANSWERS, HAPPINESS, MULTI_TASKS, OPTIONS, TASKS, TRAIN_TASKS

__all__ = [
    "EPC_ANSWERS",
    "HAPPINESS",
    "INVALID",
    "MULTI_TASKS",
    "OPTIONS",
    "SPLITS",
    "TASKS",
    "TRAIN_TASKS",
    "SegmentIndex",
    "build_eim",
    "build_epc",
    "build_esr",
    "build_ess",
    "build_ied",
    "build_task_datasets",
    "build_task_samples",
    "esr_scenarios",
    "esr_turns",
    "format_counts",
    "load_segment_indexes",
    "load_task_datasets",
    "message_text",
    "parse_answer",
    "parse_comparison",
    "parse_emotion",
    "parse_matching",
    "parse_option",
    "prompt_messages",
    "reference_answer",
    "segment_ids_of",
    "task_counts",
]
