"""E2LLM under transformers' own common test mixins.

``ModelTesterMixin`` + ``GenerationTesterMixin`` run against ``E2LLMModel`` and
``E2LLMForConditionalGeneration``; ``ProcessorTesterMixin`` against ``E2LLMProcessor``. The mixins
are imported from transformers' ``tests`` package (see conftest.py); this file only says how to
build a tiny E2LLM and its inputs, in the way the Llava tester does for images.

Inputs of the model tester: every sample starts with one EEG segment written as
``<eeg_start>`` + ``<eeg_pad>`` × N + ``<eeg_end>`` followed by random text, so the mixins' generic
slicing of the batch (``v[:batch_size]``) keeps ``eeg_values`` (one row per segment) aligned with
``input_ids`` (one row per sample).

Run (offline, CPU, about 30 s): ``./run.sh`` beside this file, which is::

    HF_HUB_OFFLINE=1 ../../.venv/bin/python -m pytest test_e2llm_hf_mixins.py -p no:cacheprovider \
        --timeout 300 -v -rfEs --tb=short --junitxml=run.xml     # then: python summarize.py run.xml

Tests that cannot apply to EEG are skipped with the reason in ``NOT_APPLICABLE``; set
``E2LLM_HF_MIXINS_ALL=1`` to run them anyway.
"""

import copy
import functools
import os
import tempfile
import unittest

import numpy as np
import tests.test_modeling_common as modeling_common
import torch
from tests.generation.test_utils import GenerationTesterMixin
from tests.test_configuration_common import ConfigTester
from tests.test_modeling_common import ModelTesterMixin, floats_tensor, ids_tensor
from tests.test_processing_common import ProcessorTesterMixin
from transformers.testing_utils import torch_device

import e2llm  # noqa: F401  (registers E2LLM with the Auto classes, as a user's import does)
from e2llm.configuration_e2llm import E2LLMConfig
from e2llm.feature_extraction_e2llm import E2LLMFeatureExtractor
from e2llm.modeling_e2llm import E2LLMForConditionalGeneration, E2LLMModel
from e2llm.processing_e2llm import E2LLMProcessor
from e2llm.tokenization import train_tokenizer

CHANNELS = ["FP1", "FPZ", "FP2", "AF3"]  # four of EEGPT's channels
EEG_START, EEG_PAD, EEG_END, TEXT_PAD = 3, 4, 5, 1  # token ids in the model tester's vocabulary

# Tests of the mixins whose premise does not hold for an EEG model or an out-of-tree (remote-code)
# one (test name, or name prefix -> why). They are skipped, unless E2LLM_HF_MIXINS_ALL=1.
_AUDIO = "the mixin takes any `feature_extractor` for an audio one and feeds it audio (1-D waveforms, `audio=`)"
NOT_APPLICABLE: dict[str, str] = {
    "test_apply_chat_template_audio": _AUDIO,
    "test_subprocessor_defaults_3_audio": _AUDIO,
    "test_kwargs_overrides_default_subprocessor_kwargs_2_audio": _AUDIO,
    "test_subprocessor_defaults_preserved_by_kwargs_2_audio": _AUDIO,
    "test_structured_kwargs_nested_from_dict_2_audio": _AUDIO,
    "test_unstructured_kwargs_2_audio": _AUDIO,
    "test_unstructured_kwargs_batched_2_audio": _AUDIO,
    "test_processor_with_multiple_inputs": _AUDIO,
    # ProcessorMixin.save_pretrained sets `auto_map` on a processor registered for an Auto class (any
    # remote-code processor, E2LLM's included) and from_pretrained drops it, so to_dict() of the saved
    # object and of the reloaded one differ by that key; in-library processors have no auto_map
    "test_processor_from_and_save_pretrained": "an out-of-tree processor's save_pretrained adds `auto_map` to the "
    "instance; the reloaded one has none (transformers' behaviour for every remote-code processor)",
    "test_model_rope_scaling_from_config": "it runs the base model on random ids from the whole vocabulary (EEG "
    "placeholders among them) and no EEG, which E2LLM refuses",
    "test_model_input_names": "it gives the processor image/video/audio inputs only, never EEG, and then expects every "
    "model input name (eeg_values, eeg_channel_mask among them) in the output; test_eeg_marker_expansion checks this with EEG",
}


# The mixins tell a base model (no loss, skipped by the training tests) and a multimodal LM (given
# LM labels) by looking a class's name up in transformers' static auto-mapping tables, which an
# out-of-tree model is never in (AutoModel*.register does not add to them). Give the mixins'
# module its own copies of the two tables, with E2LLM's classes in them.
modeling_common.MODEL_MAPPING_NAMES = {**modeling_common.MODEL_MAPPING_NAMES, "e2llm": "E2LLMModel"}
modeling_common.MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES = {
    **modeling_common.MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES,
    "e2llm": "E2LLMForConditionalGeneration",
}


