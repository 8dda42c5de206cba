"""E2LLM: EEG-to-emotion multimodal language models, Hugging Face native."""

from .configuration_e2llm import EEGPT_CHANNEL_TABLE, EEGPT_CHANNELS, EMOTIONS, E2LLMConfig, E2LLMEEGConfig, preset_config

__version__ = "0.1.0"
