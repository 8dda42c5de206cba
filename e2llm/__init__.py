"""E2LLM: EEG-to-emotion multimodal language models, Hugging Face native.

Importing the package registers the model, config and processor with transformers' Auto
classes (``AutoConfig``, ``AutoModel``, ``AutoModelForMultimodalLM``,
``AutoModelForImageTextToText``, ``AutoProcessor``, ``AutoFeatureExtractor``).
"""

from transformers import (
    AutoConfig,
    AutoFeatureExtractor,
    AutoModel,
    AutoModelForImageTextToText,
    AutoModelForMultimodalLM,
    AutoProcessor,
)

from .configuration_e2llm import EEGPT_CHANNEL_TABLE, EEGPT_CHANNELS, EMOTIONS, E2LLMConfig, E2LLMEEGConfig
from .feature_extraction_e2llm import E2LLMFeatureExtractor, EEGInputError, normalize_channel_name
from .modeling_e2llm import E2LLMEEGEncoder, E2LLMForConditionalGeneration, E2LLMForEEGClassification, E2LLMModel
from .presets import PRESETS, preset_config
from .processing_e2llm import E2LLMProcessor

__version__ = "0.1.0"


def _register(register, *args) -> None:
    try:
        register(*args)
    except ValueError:  # already registered (e.g. the package is imported twice under remote code)
        pass


_register(AutoConfig.register, E2LLMConfig.model_type, E2LLMConfig)
_register(AutoConfig.register, E2LLMEEGConfig.model_type, E2LLMEEGConfig)
_register(AutoModel.register, E2LLMConfig, E2LLMForConditionalGeneration)
_register(AutoModel.register, E2LLMEEGConfig, E2LLMForEEGClassification)
_register(AutoModelForMultimodalLM.register, E2LLMConfig, E2LLMForConditionalGeneration)
_register(AutoModelForImageTextToText.register, E2LLMConfig, E2LLMForConditionalGeneration)
_register(AutoFeatureExtractor.register, E2LLMConfig, E2LLMFeatureExtractor)
_register(AutoProcessor.register, E2LLMConfig, E2LLMProcessor)

__all__ = [
    "EEGPT_CHANNEL_TABLE",
    "EEGPT_CHANNELS",
    "EMOTIONS",
    "PRESETS",
    "E2LLMConfig",
    "E2LLMEEGConfig",
    "E2LLMEEGEncoder",
    "E2LLMFeatureExtractor",
    "E2LLMForConditionalGeneration",
    "E2LLMForEEGClassification",
    "E2LLMModel",
    "E2LLMProcessor",
    "EEGInputError",
    "normalize_channel_name",
    "preset_config",
]
