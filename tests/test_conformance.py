"""Conformance with what transformers expects of a model, its generation and its processor.

Written after the checks of transformers' common test mixins (``ModelTesterMixin``,
``GenerationTesterMixin``, ``ProcessorTesterMixin``), for a model whose extra modality is EEG:
a small model tester builds a config and inputs in which samples hold different numbers of EEG
segments (transformers' own harness puts one image per sample; EEG questions compare two or
three recordings), and each check compares two ways of getting the same thing.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from conftest import random_eeg
from transformers import AttentionInterface, DynamicCache, GenerationConfig, StaticCache
from transformers.integrations.sdpa_attention import sdpa_attention_forward

from e2llm import EEGPT_CHANNELS, E2LLMConfig, E2LLMEEGConfig, EEGInputError
from e2llm.modeling_e2llm import E2LLMForConditionalGeneration, E2LLMModel
from e2llm.processing_e2llm import E2LLMProcessor


class E2LLMModelTester:
    """A tiny E2LLM (4 channels, 64 samples → 4 EEG tokens a segment; a 2-layer Qwen3 of width
    32) and random inputs: text tokens with segment blocks ``<eeg_start> <eeg_pad>×4 <eeg_end>``
    placed inside them. Weights are drawn wide (std 0.2) so that greedy decoding varies."""

    vocab_size, pad_token_id, eos_token_id = 64, 0, 1
    eeg_start_token_id, eeg_token_id, eeg_end_token_id = 61, 62, 63

    def get_config(self, **text_overrides) -> E2LLMConfig:
        from transformers import AutoConfig

        eeg = E2LLMEEGConfig(
            channel_names=list(EEGPT_CHANNELS[:4]), num_samples=64, patch_size=16, patch_stride=16, hidden_size=16,
            num_hidden_layers=2, num_attention_heads=2, mlp_ratio=2.0, num_summary_tokens=2, input_scale=50.0,
            initializer_range=0.2,
        )  # fmt: skip
        text = AutoConfig.for_model(
            "qwen3", vocab_size=self.vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, head_dim=8, max_position_embeddings=256,
            tie_word_embeddings=True, initializer_range=0.2, pad_token_id=self.pad_token_id,
            eos_token_id=self.eos_token_id, **text_overrides,
        )  # fmt: skip
        return E2LLMConfig(
            eeg_config=eeg, text_config=text, eeg_token_id=self.eeg_token_id,
            eeg_start_token_id=self.eeg_start_token_id, eeg_end_token_id=self.eeg_end_token_id,
        )  # fmt: skip

    def model(self, seed: int = 0, model_class=E2LLMForConditionalGeneration, **text_overrides):
        torch.manual_seed(seed)
        model = model_class(self.get_config(**text_overrides)).eval()
        if hasattr(model, "generation_config"):
            model.generation_config = GenerationConfig(pad_token_id=self.pad_token_id, eos_token_id=self.eos_token_id)
        return model

    def inputs(self, segments_per_sample=(2, 3), text_length: int = 6, seed: int = 0, padding_side: str = "right"):
        """``input_ids`` (B, L), ``attention_mask``, ``eeg_values`` (Σ segments, 4, 64),
        ``eeg_channel_mask``; samples padded to one length on ``padding_side``."""
        rng = np.random.default_rng(seed)
        rows = []
        block = [self.eeg_start_token_id] + [self.eeg_token_id] * 4 + [self.eeg_end_token_id]
        for b, n in enumerate(segments_per_sample):
            row = list(rng.integers(2, 60, size=2))
            for _ in range(n):
                row += block + list(rng.integers(2, 60, size=int(rng.integers(1, 3))))
            rows.append(row + list(rng.integers(2, 60, size=text_length + b)))
        length = max(len(r) for r in rows)
        ids = torch.full((len(rows), length), self.pad_token_id)
        mask = torch.zeros((len(rows), length), dtype=torch.long)
        for i, row in enumerate(rows):
            span = slice(length - len(row), length) if padding_side == "left" else slice(0, len(row))
            ids[i, span], mask[i, span] = torch.tensor(row), 1
        total = sum(segments_per_sample)
        eeg = torch.tensor(rng.standard_normal((total, 4, 64)) * 0.02, dtype=torch.float32)
        return {
            "input_ids": ids,
            "attention_mask": mask,
            "eeg_values": eeg,
            "eeg_channel_mask": torch.ones(total, 4, dtype=torch.bool),
        }

    @staticmethod
    def split(inputs, segments_per_sample):
        """The batch as single-sample inputs, padding removed."""
        out, first = [], 0
        for i, n in enumerate(segments_per_sample):
            keep = inputs["attention_mask"][i].bool()
            out.append({
                "input_ids": inputs["input_ids"][i][keep][None], "attention_mask": inputs["attention_mask"][i][keep][None],
                "eeg_values": inputs["eeg_values"][first : first + n], "eeg_channel_mask": inputs["eeg_channel_mask"][first : first + n],
            })  # fmt: skip
            first += n
        return out


tester = E2LLMModelTester()
close = dict(atol=1e-5, rtol=1e-5)


# -- forward -------------------------------------------------------------------------------------


@pytest.mark.parametrize("model_class", [E2LLMForConditionalGeneration, E2LLMModel])
def test_return_dict_on_and_off(model_class):
    model, inputs = tester.model(model_class=model_class), tester.inputs()
    with torch.no_grad():
        as_dict = model(**inputs)
        as_tuple = model(**inputs, return_dict=False)
    assert isinstance(as_tuple, tuple)
    first = as_dict.logits if model_class is E2LLMForConditionalGeneration else as_dict.last_hidden_state
    torch.testing.assert_close(as_tuple[0], first)


def test_inputs_embeds_give_the_same_logits_as_input_ids():
    """``inputs_embeds`` built the documented way, ``get_input_embeddings()(input_ids)``: the
    placeholders and the ``<eeg_start>``/``<eeg_end>`` positions are found from it."""
    model, inputs = tester.model(), tester.inputs()
    rest = {k: v for k, v in inputs.items() if k != "input_ids"}
    with torch.no_grad():
        expected = model(**inputs).logits
        got = model(inputs_embeds=model.get_input_embeddings()(inputs["input_ids"]), **rest).logits
        text_only = {"input_ids": inputs["input_ids"][:, :2]}
        torch.testing.assert_close(
            model(inputs_embeds=model.get_input_embeddings()(text_only["input_ids"])).logits, model(**text_only).logits
        )
    torch.testing.assert_close(got, expected)


def test_batching_equivalence_with_different_segment_counts():
    model, inputs = tester.model(), tester.inputs((1, 3))
    with torch.no_grad():
        batched = model(**inputs).logits
        for i, single in enumerate(tester.split(inputs, (1, 3))):
            n = single["input_ids"].shape[1]
            torch.testing.assert_close(batched[i, :n], model(**single).logits[0], **close)


def test_hidden_states_and_attentions_are_returned():
    model, inputs = tester.model(), tester.inputs()
    model.set_attn_implementation("eager")
    with torch.no_grad():
        out = model(**inputs, output_hidden_states=True, output_attentions=True)
    batch, length = inputs["input_ids"].shape
    assert len(out.hidden_states) == model.config.text_config.num_hidden_layers + 1
    assert len(out.attentions) == model.config.text_config.num_hidden_layers
    assert out.attentions[0].shape == (batch, model.config.text_config.num_attention_heads, length, length)
    assert out.eeg_hidden_states.shape == (5 * 4, model.config.text_config.hidden_size)


def test_attention_implementations_apply_to_the_encoder_and_the_lm_alike():
    """eager, sdpa and flex_attention (flash_attention_2 needs a GPU) switch both parts, and agree."""
    model, inputs = tester.model(), tester.inputs()
    inputs["eeg_channel_mask"][0, 1] = False  # a masked channel: the encoder gets a real mask
    results = {}
    for implementation in ("eager", "sdpa", "flex_attention"):
        model.set_attn_implementation(implementation)
        assert model.config.eeg_config._attn_implementation == implementation
        assert model.config.text_config._attn_implementation == implementation
        with torch.no_grad():
            results[implementation] = model(**inputs).logits
    torch.testing.assert_close(results["eager"], results["sdpa"], **close)
    torch.testing.assert_close(results["eager"], results["flex_attention"], **close)


def test_the_encoder_runs_through_the_attention_interface():
    """A registered attention function is what the EEG encoder's blocks call."""
    calls = []

    def probe(module, *args, **kwargs):
        calls.append(type(module).__name__)
        return sdpa_attention_forward(module, *args, **kwargs)

    AttentionInterface.register("e2llm_probe", probe)
    model, inputs = tester.model(), tester.inputs()
    model.config.eeg_config._attn_implementation = "e2llm_probe"
    with torch.no_grad():
        model(**inputs)
    assert calls.count("E2LLMEEGAttention") == model.config.eeg_config.num_hidden_layers


