"""Batched greedy generation over chat conversations with EEG segments.

One function, :func:`generate_responses`, serves the evaluation runner, the benchmark and the
demo: conversations (lists of chat messages whose content parts include ``{"type": "eeg"}``) and
their EEG segments go in, the assistant's next turn comes out, as text, in the input order.

Batching: conversations are sorted by prompt length (fewer pad tokens), split into batches,
rendered with the processor's chat template and padded on the *left* (the tokenizer's padding side
is forced), so every row's last prompt token sits at the same position and generation continues
all rows together. The attention mask hides the pads; ``generate`` derives position ids from it,
so a left-padded row sees the same positions as the same prompt alone. The EEG segments of a
batch are passed flat, in order of appearance (a batch may mix 1-, 2- and 3-segment prompts); the
model scatters them into the ``<eeg_pad>`` placeholders at prefill only.

With ``confidence=True`` each answer comes back as a :class:`Response`: its text, the emotion it
names (IED's parser) and the model's confidence in that emotion, read from the logits of the same
pass (:mod:`e2llm.evaluation.confidence`). :func:`stream_response` gives one conversation's answer as
it is generated (the browser app, :mod:`e2llm.app`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from transformers import GenerationConfig, LogitsProcessorList

from ..configuration_e2llm import EEG_END_TOKEN, EEG_PAD_TOKEN, EEG_START_TOKEN, EEG_TOKEN
from ..errors import InvalidInputError
from ..tasks.messages import segment_ids_of
from ..tasks.parsing import parse_emotion
from .confidence import EmotionLogitsRecorder, EmotionVocabulary, emotion_confidence


@dataclass
class Response:
    """One generated answer with the model's confidence in the emotion it names.

    ``emotion``: the emotion IED's parser reads from ``text`` (``"invalid"`` when none);
    ``confidence``: the probability of ``emotion`` normalised over the seven emotions' words at the
    first token where the answer names it (``None`` when it names none); ``probabilities``: all seven.
    """

    text: str
    emotion: str
    confidence: float | None = None
    probabilities: dict[str, float] | None = None


def chat_messages(messages: Sequence[dict]) -> list[dict]:
    """Stored task messages → chat-template messages.

    A stored content part is ``{"type", "text", "segment_id"}`` (the columns of a ``datasets``
    struct, ``None`` where unused); the chat template wants ``{"type": "text", "text": ...}`` and
    ``{"type": "eeg"}``. String contents pass through.
    """
    out = []
    for message in messages:
        content = message["content"]
        if isinstance(content, str):
            out.append({"role": message["role"], "content": content})
            continue
        parts = []
        for part in content:
            if part.get("type") == "eeg":
                parts.append({"type": "eeg"})
            elif part.get("type") == "text":
                parts.append({"type": "text", "text": part.get("text") or ""})
            else:
                raise InvalidInputError(f"unknown content part type {part.get('type')!r}")
        out.append({"role": message["role"], "content": parts})
    return out


def count_eeg_parts(conversation: Sequence[dict]) -> int:
    return sum(
        1
        for message in conversation
        if not isinstance(message["content"], str)
        for part in message["content"]
        if part.get("type") == "eeg"
    )


def neutralize_markers(text: str, processor) -> str:
    """Make generated text safe to feed back as a chat turn: EEG markers (``<eeg>``,
    ``<eeg_start>``…) and the tokenizer's special tokens written out as plain text would otherwise
    be read as placeholders or turn boundaries; a space after their ``<`` defuses them."""
    specials = {EEG_TOKEN, EEG_START_TOKEN, EEG_END_TOKEN, EEG_PAD_TOKEN, *processor.tokenizer.all_special_tokens}
    for token in sorted(specials, key=len, reverse=True):
        if token and token in text:
            text = text.replace(token, token[0] + " " + token[1:])
    return text


def greedy_generation_config(model, processor, max_new_tokens: int) -> GenerationConfig:
    """Greedy decoding that stops at the end of the assistant's turn (the tokenizer's eos,
    ``<|im_end|>``, and any eos the model's own generation config names). The model itself
    never writes the EEG marker tokens (``E2LLMForConditionalGeneration.generate``)."""
    tokenizer = processor.tokenizer
    eos = []
    for source in (tokenizer.eos_token_id, getattr(model.generation_config, "eos_token_id", None)):
        for token_id in source if isinstance(source, (list, tuple)) else [source]:
            if token_id is not None and token_id not in eos:
                eos.append(int(token_id))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos[0]
    return GenerationConfig(
        max_new_tokens=int(max_new_tokens),
        do_sample=False,
        num_beams=1,
        eos_token_id=eos,
        pad_token_id=pad,
        bos_token_id=getattr(model.generation_config, "bos_token_id", None),
    )


def _device_and_eeg_dtype(model) -> tuple[torch.device, torch.dtype]:
    params = next(model.model.eeg_encoder.parameters(), None) if hasattr(model, "model") else None
    first = next(model.parameters())
    return first.device, (params.dtype if params is not None else first.dtype)


def prompt_lengths(processor, conversations: Sequence[Sequence[dict]]) -> list[int]:
    """Token count of each conversation's generation prompt (EEG placeholders included)."""
    rendered = processor.apply_chat_template(
        [list(c) for c in conversations], add_generation_prompt=True, tokenize=False
    )
    expanded = [processor.expand_eeg_markers(text) for text in rendered]
    return [len(ids) for ids in processor.tokenizer(expanded, add_special_tokens=False)["input_ids"]]