def _skip_not_applicable(cls):
    """Wrap the tests of ``cls`` named in NOT_APPLICABLE (parameterized names included) in a skip."""
    if os.environ.get("E2LLM_HF_MIXINS_ALL") == "1":
        return cls
    for name in dir(cls):
        reason = next((why for key, why in NOT_APPLICABLE.items() if name == key or name.startswith(key + "_")), None)
        if name.startswith("test_") and reason is not None:
            setattr(cls, name, unittest.skip(f"not applicable: {reason}")(getattr(cls, name)))
    return cls


# ------------------------------------------------------------------------------------------------
# Model
# ------------------------------------------------------------------------------------------------


class E2LLMModelTester:
    """A tiny E2LLM (4 channels × 64 samples → 4 EEG tokens; Qwen3 of 2 layers) and its inputs."""

    # batch_size 7: test_eager_matches_sdpa_inference runs 7 samples and, when the tester gives fewer,
    # makes up the rest with random token ids (EEG markers among them) and cannot make up a bool mask
    def __init__(self, parent, batch_size=7, text_length=7, is_training=True):
        self.parent = parent
        self.batch_size = batch_size
        self.is_training = is_training
        self.eeg_config = {
            "channel_names": CHANNELS,
            "sampling_rate": 64,
            "num_samples": 64,
            "patch_size": 16,
            "patch_stride": 16,
            "hidden_size": 16,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "mlp_ratio": 2.0,
            "num_summary_tokens": 2,
        }
        self.text_config = {
            "model_type": "qwen3",
            "vocab_size": 99,
            "hidden_size": 32,
            "intermediate_size": 37,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "head_dim": 8,
            "max_position_embeddings": 512,
            "pad_token_id": TEXT_PAD,
            "bos_token_id": 0,
            "eos_token_id": 2,
            "tie_word_embeddings": False,
        }
        # what the mixins read off the tester: the language model's sizes and the sequence length
        self.vocab_size = self.text_config["vocab_size"]
        self.hidden_size = self.text_config["hidden_size"]
        self.num_hidden_layers = self.text_config["num_hidden_layers"]
        self.num_attention_heads = self.text_config["num_attention_heads"]
        self.pad_token_id = TEXT_PAD
        self.eeg_token_id = EEG_PAD
        self.num_eeg_tokens = (self.eeg_config["num_samples"] - self.eeg_config["patch_size"]) // self.eeg_config[
            "patch_stride"
        ] + 1
        self.seq_length = text_length + self.num_eeg_tokens + 2  # + <eeg_start>, <eeg_end>
        self.encoder_seq_length = self.seq_length

    def get_config(self):
        config = E2LLMConfig(
            eeg_config=self.eeg_config,
            text_config=self.text_config,
            eeg_token_id=EEG_PAD,
            eeg_start_token_id=EEG_START,
            eeg_end_token_id=EEG_END,
        )
        # test_generate_continue_from_inputs_embeds looks for `use_cache` on the top-level config (its
        # own TODO says text_config's is meant) and skips otherwise, as it does for Llava
        config.use_cache = True
        return config

    def prepare_config_and_inputs(self):
        eeg_values = floats_tensor([self.batch_size, len(CHANNELS), self.eeg_config["num_samples"]], scale=0.05)
        return self.get_config(), eeg_values

    def prepare_config_and_inputs_for_common(self):
        config, eeg_values = self.prepare_config_and_inputs()
        # text tokens avoid the EEG markers (ids 3-5) and the pad id
        input_ids = ids_tensor([self.batch_size, self.seq_length], self.vocab_size - 6) + 6
        input_ids[:, 0] = EEG_START
        input_ids[:, 1 : 1 + self.num_eeg_tokens] = EEG_PAD
        input_ids[:, 1 + self.num_eeg_tokens] = EEG_END
        inputs = {
            "input_ids": input_ids,
            "attention_mask": torch.ones_like(input_ids),
            "eeg_values": eeg_values.to(torch_device),
            "eeg_channel_mask": torch.ones(self.batch_size, len(CHANNELS), dtype=torch.bool, device=torch_device),
        }
        return config, inputs


