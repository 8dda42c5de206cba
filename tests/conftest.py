"""Shared fixtures: a tiny tokenizer trained here, a tiny model and processor (CPU, seconds)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from e2llm.configuration_e2llm import EMOTIONS

TOKENIZER_CORPUS = [
    f"The EEG signals indicate a state of {e}, seen in the rhythm of the recording. Emotion: {e}" for e in EMOTIONS
] + [
    "Describe the emotion of this EEG. Is the individual happier than the other one? Answer: (a) (b) (c) yes no",
    "Given three segments of EEG signals, select the saddest. Match the segments to the scenarios.",
] * 20


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


def random_eeg(n: int, seed: int = 0, channels: int = 58, samples: int = 1024) -> list[np.ndarray]:
    """Synthetic EEG-shaped noise in mV (random, labelled as such: for shape and plumbing tests)."""
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((channels, samples)) * 0.02).astype(np.float32) for _ in range(n)]