def test_activation_checkpointing_gives_the_same_loss_and_gradients():
    inputs = tester.inputs()
    labels = inputs["input_ids"].masked_fill(inputs["attention_mask"] == 0, -100)
    results = []
    for checkpointing in (False, True):
        model = tester.model().train()
        if checkpointing:
            model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
            assert model.model.eeg_encoder.gradient_checkpointing and model.model.language_model.gradient_checkpointing
        loss = model(**inputs, labels=labels).loss
        loss.backward()
        results.append((loss.detach(), model.model.eeg_encoder.blocks[0].attn.qkv.weight.grad.clone()))
    torch.testing.assert_close(results[0][0], results[1][0])
    torch.testing.assert_close(results[0][1], results[1][1], **close)


def test_save_and_load_round_trip(tmp_path):
    model, inputs = tester.model(), tester.inputs()
    model.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").is_file() and not list(tmp_path.glob("*.bin"))
    reloaded = E2LLMForConditionalGeneration.from_pretrained(tmp_path).eval()
    with torch.no_grad():
        torch.testing.assert_close(reloaded(**inputs).logits, model(**inputs).logits)
    assert reloaded.lm_head.weight.data_ptr() == reloaded.get_input_embeddings().weight.data_ptr()  # still tied


def test_resize_token_embeddings_keeps_the_model_working():
    model, inputs = tester.model(), tester.inputs()
    model.resize_token_embeddings(tester.vocab_size + 7)
    assert model.config.text_config.vocab_size == tester.vocab_size + 7
    assert model.get_input_embeddings().weight.shape[0] == tester.vocab_size + 7
    assert model.lm_head.weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()
    with torch.no_grad():
        assert model(**inputs).logits.shape[-1] == tester.vocab_size + 7


