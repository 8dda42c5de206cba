"""Instruction data of the five E2LLM tasks (IED, EPC, ESS, EIM, ESR) and answer parsing.

- :mod:`.rules`: the ground-truth rules and canonical answer formats (read its docstring);
- :mod:`.templates`: question paraphrases, emotion descriptions, EIM and ESR scenario banks;
- :mod:`.builders`: one builder per task, and the sample format;
- :mod:`.dataset`: :func:`build_task_datasets` (the ``e2llm build-tasks`` command), which writes
  every split as a ``datasets.DatasetDict`` of chat ``messages``, and its loading;
- :mod:`.messages`: reading stored samples (prompt, reference answer, segments), for training
  and evaluation;
- :mod:`.parsing`: :func:`parse_answer` and its per-task helpers, used by the evaluation.
"""

from .builders import SegmentIndex, build_eim, build_epc, build_esr, build_ess, build_ied, esr_scenarios
from .dataset import (
    SPLITS,
    build_task_datasets,
    build_task_samples,
    ensure_task_datasets,
    format_counts,
    load_segment_indexes,
    load_task_datasets,
    task_counts,
)
from .messages import esr_turns, message_text, prompt_messages, reference_answer, segment_ids_of
from .parsing import INVALID, parse_answer, parse_comparison, parse_emotion, parse_matching, parse_option
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
    "ensure_task_datasets",
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
