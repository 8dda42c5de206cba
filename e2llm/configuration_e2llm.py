"""Configurations of E2LLM: the EEGPT-style EEG encoder and the full EEG + language model.

This file is part of the model a Hub repository carries (with ``modeling_e2llm.py``,
``feature_extraction_e2llm.py`` and ``processing_e2llm.py``): it imports only ``transformers``
and its siblings, so ``save_pretrained`` can ship it as remote code.
"""

from __future__ import annotations

from dataclasses import field

from transformers import AutoConfig, PreTrainedConfig
from transformers.configuration_utils import SubConfigSpec

# EEGPT's channel-embedding codebook: 62 names, in EEGPT's order (``CHANNEL_DICT`` of the
# reference code). The index of a name is its row in ``chan_embed``.
EEGPT_CHANNEL_TABLE: tuple[str, ...] = (
    "FP1", "FPZ", "FP2",
    "AF7", "AF3", "AF4", "AF8",
    "F7", "F5", "F3", "F1", "FZ", "F2", "F4", "F6", "F8",
    "FT7", "FC5", "FC3", "FC1", "FCZ", "FC2", "FC4", "FC6", "FT8",
    "T7", "C5", "C3", "C1", "CZ", "C2", "C4", "C6", "T8",
    "TP7", "CP5", "CP3", "CP1", "CPZ", "CP2", "CP4", "CP6", "TP8",
    "P7", "P5", "P3", "P1", "PZ", "P2", "P4", "P6", "P8",
    "PO7", "PO5", "PO3", "POZ", "PO4", "PO6", "PO8",
    "O1", "OZ", "O2",
)  # fmt: skip

# The 58 channels EEGPT was pre-trained on (its ``use_channels_names``), in its order. These are
# SEED-VII's 62 channels less PO5, PO6, CB1 and CB2.
EEGPT_CHANNELS: tuple[str, ...] = (
    "FP1", "FPZ", "FP2",
    "AF3", "AF4",
    "F7", "F5", "F3", "F1", "FZ", "F2", "F4", "F6", "F8",
    "FT7", "FC5", "FC3", "FC1", "FCZ", "FC2", "FC4", "FC6", "FT8",
    "T7", "C5", "C3", "C1", "CZ", "C2", "C4", "C6", "T8",
    "TP7", "CP5", "CP3", "CP1", "CPZ", "CP2", "CP4", "CP6", "TP8",
    "P7", "P5", "P3", "P1", "PZ", "P2", "P4", "P6", "P8",
    "PO7", "PO3", "POZ", "PO4", "PO8",
    "O1", "OZ", "O2",
)  # fmt: skip

# The seven SEED-VII emotions, in the order the paper lists them (§3.1). Class ids follow it.
EMOTIONS: tuple[str, ...] = ("happy", "surprise", "neutral", "disgust", "fear", "sad", "anger")

EEG_TOKEN = "<eeg>"  # what a user writes in text for one EEG segment
EEG_START_TOKEN = "<eeg_start>"
EEG_END_TOKEN = "<eeg_end>"
EEG_PAD_TOKEN = "<eeg_pad>"  # placeholder: one per EEG embedding