@pytest.mark.parametrize("model_class", [E2LLMForConditionalGeneration, E2LLMModel])
def test_forward_declares_transformers_kwargs(model_class):
    """``**kwargs: Unpack[TransformersKwargs]`` as a real annotation (not a string): how
    transformers' tooling learns that ``output_attentions`` and the like are accepted."""
    import inspect

    annotation = inspect.signature(model_class.forward).parameters["kwargs"].annotation
    assert "output_attentions" in annotation.__args__[0].__annotations__


def test_tensor_parallel_plan_covers_the_head_and_the_decoder():
    plan = tester.model().tp_plan
    assert plan["lm_head"] == "colwise_gather_output"
    assert any(key.startswith("model.language_model.layers.") and key.endswith("q_proj") for key in plan)
    assert E2LLMForConditionalGeneration._can_compile_fullgraph


# -- generation ----------------------------------------------------------------------------------


def greedy_by_hand(model, inputs, steps: int) -> list[list[int]]:
    """Greedy decoding without a cache or ``generate``: the full sequence through forward, eos
    barred (as ``min_new_tokens`` does)."""
    ids, mask = inputs["input_ids"], inputs["attention_mask"]
    eeg = {k: inputs[k] for k in ("eeg_values", "eeg_channel_mask")}
    for _ in range(steps):
        position_ids = (mask.cumsum(-1) - 1).clamp(min=0)
        with torch.no_grad():
            logits = model(input_ids=ids, attention_mask=mask, position_ids=position_ids, **eeg).logits[:, -1]
        logits[:, tester.eos_token_id] = -float("inf")
        ids = torch.cat([ids, logits.argmax(-1, keepdim=True)], 1)
        mask = torch.cat([mask, torch.ones_like(mask[:, :1])], 1)
    return ids[:, inputs["input_ids"].shape[1] :].tolist()


