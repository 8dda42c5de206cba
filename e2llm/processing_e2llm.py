"""E2LLMProcessor: tokenizer + EEG feature extractor + chat template.

Text marks each EEG segment with ``<eeg>``; the processor expands every marker into
``<eeg_start>`` + ``<eeg_pad>`` × N + ``<eeg_end>`` (N = encoder time patches, 16) and turns the
segments into ``eeg_values``. Chat messages use content parts, with ``{"type": "eeg"}`` where a
segment goes (optionally carrying the array as ``"eeg"``).

The chat template is the language model's own (its tokenizer's ``chat_template``: SmolLM2's
ChatML with its default system turn, Qwen3's…), or, for a tokenizer without one, E2LLM's ChatML.
Content parts are joined into one string per message before rendering (each EEG part written
``<eeg>``), so any template that renders string contents serves. E2LLM writes its chain of thought
in the answer itself (describe each segment, then conclude): the generation prompt opens the
answer directly, and Qwen3's thinking mode is not used.

Part of the model a Hub repository carries: imports only numpy, transformers and siblings.
"""

from __future__ import annotations

import numpy as np
from transformers import BatchFeature
from transformers.processing_utils import ProcessorMixin

from .configuration_e2llm import EEG_END_TOKEN, EEG_PAD_TOKEN, EEG_START_TOKEN, EEG_TOKEN
from .feature_extraction_e2llm import EEGInputError

CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' }}"
    "{%- if message['content'] is string %}{{- message['content'] }}"
    "{%- else %}{%- for part in message['content'] %}"
    "{%- if part['type'] == 'eeg' %}{{- '<eeg>' }}"
    "{%- elif part['type'] == 'text' %}{{- part['text'] }}{%- endif %}"
    "{%- endfor %}{%- endif %}"
    "{{- '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


