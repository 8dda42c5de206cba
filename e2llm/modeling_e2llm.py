"""E2LLM model: EEGPT-style EEG encoder → two-layer MLP projector → causal language model.

Read top to bottom:

1. ``E2LLMEEGEncoder`` — EEGPT's encoder (Eq. 1–3): 64-sample temporal patches embedded by a
   convolution, plus a learned embedding per channel name; each time patch is a sequence of its
   channels followed by summary tokens, run through pre-norm transformer blocks; the summary
   tokens' last states are the output, (B, N, S, D) = (B, 16, 4, 512) for 4 s at 256 Hz.
2. ``E2LLMForEEGClassification`` — stage 1: the encoder and a linear head.
3. ``E2LLMMultiModalProjector`` — Eq. 4: Linear → GELU → Linear, per time patch, plus the learned
   embeddings of ``<eeg_start>`` / ``<eeg_end>``.
4. ``E2LLMModel`` / ``E2LLMForConditionalGeneration`` — Eq. 5: projected EEG embeddings are
   scattered into the LM's input embeddings at the ``<eeg_pad>`` placeholder positions.

Module and parameter names inside the encoder follow EEGPT's reference code (``patch_embed.proj``,
``chan_embed``, ``summary_token``, ``blocks.i.attn.qkv``…), so its published checkpoint maps onto
``eeg_encoder`` by a prefix rename.

Part of the model a Hub repository carries: imports only torch, transformers and its siblings.
"""

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F
from transformers import AutoModel, GenerationMixin, PreTrainedModel
from transformers import initialization as init
from transformers.activations import ACT2FN
from transformers.cache_utils import Cache
from transformers.generation.logits_process import LogitsProcessorList, SuppressTokensLogitsProcessor
from transformers.masking_utils import create_bidirectional_mask
from transformers.modeling_layers import GradientCheckpointingLayer
from transformers.modeling_outputs import BaseModelOutputWithPast, ModelOutput, SequenceClassifierOutput
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS
from transformers.processing_utils import Unpack
from transformers.utils import TransformersKwargs, is_torchdynamo_compiling, torch_compilable_check
from transformers.utils.generic import can_return_tuple

from .configuration_e2llm import EEGPT_CHANNEL_TABLE, E2LLMConfig, E2LLMEEGConfig


@dataclass
class E2LLMEEGEncoderOutput(ModelOutput):
    """
    Args:
        last_hidden_state: (batch, time_patches, summary_tokens, hidden) summary states after the
            final norm.
    """

    last_hidden_state: torch.FloatTensor | None = None


@dataclass
class E2LLMModelOutputWithPast(BaseModelOutputWithPast):
    """``BaseModelOutputWithPast`` plus ``eeg_hidden_states``: (segments × tokens, text hidden)
    projected EEG embeddings that were placed into the sequence."""

    eeg_hidden_states: torch.FloatTensor | None = None


@dataclass
class E2LLMCausalLMOutputWithPast(ModelOutput):
    loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    past_key_values: object | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None
    attentions: tuple[torch.FloatTensor, ...] | None = None
    eeg_hidden_states: torch.FloatTensor | None = None


# ----------------------------------------------------------------------------------------------
# 1. EEG encoder
# ----------------------------------------------------------------------------------------------


class E2LLMEEGPatchEmbedding(nn.Module):
    """Eq. 1–2, temporal part: (B, C, T) → (B, N, C, D) with N = (T - P) / stride + 1."""

    def __init__(self, config: E2LLMEEGConfig):
        super().__init__()
        self.proj = nn.Conv2d(
            1, config.hidden_size, kernel_size=(1, config.patch_size), stride=(1, config.patch_stride)
        )

    def forward(self, eeg_values: torch.Tensor) -> torch.Tensor:
        # (B, C, T) → (B, 1, C, T) → conv → (B, D, C, N) → (B, N, C, D)
        return self.proj(eeg_values.unsqueeze(1)).permute(0, 3, 2, 1)


