"""The model as a Hugging Face package: shapes, EEG placement, batching, generation, saving,
Auto/remote-code/offline-cache loading, EEGPT import, freezing and input errors (tiny configs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from conftest import random_eeg
from transformers import AutoModel, AutoModelForImageTextToText, AutoModelForMultimodalLM, AutoProcessor

import e2llm
from e2llm import EEGPT_CHANNELS, E2LLMEEGConfig, E2LLMFeatureExtractor, EEGInputError
from e2llm.eegpt_checkpoint import convert_eegpt_checkpoint
from e2llm.modeling_e2llm import E2LLMEEGEncoder, E2LLMForEEGClassification


def describe(*n_segments_per_text: int):
    texts = []
    for n in n_segments_per_text:
        texts.append("Compare " + " and ".join(["<eeg>"] * n) + ". Answer:")
    return texts


# -- shapes ----------------------------------------------------------------------------------


def test_encoder_output_shape_default_config():
    """The paper's encoder: (B, 58, 1024) → (B, 16, 4, 512)."""
    torch.manual_seed(0)
    encoder = E2LLMEEGEncoder(E2LLMEEGConfig()).eval()
    out = encoder(torch.randn(2, 58, 1024) * 0.02).last_hidden_state
    assert out.shape == (2, 16, 4, 512)
    assert sum(p.numel() for p in encoder.parameters()) > 20_000_000  # large: 8 × 512-wide blocks


def test_channel_mask_excludes_filled_channels(tiny_model_and_processor):
    model, _ = tiny_model_and_processor
    encoder = model.model.eeg_encoder
    eeg = torch.tensor(np.stack(random_eeg(2)))
    mask = torch.ones(2, 58, dtype=torch.bool)
    mask[:, [3, 10, 40]] = False
    changed = eeg.clone()
    changed[:, [3, 10, 40]] = 5.0  # whatever sits in a masked channel must not matter
    a = encoder(eeg, mask).last_hidden_state
    b = encoder(changed, mask).last_hidden_state
    torch.testing.assert_close(a, b)
    assert not torch.allclose(encoder(changed).last_hidden_state, a)  # unmasked, it would matter


# -- EEG placement ---------------------------------------------------------------------------


def test_eeg_embeddings_land_exactly_at_placeholders(tiny_model_and_processor):
    model, processor = tiny_model_and_processor
    inputs = processor(text=describe(2), eeg=random_eeg(2))
    captured = {}
    hook = model.model.language_model.register_forward_pre_hook(
        lambda mod, args, kwargs: captured.update(embeds=kwargs["inputs_embeds"]), with_kwargs=True
    )
    with torch.no_grad():
        model(**inputs)
        hook.remove()
        ids = inputs["input_ids"][0]
        embeds = captured["embeds"][0]
        eeg_features = model.model.get_eeg_features(inputs["eeg_values"]).flatten(0, 1)  # (2·16, H)
        text_embeds = model.get_input_embeddings()(ids)
    is_pad = ids == processor.eeg_token_id
    is_start = ids == processor.eeg_start_token_id
    is_end = ids == processor.eeg_end_token_id
    assert int(is_pad.sum()) == 2 * 16 and int(is_start.sum()) == 2 and int(is_end.sum()) == 2
    torch.testing.assert_close(embeds[is_pad], eeg_features)  # in order, segment after segment
    boundary = model.model.multi_modal_projector.boundary_embeddings
    torch.testing.assert_close(embeds[is_start], boundary[0].expand(2, -1))
    torch.testing.assert_close(embeds[is_end], boundary[1].expand(2, -1))
    text = ~(is_pad | is_start | is_end)
    assert torch.equal(embeds[text], text_embeds[text])  # text untouched, bit for bit


def test_mixed_segment_counts_in_one_batch_match_single_runs(tiny_model_and_processor):
    model, processor = tiny_model_and_processor
    eegs = random_eeg(6, seed=1)
    per_text = [eegs[:1], eegs[1:3], eegs[3:6]]
    batch = processor(text=describe(1, 2, 3), eeg=per_text, padding=True, padding_side="left")
    assert batch["eeg_values"].shape == (6, 58, 1024)
    with torch.no_grad():
        batched = model(**batch).logits[:, -1]
        for i, (text, segs) in enumerate(zip(describe(1, 2, 3), per_text)):
            single = model(**processor(text=text, eeg=segs)).logits[0, -1]
            torch.testing.assert_close(batched[i], single, atol=1e-4, rtol=1e-4)


