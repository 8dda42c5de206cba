"""Shared fixtures: a tiny tokenizer trained here, a tiny model and processor (CPU, seconds)."""

from __future__ import annotations

import os

# No test may reach the Hub: the offline-cache tests populate a cache of their own.
os.environ["HF_HUB_OFFLINE"] = "1"

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from e2llm.configuration_e2llm import EMOTIONS  # noqa: E402

# Fixtures that train, run the reduced demo or build demo-sized data: a test using one is slow
# (``pytest -m "not slow"`` is the quick loop; CI runs everything).
SLOW_FIXTURES = {"demo", "pipeline", "eeg_demo_size_segments", "eeg_small_segments", "eeg_small_synthetic", "smollm2"}

# The real recordings of ../shared/data/real-eeg (see its README), beside the repository.
REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real-eeg"
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason=f"real EEG test files not found at {REAL}")

TOKENIZER_CORPUS = [
    f"The EEG signals indicate a state of {e}, seen in the rhythm of the recording. Emotion: {e}" for e in EMOTIONS
] + [
    "Describe the emotion of this EEG. Is the individual happier than the other one? Answer: (a) (b) (c) yes no",
    "Given three segments of EEG signals, select the saddest. Match the segments to the scenarios.",
] * 20


def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def tiny_tokenizer():
    from e2llm.tokenization import train_tokenizer

    return train_tokenizer(TOKENIZER_CORPUS * 5, vocab_size=400)


@pytest.fixture()
def tiny_model_and_processor(tiny_tokenizer):
    """A freshly initialised tiny E2LLM (seeded) and its processor."""
    import copy

    from e2llm.assembly import build_model

    torch.manual_seed(0)
    model, processor = build_model("tiny", copy.deepcopy(tiny_tokenizer))
    return model.eval(), processor


def scrambled_tiny_model(tokenizer, seed: int = 0, std: float = 0.2):
    """A tiny E2LLM whose weights are drawn with std 0.2: a tiny LM initialised at the usual 0.02 only
    repeats its last prompt token, which would make comparisons of outputs vacuous."""
    import copy

    from e2llm.assembly import build_model

    torch.manual_seed(seed)
    model, processor = build_model("tiny", copy.deepcopy(tokenizer))
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in model.parameters():
            if param.dim() >= 2:
                param.copy_(torch.randn(param.shape, generator=generator) * std)
    return model.eval(), processor


@pytest.fixture(scope="module")
def tiny(tiny_tokenizer):
    """A tiny E2LLM with weights drawn with std 0.2 (:func:`scrambled_tiny_model`) and its processor."""
    return scrambled_tiny_model(tiny_tokenizer)


def make_segments(path, n_train_per=1, n_test_per=4, seed=0):
    """A segments DatasetDict with the schema of ``e2llm prepare``: synthetic, random EEG noise."""
    import datasets
    from datasets import Dataset, DatasetDict, DatasetInfo

    from e2llm.datasets_builder import segment_features

    features = segment_features()  # the pipeline's schema
    rng = np.random.default_rng(seed)

    def split(name, n_per):
        rows = [
            {
                "id": f"{name}/s{k:02d}/{e}/{k:03d}",
                "eeg": (rng.standard_normal((58, 1024)) * 0.05).astype(np.float32),
                "channel_mask": [c != 7 for c in range(58)],
                "emotion": i,
                "subject": f"s{k:02d}",
                "session": 1,
                "clip": i,
                "segment": k,
                "source": "synthetic",
            }  # fmt: skip
            for i, e in enumerate(EMOTIONS)
            for k in range(n_per)
        ]
        info = DatasetInfo(description="SYNTHETIC DATA — random segments for tests", features=features)
        return Dataset.from_list(rows, features=features, info=info)

    datasets.disable_progress_bars()
    DatasetDict({"train": split("train", n_train_per), "test": split("test", n_test_per)}).save_to_disk(str(path))
    return path


def save_tiny_lm(tokenizer, path, seed: int = 0) -> str:
    """A freshly initialised (random) causal LM of the tiny preset's text size, saved with its
    tokenizer as a Hugging Face folder: what a user's local LM folder looks like, in milliseconds."""
    from transformers import AutoConfig, AutoModelForCausalLM

    from e2llm.presets import PRESETS

    text = dict(PRESETS["tiny"]["text"])
    config = AutoConfig.for_model(text.pop("model_type"), vocab_size=len(tokenizer), **text)
    config.eos_token_id, config.pad_token_id = tokenizer.eos_token_id, tokenizer.pad_token_id
    torch.manual_seed(seed)
    AutoModelForCausalLM.from_config(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


def random_eeg(n: int, seed: int = 0, channels: int = 58, samples: int = 1024) -> list[np.ndarray]:
    """Synthetic EEG-shaped noise in mV (random, labelled as such: for shape and plumbing tests)."""
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((channels, samples)) * 0.02).astype(np.float32) for _ in range(n)]


