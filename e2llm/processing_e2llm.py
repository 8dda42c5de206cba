"""E2LLMProcessor: tokenizer + EEG feature extractor + chat template.

Text marks each EEG segment with ``<eeg>``; the processor expands every marker into
``<eeg_start>`` + ``<eeg_pad>`` × N + ``<eeg_end>`` (N = encoder time patches, 16) and turns the
segments into ``eeg_values``. Chat messages use content parts, with ``{"type": "eeg"}`` where a
segment goes (optionally carrying the array as ``"eeg"``).

The chat template is the language model's own (its tokenizer's ``chat_template``: SmolLM2's
ChatML with its default system turn, Qwen3's…), or, for a tokenizer without one, E2LLM's ChatML.
Each EEG part is written ``<eeg>``; for templates that render only string contents (most LMs'
own) the parts of a message are joined into one string first, so any template serves. E2LLM writes its chain of thought
in the answer itself (describe each segment, then conclude): the generation prompt opens the
answer directly, and Qwen3's thinking mode is not used.

Part of the model a Hub repository carries: imports only numpy, transformers and siblings.
"""

from __future__ import annotations

import copy
from typing import Any, TypedDict

import numpy as np
from transformers import BatchFeature
from transformers.processing_utils import ProcessingKwargs, ProcessorMixin

from .configuration_e2llm import EEG_END_TOKEN, EEG_PAD_TOKEN, EEG_START_TOKEN, EEG_TOKEN
from .feature_extraction_e2llm import EEGInputError

# ChatML, the fallback chat format (SmolLM2 and Qwen3 use it too): a turn is
# IM_START + role + newline + content + IM_END + newline
IM_START, IM_END = "<|im_start|>", "<|im_end|>"
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '" + IM_START + "' + message['role'] + '\\n' }}"
    "{%- if message['content'] is string %}{{- message['content'] }}"
    "{%- else %}{%- for part in message['content'] %}"
    "{%- if part['type'] == 'eeg' %}{{- '<eeg>' }}"
    "{%- elif part['type'] == 'text' %}{{- part['text'] }}{%- endif %}"
    "{%- endfor %}{%- endif %}"
    "{{- '" + IM_END + "\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '" + IM_START + "assistant\\n' }}{%- endif %}"
)


class E2LLMEEGKwargs(TypedDict, total=False):
    """What the processor passes to the feature extractor (see ``E2LLMFeatureExtractor``)."""

    channel_names: Any  # names of the input's channels, in its order
    sampling_rate: Any  # Hz; must be the model's
    eeg_channel_mask: Any  # (segments, C) bool, False where a channel is to be ignored
    fill_missing: Any  # zero-fill (and mask) channels the recording lacks


class E2LLMProcessorKwargs(ProcessingKwargs, total=False):
    eeg_kwargs: E2LLMEEGKwargs