def test_loss_only_where_labels_are_set(tiny_model_and_processor):
    model, processor = tiny_model_and_processor
    inputs = processor(text=describe(1), eeg=random_eeg(1))
    labels = inputs["input_ids"].clone()
    labels[:, :-3] = -100
    with torch.no_grad():
        out = model(**inputs, labels=labels)
        logits = out.logits[0, -4:-1]
        expected = torch.nn.functional.cross_entropy(logits, inputs["input_ids"][0, -3:])
    torch.testing.assert_close(out.loss, expected)


# -- generation ------------------------------------------------------------------------------


def test_generate_with_and_without_eeg(tiny_model_and_processor):
    model, processor = tiny_model_and_processor
    calls = []
    hook = model.model.eeg_encoder.register_forward_hook(lambda *a: calls.append(1))
    inputs = processor(text=describe(2), eeg=random_eeg(2))
    out = model.generate(**inputs, max_new_tokens=6, do_sample=False)
    hook.remove()
    assert out.shape == (1, inputs["input_ids"].shape[1] + 6)
    assert len(calls) == 1  # EEG consumed at prefill only
    text_only = processor(text=["Describe a calm state."])
    out = model.generate(**text_only, max_new_tokens=4, do_sample=False)
    assert out.shape[1] == text_only["input_ids"].shape[1] + 4


def test_chat_template_eeg_parts(tiny_model_and_processor):
    _, processor = tiny_model_and_processor
    messages = [
        {
            "role": "user",
            "content": [{"type": "text", "text": "Describe "}, {"type": "eeg"}, {"type": "text", "text": "."}],
        },
        {"role": "assistant", "content": [{"type": "text", "text": "Calm. Emotion: neutral"}]},
    ]
    text = processor.apply_chat_template(messages)
    assert (
        text == "<|im_start|>user\nDescribe <eeg>.<|im_end|>\n<|im_start|>assistant\nCalm. Emotion: neutral<|im_end|>\n"
    )
    prompt = processor.apply_chat_template(messages[:1], add_generation_prompt=True)
    assert prompt.endswith("<|im_start|>assistant\n")
    inputs = processor.apply_chat_template(
        messages[:1], add_generation_prompt=True, tokenize=True, return_dict=True, eeg=random_eeg(1)
    )
    assert int((inputs["input_ids"] == processor.eeg_token_id).sum()) == 16


# -- assembling from a pretrained LM ---------------------------------------------------------


@pytest.mark.parametrize("tied", [True, False])
def test_assembly_takes_the_pretrained_lm_itself(tiny_tokenizer, tied):
    """``build_model`` with a pretrained LM (here a random bf16 Qwen3, standing in for a real one):
    a real preset reads its text config from that LM (no Hub lookup), the decoder and head are the
    LM's own tensors (no second copy), nothing stays on the meta device, the vocabulary grows for
    the EEG tokens, and text-only logits are the LM's."""
    import copy

    from transformers import AutoModelForCausalLM, Qwen3Config

    from e2llm.assembly import build_model

    torch.manual_seed(0)
    lm_vocab = len(tiny_tokenizer) - 10  # the tokenizer holds tokens the LM has no rows for
    text_config = Qwen3Config(vocab_size=lm_vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                              num_attention_heads=2, num_key_value_heads=1, head_dim=16, tie_word_embeddings=tied)  # fmt: skip
    lm = AutoModelForCausalLM.from_config(text_config, dtype=torch.bfloat16).eval()
    ids = torch.tensor([[50, 117, 242, 90]])  # ordinary tokens
    with torch.no_grad():
        expected = lm(ids).logits
    embed_ptr = lm.get_input_embeddings().weight.data_ptr()
    layer_ptr = lm.model.layers[1].mlp.down_proj.weight.data_ptr()

    model, processor = build_model("e2llm-8b", copy.deepcopy(tiny_tokenizer), language_model=lm)
    model.eval()
    assert not [n for n, p in [*model.named_parameters(), *model.named_buffers()] if p.is_meta]
    assert model.config.text_config.hidden_size == 32 and model.config.eeg_config.hidden_size == 512  # EEGPT-large
    assert model.config.text_config.vocab_size == len(processor.tokenizer) == lm_vocab + 10
    assert model.model.language_model.layers[1].mlp.down_proj.weight.data_ptr() == layer_ptr
    assert (model.get_input_embeddings().weight.data_ptr() == embed_ptr) is False  # grown: a new matrix
    assert (model.lm_head.weight is model.get_input_embeddings().weight) is tied
    assert {p.dtype for p in model.parameters()} == {torch.bfloat16}
    with torch.no_grad():
        logits = model(input_ids=ids).logits
    torch.testing.assert_close(logits[..., :lm_vocab], expected, atol=1e-3, rtol=0)  # bf16 head over a wider matrix


