"""The local ``evaluate`` metric module of E2LLM (``e2llm_metrics.py``), shipped as package data.

Load it with ``evaluate.load(str(METRIC_PATH))`` (no network) or import its functions directly.
"""

from pathlib import Path

METRIC_PATH = Path(__file__).with_name("e2llm_metrics.py")

__all__ = ["METRIC_PATH"]
