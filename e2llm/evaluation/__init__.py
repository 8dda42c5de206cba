"""Evaluation of E2LLM models: generation, answer parsing, metrics, paper-style tables and plots.

- :func:`evaluate_model` (``e2llm evaluate``): greedy generation over the test sets of a task
  directory (IED; EPC, ESS, EIM; ESR as a real two-turn conversation), parsing, metrics, and the
  outputs ``generations.jsonl``, ``metrics.json``, ``report.md`` and PNG plots; resumable.
- :func:`compare_runs` (``e2llm compare``): Tables 2 and 4 over several runs.
- Signal controls (:mod:`.controls`), the IED answers' confidence and calibration
  (:mod:`.confidence`), 95 % intervals on every score (the metric module) and the split's
  leakage audit (``e2llm.datasets_builder.audit``) go into every run's ``metrics.json`` and
  ``report.md``.
- :func:`generate_responses`: batched greedy generation over chat conversations with EEG (left
  padding, mixed 1–3-segment prompts), shared with the demo and the benchmark.
- The metrics are a local ``evaluate`` module, ``metric/e2llm_metrics.py`` (:data:`METRIC_PATH`;
  :func:`load_metric` loads it without network), computed with scikit-learn.
"""

from ..inference import load_model_and_processor
from .generation import chat_messages, generate_responses, greedy_generation_config, segment_ids_of
from .metric import METRIC_PATH
from .metric.e2llm_metrics import CHANCE, accuracy_scores, classification_scores, random_baseline
from .report import compare_runs, format_evaluation, write_report
from .runner import EVAL_SPLITS, evaluate_model
from .scoring import compute_metrics, load_metric, read_generations

__all__ = [
    "CHANCE",
    "EVAL_SPLITS",
    "METRIC_PATH",
    "accuracy_scores",
    "chat_messages",
    "classification_scores",
    "compare_runs",
    "compute_metrics",
    "evaluate_model",
    "format_evaluation",
    "generate_responses",
    "greedy_generation_config",
    "load_metric",
    "load_model_and_processor",
    "random_baseline",
    "read_generations",
    "segment_ids_of",
    "write_report",
]