@_skip_not_applicable
class E2LLMModelTest(ModelTesterMixin, GenerationTesterMixin, unittest.TestCase):
    all_model_classes = (E2LLMModel, E2LLMForConditionalGeneration)
    _is_composite = True  # eeg_config + text_config, as Llava's vision_config + text_config
    additional_model_inputs = ["eeg_values", "eeg_channel_mask"]

    def setUp(self):
        self.model_tester = E2LLMModelTester(self)
        self.config_tester = ConfigTester(
            self, config_class=E2LLMConfig, has_text_modality=False, common_properties=["eeg_token_id"]
        )

    def test_config(self):
        self.config_tester.run_common_tests()

    def test_sdpa_can_dispatch_composite_models(self):
        # the mixin's version looks for the non-text tower under fixed names (vision_tower,
        # audio_tower...) and skips otherwise; the same check for E2LLM's `eeg_encoder`
        config, _ = self.model_tester.prepare_config_and_inputs_for_common()
        for model_class in self.all_model_classes:
            with tempfile.TemporaryDirectory() as tmpdir:
                model_class(config).save_pretrained(tmpdir)
                for requested in (None, "sdpa", "eager"):
                    kwargs = {} if requested is None else {"attn_implementation": requested}
                    base = model_class.from_pretrained(tmpdir, **kwargs).base_model
                    expected = requested or "sdpa"  # transformers' default where supported
                    self.assertEqual(base.eeg_encoder.config._attn_implementation, expected)
                    self.assertEqual(base.language_model.config._attn_implementation, expected)
                    if expected == "eager":
                        for name, module in base.named_modules():
                            if name.endswith("attn") or type(module).__name__.endswith("Attention"):
                                self.assertNotEqual(
                                    getattr(getattr(module, "config", None), "_attn_implementation", "eager"),
                                    "sdpa",
                                    name,
                                )

    def test_eeg_placeholder_mismatch_raises(self):
        """Llava's ``test_mismatching_num_image_tokens``, for EEG: one segment too few is an error."""
        config, inputs = self.model_tester.prepare_config_and_inputs_for_common()
        for model_class in self.all_model_classes:
            model = model_class(config).to(torch_device).eval()
            model(**inputs)
            short = dict(inputs, eeg_values=inputs["eeg_values"][1:], eeg_channel_mask=inputs["eeg_channel_mask"][1:])
            with self.assertRaisesRegex(ValueError, "EEG placeholders and segments disagree"):
                model(**short)


# ------------------------------------------------------------------------------------------------
# Processor
# ------------------------------------------------------------------------------------------------

TOKENIZER_CORPUS = [
    "lower newer upper older longer string",
    "The EEG signals indicate a state of calm. Emotion: neutral",
    "Describe the emotion of this EEG. Answer: (a) (b) yes no",
] * 50


@functools.cache
def _tiny_tokenizer():
    return train_tokenizer(TOKENIZER_CORPUS, vocab_size=300)


@_skip_not_applicable
class E2LLMProcessorTest(ProcessorTesterMixin, unittest.TestCase):
    processor_class = E2LLMProcessor
    eeg_token = "<eeg>"  # the text marker of one segment (the mixin knows image/video/audio tokens only)

    @classmethod
    def _setup_tokenizer(cls):
        return copy.deepcopy(_tiny_tokenizer())

    @classmethod
    def _setup_feature_extractor(cls):
        return E2LLMFeatureExtractor(channel_names=CHANNELS, sampling_rate=64, num_samples=64)

    @staticmethod
    def prepare_processor_dict():
        return {"eeg_tokens_per_segment": 4}

    # E2LLMProcessor.__call__ names images/videos/audio (as ProcessorMixin's callers expect) but accepts
    # them only as None; the mixin passes whatever these give to every parameter its signature has
    def prepare_images_inputs(self, batch_size=None, nested=False):
        return None

    def prepare_videos_inputs(self, batch_size=None):
        return None

    def prepare_audio_inputs(self, batch_size=None):
        return None

    def prepare_eeg_inputs(self, batch_size=None):
        rng = np.random.default_rng(0)
        segments = [
            (rng.standard_normal((len(CHANNELS), 64)) * 0.02).astype(np.float32) for _ in range(batch_size or 1)
        ]
        return segments if batch_size else segments[0]

    def test_eeg_marker_expansion(self):
        """E2LLM's own counterpart of the mixin's image-token tests: ``<eeg>`` becomes
        ``<eeg_start>`` + ``<eeg_pad>`` × 4 + ``<eeg_end>`` and the segment becomes ``eeg_values``."""
        processor = self.get_processor()
        inputs = processor(
            text=["lower <eeg> newer", "<eeg> older"], eeg=self.prepare_eeg_inputs(2), return_tensors="pt"
        )
        self.assertEqual(tuple(inputs["eeg_values"].shape), (2, len(CHANNELS), 64))
        self.assertEqual(tuple(inputs["eeg_channel_mask"].shape), (2, len(CHANNELS)))
        self.assertEqual(int((inputs["input_ids"] == processor.eeg_token_id).sum()), 2 * 4)
        self.assertSetEqual(set(inputs.keys()), set(processor.model_input_names))


if __name__ == "__main__":
    unittest.main()