def test_greedy_generation_matches_decoding_by_hand_with_left_padding():
    model, inputs = tester.model(), tester.inputs((2, 1), padding_side="left")
    out = model.generate(**inputs, max_new_tokens=6, do_sample=False, min_new_tokens=6)
    new = out[:, inputs["input_ids"].shape[1] :].tolist()
    assert new == greedy_by_hand(model, inputs, 6)
    assert len({tuple(row) for row in new}) == 2 and len(set(new[0])) > 1  # the tiny model does vary
    for i, single in enumerate(tester.split(inputs, (2, 1))):  # left padding changes nothing
        alone = model.generate(**single, max_new_tokens=6, do_sample=False, min_new_tokens=6)
        assert alone[0, single["input_ids"].shape[1] :].tolist() == new[i]


@pytest.mark.parametrize(
    "mode", [dict(num_beams=2, num_return_sequences=2), dict(do_sample=True, num_return_sequences=2)]
)
def test_expanded_generation_gives_each_row_its_own_prompts_eeg(mode):
    """Two prompts holding two and three segments: every returned row's first-step logits are
    those of the unexpanded forward for its prompt (beam search, num_return_sequences)."""
    model, inputs = tester.model(), tester.inputs((2, 3), padding_side="left")
    with torch.no_grad():
        expected = model(**inputs).logits[:, -1]
    torch.manual_seed(0)
    out = model.generate(**inputs, max_new_tokens=2, output_logits=True, return_dict_in_generate=True, **mode)
    assert out.logits[0].shape[0] == 4
    torch.testing.assert_close(out.logits[0], expected.repeat_interleave(2, dim=0), **close)


def test_sampling_is_reproducible_and_beams_score_best_first():
    model, inputs = tester.model(), tester.inputs((2, 1), padding_side="left")
    runs = []
    for _ in range(2):
        torch.manual_seed(3)
        runs.append(model.generate(**inputs, max_new_tokens=5, do_sample=True, top_k=0))
    assert torch.equal(*runs)
    beams = model.generate(
        **inputs,
        max_new_tokens=5,
        num_beams=3,
        num_return_sequences=3,
        return_dict_in_generate=True,
        output_scores=True,
    )
    scores = beams.sequences_scores.view(2, 3)
    assert bool((scores[:, :-1] >= scores[:, 1:]).all())


def test_generate_from_inputs_embeds():
    model, inputs = tester.model(), tester.inputs((2,))
    embeds = model.get_input_embeddings()(inputs["input_ids"])
    rest = {k: v for k, v in inputs.items() if k != "input_ids"}
    from_ids = model.generate(**inputs, max_new_tokens=5, do_sample=False)
    from_embeds = model.generate(inputs_embeds=embeds, **rest, max_new_tokens=5, do_sample=False)
    assert from_embeds.tolist() == from_ids[:, inputs["input_ids"].shape[1] :].tolist()
    text = {"input_ids": inputs["input_ids"][:, :2], "attention_mask": inputs["attention_mask"][:, :2]}
    text_embeds = model.get_input_embeddings()(text["input_ids"])
    assert (
        model.generate(
            inputs_embeds=text_embeds, attention_mask=text["attention_mask"], max_new_tokens=4, do_sample=False
        ).tolist()
        == model.generate(**text, max_new_tokens=4, do_sample=False)[:, 2:].tolist()
    )


