"""Batches for training: EEG segments for stage 1, chat samples with EEG for stages 2 and 3.

The chat collator renders each sample's prompt with the processor's chat template exactly as
generation does (``add_generation_prompt=True``), tokenizes the reference answer after it, and
puts labels on the answer tokens and the template's end of turn (``processor.end_of_turn``,
``<|im_end|>`` for ChatML) only: prompt, EEG and padding positions are -100.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from ..errors import InvalidInputError
from ..processing_e2llm import E2LLMProcessor
from ..tasks.messages import message_text, segment_ids_of

IGNORE_INDEX = -100


class EncoderOutputCache:
    """Outputs of a frozen EEG encoder, computed once per segment and reused every step and epoch.

    Stages 2 and 3 keep the encoder frozen (and in eval mode, no dropout), so its output for a
    segment never changes; computing it once removes the encoder from the training step.
    Memory: segments × N × S × D values (24k segments × 16 × 4 × 512 in bf16 ≈ 1.6 GB), kept on
    the CPU. ``device``: where the encoder runs meanwhile (e.g. the GPU, before the Trainer has
    moved the model there; it goes back to where it was); default: where it is.
    """

    def __init__(
        self,
        encoder,
        segments,
        segment_ids: Iterable[str],
        batch_size: int = 64,
        dtype=None,
        progress: bool = True,
        device=None,
    ):
        ids = list(dict.fromkeys(segment_ids))
        home = next(encoder.parameters()).device
        device = torch.device(device) if device is not None else home
        dtype = dtype or next(encoder.parameters()).dtype
        was_training = encoder.training
        encoder.eval().to(device)
        self._index = {segment_id: i for i, segment_id in enumerate(ids)}
        chunks = []
        with torch.no_grad():
            for start in tqdm(range(0, len(ids), batch_size), desc="encoding EEG segments", disable=not progress):
                batch = [segments[i] for i in ids[start : start + batch_size]]
                eeg = torch.from_numpy(np.stack([b[0] for b in batch])).to(device)
                mask = torch.from_numpy(np.stack([b[1] for b in batch])).to(device)
                chunks.append(encoder(eeg, mask).last_hidden_state.to(dtype).cpu())
        encoder.train(was_training).to(home)
        self._states = torch.cat(chunks) if chunks else torch.empty(0)

    def __len__(self) -> int:
        return len(self._index)

    def __getitem__(self, segment_ids: Sequence[str]) -> torch.Tensor:
        """(len(segment_ids), N, S, D)."""
        return self._states[[self._index[i] for i in segment_ids]]


@dataclass
class E2LLMDataCollator:
    """Chat samples (``messages`` with EEG parts referencing ``segment_id``) → model batch.

    Args:
        processor: the model's processor.
        segments: maps a segment id to ``(eeg (C, T), channel_mask (C,))``
            (``e2llm.datasets_builder.SegmentLookup``).
        encoder_cache: if given, batches carry ``eeg_hidden_states`` from it instead of
            ``eeg_values``.
        max_length: answers are cut so that no sample exceeds it (prompts are never cut).

    Returns (per batch): ``input_ids``, ``attention_mask``, ``labels`` (B, L), right-padded, and
    ``eeg_values`` (S, C, T) + ``eeg_channel_mask`` (S, C), or ``eeg_hidden_states`` (S, N, S', D).
    """

    processor: E2LLMProcessor
    segments: object
    encoder_cache: EncoderOutputCache | None = None
    max_length: int | None = None

    def encode(self, example: dict, end_of_turn: str | None = None) -> tuple[list[int], list[int]]:
        """One sample's token ids and labels (unpadded)."""
        tokenizer = self.processor.tokenizer
        messages = example["messages"]
        if messages[-1]["role"] != "assistant":
            raise InvalidInputError(f"sample {example.get('id', '?')}: the last message must be the assistant's answer")
        end_of_turn = self.processor.end_of_turn if end_of_turn is None else end_of_turn
        prompt = self.processor.apply_chat_template(list(messages[:-1]), add_generation_prompt=True)
        prompt_ids = tokenizer(self.processor.expand_eeg_markers(prompt))["input_ids"]
        answer_ids = tokenizer(message_text(messages[-1]) + end_of_turn, add_special_tokens=False)["input_ids"]
        if self.max_length is not None:
            if len(prompt_ids) >= self.max_length:
                raise InvalidInputError(
                    f"sample {example.get('id', '?')}: prompt of {len(prompt_ids)} tokens exceeds max_length {self.max_length}"
                )
            answer_ids = answer_ids[: self.max_length - len(prompt_ids)]
        return prompt_ids + answer_ids, [IGNORE_INDEX] * len(prompt_ids) + answer_ids

    def lengths(self, examples: Iterable[dict]) -> list[int]:
        """Token count of each sample (for length-grouped batches: less padding)."""
        end_of_turn = self.processor.end_of_turn
        return [len(self.encode(example, end_of_turn)[0]) for example in examples]

    def __call__(self, examples: list[dict]) -> dict[str, torch.Tensor]:
        tokenizer = self.processor.tokenizer
        sequences, labels, segment_ids = [], [], []
        end_of_turn = self.processor.end_of_turn
        for example in examples:
            ids, example_labels = self.encode(example, end_of_turn)
            sequences.append(ids)
            labels.append(example_labels)
            segment_ids.extend(segment_ids_of(example["messages"][:-1]))

        length = max(len(s) for s in sequences)
        pad = tokenizer.pad_token_id
        batch = {
            "input_ids": torch.tensor([s + [pad] * (length - len(s)) for s in sequences]),
            "attention_mask": torch.tensor([[1] * len(s) + [0] * (length - len(s)) for s in sequences]),
            "labels": torch.tensor([row + [IGNORE_INDEX] * (length - len(row)) for row in labels]),
        }
        if segment_ids:
            if self.encoder_cache is not None:
                batch["eeg_hidden_states"] = self.encoder_cache[segment_ids]
            else:
                pairs = [self.segments[i] for i in segment_ids]
                features = self.processor.feature_extractor(
                    [p[0] for p in pairs], channel_mask=np.stack([p[1] for p in pairs]), source="segments"
                )
                batch.update(features)
        return batch


@dataclass
class EEGClassificationCollator:
    """Stage-1 rows (``eeg`` (C, T), ``channel_mask`` (C,), ``emotion`` id) → ``eeg_values``,
    ``eeg_channel_mask``, ``labels``."""

    def __call__(self, rows: list[dict]) -> dict[str, torch.Tensor]:
        return {
            "eeg_values": torch.as_tensor(np.stack([np.asarray(r["eeg"], dtype=np.float32) for r in rows])),
            "eeg_channel_mask": torch.as_tensor(np.stack([np.asarray(r["channel_mask"], dtype=bool) for r in rows])),
            "labels": torch.as_tensor([int(r["emotion"]) for r in rows]),
        }