def eager_attention_forward(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    scaling: float,
    dropout: float = 0.0,
    **kwargs,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Plain softmax attention. query/key/value (B', heads, L, head_dim); attention_mask additive,
    broadcastable to (B', heads, L, L). Returns the output (B', L, heads, head_dim) and the
    weights (B', heads, L, L)."""
    weights = torch.matmul(query, key.transpose(-1, -2)) * scaling
    if attention_mask is not None:
        weights = weights + attention_mask
    weights = F.softmax(weights, dim=-1, dtype=torch.float32).to(query.dtype)
    weights = F.dropout(weights, p=dropout, training=module.training)
    return torch.matmul(weights, value).transpose(1, 2).contiguous(), weights


class E2LLMEEGAttention(nn.Module):
    """Multi-head self-attention over the tokens of one time patch (channels + summary tokens),
    through transformers' attention interface: ``config._attn_implementation`` (``eager``,
    ``sdpa``, ``flash_attention_2``…) picks the kernel, as it does for the language model."""

    def __init__(self, config: E2LLMEEGConfig):
        super().__init__()
        self.config = config
        self.num_heads = config.num_attention_heads
        self.head_dim = config.hidden_size // config.num_attention_heads
        self.scaling = self.head_dim**-0.5
        self.dropout = config.attention_dropout
        self.is_causal = False
        self.qkv = nn.Linear(config.hidden_size, 3 * config.hidden_size, bias=config.qkv_bias)
        self.proj = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(
        self, hidden_states: torch.Tensor, attention_mask: torch.Tensor | None = None, **kwargs
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """hidden_states (B', L, D); attention_mask as ``create_bidirectional_mask`` makes it for
        the implementation in use. Returns (B', L, D) and the attention weights (eager only)."""
        batch, length, dim = hidden_states.shape
        qkv = self.qkv(hidden_states).reshape(batch, length, 3, self.num_heads, self.head_dim)
        query, key, value = qkv.permute(2, 0, 3, 1, 4)  # each (B', heads, L, head_dim)
        attention_interface: Callable = ALL_ATTENTION_FUNCTIONS.get_interface(
            self.config._attn_implementation, eager_attention_forward
        )
        out, weights = attention_interface(
            self,
            query,
            key,
            value,
            attention_mask,
            is_causal=False,
            scaling=self.scaling,
            dropout=self.dropout if self.training else 0.0,
            **kwargs,
        )
        return self.proj(out.reshape(batch, length, dim)), weights


class E2LLMEEGMLP(nn.Module):
    def __init__(self, config: E2LLMEEGConfig):
        super().__init__()
        hidden = int(config.hidden_size * config.mlp_ratio)
        self.fc1 = nn.Linear(config.hidden_size, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, config.hidden_size)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(hidden_states)))


class E2LLMEEGBlock(GradientCheckpointingLayer):
    """Pre-norm transformer block (EEGPT's ``Block``): x + attn(norm1(x)), then x + mlp(norm2(x))."""

    def __init__(self, config: E2LLMEEGConfig):
        super().__init__()
        self.norm1 = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.attn = E2LLMEEGAttention(config)
        self.norm2 = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.mlp = E2LLMEEGMLP(config)

    def forward(
        self, hidden_states: torch.Tensor, attention_mask: torch.Tensor | None = None, **kwargs
    ) -> torch.Tensor:
        hidden_states = hidden_states + self.attn(self.norm1(hidden_states), attention_mask, **kwargs)[0]
        return hidden_states + self.mlp(self.norm2(hidden_states))


def _init_eeg_encoder_extras(module: nn.Module, std: float) -> None:
    """What the generic ``_init_weights`` does not cover: the summary tokens and the channel-id
    buffer (not saved, so rebuilt on every load)."""
    if isinstance(module, E2LLMEEGEncoder):
        init.trunc_normal_(module.summary_token, std=std)
        ids = [EEGPT_CHANNEL_TABLE.index(name) for name in module.config.channel_names]
        init.copy_(module.channel_ids, torch.tensor(ids, dtype=torch.long))


class E2LLMEEGPreTrainedModel(PreTrainedModel):
    config: E2LLMEEGConfig
    config_class = E2LLMEEGConfig
    base_model_prefix = "eeg_encoder"
    main_input_name = "eeg_values"
    input_modalities = ("eeg",)
    supports_gradient_checkpointing = True
    _no_split_modules = ["E2LLMEEGBlock"]
    _supports_sdpa = True
    _supports_flash_attn = True
    _supports_flex_attn = True
    _supports_attention_backend = True
    _can_compile_fullgraph = True

    @torch.no_grad()
    def _init_weights(self, module):
        super()._init_weights(module)
        _init_eeg_encoder_extras(module, self.config.initializer_range)


class E2LLMEEGEncoder(E2LLMEEGPreTrainedModel):
    """EEGPT's encoder.

    ``forward(eeg_values (B, C, T) in mV, eeg_channel_mask (B, C) bool)`` →
    ``last_hidden_state`` (B, N, S, D). Channels whose mask is False (zero-filled because the
    recording lacked them) are never attended to, so they do not influence the output.
    """

    def __init__(self, config: E2LLMEEGConfig):
        super().__init__(config)
        self.patch_embed = E2LLMEEGPatchEmbedding(config)
        self.chan_embed = nn.Embedding(len(EEGPT_CHANNEL_TABLE), config.hidden_size)
        self.summary_token = nn.Parameter(torch.zeros(1, config.num_summary_tokens, config.hidden_size))
        self.blocks = nn.ModuleList([E2LLMEEGBlock(config) for _ in range(config.num_hidden_layers)])
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        channel_ids = [EEGPT_CHANNEL_TABLE.index(name) for name in config.channel_names]
        self.register_buffer("channel_ids", torch.tensor(channel_ids, dtype=torch.long), persistent=False)
        self.gradient_checkpointing = False
        self.post_init()

    @can_return_tuple
    def forward(
        self,
        eeg_values: torch.Tensor,
        eeg_channel_mask: torch.Tensor | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> E2LLMEEGEncoderOutput:
        batch, channels, samples = eeg_values.shape
        if channels != len(self.config.channel_names) or samples != self.config.num_samples:
            raise ValueError(
                f"eeg_values has shape {tuple(eeg_values.shape)}; expected (batch, {len(self.config.channel_names)}, "
                f"{self.config.num_samples})"
            )
        eeg_values = eeg_values.to(self.patch_embed.proj.weight.dtype) * self.config.input_scale
        x = self.patch_embed(eeg_values)  # (B, N, C, D)
        x = x + self.chan_embed(self.channel_ids)[None, None]  # channel embedding ς_i
        num_patches = x.shape[1]
        x = x.flatten(0, 1)  # (B·N, C, D)
        summary = self.summary_token.expand(x.shape[0], -1, -1)
        x = torch.cat([x, summary], dim=1)  # (B·N, C + S, D)

        attention_mask = None
        if eeg_channel_mask is not None:
            keep = torch.cat(
                [eeg_channel_mask.bool(), eeg_channel_mask.new_ones(batch, summary.shape[1], dtype=torch.bool)], dim=1
            )  # (B, C + S): channels absent from the recording are never attended to
            keep = keep.repeat_interleave(num_patches, dim=0)  # (B·N, C + S)
            # None when nothing is masked; else the mask the attention implementation expects
            attention_mask = create_bidirectional_mask(config=self.config, inputs_embeds=x, attention_mask=keep)

        for block in self.blocks:
            x = block(x, attention_mask)
        x = self.norm(x[:, -summary.shape[1] :])  # (B·N, S, D)
        return E2LLMEEGEncoderOutput(last_hidden_state=x.reshape(batch, num_patches, summary.shape[1], -1))


class E2LLMForEEGClassification(E2LLMEEGPreTrainedModel):
    """Stage 1 (§3.2.2): the encoder plus a linear head on the pooled summary states.

    Pooling: mean over time patches of the concatenated summary tokens, (B, S·D); then dropout and
    ``classifier`` → (B, num_labels) logits; cross-entropy against ``labels`` (B,).
    """

    def __init__(self, config: E2LLMEEGConfig):
        super().__init__(config)
        self.eeg_encoder = E2LLMEEGEncoder(config)
        self.dropout = nn.Dropout(config.classifier_dropout)
        self.classifier = nn.Linear(config.num_summary_tokens * config.hidden_size, config.num_labels)
        self.post_init()

    @can_return_tuple
    def forward(
        self,
        eeg_values: torch.Tensor,
        eeg_channel_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> SequenceClassifierOutput:
        hidden = self.eeg_encoder(eeg_values, eeg_channel_mask).last_hidden_state  # (B, N, S, D)
        pooled = hidden.flatten(2).mean(dim=1)  # (B, S·D)
        logits = self.classifier(self.dropout(pooled))
        loss = F.cross_entropy(logits.float(), labels.long()) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)


# ----------------------------------------------------------------------------------------------
# 2. Projector and the multimodal model
# ----------------------------------------------------------------------------------------------


class E2LLMMultiModalProjector(nn.Module):
    """Eq. 4: z = W2 · GELU(W1 · h + b1) + b2, applied to each time patch's (S·D) summary features.

    It also owns ``boundary_embeddings`` (2, text hidden): the input embeddings used for
    ``<eeg_start>`` (row 0) and ``<eeg_end>`` (row 1) in place of the LM's rows for those new
    tokens. Because they live in the projector they are trained whenever the projector is — in
    stage 2, with the LM frozen, they move away from their initial value, which is the mean of the
    LM's input embeddings (set by ``E2LLMForConditionalGeneration.from_parts``), not random — and
    PEFT's ``modules_to_save=["multi_modal_projector"]`` keeps them in stage 3.
    """

    def __init__(self, config: E2LLMConfig):
        super().__init__()
        text_hidden = config.text_config.hidden_size
        self.linear_1 = nn.Linear(config.eeg_feature_size, text_hidden, bias=config.projector_bias)
        self.act = ACT2FN[config.projector_hidden_act]
        self.linear_2 = nn.Linear(text_hidden, text_hidden, bias=config.projector_bias)
        self.boundary_embeddings = nn.Parameter(torch.zeros(2, text_hidden))

    def forward(self, eeg_features: torch.Tensor) -> torch.Tensor:
        """eeg_features (..., S·D_eeg) → (..., text hidden)."""
        return self.linear_2(self.act(self.linear_1(eeg_features)))


class E2LLMPreTrainedModel(PreTrainedModel):
    config: E2LLMConfig
    config_class = E2LLMConfig
    base_model_prefix = "model"
    main_input_name = "input_ids"
    input_modalities = ("eeg", "text")
    supports_gradient_checkpointing = True
    _no_split_modules = ["E2LLMEEGBlock"]
    _skip_keys_device_placement = ["past_key_values"]
    _supports_flash_attn = True
    _supports_sdpa = True
    _supports_flex_attn = True
    _supports_attention_backend = True
    _can_compile_fullgraph = True  # the decoding step (no EEG) compiles into one graph, static cache included

    @torch.no_grad()
    def _init_weights(self, module):
        super()._init_weights(module)
        std = self.config.text_config.initializer_range
        _init_eeg_encoder_extras(module, std)
        if isinstance(module, E2LLMMultiModalProjector):
            init.normal_(module.boundary_embeddings, std=std)


class E2LLMModel(E2LLMPreTrainedModel):
    """EEG encoder + projector + bare decoder (no LM head)."""

    def __init__(self, config: E2LLMConfig):
        super().__init__(config)
        self.eeg_encoder = E2LLMEEGEncoder(config.eeg_config)
        self.multi_modal_projector = E2LLMMultiModalProjector(config)
        self.language_model = AutoModel.from_config(config.text_config)
        self.post_init()

    def get_input_embeddings(self):
        return self.language_model.get_input_embeddings()

    def set_input_embeddings(self, value):
        self.language_model.set_input_embeddings(value)

    def get_eeg_features(
        self,
        eeg_values: torch.Tensor | None = None,
        eeg_channel_mask: torch.Tensor | None = None,
        eeg_hidden_states: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """EEG segments → LM-space embeddings.

        Args:
            eeg_values: (segments, C, T) in mV.
            eeg_channel_mask: (segments, C) bool, False for zero-filled channels.
            eeg_hidden_states: (segments, N, S, D_eeg) encoder outputs computed beforehand (a frozen
                encoder gives the same every epoch); used instead of running the encoder.

        Returns:
            (segments, N, text hidden): one embedding per time patch.
        """
        if eeg_hidden_states is None:
            eeg_hidden_states = self.eeg_encoder(eeg_values, eeg_channel_mask).last_hidden_state
        features = eeg_hidden_states.flatten(2).to(self.multi_modal_projector.linear_1.weight.dtype)
        return self.multi_modal_projector(features)

    def get_special_token_masks(
        self, input_ids: torch.LongTensor | None, inputs_embeds: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(B, L) bool masks of the ``<eeg_pad>``, ``<eeg_start>`` and ``<eeg_end>`` positions.

        Read from ``input_ids``, or — when only ``inputs_embeds`` is given, built the documented
        way as ``model.get_input_embeddings()(input_ids)`` — from the positions whose embedding
        is the LM's row for that token (as transformers' vision-language models find images).
        """
        ids = (self.config.eeg_token_id, self.config.eeg_start_token_id, self.config.eeg_end_token_id)
        if input_ids is not None:
            return tuple(input_ids == token_id for token_id in ids)
        rows = self.get_input_embeddings()(torch.tensor(ids, dtype=torch.long, device=inputs_embeds.device))
        return tuple((inputs_embeds == rows[k].to(inputs_embeds.dtype)).all(-1) for k in range(len(ids)))

    def get_placeholder_mask(
        self, input_ids: torch.LongTensor | None, inputs_embeds: torch.Tensor, eeg_features: torch.Tensor
    ) -> torch.Tensor:
        """(B, L, 1) bool mask of the ``<eeg_pad>`` positions; checks they match the features
        (segments, N, text hidden)."""
        mask = self.get_special_token_masks(input_ids, inputs_embeds)[0]
        n_tokens, per_segment = mask.sum(), self.config.eeg_tokens_per_segment

        def message() -> str:
            return (
                f"EEG placeholders and segments disagree: the text has {int(n_tokens)} <eeg_pad> tokens "
                f"({int(n_tokens) / per_segment:g} segments of {per_segment}) but {eeg_features.shape[0]} EEG segments "
                "were given"
            )

        torch_compilable_check(n_tokens == eeg_features.shape[0] * eeg_features.shape[1], message)
        return mask.unsqueeze(-1)

    @can_return_tuple
    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        eeg_values: torch.FloatTensor | None = None,
        eeg_channel_mask: torch.BoolTensor | None = None,
        eeg_hidden_states: torch.FloatTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        past_key_values: Cache | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> E2LLMModelOutputWithPast:
        """
        Args:
            input_ids: (B, L) with each EEG segment written as ``<eeg_start>`` + ``<eeg_pad>`` × N +
                ``<eeg_end>`` (the processor does this). Or, instead, ``inputs_embeds`` (B, L, H)
                = ``get_input_embeddings()(input_ids)``: with EEG, the placeholders are found from
                it; without, it is used as given (it may already hold the EEG's embeddings), as
                transformers' multimodal models use the embeddings a caller passes.
            eeg_values: (total segments, C, T): the segments of the whole batch, sample after sample,
                in order of appearance — samples may hold different numbers of segments.
            eeg_channel_mask: (total segments, C) bool.
            eeg_hidden_states: (total segments, N, S, D_eeg) precomputed encoder outputs, instead of
                ``eeg_values``.

        EEG given with a cache that already holds the prompt and no placeholders in the new tokens
        (a continued or assisted generation) has been consumed: it is not encoded again.
        """
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("pass exactly one of input_ids or inputs_embeds")
        embedded_here = inputs_embeds is None
        if embedded_here:
            inputs_embeds = self.get_input_embeddings()(input_ids)
        is_pad, is_start, is_end = self.get_special_token_masks(input_ids, inputs_embeds)

        eeg_embeddings = None
        has_eeg = eeg_values is not None or eeg_hidden_states is not None
        if has_eeg:
            consumed = (  # a traced graph (torch.export of a prefill) always consumes what it is given
                not is_torchdynamo_compiling()
                and past_key_values is not None
                and past_key_values.get_seq_length() > 0
                and not bool(is_pad.any())
            )
            if not consumed:
                eeg_embeddings = self.get_eeg_features(eeg_values, eeg_channel_mask, eeg_hidden_states)
                mask = self.get_placeholder_mask(input_ids, inputs_embeds, eeg_embeddings)
                inputs_embeds = inputs_embeds.masked_scatter(mask, eeg_embeddings.to(inputs_embeds.dtype))
        elif embedded_here and (
            is_torchdynamo_compiling() or past_key_values is None or past_key_values.get_seq_length() == 0
        ):
            # checked on the prompt; generation never writes <eeg_pad> (SuppressEEGMarkersLogitsProcessor)
            torch_compilable_check(~is_pad.any(), "the text has <eeg_pad> placeholders but no eeg_values were given")
        boundary = self.multi_modal_projector.boundary_embeddings.to(inputs_embeds.dtype)
        inputs_embeds = torch.where(
            is_start.unsqueeze(-1), boundary[0], torch.where(is_end.unsqueeze(-1), boundary[1], inputs_embeds)
        )

        outputs = self.language_model(
            attention_mask=attention_mask,
            position_ids=position_ids,
            past_key_values=past_key_values,
            inputs_embeds=inputs_embeds,
            **kwargs,
        )
        return E2LLMModelOutputWithPast(
            last_hidden_state=outputs.last_hidden_state,
            past_key_values=outputs.past_key_values,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
            eeg_hidden_states=eeg_embeddings.flatten(0, 1) if eeg_embeddings is not None else None,
        )


class SuppressEEGMarkersLogitsProcessor(SuppressTokensLogitsProcessor):
    """``SuppressTokensLogitsProcessor`` for ``<eeg_start>``/``<eeg_pad>``/``<eeg_end>``: they
    mark where EEG was given and are never to be written (an own class, so that it is not taken
    for a user's ``suppress_tokens``)."""


class E2LLMForConditionalGeneration(E2LLMPreTrainedModel, GenerationMixin):
    """E2LLM with a language-modelling head: reads EEG and text, writes text.

    ``forward(..., labels)`` computes the next-token loss only where ``labels`` != -100.
    ``generate(input_ids, attention_mask, eeg_values, eeg_channel_mask, ...)`` consumes the EEG at
    the prefill step only. It never writes ``<eeg_start>``/``<eeg_pad>``/``<eeg_end>``: they mark
    input, and are suppressed in every decoding mode.
    """

    _tied_weights_keys = {"lm_head.weight": "model.language_model.embed_tokens.weight"}
    _tp_plan = {"lm_head": "colwise_gather_output"}  # the decoder's plan comes with its own config
    _eeg_input_keys = ("eeg_values", "eeg_channel_mask", "eeg_hidden_states")

    def __init__(self, config: E2LLMConfig):
        super().__init__(config)
        self.model = E2LLMModel(config)
        self.lm_head = nn.Linear(config.text_config.hidden_size, config.text_config.vocab_size, bias=False)
        self.post_init()

    def get_input_embeddings(self):
        return self.model.get_input_embeddings()

    def set_input_embeddings(self, value):
        self.model.set_input_embeddings(value)

    def get_output_embeddings(self):
        return self.lm_head

    def set_output_embeddings(self, value):
        self.lm_head = value

    def get_decoder(self):
        return self.model.language_model

    @property
    def eeg_encoder(self):
        return self.model.eeg_encoder

    @property
    def multi_modal_projector(self):
        return self.model.multi_modal_projector

    @property
    def language_model(self):
        return self.model.language_model

    @can_return_tuple
    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        eeg_values: torch.FloatTensor | None = None,
        eeg_channel_mask: torch.BoolTensor | None = None,
        eeg_hidden_states: torch.FloatTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        past_key_values: Cache | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        labels: torch.LongTensor | None = None,
        logits_to_keep: int | torch.Tensor = 0,
        **kwargs: Unpack[TransformersKwargs],
    ) -> E2LLMCausalLMOutputWithPast:
        """Shapes as in ``E2LLMModel.forward``; ``labels`` (B, L) with -100 where no loss is taken.
        Returns logits (B, L, vocab) (or the last ``logits_to_keep`` positions)."""
        outputs = self.model(
            input_ids=input_ids,
            eeg_values=eeg_values,
            eeg_channel_mask=eeg_channel_mask,
            eeg_hidden_states=eeg_hidden_states,
            attention_mask=attention_mask,
            position_ids=position_ids,
            past_key_values=past_key_values,
            inputs_embeds=inputs_embeds,
            **kwargs,
        )
        hidden_states = outputs.last_hidden_state
        keep = slice(-logits_to_keep, None) if isinstance(logits_to_keep, int) else logits_to_keep
        logits = self.lm_head(hidden_states[:, keep, :])
        loss = None
        if labels is not None:
            loss = self.loss_function(
                logits=logits, labels=labels, vocab_size=self.config.text_config.vocab_size, **kwargs
            )
        return E2LLMCausalLMOutputWithPast(
            loss=loss,
            logits=logits,
            past_key_values=outputs.past_key_values,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
            eeg_hidden_states=outputs.eeg_hidden_states,
        )

    def prepare_inputs_for_generation(
        self,
        input_ids: torch.LongTensor,
        next_sequence_length: int | None = None,
        past_key_values: Cache | None = None,
        attention_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        is_first_iteration: bool | None = False,
        **kwargs,
    ):
        """The generic preparation, except that EEG inputs reach the model only while their
        placeholders do: once the cache holds the prompt, their embeddings are in it. This is
        decided from the cache, not from ``is_first_iteration``, which an assistant model's
        prefill (assisted decoding) receives as False."""
        model_inputs = super().prepare_inputs_for_generation(
            input_ids,
            next_sequence_length=next_sequence_length,
            past_key_values=past_key_values,
            attention_mask=attention_mask,
            inputs_embeds=inputs_embeds,
            is_first_iteration=is_first_iteration,
            **kwargs,
        )
        ids = model_inputs.get("input_ids")
        cached = past_key_values is not None and past_key_values.get_seq_length() > 0
        if cached and ids is not None and not bool((ids == self.config.eeg_token_id).any()):
            for key in self._eeg_input_keys:
                model_inputs.pop(key, None)
        return model_inputs

    def _expand_inputs_for_generation(
        self,
        expand_size: int = 1,
        is_encoder_decoder: bool = False,
        input_ids: torch.LongTensor | None = None,
        **model_kwargs,
    ):
        """Beam search and ``num_return_sequences`` repeat each prompt ``expand_size`` times; its EEG
        must follow as a block. ``eeg_values`` is (total segments, C, T), so repeating it row by row
        (the generic expansion) would hand a prompt another prompt's segments when one holds two
        or more. Segments [A, B | C] for prompts of 2 and 1 become [A, B, A, B | C, C]."""
        eeg = {key: model_kwargs.pop(key) for key in self._eeg_input_keys if model_kwargs.get(key) is not None}
        if eeg and expand_size > 1:
            ids = input_ids if input_ids is not None and input_ids.numel() else None
            is_pad = self.model.get_special_token_masks(ids, model_kwargs.get("inputs_embeds"))[0]
            per_prompt = (is_pad.sum(-1) // self.config.eeg_tokens_per_segment).tolist()
            first = [sum(per_prompt[:row]) for row in range(len(per_prompt))]
            index = [s for f, n in zip(first, per_prompt) for _ in range(expand_size) for s in range(f, f + n)]
            n_segments = next(iter(eeg.values())).shape[0]
            if sum(per_prompt) == n_segments:  # otherwise forward reports the mismatch
                eeg = {key: value[torch.tensor(index, device=value.device)] for key, value in eeg.items()}
        input_ids, model_kwargs = super()._expand_inputs_for_generation(
            expand_size=expand_size, is_encoder_decoder=is_encoder_decoder, input_ids=input_ids, **model_kwargs
        )
        model_kwargs.update(eeg)
        return input_ids, model_kwargs

    def _get_logits_processor(self, generation_config, *args, **kwargs) -> LogitsProcessorList:
        """The generic logits processors, led by one that suppresses the EEG marker tokens."""
        processors = super()._get_logits_processor(generation_config, *args, **kwargs)
        if not any(isinstance(p, SuppressEEGMarkersLogitsProcessor) for p in processors):
            markers = [self.config.eeg_token_id, self.config.eeg_start_token_id, self.config.eeg_end_token_id]
            processors.insert(0, SuppressEEGMarkersLogitsProcessor(markers, device=kwargs.get("device") or self.device))
        return processors

    def save_pretrained(self, save_directory, *args, **kwargs):
        """``PreTrainedModel.save_pretrained``; the config's ``auto_map`` also names this class for
        ``AutoModelForMultimodalLM`` and ``AutoModelForImageTextToText`` (transformers records one
        auto class per model class), so remote-code users can load it through either."""
        auto_map = dict(getattr(self.config, "auto_map", None) or {})
        for auto_class in ("AutoModelForMultimodalLM", "AutoModelForImageTextToText"):
            auto_map.setdefault(auto_class, f"modeling_e2llm.{type(self).__name__}")
        self.config.auto_map = auto_map
        return super().save_pretrained(save_directory, *args, **kwargs)

    @classmethod
    def from_parts(
        cls,
        config: E2LLMConfig,
        language_model: PreTrainedModel | None = None,
        eeg_encoder: E2LLMEEGEncoder | None = None,
    ) -> "E2LLMForConditionalGeneration":
        """Assemble a model from a pretrained causal LM (``AutoModelForCausalLM``) and, optionally,
        a trained encoder (e.g. ``E2LLMForEEGClassification.from_pretrained(stage1).eeg_encoder``).

        The LM's own modules become the model's decoder and head: the model is laid out on the
        meta device first, so a multi-billion-parameter LM is neither initialised a second time nor
        copied (``config.text_config`` becomes the LM's config). Its vocabulary is grown to
        ``config.text_config.vocab_size`` if the tokenizer gained tokens. ``<eeg_start>``/
        ``<eeg_end>`` embeddings start at the mean input embedding. The encoder and projector take
        the LM's dtype.
        """
        if language_model is None:
            model = cls(config)
        else:
            vocab = config.text_config.vocab_size
            if language_model.get_input_embeddings().weight.shape[0] != vocab:
                language_model.resize_token_embeddings(vocab, mean_resizing=True)
            with torch.device("meta"):
                model = cls(config)
            model.model.language_model = language_model.get_decoder()
            model.lm_head = language_model.get_output_embeddings()
            model.config.text_config = model.model.language_model.config
            model.model.multi_modal_projector = E2LLMMultiModalProjector(config)
            model.model.multi_modal_projector.apply(model._init_weights)
            model.model.eeg_encoder = E2LLMEEGEncoder(config.eeg_config)
            model.tie_weights()
        if eeg_encoder is not None:
            model.model.eeg_encoder.load_state_dict(eeg_encoder.state_dict())
        with torch.no_grad():
            mean = model.get_input_embeddings().weight.float().mean(dim=0)
            model.multi_modal_projector.boundary_embeddings.copy_(mean.expand(2, -1))
        if language_model is not None:
            model.to(language_model.dtype)
        return model


E2LLMConfig.register_for_auto_class()
E2LLMEEGConfig.register_for_auto_class()
E2LLMForConditionalGeneration.register_for_auto_class("AutoModel")
E2LLMForEEGClassification.register_for_auto_class("AutoModel")

__all__ = [
    "E2LLMEEGEncoder",
    "E2LLMEEGPreTrainedModel",
    "E2LLMForEEGClassification",
    "E2LLMMultiModalProjector",
    "E2LLMPreTrainedModel",
    "E2LLMModel",
    "E2LLMForConditionalGeneration",
]