# -- saving and loading ----------------------------------------------------------------------


def _save(model, processor, path):
    model.save_pretrained(path)
    processor.save_pretrained(path)


def test_save_load_round_trip_identical_logits(tiny_model_and_processor, tmp_path):
    model, processor = tiny_model_and_processor
    _save(model, processor, tmp_path)
    files = set(os.listdir(tmp_path))
    assert "model.safetensors" in files and not any(f.endswith((".bin", ".pt")) for f in files)
    assert {
        "configuration_e2llm.py",
        "modeling_e2llm.py",
        "processing_e2llm.py",
        "feature_extraction_e2llm.py",
    } <= files
    auto_map = json.loads((tmp_path / "config.json").read_text())["auto_map"]
    assert {"AutoConfig", "AutoModel", "AutoModelForMultimodalLM", "AutoModelForImageTextToText"} <= set(auto_map)
    loaded = AutoModel.from_pretrained(tmp_path).eval()
    loaded_processor = AutoProcessor.from_pretrained(tmp_path)
    assert type(loaded) is e2llm.E2LLMForConditionalGeneration
    assert type(loaded_processor.feature_extractor) is E2LLMFeatureExtractor
    assert type(AutoModelForMultimodalLM.from_pretrained(tmp_path)) is e2llm.E2LLMForConditionalGeneration
    assert type(AutoModelForImageTextToText.from_pretrained(tmp_path)) is e2llm.E2LLMForConditionalGeneration
    eeg = random_eeg(2, seed=3)
    a = processor(text=describe(2), eeg=eeg)
    b = loaded_processor(text=describe(2), eeg=eeg)
    assert torch.equal(a["input_ids"], b["input_ids"]) and torch.equal(a["eeg_values"], b["eeg_values"])
    with torch.no_grad():
        assert torch.equal(model(**a).logits, loaded(**b).logits)


REMOTE_CODE_SCRIPT = textwrap.dedent(
    """
    import sys
    sys.modules["e2llm"] = None  # the package cannot be imported here
    import numpy as np, torch
    from transformers import AutoModel, AutoProcessor
    path = sys.argv[1]
    model = AutoModel.from_pretrained(path, trust_remote_code=True).eval()
    processor = AutoProcessor.from_pretrained(path, trust_remote_code=True)
    assert "e2llm" not in type(model).__module__.split(".")[0], type(model).__module__
    eeg = np.load(sys.argv[2])
    inputs = processor(text="Describe <eeg>. Answer:", eeg=eeg)
    out = model.generate(**inputs, max_new_tokens=5, do_sample=False)
    print("TOKENS", out[0, inputs["input_ids"].shape[1]:].tolist())
    """
)


@pytest.mark.slow
def test_remote_code_load_without_the_package(tiny_model_and_processor, tmp_path):
    model, processor = tiny_model_and_processor
    repo = tmp_path / "repo"
    _save(model, processor, repo)
    eeg = random_eeg(1, seed=4)[0]
    np.save(tmp_path / "eeg.npy", eeg)
    script = tmp_path / "load.py"
    script.write_text(REMOTE_CODE_SCRIPT)
    env = {**os.environ, "HF_MODULES_CACHE": str(tmp_path / "modules"), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, str(script), str(repo), str(tmp_path / "eeg.npy")],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    remote_tokens = json.loads(result.stdout.split("TOKENS", 1)[1].strip())
    inputs = processor(text="Describe <eeg>. Answer:", eeg=eeg)
    local = model.generate(**inputs, max_new_tokens=5, do_sample=False)[0, inputs["input_ids"].shape[1] :].tolist()
    assert remote_tokens == local


