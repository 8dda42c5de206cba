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

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F
from transformers import AutoModel, GenerationMixin, PreTrainedModel
from transformers import initialization as init
from transformers.activations import ACT2FN
from transformers.modeling_layers import GradientCheckpointingLayer
from transformers.modeling_outputs import BaseModelOutputWithPast, ModelOutput, SequenceClassifierOutput

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


class E2LLMEEGAttention(nn.Module):
    """Multi-head self-attention over the tokens of one time patch (channels + summary tokens)."""

    def __init__(self, config: E2LLMEEGConfig):
        super().__init__()
        self.num_heads = config.num_attention_heads
        self.dropout = config.attention_dropout
        self.qkv = nn.Linear(config.hidden_size, 3 * config.hidden_size, bias=config.qkv_bias)
        self.proj = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """hidden_states (B', L, D); attention_mask (B', 1, 1, L) bool, True = may be attended."""
        batch, length, dim = hidden_states.shape
        qkv = self.qkv(hidden_states).reshape(batch, length, 3, self.num_heads, dim // self.num_heads)
        query, key, value = qkv.permute(2, 0, 3, 1, 4)  # each (B', heads, L, head_dim)
        out = F.scaled_dot_product_attention(
            query, key, value, attn_mask=attention_mask, dropout_p=self.dropout if self.training else 0.0
        )
        return self.proj(out.transpose(1, 2).reshape(batch, length, dim))


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

    def forward(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        hidden_states = hidden_states + self.attn(self.norm1(hidden_states), attention_mask)
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

    def forward(
        self, eeg_values: torch.Tensor, eeg_channel_mask: torch.Tensor | None = None, **kwargs
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
        if eeg_channel_mask is not None and not bool(eeg_channel_mask.all()):
            keep = torch.cat(
                [eeg_channel_mask.bool(), eeg_channel_mask.new_ones(batch, summary.shape[1], dtype=torch.bool)], dim=1
            )  # (B, C + S)
            attention_mask = keep.repeat_interleave(num_patches, dim=0)[:, None, None, :]  # (B·N, 1, 1, C + S)

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

    def forward(
        self,
        eeg_values: torch.Tensor,
        eeg_channel_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        **kwargs,
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

    def get_placeholder_mask(self, input_ids: torch.LongTensor, inputs_embeds: torch.Tensor, eeg_features: torch.Tensor):
        """(B, L, 1) bool mask of the ``<eeg_pad>`` positions; checks they match the features."""
        mask = input_ids == self.config.eeg_token_id
        n_tokens, per_segment = int(mask.sum()), self.config.eeg_tokens_per_segment
        if n_tokens != eeg_features.shape[0] * eeg_features.shape[1]:
            raise ValueError(
                f"EEG placeholders and segments disagree: the text has {n_tokens} <eeg_pad> tokens "
                f"({n_tokens / per_segment:g} segments of {per_segment}) but {eeg_features.shape[0]} EEG segments were given"
            )
        return mask.unsqueeze(-1).expand_as(inputs_embeds)

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        eeg_values: torch.FloatTensor | None = None,
        eeg_channel_mask: torch.BoolTensor | None = None,
        eeg_hidden_states: torch.FloatTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        past_key_values=None,
        inputs_embeds: torch.FloatTensor | None = None,
        **kwargs,
    ) -> E2LLMModelOutputWithPast:
        """
        Args:
            input_ids: (B, L) with each EEG segment written as ``<eeg_start>`` + ``<eeg_pad>`` × N +
                ``<eeg_end>`` (the processor does this).
            eeg_values: (total segments, C, T): the segments of the whole batch, sample after sample,
                in order of appearance — samples may hold different numbers of segments.
            eeg_channel_mask: (total segments, C) bool.
            eeg_hidden_states: (total segments, N, S, D_eeg) precomputed encoder outputs, instead of
                ``eeg_values``.
        """
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("pass exactly one of input_ids or inputs_embeds")
        if inputs_embeds is None:
            inputs_embeds = self.get_input_embeddings()(input_ids)

        eeg_embeddings = None
        has_eeg = eeg_values is not None or eeg_hidden_states is not None
        if input_ids is not None:
            if has_eeg:
                eeg_embeddings = self.get_eeg_features(eeg_values, eeg_channel_mask, eeg_hidden_states)
                mask = self.get_placeholder_mask(input_ids, inputs_embeds, eeg_embeddings)
                inputs_embeds = inputs_embeds.masked_scatter(mask, eeg_embeddings.to(inputs_embeds.dtype))
            elif bool((input_ids == self.config.eeg_token_id).any()):
                raise ValueError("the text has <eeg_pad> placeholders but no eeg_values were given")
            boundary = self.multi_modal_projector.boundary_embeddings.to(inputs_embeds.dtype)
            is_start = (input_ids == self.config.eeg_start_token_id).unsqueeze(-1)
            is_end = (input_ids == self.config.eeg_end_token_id).unsqueeze(-1)
            inputs_embeds = torch.where(is_start, boundary[0], torch.where(is_end, boundary[1], inputs_embeds))
        elif has_eeg:
            raise ValueError("EEG input needs input_ids to locate its placeholders")

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


class E2LLMForConditionalGeneration(E2LLMPreTrainedModel, GenerationMixin):
    """E2LLM with a language-modelling head: reads EEG and text, writes text.

    ``forward(..., labels)`` computes the next-token loss only where ``labels`` != -100.
    ``generate(input_ids, attention_mask, eeg_values, eeg_channel_mask, ...)`` consumes the EEG at
    the prefill step only.
    """

    _tied_weights_keys = {"lm_head.weight": "model.language_model.embed_tokens.weight"}
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

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        eeg_values: torch.FloatTensor | None = None,
        eeg_channel_mask: torch.BoolTensor | None = None,
        eeg_hidden_states: torch.FloatTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        past_key_values=None,
        inputs_embeds: torch.FloatTensor | None = None,
        labels: torch.LongTensor | None = None,
        logits_to_keep: int | torch.Tensor = 0,
        **kwargs,
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
            loss = self.loss_function(logits=logits, labels=labels, vocab_size=self.config.text_config.vocab_size, **kwargs)
        return E2LLMCausalLMOutputWithPast(
            loss=loss,
            logits=logits,
            past_key_values=outputs.past_key_values,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
            eeg_hidden_states=outputs.eeg_hidden_states,
        )

    def prepare_inputs_for_generation(self, *args, is_first_iteration: bool | None = False, **kwargs):
        """The generic preparation, except that EEG inputs reach the model at prefill only: after
        it their embeddings are in the cache and the new tokens hold no placeholders."""
        model_inputs = super().prepare_inputs_for_generation(*args, is_first_iteration=is_first_iteration, **kwargs)
        if not is_first_iteration and kwargs.get("use_cache", True):
            for key in self._eeg_input_keys:
                model_inputs.pop(key, None)
        return model_inputs

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