def _batch_inputs(processor, conversations, eeg, eeg_channel_mask, batch: list[int]) -> dict:
    """The left-padded model inputs of the samples ``batch``; their segments are read here, batch
    by batch, as ``eeg`` may load lazily."""
    segments, masks = [], []
    for i in batch:
        sample_segments = list(eeg[i])
        if count_eeg_parts(conversations[i]) != len(sample_segments):
            raise ValueError(
                f"sample {i}: {count_eeg_parts(conversations[i])} EEG parts but {len(sample_segments)} segments"
            )
        segments.extend(sample_segments)
        if eeg_channel_mask is not None:
            masks.extend(eeg_channel_mask[i])
    kwargs = {"eeg_channel_mask": masks} if eeg_channel_mask is not None and segments else {}
    return processor.apply_chat_template(
        [list(conversations[i]) for i in batch],
        add_generation_prompt=True,
        tokenize=True,
        return_dict=True,
        eeg=segments or None,
        processor_kwargs={"padding": True, "padding_side": "left", "return_tensors": "pt", **kwargs},
    )


@torch.no_grad()
def generate_responses(
    model,
    processor,
    conversations: Sequence[Sequence[dict]],
    eeg: Sequence[Sequence[np.ndarray]],
    eeg_channel_mask: Sequence[Sequence[np.ndarray]] | None = None,
    *,
    batch_size: int = 16,
    max_new_tokens: int = 256,
    sort_by_length: bool = True,
    on_batch: Callable[[list[int], list], None] | None = None,
    confidence: bool = False,
    streamer=None,
) -> list[str] | list[Response]:
    """Greedy next assistant turn for each conversation.

    Args:
        model: an ``E2LLMForConditionalGeneration`` (any device and dtype).
        processor: its ``E2LLMProcessor``.
        conversations: chat messages per sample (the prompt; it ends with a user turn).
        eeg: per sample, its segments (each (58, 1024) mV) in order of appearance; any sequence,
            read batch by batch (so it may load lazily).
        eeg_channel_mask: per sample, a (58,) bool mask per segment (False: missing channel);
            ``None`` means all channels present.
        batch_size: prompts per ``generate`` call.
        max_new_tokens: the most tokens generated per answer.
        sort_by_length: batch prompts of similar length together (outputs do not depend on it).
        on_batch: called after each batch with the sample indices and their results (e.g. to
            save them as they come).
        confidence: return :class:`Response` objects with the emotion each answer names and the
            model's confidence in it, instead of plain texts.
        streamer: a ``transformers`` streamer the tokens are passed to as they come (one
            conversation only; :func:`stream_response` uses it).

    Returns:
        The generated texts (special tokens removed, surrounding whitespace stripped), or their
        ``Response`` objects, in input order.
    """
    n = len(conversations)
    if len(eeg) != n or (eeg_channel_mask is not None and len(eeg_channel_mask) != n):
        raise ValueError("conversations, eeg (and eeg_channel_mask) must have one entry per sample")
    if batch_size < 1:
        raise InvalidInputError("batch_size must be at least 1")
    if streamer is not None and n != 1:
        raise ValueError("a streamer follows one conversation at a time")
    if n == 0:
        return []
    order = list(range(n))
    if sort_by_length and n > 1:
        lengths = prompt_lengths(processor, conversations)
        order.sort(key=lambda i: (lengths[i], i))
    device, eeg_dtype = _device_and_eeg_dtype(model)
    generation_config = greedy_generation_config(model, processor, max_new_tokens)
    vocabulary = EmotionVocabulary(processor.tokenizer) if confidence else None
    was_training = model.training
    model.eval()
    results: list = [None] * n
    try:
        for start in range(0, n, batch_size):
            batch = order[start : start + batch_size]
            inputs = _batch_inputs(processor, conversations, eeg, eeg_channel_mask, batch)
            inputs = {
                key: value.to(device, dtype=eeg_dtype) if key == "eeg_values" else value.to(device)
                for key, value in inputs.items()
            }
            recorder = EmotionLogitsRecorder(vocabulary.token_ids) if vocabulary is not None else None
            output = model.generate(
                **inputs,
                generation_config=generation_config,
                logits_processor=LogitsProcessorList([recorder] if recorder is not None else []),
                **({"streamer": streamer} if streamer is not None else {}),
            )
            generated = output[:, inputs["input_ids"].shape[1] :]
            texts = [t.strip() for t in processor.batch_decode(generated, skip_special_tokens=True)]
            if recorder is not None:
                texts = _responses(vocabulary, texts, generated, recorder.logits())
            for i, text in zip(batch, texts):
                results[i] = text
            if on_batch is not None:
                on_batch(batch, texts)
    finally:
        model.train(was_training)
    return results  # type: ignore[return-value]