@pytest.mark.slow
def test_load_by_repo_id_from_offline_cache(tiny_model_and_processor, tmp_path):
    """A user who downloaded ``org/e2llm-tiny`` earlier loads it by id with HF_HUB_OFFLINE=1."""
    model, processor = tiny_model_and_processor
    cache = tmp_path / "hub"
    commit = "0123456789abcdef0123456789abcdef01234567"
    snapshot = cache / "models--org--e2llm-tiny" / "snapshots" / commit
    _save(model, processor, snapshot)
    (cache / "models--org--e2llm-tiny" / "refs").mkdir()
    (cache / "models--org--e2llm-tiny" / "refs" / "main").write_text(commit)
    script = tmp_path / "by_id.py"
    script.write_text(
        "import sys, torch, e2llm\n"
        "from transformers import AutoModel, AutoProcessor\n"
        "m = AutoModel.from_pretrained('org/e2llm-tiny'); p = AutoProcessor.from_pretrained('org/e2llm-tiny')\n"
        "print(type(m).__name__, type(p).__name__, m.config.eeg_token_id)\n"
    )
    env = {**os.environ, "HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["E2LLMForConditionalGeneration", "E2LLMProcessor", str(processor.eeg_token_id)]


# -- EEGPT checkpoint import -----------------------------------------------------------------


def _fabricated_eegpt_state(hidden=32, depth=2, summary=4, patch=64, seed=0):
    """Tensors named and shaped as in EEGPT's Lightning checkpoint (random values; the real file
    is 100s of MB and cannot be downloaded here)."""
    g = torch.Generator().manual_seed(seed)
    r = lambda *shape: torch.randn(*shape, generator=g) * 0.05  # noqa: E731
    state = {
        "target_encoder.summary_token": r(1, summary, hidden),
        "target_encoder.patch_embed.proj.weight": r(hidden, 1, 1, patch),
        "target_encoder.patch_embed.proj.bias": r(hidden),
        "target_encoder.chan_embed.weight": r(62, hidden),
        "target_encoder.norm.weight": 1 + r(hidden),
        "target_encoder.norm.bias": r(hidden),
    }
    for i in range(depth):
        p = f"target_encoder.blocks.{i}."
        state.update({
            p + "norm1.weight": 1 + r(hidden), p + "norm1.bias": r(hidden),
            p + "attn.qkv.weight": r(3 * hidden, hidden), p + "attn.qkv.bias": r(3 * hidden),
            p + "attn.proj.weight": r(hidden, hidden), p + "attn.proj.bias": r(hidden),
            p + "norm2.weight": 1 + r(hidden), p + "norm2.bias": r(hidden),
            p + "mlp.fc1.weight": r(4 * hidden, hidden), p + "mlp.fc1.bias": r(4 * hidden),
            p + "mlp.fc2.weight": r(hidden, 4 * hidden), p + "mlp.fc2.bias": r(hidden),
        })  # fmt: skip
    # the other modules of the pre-training checkpoint, which the conversion must leave out
    state["encoder.summary_token"] = r(1, summary, hidden)
    state["predictor.mask_token"] = r(1, 1, summary, hidden)
    state["reconstructor.mask_token"] = r(1, 1, hidden)
    return state


def _reference_forward(state, eeg, channel_ids, heads=2, summary=4):
    """EEGPT's encoder forward written out from its description, on the raw checkpoint tensors."""
    p = "target_encoder."
    w = state[p + "patch_embed.proj.weight"]
    x = torch.nn.functional.conv2d(eeg.unsqueeze(1), w, state[p + "patch_embed.proj.bias"], stride=(1, w.shape[-1]))
    x = x.permute(0, 3, 2, 1) + state[p + "chan_embed.weight"][channel_ids][None, None]  # B, N, C, D
    b, n, c, d = x.shape
    x = torch.cat([x.reshape(b * n, c, d), state[p + "summary_token"].expand(b * n, -1, -1)], dim=1)
    ln = lambda t, k: torch.nn.functional.layer_norm(t, (d,), state[k + ".weight"], state[k + ".bias"], eps=1e-6)  # noqa: E731
    i = 0
    while f"{p}blocks.{i}.norm1.weight" in state:
        q = f"{p}blocks.{i}."
        h = ln(x, q + "norm1")
        qkv = (h @ state[q + "attn.qkv.weight"].T + state[q + "attn.qkv.bias"]).reshape(b * n, -1, 3, heads, d // heads)
        qq, kk, vv = qkv.permute(2, 0, 3, 1, 4)
        att = torch.softmax(qq @ kk.transpose(-1, -2) / (d // heads) ** 0.5, dim=-1) @ vv
        x = (
            x
            + att.transpose(1, 2).reshape(b * n, -1, d) @ state[q + "attn.proj.weight"].T
            + state[q + "attn.proj.bias"]
        )
        h = ln(x, q + "norm2") @ state[q + "mlp.fc1.weight"].T + state[q + "mlp.fc1.bias"]
        x = x + torch.nn.functional.gelu(h) @ state[q + "mlp.fc2.weight"].T + state[q + "mlp.fc2.bias"]
        i += 1
    return ln(x[:, -summary:], p + "norm").reshape(b, n, summary, d)


def test_eegpt_import_consumes_every_encoder_key(tmp_path):
    state = _fabricated_eegpt_state()
    ckpt = tmp_path / "eegpt_mcae_58chs_4s_large4E.ckpt"
    torch.save({"state_dict": state, "epoch": 199, "global_step": 1000}, ckpt)
    out = tmp_path / "converted"
    from e2llm.cli import main

    assert main(["convert-eegpt", str(ckpt), str(out), "--num-attention-heads", "2"]) == 0
    encoder_keys = [k for k in state if k.startswith("target_encoder.")]
    model = E2LLMForEEGClassification.from_pretrained(out).eval()
    assert (out / "model.safetensors").exists()
    loaded = model.state_dict()
    for key in encoder_keys:  # every encoder tensor arrived under its new name, unchanged
        assert torch.equal(loaded["eeg_encoder." + key[len("target_encoder.") :]], state[key]), key
    report = convert_eegpt_checkpoint(ckpt, tmp_path / "again", num_attention_heads=2)
    assert len(report.loaded) == len(encoder_keys)
    assert report.missing == ["classifier.bias", "classifier.weight"]
    assert dict(report.unexpected) == {"encoder.": 1, "predictor.": 1, "reconstructor.": 1}
    eeg = torch.tensor(np.stack(random_eeg(2, seed=5)))
    ids = torch.tensor([e2llm.EEGPT_CHANNEL_TABLE.index(c) for c in EEGPT_CHANNELS])
    with torch.no_grad():
        torch.testing.assert_close(
            model.eeg_encoder(eeg).last_hidden_state, _reference_forward(state, eeg, ids), atol=1e-5, rtol=1e-4
        )


def test_eegpt_import_rejects_other_files(tmp_path):
    bad = tmp_path / "not_eegpt.ckpt"
    torch.save({"state_dict": {"model.weight": torch.zeros(2)}}, bad)
    with pytest.raises(ValueError, match="target_encoder"):
        convert_eegpt_checkpoint(bad, tmp_path / "out")
    garbage = tmp_path / "garbage.ckpt"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="garbage.ckpt"):
        convert_eegpt_checkpoint(garbage, tmp_path / "out")
    assert not (tmp_path / "out").exists()


# -- training-related properties -------------------------------------------------------------


def test_freezing_leaves_gradients_only_in_the_projector(tiny_model_and_processor):
    model, processor = tiny_model_and_processor
    model.train()
    for name, param in model.named_parameters():
        param.requires_grad = name.startswith("model.multi_modal_projector.")
    inputs = processor(text=describe(1), eeg=random_eeg(1))
    model(**inputs, labels=inputs["input_ids"]).loss.backward()
    for name, param in model.named_parameters():
        if name.startswith("model.multi_modal_projector."):
            assert param.grad is not None and param.grad.abs().sum() > 0, name  # boundary embeddings included
        else:
            assert param.grad is None, name


def test_activation_checkpointing_sdpa_and_bf16(tiny_model_and_processor):
    model, processor = tiny_model_and_processor
    assert model.config.text_config._attn_implementation == "sdpa"
    inputs = processor(text=describe(2), eeg=random_eeg(2))
    model.train()
    model.activation_checkpointing_enable()
    assert model.model.language_model.gradient_checkpointing
    loss = model(**inputs, labels=inputs["input_ids"]).loss
    loss.backward()
    assert torch.isfinite(loss)
    model.activation_checkpointing_disable()
    model.eval().to(torch.bfloat16)
    with torch.no_grad():
        logits = model(**inputs).logits
    assert logits.dtype == torch.bfloat16 and torch.isfinite(logits.float()).all()


# -- bad input -------------------------------------------------------------------------------


def test_feature_extractor_orders_and_matches_channels():
    fe = E2LLMFeatureExtractor()
    rng = np.random.default_rng(0)
    names = list(reversed(EEGPT_CHANNELS)) + ["CB1"]
    styled = [n.capitalize() + "." if i % 2 else n.lower() for i, n in enumerate(names)]  # 'Fc5.', 'fc5'
    data = rng.standard_normal((len(names), 1024)).astype(np.float32)
    out = fe(data, channel_names=styled, sampling_rate=256)
    values = out["eeg_values"][0].numpy()
    for i, name in enumerate(EEGPT_CHANNELS):
        np.testing.assert_array_equal(values[i], data[names.index(name)])
    assert out["eeg_channel_mask"].all()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"eeg": np.full((58, 1024), np.nan, np.float32)}, "NaN"),
        ({"eeg": np.zeros((58, 1024), np.float32), "sampling_rate": 200}, "200 Hz"),
        ({"eeg": np.zeros((58, 1000), np.float32)}, "1000 samples"),
        ({"eeg": np.zeros((20, 1024), np.float32)}, "20 channels without channel_names"),
        (
            {"eeg": np.zeros((3, 1024), np.float32), "channel_names": ["Fp1", "Fp2", "Cz"]},
            "55 of the model's 58 channels are missing",
        ),
        ({"eeg": np.zeros((2, 1024), np.float32), "channel_names": ["Cz", "CZ."]}, "appears twice"),
        ({"eeg": np.zeros(1024, np.float32)}, "expected \\(channels, samples\\)"),
    ],
)
def test_feature_extractor_errors(kwargs, match):
    with pytest.raises(EEGInputError, match=match):
        E2LLMFeatureExtractor()(**kwargs)