def test_embeddings_a_caller_passes_without_eeg_are_used_as_given():
    """transformers' convention (llava, qwen2_audio): features are merged only when their values
    are given; ``inputs_embeds`` without them may already hold the EEG, and are used as they are.
    GenerationTesterMixin's test_generate_from_random_inputs_embeds passes ids with placeholders
    and their plain embeddings, without EEG."""
    model, inputs = tester.model(), tester.inputs((2,))
    ids = inputs["input_ids"]
    assert bool((ids == tester.eeg_token_id).any())
    greedy = dict(max_new_tokens=5, min_new_tokens=5, do_sample=False, return_dict_in_generate=True, output_scores=True)
    plain = model.generate(ids, inputs_embeds=model.get_input_embeddings()(ids), **greedy)
    noise = torch.rand_like(model.get_input_embeddings()(ids))
    random = model.generate(ids, inputs_embeds=noise, **greedy)
    assert len(plain.scores) == len(random.scores) == 5
    assert not any(torch.allclose(a, b) for a, b in zip(plain.scores, random.scores))

    captured = {}  # the embeddings the LM reads for a prompt with EEG: the EEG already merged
    hook = model.model.language_model.register_forward_pre_hook(
        lambda mod, args, kwargs: captured.update(embeds=kwargs["inputs_embeds"]), with_kwargs=True
    )
    with torch.no_grad():
        model(**inputs)
    hook.remove()
    with_eeg = model.generate(**inputs, max_new_tokens=5, do_sample=False)
    merged = model.generate(
        inputs_embeds=captured["embeds"], attention_mask=inputs["attention_mask"], max_new_tokens=5, do_sample=False
    )
    assert merged.tolist() == with_eeg[:, ids.shape[1] :].tolist()


def test_assisted_decoding_with_eeg_equals_greedy():
    model, inputs = tester.model(), tester.inputs((2,))
    greedy = model.generate(**inputs, max_new_tokens=8, do_sample=False)
    assistant = tester.model(seed=1)  # another E2LLM drafts; the result must still be the main model's
    for draft in (model, assistant):
        assisted = model.generate(**inputs, max_new_tokens=8, do_sample=False, assistant_model=draft)
        assert assisted.tolist() == greedy.tolist()


def test_static_cache_gives_the_dynamic_caches_output_and_the_decoding_step_compiles():
    model, inputs = tester.model(), tester.inputs((2, 1), padding_side="left")
    dynamic = model.generate(**inputs, max_new_tokens=6, do_sample=False)
    static = model.generate(**inputs, max_new_tokens=6, do_sample=False, cache_implementation="static")
    assert torch.equal(dynamic, static)

    cache = StaticCache(config=model.config, max_cache_len=64)
    with torch.no_grad():
        prefill = model(**inputs, past_key_values=cache, use_cache=True)
    token = prefill.logits[:, -1].argmax(-1, keepdim=True)
    mask = torch.cat([inputs["attention_mask"], torch.ones_like(token)], 1)
    position = mask.sum(-1, keepdim=True) - 1
    step = {"input_ids": token, "attention_mask": mask, "position_ids": position, "use_cache": True}
    torch._dynamo.reset()
    compiled = torch.compile(model.forward, fullgraph=True, backend="aot_eager")  # no graph break allowed
    with torch.no_grad():
        got = compiled(**step, past_key_values=cache).logits
        eager_cache = StaticCache(config=model.config, max_cache_len=64)
        model(**inputs, past_key_values=eager_cache, use_cache=True)
        expected = model(**step, past_key_values=eager_cache).logits
    torch.testing.assert_close(got, expected, **close)


def test_generation_continues_from_past_key_values():
    model, inputs = tester.model(), tester.inputs((2,))
    whole = model.generate(**inputs, max_new_tokens=8, min_new_tokens=8, do_sample=False)
    first = model.generate(
        **inputs, max_new_tokens=4, min_new_tokens=4, do_sample=False, return_dict_in_generate=True,
        past_key_values=DynamicCache(),
    )  # fmt: skip
    rest = {k: v for k, v in inputs.items() if k not in ("input_ids", "attention_mask")}
    mask = torch.ones_like(first.sequences)
    more = model.generate(
        input_ids=first.sequences, attention_mask=mask, past_key_values=first.past_key_values, **rest,
        max_new_tokens=4, min_new_tokens=4, do_sample=False,
    )  # fmt: skip
    assert more.tolist() == whole.tolist()


