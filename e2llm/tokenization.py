"""A small byte-level BPE tokenizer trained locally, for the tiny preset (tests, CPU demo).

Real presets use Qwen3's tokenizer from the Hub. The tiny one has the same chat special tokens
(``<|im_start|>``, ``<|im_end|>``, ``<|endoftext|>``) so the same chat template serves both,
plus E2LLM's ``<eeg_start>``, ``<eeg_end>`` and ``<eeg_pad>``. Built with the ``tokenizers``
library.
"""

from __future__ import annotations

from collections.abc import Iterable

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from .configuration_e2llm import EEG_END_TOKEN, EEG_PAD_TOKEN, EEG_START_TOKEN
from .processing_e2llm import IM_END, IM_START

ENDOFTEXT = "<|endoftext|>"
SPECIAL_TOKENS = [ENDOFTEXT, IM_START, IM_END, EEG_START_TOKEN, EEG_END_TOKEN, EEG_PAD_TOKEN]


def train_tokenizer(texts: Iterable[str], vocab_size: int = 2048, min_frequency: int = 2) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE tokenizer on ``texts``.

    Returns a ``PreTrainedTokenizerFast`` with ``eos_token="<|im_end|>"`` (the end of a chat turn,
    where generation stops) and ``pad_token="<|endoftext|>"``, padding on the left (for batched
    generation; training collators pad explicitly).
    """
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        eos_token=IM_END,
        pad_token=ENDOFTEXT,
        padding_side="left",
        clean_up_tokenization_spaces=False,
    )