def test_fill_missing_zero_fills_and_masks():
    names = list(EEGPT_CHANNELS[:50])
    data = np.ones((50, 1024), np.float32)
    out = E2LLMFeatureExtractor(fill_missing=True)(data, channel_names=names)
    mask = out["eeg_channel_mask"][0]
    assert mask[:50].all() and not mask[50:].any()
    assert float(out["eeg_values"][0, 50:].abs().sum()) == 0.0


def test_placeholder_and_segment_counts_must_agree(tiny_model_and_processor):
    model, processor = tiny_model_and_processor
    with pytest.raises(EEGInputError, match="2 <eeg> markers but 1 EEG segments"):
        processor(text=describe(2), eeg=random_eeg(1))
    inputs = processor(text=describe(2), eeg=random_eeg(2))
    with pytest.raises(ValueError, match="32 <eeg_pad> tokens .* but 1 EEG segments"):
        model(input_ids=inputs["input_ids"], eeg_values=inputs["eeg_values"][:1])
    with pytest.raises(ValueError, match="no eeg_values"):
        model(input_ids=inputs["input_ids"])
    with pytest.raises(ValueError, match="expected \\(batch, 58, 1024\\)"):
        model(input_ids=inputs["input_ids"], eeg_values=inputs["eeg_values"][:, :, :512])