def stream_response(
    model,
    processor,
    conversation: Sequence[dict],
    segments: Sequence[np.ndarray],
    masks: Sequence[np.ndarray] | None = None,
    *,
    max_new_tokens: int = 256,
    confidence: bool = False,
    timeout: float | None = 600.0,
) -> Iterator[tuple[str, str | Response | None]]:
    """:func:`generate_responses` for one conversation, its text given as it is generated.

    Yields ``(text so far, None)`` while the answer grows, then once ``(text, result)``, ``result``
    being what :func:`generate_responses` returns for it (a :class:`Response` with ``confidence``).
    Generation runs in a thread; an error there is raised here. ``timeout``: the most seconds to
    wait for the next piece of text.
    """
    from transformers import TextIteratorStreamer

    streamer = TextIteratorStreamer(processor.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=timeout)
    outcome: dict = {}

    def run():
        try:
            outcome["result"] = generate_responses(
                model,
                processor,
                [conversation],
                [list(segments)],
                None if masks is None else [list(masks)],
                batch_size=1,
                max_new_tokens=max_new_tokens,
                confidence=confidence,
                streamer=streamer,
            )[0]
        except BaseException as err:  # raised in the caller's thread below
            outcome["error"] = err
            streamer.end()

    thread = threading.Thread(target=run, name="e2llm-stream", daemon=True)
    thread.start()
    text = ""
    for piece in streamer:
        text += piece
        if piece:
            yield text, None
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    result = outcome["result"]
    yield (result.text if isinstance(result, Response) else result), result


def _responses(vocabulary: EmotionVocabulary, texts, generated: torch.Tensor, logits: torch.Tensor) -> list[Response]:
    out = []
    for row, text in enumerate(texts):
        emotion = parse_emotion(text)
        conf, probs = emotion_confidence(vocabulary, generated[row].tolist(), logits[row], emotion)
        out.append(Response(text, emotion, conf, probs))
    return out


__all__ = [
    "Response",
    "chat_messages",
    "count_eeg_parts",
    "generate_responses",
    "greedy_generation_config",
    "neutralize_markers",
    "prompt_lengths",
    "segment_ids_of",
    "stream_response",
]