class E2LLMProcessor(ProcessorMixin):
    r"""Prepares text and EEG for ``E2LLMForConditionalGeneration``.

    Args:
        feature_extractor: an ``E2LLMFeatureExtractor``.
        tokenizer: any HF tokenizer; if it lacks ``<eeg_start>``, ``<eeg_end>`` and ``<eeg_pad>``,
            the processor keeps a copy with them added as special tokens (``processor.tokenizer``;
            the model's vocabulary must then cover them) and the tokenizer given is not changed.
        chat_template: Jinja template; default: the tokenizer's own, else ChatML (``CHAT_TEMPLATE``).
        eeg_tokens_per_segment: placeholders per segment (the encoder's time patches).

    Keyword arguments follow ``ProcessorMixin``: tokenizer arguments flat or in ``text_kwargs``,
    EEG arguments flat or in ``eeg_kwargs``; the tokenizer's own init arguments (e.g.
    ``padding_side``) are kept unless a call overrides them. Unlike most processors, tensors
    (``return_tensors="pt"``) are the default: EEG as nested lists helps no one.
    """

    valid_processor_kwargs = E2LLMProcessorKwargs
    text_kwargs = {"return_tensors": "pt"}
    eeg_kwargs = {}

    def __init__(
        self, feature_extractor=None, tokenizer=None, chat_template=None, eeg_tokens_per_segment: int = 16, **kwargs
    ):
        chat_template = chat_template or getattr(tokenizer, "chat_template", None) or CHAT_TEMPLATE
        missing = [t for t in (EEG_START_TOKEN, EEG_END_TOKEN, EEG_PAD_TOKEN) if t not in tokenizer.get_vocab()]
        if missing:  # on a copy: the caller's tokenizer is left as it was
            tokenizer = copy.deepcopy(tokenizer)
            tokenizer.add_tokens(missing, special_tokens=True)
        super().__init__(feature_extractor, tokenizer, chat_template=chat_template)
        self.eeg_tokens_per_segment = int(eeg_tokens_per_segment)
        self.eeg_token_id = tokenizer.convert_tokens_to_ids(EEG_PAD_TOKEN)
        self.eeg_start_token_id = tokenizer.convert_tokens_to_ids(EEG_START_TOKEN)
        self.eeg_end_token_id = tokenizer.convert_tokens_to_ids(EEG_END_TOKEN)

    @property
    def token_ids(self) -> dict[str, int]:
        """The ids an ``E2LLMConfig`` needs: ``eeg_token_id``, ``eeg_start_token_id``, ``eeg_end_token_id``."""
        return {
            "eeg_token_id": self.eeg_token_id,
            "eeg_start_token_id": self.eeg_start_token_id,
            "eeg_end_token_id": self.eeg_end_token_id,
        }

    @property
    def end_of_turn(self) -> str:
        """What closes an assistant turn in the chat template (``<|im_end|>`` for ChatML): the
        text after an answer in a rendered conversation, trailing whitespace removed. Training
        labels the answer and this; generation stops at the tokenizer's eos, which it is."""
        probe = [{"role": "user", "content": "?"}, {"role": "assistant", "content": "E2LLM-ANSWER"}]
        rendered = self.apply_chat_template(probe)
        end = rendered.rstrip()[rendered.index("E2LLM-ANSWER") + len("E2LLM-ANSWER") :]
        if not end:
            raise ValueError("the chat template writes nothing after an assistant turn; generation could not stop")
        return end

    @property
    def eeg_block(self) -> str:
        """What one ``<eeg>`` becomes: ``<eeg_start>`` + ``<eeg_pad>`` × N + ``<eeg_end>``."""
        return EEG_START_TOKEN + EEG_PAD_TOKEN * self.eeg_tokens_per_segment + EEG_END_TOKEN

    def expand_eeg_markers(self, text: str) -> str:
        """Each ``<eeg>`` → ``<eeg_start>`` + ``<eeg_pad>`` × N + ``<eeg_end>``."""
        return text.replace(EEG_TOKEN, self.eeg_block)

    def __call__(
        self, text: str | list[str] | None = None, eeg=None, images=None, videos=None, audio=None, **kwargs
    ) -> BatchFeature:
        """Tokenize ``text`` and turn ``eeg`` into ``eeg_values``.

        Args:
            text: one string or a batch; ``<eeg>`` marks each segment.
            eeg: the segments: an array (channels, samples), an array (segments, channels,
                samples) or a list of arrays — all texts' segments in order of appearance — or a
                list with one entry per text (a list of that text's arrays), in which case each
                text's count of ``<eeg>`` is checked against its own segments.
            images, videos, audio: not supported; accepted as None for ``ProcessorMixin``'s callers.
            **kwargs: ``channel_names``, ``sampling_rate``, ``eeg_channel_mask``, ``fill_missing``
                (flat or in ``eeg_kwargs``) go to the feature extractor; the rest, flat or in
                ``text_kwargs``, to the tokenizer (``padding``, ``padding_side``, ``truncation``,
                ``return_tensors``…), as ``ProcessorMixin`` merges them.

        Returns:
            ``input_ids`` (B, L), ``attention_mask`` (B, L), and with EEG ``eeg_values`` (S, C, T),
            ``eeg_channel_mask`` (S, C).

        Raises:
            EEGInputError: the number of ``<eeg>`` markers differs from the number of segments
                (in a text, with the per-text form; in all, otherwise).
        """
        if text is None:
            raise ValueError("E2LLMProcessor needs text (use <eeg> where each EEG segment goes)")
        if images is not None or videos is not None or audio is not None:
            raise ValueError("E2LLMProcessor reads text and EEG only (images, videos and audio are not supported)")
        texts = [text] if isinstance(text, str) else list(text)
        for t in texts:
            if EEG_PAD_TOKEN in t or EEG_START_TOKEN in t:
                raise ValueError("write <eeg> for each segment; the processor inserts <eeg_start>/<eeg_pad>/<eeg_end>")
        segments = _segments_checked_against(texts, eeg)

        eeg_kwargs = dict(self.eeg_kwargs)
        eeg_kwargs.update(kwargs.pop("eeg_kwargs", None) or {})
        for key in E2LLMEEGKwargs.__annotations__:
            if key in kwargs:
                eeg_kwargs[key] = kwargs.pop(key)
        merged = self._merge_kwargs(E2LLMProcessorKwargs, tokenizer_init_kwargs=self.tokenizer.init_kwargs, **kwargs)
        text_kwargs = merged["text_kwargs"]
        return_tensors = text_kwargs.pop("return_tensors", None)
        text_kwargs.setdefault("padding", len(texts) > 1)
        want_offsets = bool(
            merged.get("return_text_replacement_offsets") or text_kwargs.pop("return_text_replacement_offsets", False)
        )
        text_kwargs.pop("return_mm_token_type_ids", None)

        expanded = [self.expand_eeg_markers(t) for t in texts]
        data = dict(self.tokenizer(expanded, **text_kwargs))
        if segments:
            features = self.feature_extractor(
                segments,
                channel_names=eeg_kwargs.get("channel_names"),
                sampling_rate=eeg_kwargs.get("sampling_rate"),
                channel_mask=eeg_kwargs.get("eeg_channel_mask"),
                fill_missing=eeg_kwargs.get("fill_missing"),
                return_tensors=None,
            )
            data.update(features)
        if want_offsets:
            data["text_replacement_offsets"] = [self._replacement_offsets(t) for t in texts]
        return BatchFeature(data=data, tensor_type=return_tensors, skip_tensor_conversion=self.skip_tensor_conversion)

    def _replacement_offsets(self, text: str) -> list[dict]:
        """Where each ``<eeg>`` of ``text`` sits before and after expansion, in
        ``ProcessorMixin.get_text_with_replacements``'s layout (used for assistant masks)."""
        out, shift, start = [], 0, text.find(EEG_TOKEN)
        block = self.eeg_block
        while start >= 0:
            end = start + len(EEG_TOKEN)
            out.append(
                {
                    "type": "eeg",
                    "span": (start, end),
                    "new_span": (start + shift, start + shift + len(block)),
                    "text": EEG_TOKEN,
                    "replacement": block,
                }
            )
            shift += len(block) - len(EEG_TOKEN)
            start = text.find(EEG_TOKEN, end)
        return out

    def apply_chat_template(self, conversation, chat_template: str | None = None, eeg=None, **kwargs):
        """``ProcessorMixin.apply_chat_template``, for conversations with EEG parts.

        Content parts: ``{"type": "text", "text": ...}`` and ``{"type": "eeg"}`` (an ``"eeg"`` key
        may hold the array). An EEG part is written ``<eeg>``; for a template that renders only
        string contents (most LMs' own) each message's parts are joined into one string first. Everything else is ``ProcessorMixin``'s: extra keyword arguments reach the Jinja
        template, ``tokenize=True`` gives ``input_ids`` or, with ``return_dict=True``, the whole
        ``BatchFeature`` (with ``eeg_values``), ``return_assistant_tokens_mask``,
        ``processor_kwargs``. The segments come from the parts or, in order, from ``eeg``.
        """
        batched = bool(conversation) and isinstance(conversation[0], (list, tuple))
        conversations = conversation if batched else [conversation]
        if kwargs.get("tokenize"):
            if eeg is None:  # one list per conversation: each text's count is checked
                eeg = [
                    [
                        part["eeg"]
                        for message in conv
                        if not isinstance(message.get("content"), str)
                        for part in message.get("content") or []
                        if part.get("type") == "eeg" and part.get("eeg") is not None
                    ]
                    for conv in conversations
                ]
                if not any(eeg):
                    eeg = None
            processor_kwargs = dict(kwargs.pop("processor_kwargs", None) or {})
            processor_kwargs.setdefault("eeg", eeg)
            kwargs["processor_kwargs"] = processor_kwargs
        template = self._resolve_chat_template(chat_template)
        known = self.__dict__.setdefault("_renders_parts", {})  # probed once per template
        if template not in known:
            known[template] = renders_content_parts(self.tokenizer, template)
        keep_parts = known[template]
        flat = [flatten_messages(conv, keep_parts=keep_parts) for conv in conversations]
        return super().apply_chat_template(flat if batched else flat[0], chat_template=template, **kwargs)

    @property
    def model_input_names(self) -> list[str]:
        return list(dict.fromkeys(self.tokenizer.model_input_names + self.feature_extractor.model_input_names))