class E2LLMEEGConfig(PreTrainedConfig):
    r"""Configuration of the EEGPT-style encoder (and of the stage-1 classifier built on it).

    Defaults are those of EEGPT's published ``large`` checkpoint (``eegpt_mcae_58chs_4s_large4E``):
    58 channels at 256 Hz, 4 s windows (1024 samples), 64-sample patches with stride 64 (16 time
    patches), width 512, 8 blocks of 8 heads, MLP ratio 4 and 4 summary tokens per time patch.

    Args:
        channel_names: the channels the encoder expects, in order; each must be in
            ``EEGPT_CHANNEL_TABLE`` (the channel-embedding codebook).
        sampling_rate: samples per second of the input.
        num_samples: samples per input window.
        patch_size, patch_stride: temporal patching (Eq. 1).
        hidden_size, num_hidden_layers, num_attention_heads, mlp_ratio: transformer sizes.
        num_summary_tokens: summary tokens appended to each time patch (EEGPT's ``embed_num``).
        qkv_bias, layer_norm_eps, initializer_range: as in EEGPT.
        classifier_dropout: dropout before the stage-1 head.
        input_scale: factor applied to ``eeg_values`` (mV) before patching. 1.0 for EEGPT's
            weights, which were trained on mV; an encoder trained from scratch learns much faster
            on inputs of about unit size (EEG is tens of µV, ~0.05 mV), so the tiny preset uses 50.
        id2label: classes of the stage-1 head; the seven SEED-VII emotions by default.
    """

    model_type = "e2llm_eeg"
    base_config_key = "eeg_config"

    channel_names: list[str] = field(default_factory=lambda: list(EEGPT_CHANNELS))
    sampling_rate: int = 256
    num_samples: int = 1024
    patch_size: int = 64
    patch_stride: int = 64
    hidden_size: int = 512
    num_hidden_layers: int = 8
    num_attention_heads: int = 8
    mlp_ratio: float = 4.0
    num_summary_tokens: int = 4
    qkv_bias: bool = True
    layer_norm_eps: float = 1e-6
    initializer_range: float = 0.02
    attention_dropout: float = 0.0
    classifier_dropout: float = 0.1
    input_scale: float = 1.0

    def __post_init__(self, **kwargs):
        if self.id2label is None and kwargs.get("num_labels") in (None, len(EMOTIONS)):
            self.id2label = dict(enumerate(EMOTIONS))
            self.label2id = {name: i for i, name in enumerate(EMOTIONS)}
        super().__post_init__(**kwargs)
        self.channel_names = [str(name).upper() for name in self.channel_names]
        unknown = [name for name in self.channel_names if name not in EEGPT_CHANNEL_TABLE]
        if unknown:
            raise ValueError(f"E2LLMEEGConfig: channels {unknown} are not in EEGPT's channel table")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError("E2LLMEEGConfig: hidden_size must be divisible by num_attention_heads")
        if self.num_samples < self.patch_size:
            raise ValueError("E2LLMEEGConfig: num_samples must be at least patch_size")

    @property
    def num_time_patches(self) -> int:
        """Number of temporal patches N of one window (16 for 1024 samples, patch and stride 64)."""
        return (self.num_samples - self.patch_size) // self.patch_stride + 1

    @property
    def num_channels(self) -> int:
        return len(self.channel_names)


class E2LLMConfig(PreTrainedConfig):
    r"""Configuration of the full model: EEG encoder + two-layer MLP projector + causal LM.

    Each EEG segment becomes ``eeg_tokens_per_segment`` (= the encoder's time patches, 16 for 4 s)
    embeddings: the ``num_summary_tokens`` summary states of one time patch are concatenated
    (4 × 512 = 2048 features) and projected to the LM's width. In text a segment reads
    ``<eeg_start>`` + ``<eeg_pad>`` × 16 + ``<eeg_end>``.

    Args:
        eeg_config: an ``E2LLMEEGConfig`` (or its dict).
        text_config: any causal-LM config (or its dict); Qwen3 by default.
        projector_hidden_act: activation between the projector's two linear layers (Eq. 4).
        projector_bias: whether the projector's linear layers have biases.
        eeg_token_id: id of the placeholder ``<eeg_pad>`` in the tokenizer.
        eeg_start_token_id, eeg_end_token_id: ids of ``<eeg_start>`` and ``<eeg_end>``.
        text_model_info: which pretrained LM the text weights came from (``name``, ``hub_id``,
            ``licence``, ``weights``: e.g. dequantized from a GGUF), for model cards; never a local path.
        training_data: what the EEG side was trained on, written by training (plain JSON):
            ``synthetic`` (bool), ``description``, ``n_segments``, ``preprocessing`` (band-pass
            edges, notch and rate of the segments) and ``eeg_statistics`` (quantiles of amplitude
            and spectral features of the training windows, which ``e2llm describe`` checks each
            window against). ``None`` for a model trained without that record.
    """

    model_type = "e2llm"
    sub_configs_defaults = {
        "eeg_config": SubConfigSpec(config_class=E2LLMEEGConfig),
        "text_config": SubConfigSpec(config_class=AutoConfig, model_type="qwen3"),
    }

    eeg_config: dict | PreTrainedConfig | None = None
    text_config: dict | PreTrainedConfig | None = None
    projector_hidden_act: str = "gelu"
    projector_bias: bool = True
    eeg_token_id: int | None = None
    eeg_start_token_id: int | None = None
    eeg_end_token_id: int | None = None
    tie_word_embeddings: bool = False
    text_model_info: dict | None = None
    training_data: dict | None = None

    def __post_init__(self, **kwargs):
        super().__post_init__(**kwargs)
        if self.text_config.tie_word_embeddings:
            self.tie_word_embeddings = True

    @property
    def eeg_tokens_per_segment(self) -> int:
        return self.eeg_config.num_time_patches

    @property
    def eeg_feature_size(self) -> int:
        """Input width of the projector: summary tokens × encoder width."""
        return self.eeg_config.num_summary_tokens * self.eeg_config.hidden_size


__all__ = ["E2LLMEEGConfig", "E2LLMConfig", "EEGPT_CHANNELS", "EEGPT_CHANNEL_TABLE", "EMOTIONS"]