def write_toy_segments(path, n_train_per_emotion: int = 6, n_test_per_emotion: int = 2, seed: int = 0):
    """A SYNTHETIC segments dataset in the pipeline's schema, written with ``save_to_disk``: each
    emotion is a sinusoid at its own frequency (4 + 3·k Hz) on all channels, plus noise. Small and
    trivially learnable — for plumbing tests of training and evaluation, not for accuracy claims."""
    from datasets import Dataset, DatasetDict, DatasetInfo

    from e2llm.datasets_builder import segment_features

    rng = np.random.default_rng(seed)
    t = np.arange(1024) / 256
    features = segment_features()  # the pipeline's schema
    splits = {}
    for split, n in (("train", n_train_per_emotion), ("test", n_test_per_emotion)):
        rows = []
        for k, _ in enumerate(EMOTIONS):
            for j in range(n):
                wave = 0.02 * np.sin(2 * np.pi * (4 + 3 * k) * t + rng.uniform(0, 6.3, (58, 1)))
                rows.append(
                    {
                        "id": f"{split}-e{k}-{j}",
                        "eeg": (wave + 0.01 * rng.standard_normal((58, 1024))).astype(np.float32),
                        "channel_mask": [True] * 58,
                        "emotion": k,
                        "subject": "toy",
                        "session": 1,
                        "clip": k + 1,
                        "segment": j,
                        "source": "toy",
                    }
                )
        info = DatasetInfo(description="SYNTHETIC DATA — toy sinusoid segments for tests", features=features)
        splits[split] = Dataset.from_list(rows, features=features, info=info)
    DatasetDict(splits).save_to_disk(str(path))
    return path


@pytest.fixture(scope="session")
def toy_segments_dir(tmp_path_factory):
    return write_toy_segments(tmp_path_factory.mktemp("toy") / "segments")


@pytest.fixture(scope="session")
def toy_tasks_dir(toy_segments_dir, tmp_path_factory):
    """The five tasks' instruction data built from the toy segments (train 96, train_sft 48)."""
    from e2llm.tasks import build_task_datasets

    out = tmp_path_factory.mktemp("tasks") / "tasks"
    build_task_datasets(toy_segments_dir, out, n_train=96, n_train_sft=48, n_multi=12, n_esr=7, n_test_ied=14, seed=0)
    return str(out)


# -- EEG data pipeline (e2llm.eeg, e2llm.datasets_builder): SYNTHETIC SEED-VII-layout data ------


@pytest.fixture(scope="session")
def eeg_small_synthetic(tmp_path_factory):
    """A small synthetic SEED-VII folder (2 subjects × 80 clips of 10 s; SYNTHETIC)."""
    from e2llm.eeg import write_synthetic_seed_vii

    return write_synthetic_seed_vii(
        tmp_path_factory.mktemp("eeg") / "synthetic", n_subjects=2, clip_seconds=10.0, seed=5
    )


@pytest.fixture(scope="session")
def eeg_small_segments(eeg_small_synthetic, tmp_path_factory):
    """The segments dataset (paper split) of ``eeg_small_synthetic``: a BuildResult."""
    from e2llm.datasets_builder import build_segments

    return build_segments(eeg_small_synthetic, tmp_path_factory.mktemp("eeg") / "segments", progress=False)


@pytest.fixture(scope="session")
def eeg_demo_size_segments(tmp_path_factory):
    """Synthetic SEED-VII at the demo's size (4 subjects × 80 clips of 20 s), built with the paper split."""
    from e2llm.datasets_builder import build_segments
    from e2llm.eeg import write_synthetic_seed_vii

    root = tmp_path_factory.mktemp("eeg_demo")
    raw = write_synthetic_seed_vii(root / "synthetic", n_subjects=4, clip_seconds=20.0, seed=0)
    return build_segments(raw, root / "segments", progress=False)


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_tokenizer, tmp_path_factory):
    """A tiny random E2LLM and its processor saved as a model folder (for the command line)."""
    import copy

    import torch

    from e2llm.assembly import build_model

    torch.manual_seed(0)
    model, processor = build_model("tiny", copy.deepcopy(tiny_tokenizer))
    folder = tmp_path_factory.mktemp("tiny") / "model"
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return str(folder)