def flatten_messages(conversation, keep_parts: bool = False) -> list[dict]:
    """Chat messages whose EEG parts (``{"type": "eeg"}``) are written ``<eeg>``.

    By default each list of content parts is joined into one string (the text of a text part,
    ``<eeg>`` for an EEG part), which any chat template renders; with ``keep_parts`` the list is
    kept and each EEG part becomes the text part ``<eeg>``, for templates that read parts. Other
    message keys are kept."""
    out = []
    for message in conversation:
        content = message.get("content")
        if content is not None and not isinstance(content, str):
            parts = []
            for part in content:
                kind = part.get("type")
                if kind == "eeg":
                    parts.append({"type": "text", "text": EEG_TOKEN})
                elif kind == "text":
                    parts.append({"type": "text", "text": part.get("text") or ""})
                else:
                    raise ValueError(f"unknown content part type {kind!r} (expected 'text' or 'eeg')")
            content = parts if keep_parts else "".join(part["text"] for part in parts)
        out.append({**message, "content": content})
    return out


def renders_content_parts(tokenizer, chat_template: str) -> bool:
    """Whether ``chat_template`` renders a message whose content is a list of text parts (as
    transformers' multimodal templates do) rather than only string contents (as most LMs' own
    templates do): a probe conversation is rendered once."""
    probe = [{"role": "user", "content": [{"type": "text", "text": "E2LLM-PROBE"}]}]
    try:
        rendered = tokenizer.apply_chat_template(probe, chat_template=chat_template, tokenize=False)
    except Exception:  # a template that indexes a string content as parts fails here  # noqa: BLE001
        return False
    return "E2LLM-PROBE" in rendered and "'type'" not in rendered