class E2LLMProcessor(ProcessorMixin):
    r"""Prepares text and EEG for ``E2LLMForConditionalGeneration``.

    Args:
        feature_extractor: an ``E2LLMFeatureExtractor``.
        tokenizer: any HF tokenizer; ``<eeg_start>``, ``<eeg_end>`` and ``<eeg_pad>`` are added as
            special tokens if it lacks them (the model's vocabulary must then cover them).
        chat_template: Jinja template; default: the tokenizer's own, else ChatML (``CHAT_TEMPLATE``).
        eeg_tokens_per_segment: placeholders per segment (the encoder's time patches).
    """

    def __init__(self, feature_extractor=None, tokenizer=None, chat_template=None, eeg_tokens_per_segment: int = 16, **kwargs):
        chat_template = chat_template or getattr(tokenizer, "chat_template", None) or CHAT_TEMPLATE
        super().__init__(feature_extractor, tokenizer, chat_template=chat_template)
        self.eeg_tokens_per_segment = int(eeg_tokens_per_segment)
        missing = [t for t in (EEG_START_TOKEN, EEG_END_TOKEN, EEG_PAD_TOKEN) if t not in tokenizer.get_vocab()]
        if missing:
            tokenizer.add_tokens(missing, special_tokens=True)
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

    def expand_eeg_markers(self, text: str) -> str:
        """Each ``<eeg>`` → ``<eeg_start>`` + ``<eeg_pad>`` × N + ``<eeg_end>``."""
        block = EEG_START_TOKEN + EEG_PAD_TOKEN * self.eeg_tokens_per_segment + EEG_END_TOKEN
        return text.replace(EEG_TOKEN, block)

    def __call__(
        self,
        text: str | list[str] | None = None,
        eeg=None,
        channel_names=None,
        sampling_rate: float | None = None,
        eeg_channel_mask=None,
        return_tensors: str | None = "pt",
        **kwargs,
    ) -> BatchFeature:
        """Tokenize ``text`` and turn ``eeg`` into ``eeg_values``.

        Args:
            text: one string or a batch; ``<eeg>`` marks each segment.
            eeg: the segments of all texts in order of appearance: an array (channels, samples), a
                list of arrays, a list of per-text lists, or an array (segments, channels, samples).
            channel_names, sampling_rate, eeg_channel_mask: passed to the feature extractor.
            **kwargs: passed to the tokenizer (``padding``, ``padding_side``, ``truncation``…).

        Returns:
            ``input_ids`` (B, L), ``attention_mask`` (B, L), and with EEG ``eeg_values`` (S, C, T),
            ``eeg_channel_mask`` (S, C).

        Raises:
            EEGInputError: the number of ``<eeg>`` markers differs from the number of segments.
        """
        if text is None:
            raise ValueError("E2LLMProcessor needs text (use <eeg> where each EEG segment goes)")
        texts = [text] if isinstance(text, str) else list(text)
        for t in texts:
            if EEG_PAD_TOKEN in t or EEG_START_TOKEN in t:
                raise ValueError("write <eeg> for each segment; the processor inserts <eeg_start>/<eeg_pad>/<eeg_end>")
        segments = _flatten_segments(eeg)
        n_markers = sum(t.count(EEG_TOKEN) for t in texts)
        if n_markers != len(segments):
            raise EEGInputError(f"the text has {n_markers} <eeg> markers but {len(segments)} EEG segments were given")

        kwargs.setdefault("padding", len(texts) > 1)
        text_inputs = self.tokenizer([self.expand_eeg_markers(t) for t in texts], return_tensors=return_tensors, **kwargs)
        data = dict(text_inputs)
        if segments:
            features = self.feature_extractor(
                segments,
                channel_names=channel_names,
                sampling_rate=sampling_rate,
                channel_mask=eeg_channel_mask,
                return_tensors=return_tensors,
            )
            data.update(features)
        return BatchFeature(data=data, tensor_type=return_tensors)

    def apply_chat_template(
        self,
        conversation,
        chat_template: str | None = None,
        add_generation_prompt: bool = False,
        tokenize: bool = False,
        eeg=None,
        return_tensors: str | None = "pt",
        **kwargs,
    ):
        """Render one conversation (list of messages) or a batch of them.

        Content parts: ``{"type": "text", "text": ...}`` and ``{"type": "eeg"}`` (an ``"eeg"`` key
        may hold the array). With ``tokenize=True`` the rendered text and the segments — from the
        parts, or from ``eeg`` in order — go through ``__call__`` and a ``BatchFeature`` is returned.
        """
        batched = bool(conversation) and isinstance(conversation[0], (list, tuple))
        conversations = conversation if batched else [conversation]
        template = chat_template or self.chat_template
        rendered = [
            self.tokenizer.apply_chat_template(
                flatten_messages(conv), chat_template=template, add_generation_prompt=add_generation_prompt, tokenize=False
            )
            for conv in conversations
        ]
        if not tokenize:
            return rendered if batched else rendered[0]
        if eeg is None:
            eeg = [
                part["eeg"]
                for conv in conversations
                for message in conv
                if not isinstance(message["content"], str)
                for part in message["content"]
                if part.get("type") == "eeg" and part.get("eeg") is not None
            ]
        return self(text=rendered, eeg=eeg, return_tensors=return_tensors, **kwargs)

    @property
    def model_input_names(self) -> list[str]:
        return list(dict.fromkeys(self.tokenizer.model_input_names + self.feature_extractor.model_input_names))


def flatten_messages(conversation) -> list[dict]:
    """Chat messages with string contents: each list of content parts joined, ``<eeg>`` for an
    EEG part (``{"type": "eeg"}``), the text of a text part; other message keys kept."""
    out = []
    for message in conversation:
        content = message["content"]
        if not isinstance(content, str):
            pieces = []
            for part in content:
                kind = part.get("type")
                if kind == "eeg":
                    pieces.append(EEG_TOKEN)
                elif kind == "text":
                    pieces.append(part.get("text") or "")
                else:
                    raise ValueError(f"unknown content part type {kind!r} (expected 'text' or 'eeg')")
            content = "".join(pieces)
        out.append({**message, "content": content})
    return out


def _flatten_segments(eeg) -> list:
    """None / array / list of arrays / list of lists → flat list of (channels, samples) arrays."""
    if eeg is None:
        return []
    if hasattr(eeg, "shape"):
        array = np.asarray(eeg.detach().cpu() if hasattr(eeg, "detach") else eeg)
        return [array] if array.ndim == 2 else list(array)
    flat = []
    for item in eeg:  # a segment is 2-D; anything else is one text's list of segments
        if np.ndim(item) == 2:
            flat.append(item)
        else:
            flat.extend(item)
    return flat


E2LLMProcessor.register_for_auto_class("AutoProcessor")

__all__ = ["E2LLMProcessor", "CHAT_TEMPLATE", "flatten_messages"]