def test_eeg_markers_are_never_generated_even_when_most_likely():
    model, inputs = tester.model(), tester.inputs((1,))
    model.lm_head.register_forward_hook(lambda module, args, out: out.index_add(
        -1, torch.tensor([tester.eeg_token_id]), torch.full((*out.shape[:-1], 1), 1e4)))  # fmt: skip
    with torch.no_grad():
        assert int(model(**inputs).logits[0, -1].argmax()) == tester.eeg_token_id
    for config in (GenerationConfig(max_new_tokens=5, do_sample=False, suppress_tokens=None, pad_token_id=0), None):
        out = model.generate(**inputs, generation_config=config, max_new_tokens=5, do_sample=False)
        new = out[0, inputs["input_ids"].shape[1] :].tolist()
        assert len(new) == 5 and not set(new) & {
            tester.eeg_token_id,
            tester.eeg_start_token_id,
            tester.eeg_end_token_id,
        }


def test_placeholders_without_eeg_and_counts_that_disagree_are_errors():
    model, inputs = tester.model(), tester.inputs((2, 3))
    with torch.no_grad(), pytest.raises(ValueError, match="no eeg_values"):
        model(input_ids=inputs["input_ids"])
    with pytest.raises(ValueError, match="no eeg_values"):  # ids alone: the model embeds them, so the EEG is missing
        model.generate(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"], max_new_tokens=2)
    with torch.no_grad(), pytest.raises(ValueError, match="4 EEG segments were given"):
        model(input_ids=inputs["input_ids"], eeg_values=inputs["eeg_values"][:4])


# -- processor -----------------------------------------------------------------------------------


@pytest.fixture()
def processor(tiny_model_and_processor):
    return tiny_model_and_processor[1]


def test_processor_save_and_load_round_trip(processor, tmp_path):
    processor.save_pretrained(tmp_path)
    reloaded = E2LLMProcessor.from_pretrained(tmp_path)
    assert reloaded.chat_template == processor.chat_template
    assert (
        reloaded.token_ids == processor.token_ids
        and reloaded.eeg_tokens_per_segment == processor.eeg_tokens_per_segment
    )
    texts, eeg = ["first <eeg> then", "second <eeg> <eeg>"], [random_eeg(1), random_eeg(2, seed=1)]
    a, b = processor(text=texts, eeg=eeg), reloaded(text=texts, eeg=eeg)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_processor_call_conventions(processor):
    texts, eeg = ["one <eeg>", "two <eeg> and more words"], random_eeg(2)
    default = processor(text=texts, eeg=eeg)
    assert isinstance(default["input_ids"], torch.Tensor) and isinstance(default["eeg_values"], torch.Tensor)
    as_numpy = processor(text=texts, eeg=eeg, return_tensors="np")
    assert isinstance(as_numpy["input_ids"], np.ndarray) and isinstance(as_numpy["eeg_values"], np.ndarray)
    nested = processor(text=texts, eeg=eeg, text_kwargs={"padding": "max_length", "max_length": 50})
    flat = processor(text=texts, eeg=eeg, padding="max_length", max_length=50)
    assert nested["input_ids"].shape == (2, 50) and torch.equal(nested["input_ids"], flat["input_ids"])
    with pytest.raises(ValueError, match="passed two times"):
        processor(text=texts, eeg=eeg, padding="longest", text_kwargs={"padding": "max_length"})


def test_processor_leaves_the_tokenizer_it_is_given_unchanged():
    """A tokenizer without the EEG tokens: the processor adds them to its own copy."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from e2llm.feature_extraction_e2llm import E2LLMFeatureExtractor

    raw = Tokenizer(models.WordLevel({"[UNK]": 0, "hello": 1, "world": 2}, unk_token="[UNK]"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="[UNK]", pad_token="[UNK]")
    processor = E2LLMProcessor(feature_extractor=E2LLMFeatureExtractor(), tokenizer=tokenizer)
    assert len(tokenizer) == 3 and "<eeg_pad>" not in tokenizer.get_vocab()  # the caller's object is unchanged
    assert len(processor.tokenizer) == 6 and processor.tokenizer is not tokenizer
    assert int((processor(text="hello <eeg>", eeg=random_eeg(1))["input_ids"] == processor.eeg_token_id).sum()) == 16


def test_processor_keeps_the_tokenizers_init_defaults(processor):
    """Arguments the tokenizer was created with (here ``padding="max_length"``, ``max_length=24``)
    are the processor's defaults, and a call still overrides them."""
    tokenizer = copy.deepcopy(processor.tokenizer)
    tokenizer.init_kwargs.update(padding="max_length", max_length=24)
    padded = E2LLMProcessor(feature_extractor=processor.feature_extractor, tokenizer=tokenizer)
    assert padded(text=["a", "a b c d"])["input_ids"].shape == (2, 24)
    assert padded(text=["a", "a b c d"], max_length=30)["input_ids"].shape == (2, 30)
    assert padded(text=["a", "a b c d"], padding="longest")["input_ids"].shape[1] < 24


def test_eeg_arguments_pass_through_the_processor_flat_or_nested(processor):
    """``fill_missing`` and ``channel_names`` reach the feature extractor from ``__call__``: a
    recording without Cz gets it zero-filled and masked."""
    names = list(EEGPT_CHANNELS)
    without_cz = np.delete(random_eeg(1)[0], names.index("CZ"), axis=0)
    kept = [n for n in names if n != "CZ"]
    flat = processor(text="<eeg>", eeg=[without_cz], channel_names=kept, fill_missing=True)
    nested = processor(text="<eeg>", eeg=[without_cz], eeg_kwargs={"channel_names": kept, "fill_missing": True})
    assert torch.equal(flat["eeg_values"], nested["eeg_values"])
    assert flat["eeg_channel_mask"].sum() == 57 and not bool(flat["eeg_channel_mask"][0, names.index("CZ")])
    with pytest.raises(EEGInputError):
        processor(text="<eeg>", eeg=[without_cz], channel_names=kept)  # without fill_missing: an error


def test_per_text_eeg_lists_are_checked_text_by_text(processor):
    a, b = random_eeg(2)
    with pytest.raises(EEGInputError, match="text 0 has 2 <eeg> markers but 1"):
        processor(text=["first <eeg> second <eeg>", "no segment here"], eeg=[[a], [b]])
    with pytest.raises(EEGInputError, match="2 per-text lists of segments for 1 texts"):
        processor(text=["<eeg> <eeg>"], eeg=[[a], [b]])
    ok = processor(text=["first <eeg> second <eeg>", "no segment here"], eeg=[[a, b], []])
    assert ok["eeg_values"].shape[0] == 2


def test_apply_chat_template_conventions(processor):
    eeg = random_eeg(1)[0]
    chat = [
        {"role": "user", "content": [{"type": "text", "text": "How does this feel? "}, {"type": "eeg", "eeg": eeg}]},
        {"role": "assistant", "content": "Calm. Emotion: neutral"},
    ]
    template = (
        "{% for m in messages %}{{ greeting }}{% if m['role'] == 'assistant' %}{% generation %}{{ m['content'] }}"
        "<|im_end|>{% endgeneration %}{% else %}{{ m['content'] }}{% endif %}{% endfor %}"
    )
    assert (
        processor.apply_chat_template(chat[:1], chat_template=template, greeting="Hi. ")
        == "Hi. How does this feel? <eeg>"
    )
    reads_parts = "{% for m in messages %}[{% for p in m['content'] %}{{ p['text'] }}|{% endfor %}]{% endfor %}"
    assert processor.apply_chat_template(chat[:1], chat_template=reads_parts) == "[How does this feel? |<eeg>|]"
    ids = processor.apply_chat_template(chat, tokenize=True)
    assert isinstance(ids, torch.Tensor) and int((ids == processor.eeg_token_id).sum()) == 16
    out = processor.apply_chat_template(
        chat, chat_template=template, greeting="", tokenize=True, return_dict=True, return_assistant_tokens_mask=True
    )
    assert out["eeg_values"].shape == (1, 58, 1024)
    answer = out["input_ids"][0][torch.as_tensor(out["assistant_masks"][0]).bool()]
    assert processor.tokenizer.decode(answer) == "Calm. Emotion: neutral<|im_end|>"
    with pytest.raises(EEGInputError, match="text 1"):
        processor.apply_chat_template([chat[:1], chat[:1]], tokenize=True, eeg=[[eeg], []])