def test_projector_warm_start_maps_each_patch_to_its_classified_emotion_word(tiny_model_and_processor):
    """``init_projector_from_classifier``: a patch's projected embedding is nearest (cosine) to the
    input embedding of the emotion word stage 1's classifier gives that patch, at about the scale
    of a word embedding; the projector stays trainable."""
    from e2llm.assembly import init_projector_from_classifier
    from e2llm.configuration_e2llm import EMOTIONS
    from e2llm.emotions import EMOTION_WORDS

    model, processor = tiny_model_and_processor
    eeg = model.config.eeg_config
    torch.manual_seed(1)
    classifier = torch.nn.Linear(eeg.num_summary_tokens * eeg.hidden_size, len(EMOTIONS))
    states = torch.randn(32, 16, eeg.num_summary_tokens, eeg.hidden_size)
    init_projector_from_classifier(model, classifier, processor, states, dict(enumerate(EMOTIONS)))
    with torch.no_grad():
        out = model.model.get_eeg_features(eeg_hidden_states=states)  # (32, 16, text hidden)
        emb = model.get_input_embeddings().weight
        words = torch.stack(
            [
                emb[processor.tokenizer(" " + EMOTION_WORDS[e], add_special_tokens=False)["input_ids"]].mean(0)
                for e in EMOTIONS
            ]
        )
        nearest = torch.nn.functional.cosine_similarity(out[..., None, :], words, dim=-1).argmax(-1)
        logits = classifier(states.flatten(2))
        top2 = logits.topk(2, dim=-1).values
        clear = (top2[..., 0] - top2[..., 1]) > (top2[..., 0] - top2[..., 1]).median()  # a clear winner
    match = nearest == logits.argmax(-1)
    assert match[clear].float().mean() > 0.95 and match.float().mean() > 0.75
    ratio = out.norm(dim=-1).mean() / words.norm(dim=-1).mean()
    assert 0.3 < ratio < 3
    assert all(p.requires_grad for p in model.model.multi_modal_projector.parameters())