def _is_segment(item) -> bool:
    return np.ndim(item) == 2


def _segments_checked_against(texts: list[str], eeg) -> list:
    """The segments as a flat list of (channels, samples) arrays, checked against the ``<eeg>``
    markers: per text when ``eeg`` has one list per text, in total otherwise."""
    counts = [t.count(EEG_TOKEN) for t in texts]
    if eeg is None:
        per_text = None
        flat = []
    elif hasattr(eeg, "shape"):
        array = np.asarray(eeg.detach().cpu() if hasattr(eeg, "detach") else eeg)
        per_text, flat = None, ([array] if array.ndim == 2 else list(array))
    else:
        items = list(eeg)
        per_text = [list(item) for item in items] if items and not any(_is_segment(i) for i in items) else None
        if per_text is None and any(not _is_segment(i) for i in items):
            raise EEGInputError("eeg mixes segments (channels, samples) and per-text lists; use one form")
        flat = [segment for group in per_text for segment in group] if per_text is not None else items
    if per_text is not None:
        if len(per_text) != len(texts):
            raise EEGInputError(f"eeg has {len(per_text)} per-text lists of segments for {len(texts)} texts")
        for i, (n, group) in enumerate(zip(counts, per_text)):
            if n != len(group):
                raise EEGInputError(f"text {i} has {n} <eeg> markers but {len(group)} EEG segments were given for it")
    elif sum(counts) != len(flat):
        raise EEGInputError(f"the text has {sum(counts)} <eeg> markers but {len(flat)} EEG segments were given")
    return flat


E2LLMProcessor.register_for_auto_class("AutoProcessor")

__all__ = ["E2LLMProcessor", "E2LLMProcessorKwargs", "CHAT_TEMPLATE", "flatten_messages"]
