"""``e2llm demo``: the whole pipeline on synthetic data with a real pretrained LM (see
:mod:`e2llm.demo.pipeline`); its sizes per machine are in :mod:`e2llm.demo.sizes`."""

from .pipeline import MODEL_FOLDER_FILES, export_model, run_demo, show_example
from .sizes import DEMO_SIZES, DemoSizes, default_size, lm_dtype

__all__ = [
    "DEMO_SIZES",
    "DemoSizes",
    "default_size",
    "export_model",
    "MODEL_FOLDER_FILES",
    "lm_dtype",
    "run_demo",
    "show_example",
]
