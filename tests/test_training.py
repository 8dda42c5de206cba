"""Three-stage training on the tiny config (CPU): losses fall, only the intended parameters
change, encoder-output caching is exact, artifacts load, runs resume, and two-process DDP runs."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from transformers import AutoModel

import e2llm
from e2llm.runs.artifacts import Artifact
from e2llm.training.collators import E2LLMDataCollator, EncoderOutputCache
from e2llm.training.config import load_run_config, parse_stage_arguments, run_training
from e2llm.training.stages import train_encoder, train_sft

REPO = Path(__file__).resolve().parents[1]
COMMON = ["--use_cpu", "true", "--logging_steps", "1", "--save_strategy", "no", "--seed", "0"]
SFT_COMMON = COMMON + ["--bf16", "false", "--activation_checkpointing", "false", "--per_device_train_batch_size", "8"]


@pytest.fixture(scope="module")
def toy_text_model(toy_tasks_dir, tmp_path_factory):
    """A tiny random-initialised LM with a tokenizer trained on the toy instruction corpus, saved
    as a local HF folder (a user's ``--text_model``)."""
    from conftest import save_tiny_lm
    from datasets import load_from_disk

    from e2llm.tokenization import train_tokenizer

    tasks = load_from_disk(toy_tasks_dir)
    tokenizer = train_tokenizer([json.dumps(m) for m in tasks["train"]["messages"]], vocab_size=600)
    return save_tiny_lm(tokenizer, tmp_path_factory.mktemp("lm") / "text-model")


def _losses(log_history):
    return [entry["loss"] for entry in log_history if "loss" in entry]


@pytest.fixture(scope="module")
def pipeline(toy_segments_dir, toy_tasks_dir, toy_text_model, tmp_path_factory):
    """Runs the three stages once, a few steps each."""
    root = tmp_path_factory.mktemp("run")
    train_encoder(*_stage1_args(toy_segments_dir, root / "stage1"))
    s2 = parse_stage_arguments("align", [
        "--preset", "tiny", "--tasks_dir", toy_tasks_dir, "--text_model", toy_text_model, "--init_from", str(root / "stage1"),
        "--output_dir", str(root / "stage2"), "--max_steps", "12", "--learning_rate", "1e-2", *SFT_COMMON,
    ], config={})  # fmt: skip
    train_sft(*s2)
    train_sft(*_stage3_args(toy_tasks_dir, root / "stage2", root / "stage3"))
    return root


def _stage1_args(segments_dir, out):
    return parse_stage_arguments("stage1", [
        "--segments_dir", str(segments_dir), "--preset", "tiny", "--output_dir", str(out),
        "--num_train_epochs", "6", "--per_device_train_batch_size", "8", "--learning_rate", "3e-3", *COMMON,
    ], config={})  # fmt: skip


def _stage3_args(tasks_dir, init_from, out):
    return parse_stage_arguments("sft", [
        "--preset", "tiny", "--tasks_dir", tasks_dir, "--init_from", str(init_from), "--output_dir", str(out),
        "--max_train_samples", "16", "--num_train_epochs", "12", "--learning_rate", "2e-2", "--lora_r", "8", "--lora_alpha", "16", *SFT_COMMON,
    ], config={})  # fmt: skip


def _marker(path) -> dict:
    return json.loads((Path(path) / "e2llm_stage.json").read_text())


def test_each_stage_writes_a_complete_artifact(pipeline):
    for stage in ("stage1", "stage2", "stage3"):
        assert Artifact(pipeline / stage).is_complete()
        assert (pipeline / stage / "model.safetensors").is_file()
    s1 = AutoModel.from_pretrained(pipeline / "stage1")
    assert type(s1) is e2llm.E2LLMForEEGClassification
    metrics = _marker(pipeline / "stage1")["metrics"]
    assert 0.0 <= metrics["eval_balanced_accuracy"] <= 1.0
    assert metrics["eval_balanced_accuracy"] > 2 / 7  # the toy signal is easy: well above chance (1/7)


def test_losses_fall(pipeline, toy_tasks_dir, toy_segments_dir):
    for stage in ("stage1", "stage2", "stage3"):
        losses = _losses(_marker(pipeline / stage)["log_history"])
        assert len(losses) >= 4, stage
    for stage in ("stage1", "stage2"):  # logged per step: the last quarter below the first
        losses = _losses(_marker(pipeline / stage)["log_history"])
        k = max(2, len(losses) // 4)
        assert sum(losses[-k:]) / k < sum(losses[:k]) / k, (stage, losses)
    # stage 3 (LoRA on q/k of the toy LM: small steps, batch-to-batch spread larger than the
    # trend): the loss on its own 16 training samples, before (stage 2's model) and after
    from datasets import load_from_disk

    from e2llm.datasets_builder import SegmentLookup, load_segments

    rows = load_from_disk(toy_tasks_dir)["train_sft"].select(range(16))
    rows = [rows[i] for i in range(len(rows))]
    processor = e2llm.E2LLMProcessor.from_pretrained(pipeline / "stage2")
    batch = E2LLMDataCollator(processor, SegmentLookup(load_segments(toy_segments_dir)))(rows)
    with torch.no_grad():
        before, after = (
            AutoModel.from_pretrained(pipeline / s).eval()(**batch).loss.item() for s in ("stage2", "stage3")
        )
    assert after < before, (before, after)


def test_group_by_length_on_a_task_mix_warns(pipeline, toy_tasks_dir, toy_text_model, tmp_path, caplog):
    """group_by_length on tasks of different lengths trains them one after another: say so."""
    for strategy in ("group_by_length", "batch_rebalance"):
        train_sft(*parse_stage_arguments("align", [
            "--preset", "tiny", "--tasks_dir", toy_tasks_dir, "--text_model", toy_text_model, "--init_from",
            str(pipeline / "stage1"), "--output_dir", str(tmp_path / strategy), "--max_steps", "1",
            "--train_sampling_strategy", strategy, "--gradient_accumulation_steps", "2", *SFT_COMMON,
        ], config={}))  # fmt: skip
        warned = "group_by_length sorts runs of steps by length" in caplog.text
        assert warned == (strategy == "group_by_length"), strategy
        caplog.clear()


def _state(path):
    return {k: v.clone() for k, v in AutoModel.from_pretrained(path).state_dict().items()}


def test_only_intended_parameters_change(pipeline, toy_text_model):
    stage1 = _state(pipeline / "stage1")
    stage2 = _state(pipeline / "stage2")
    stage3 = _state(pipeline / "stage3")
    lm = AutoModel.from_pretrained(toy_text_model).state_dict()  # Qwen3Model (bare decoder)
    # stage 2: encoder = stage 1's, LM = the text model, only the projector moved
    for key, value in stage1.items():
        if key.startswith("eeg_encoder."):
            assert torch.equal(stage2["model." + key], value), key
    for key, value in lm.items():
        assert torch.equal(stage2["model.language_model." + key], value), key
    changed2 = {k for k in stage2 if k in stage3 and not torch.equal(stage2[k], stage3[k])}
    # stage 3 vs stage 2: projector and the LM's q_proj/k_proj (merged LoRA) moved; nothing else
    assert any(k.startswith("model.multi_modal_projector.") for k in changed2)
    assert any(k.endswith("q_proj.weight") for k in changed2) and any(k.endswith("k_proj.weight") for k in changed2)
    for key in changed2:
        assert key.startswith("model.multi_modal_projector.") or (
            key.startswith("model.language_model.") and key.endswith(("q_proj.weight", "k_proj.weight"))
        ), key


def test_stage3_adapter_loads_with_peft_and_matches_merged(pipeline, toy_tasks_dir):
    from peft import PeftModel

    from e2llm import E2LLMForConditionalGeneration

    adapter_config = json.loads((pipeline / "stage3" / "adapter" / "adapter_config.json").read_text())
    assert adapter_config["r"] == 8 and adapter_config["modules_to_save"] == ["multi_modal_projector"]
    assert "language_model" in adapter_config["target_modules"] and "q_proj|k_proj" in adapter_config["target_modules"]
    base = E2LLMForConditionalGeneration.from_pretrained(pipeline / "stage2")
    peft_model = PeftModel.from_pretrained(base, pipeline / "stage3" / "adapter").eval()
    lora_modules = [n for n, _ in peft_model.named_modules() if n.endswith("lora_A")]
    assert lora_modules and all("language_model" in n and ("q_proj" in n or "k_proj" in n) for n in lora_modules)
    merged = AutoModel.from_pretrained(pipeline / "stage3").eval()
    processor = e2llm.E2LLMProcessor.from_pretrained(pipeline / "stage3")
    from conftest import random_eeg

    inputs = processor(text="Describe <eeg>.", eeg=random_eeg(1))
    with torch.no_grad():
        torch.testing.assert_close(peft_model(**inputs).logits, merged(**inputs).logits, atol=1e-4, rtol=1e-4)


def test_encoder_cache_gives_the_same_loss(pipeline, toy_tasks_dir, toy_segments_dir):
    from datasets import load_from_disk

    from e2llm.datasets_builder import SegmentLookup, load_segments

    model = AutoModel.from_pretrained(pipeline / "stage2").eval()
    processor = e2llm.E2LLMProcessor.from_pretrained(pipeline / "stage2")
    segments = SegmentLookup(load_segments(toy_segments_dir))
    rows = load_from_disk(toy_tasks_dir)["train"].select(range(8))
    rows = [rows[i] for i in range(len(rows))]
    cache = EncoderOutputCache(
        model.model.eeg_encoder, segments, [s for r in rows for s in r["segment_ids"]], progress=False
    )
    plain = E2LLMDataCollator(processor, segments)(rows)
    cached = E2LLMDataCollator(processor, segments, encoder_cache=cache)(rows)
    assert "eeg_values" in plain and "eeg_hidden_states" in cached and "eeg_values" not in cached
    with torch.no_grad():
        torch.testing.assert_close(model(**plain).loss, model(**cached).loss)


def test_collator_masks_everything_but_the_answer(pipeline, toy_tasks_dir, toy_segments_dir):
    from datasets import load_from_disk

    from e2llm.datasets_builder import SegmentLookup, load_segments

    processor = e2llm.E2LLMProcessor.from_pretrained(pipeline / "stage2")
    rows = load_from_disk(toy_tasks_dir)["train"].select(range(4))
    rows = [rows[i] for i in range(len(rows))]
    batch = E2LLMDataCollator(processor, SegmentLookup(load_segments(toy_segments_dir)))(rows)
    for i, row in enumerate(rows):
        labelled = batch["labels"][i][batch["labels"][i] != -100]
        answer = row["messages"][-1]["content"][0]["text"]
        assert processor.tokenizer.decode(labelled) == answer + "<|im_end|>"
        eeg_positions = torch.isin(batch["input_ids"][i], torch.tensor(list(processor.token_ids.values())))
        assert (batch["labels"][i][eeg_positions] == -100).all()
        assert (batch["labels"][i][batch["attention_mask"][i] == 0] == -100).all()


def test_bf16_lm_trains_float32_projector_and_saves_bf16(pipeline, toy_tasks_dir, toy_text_model, tmp_path):
    """A real LM comes in bf16 (``dtype="auto"``): the trainable projector is trained in float32
    (bf16 would round most updates away), the frozen LM stays bf16, and the artifact is saved in
    the LM's dtype again."""
    from transformers import AutoModelForCausalLM

    from e2llm.assembly import build_model
    from e2llm.training.stages import freeze_for_stage, upcast_trainable

    bf16_lm = tmp_path / "bf16-lm"
    AutoModelForCausalLM.from_pretrained(toy_text_model, dtype=torch.bfloat16).save_pretrained(bf16_lm)
    tokenizer = e2llm.E2LLMProcessor.from_pretrained(pipeline / "stage2").tokenizer
    with pytest.raises(ValueError, match="bf16-lm: no tokenizer there"):  # a folder without one is refused
        train_sft(*parse_stage_arguments("align", ["--tasks_dir", toy_tasks_dir, "--text_model", str(bf16_lm), "--preset", "tiny",
                                                   "--init_from", str(pipeline / "stage1"), "--output_dir", str(tmp_path / "x"),
                                                   *COMMON], config={}))  # fmt: skip
    tokenizer.save_pretrained(bf16_lm)
    torch.manual_seed(0)
    model, _ = build_model("tiny", tokenizer, language_model=str(bf16_lm))
    freeze_for_stage(model, "align")
    upcast_trainable(model)
    dtypes = {n: p.dtype for n, p in model.named_parameters()}
    assert {d for n, d in dtypes.items() if n.startswith("model.multi_modal_projector.")} == {torch.float32}
    assert {d for n, d in dtypes.items() if not n.startswith("model.multi_modal_projector.")} == {torch.bfloat16}

    out = tmp_path / "stage2-bf16"
    args = parse_stage_arguments("align", [
        "--preset", "tiny", "--tasks_dir", toy_tasks_dir, "--text_model", str(bf16_lm), "--init_from", str(pipeline / "stage1"),
        "--output_dir", str(out), "--max_steps", "3", "--learning_rate", "1e-2", *COMMON, "--bf16", "true",
        "--activation_checkpointing", "false", "--per_device_train_batch_size", "4",
    ], config={})  # fmt: skip
    torch.manual_seed(0)  # the same projector initialisation as the model above
    train_sft(*args)
    saved = AutoModel.from_pretrained(out, dtype="auto")
    assert {p.dtype for p in saved.parameters()} == {torch.bfloat16}
    start = model.multi_modal_projector.linear_1.weight.to(torch.bfloat16)
    moved = (saved.multi_modal_projector.linear_1.weight != start).float().mean()
    assert 0.5 < moved  # it trained from that initialisation (not a fresh one: compare the LM, below)
    torch.testing.assert_close(
        saved.model.language_model.layers[0].mlp.down_proj.weight,
        model.model.language_model.layers[0].mlp.down_proj.weight,
        atol=0,
        rtol=0,
    )


def test_fsdp_launch_is_refused_with_the_config_to_use(toy_tasks_dir, toy_text_model, tmp_path, monkeypatch):
    """Under FSDP (version 1) the frozen bf16 LM and the float32 trainable weights cannot share flat
    parameters (torch: "Must flatten tensors with uniform dtype", seen on a GPU); DDP is the way."""
    monkeypatch.setenv("ACCELERATE_USE_FSDP", "true")
    args = parse_stage_arguments("align", ["--tasks_dir", toy_tasks_dir, "--text_model", toy_text_model,
                                           "--output_dir", str(tmp_path / "s2"), *SFT_COMMON], config={})  # fmt: skip
    with pytest.raises(ValueError, match="do not run under FSDP.*ddp_2gpu.yaml"):
        train_sft(*args)
    assert not (tmp_path / "s2").exists()  # nothing written
    assert (REPO / "train" / "configs" / "accelerate" / "ddp_2gpu.yaml").is_file()


def _sft_command(stage, out, tasks_dir, text_model, init_from, *extra):
    return [
        "train/sft.py", "--stage", stage, "--preset", "tiny", "--tasks_dir", tasks_dir, "--text_model", text_model,
        "--init_from", init_from, "--output_dir", str(out), "--use_cpu", "true", "--bf16", "false",
        "--activation_checkpointing", "false", "--logging_steps", "1", "--lora_r", "8", "--lora_alpha", "16", *extra,
    ]  # fmt: skip


def test_resume_after_kill(pipeline, toy_tasks_dir, toy_text_model, tmp_path):
    out = tmp_path / "stage2"
    cmd = [sys.executable, *_sft_command("align", out, toy_tasks_dir, toy_text_model, str(pipeline / "stage1"),
           "--max_steps", "40", "--save_strategy", "steps", "--save_steps", "5", "--per_device_train_batch_size", "4")]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while not (out / "checkpoint-5" / "trainer_state.json").exists():
        assert proc.poll() is None and time.time() < deadline, "training ended or stalled before its first checkpoint"
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)  # kill -9 mid-run
    proc.wait()
    assert not Artifact(out).is_complete()
    first = max(int(p.name.split("-")[1]) for p in out.glob("checkpoint-*") if (p / "trainer_state.json").exists())
    assert first < 40
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert Artifact(out).is_complete()
    marker = _marker(out)
    assert marker["global_step"] == 40
    assert marker["resumed_from"].endswith(f"checkpoint-{first}")  # continued, did not restart
    steps = [e["step"] for e in marker["log_history"] if "loss" in e]
    assert steps == list(range(1, 41))  # every step logged exactly once across the two runs


def test_two_process_ddp(pipeline, toy_tasks_dir, toy_text_model, tmp_path):
    out = tmp_path / "stage3-ddp"
    # accelerate's `--cpu` alone starts one process (several need an MPI hostfile); `--multi_gpu` with
    # `--use_cpu true` for the script starts two processes that train as DDP over gloo on the CPU
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
           "--mixed_precision", "no", "--dynamo_backend", "no",
           *_sft_command("sft", out, toy_tasks_dir, toy_text_model, str(pipeline / "stage2"),
                         "--num_train_epochs", "1", "--per_device_train_batch_size", "4", "--save_strategy", "no")]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    marker = _marker(out)
    assert marker["world_size"] == 2
    assert marker["global_step"] == 48 // (4 * 2)  # 48 train_sft samples, batch 4 per process, two processes
    assert AutoModel.from_pretrained(out) is not None


@pytest.mark.slow
def test_e2llm_train_runs_and_skips_finished_stages(toy_segments_dir, toy_tasks_dir, toy_text_model, tmp_path, capsys):
    config = tmp_path / "run.yaml"
    config.write_text(f"""
run:
  preset: tiny
  output_dir: {tmp_path / "run"}
  segments_dir: {toy_segments_dir}
  tasks_dir: {toy_tasks_dir}
  text_model: {toy_text_model}
stage1: {{max_steps: 3, per_device_train_batch_size: 8, use_cpu: true, eval_strategy: "no", save_strategy: "no"}}
align: {{max_steps: 3, per_device_train_batch_size: 8, use_cpu: true, bf16: true, activation_checkpointing: false, save_strategy: "no"}}
sft: {{max_steps: 3, per_device_train_batch_size: 8, use_cpu: true, bf16: false, activation_checkpointing: false, save_strategy: "no", lora_r: 4, lora_alpha: 8}}
""")  # the mixed precision changes from stage to stage in one process (the demo's on a bf16 CPU)
    assert load_run_config(config)["run"]["preset"] == "tiny"
    from e2llm.cli import main

    assert main(["train", "--config", str(config)]) == 0
    for stage in ("stage1", "stage2", "stage3"):
        assert Artifact(tmp_path / "run" / stage).is_complete()
    capsys.readouterr()
    before = {p: p.stat().st_mtime for p in (tmp_path / "run").glob("stage*/model.safetensors")}
    assert main(["train", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert out.count("exists; skipping") == 3
    assert before == {p: p.stat().st_mtime for p in (tmp_path / "run").glob("stage*/model.safetensors")}


@pytest.fixture()
def machine(monkeypatch):
    """Plays a machine: ``machine("cpu")``, ``("gpu-bf16")`` or ``("gpu-no-bf16")``."""
    import e2llm.training.config as run_config

    def play(kind: str) -> None:
        monkeypatch.setattr(run_config, "_has_accelerator", lambda: kind != "cpu")
        monkeypatch.setattr(run_config, "_accelerator_computes_bf16", lambda: kind == "gpu-bf16")

    return play


@pytest.mark.parametrize(
    "kind, use_cpu, bf16", [("cpu", True, False), ("gpu-bf16", False, True), ("gpu-no-bf16", False, False)]
)
def test_stage_defaults_follow_the_machine(kind, use_cpu, bf16, machine):
    from e2llm.training.config import stage_defaults

    machine(kind)
    for stage in ("align", "sft"):
        values = stage_defaults({"run": {}}, stage)
        assert (values["use_cpu"], values["bf16"], values["activation_checkpointing"]) == (use_cpu, bf16, True)
    assert stage_defaults({}, "stage1")["use_cpu"] == use_cpu
    assert stage_defaults({"align": {"bf16": not bf16, "use_cpu": not use_cpu}}, "align")["bf16"] == (not bf16)


def test_an_empty_config_parses_on_this_machine_without_deprecated_names():
    """``run:`` empty and ``stage1: {}``: TRL's bf16 default made transformers refuse a CPU-only
    machine, and its ``gradient_checkpointing`` default made transformers warn."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for stage in ("stage1", "align", "sft"):
            _, training_args = parse_stage_arguments(stage, [], config={"run": {}, "stage1": {}})
            assert training_args.use_cpu == (not torch.cuda.is_available())
    assert not [w for w in caught if "gradient_checkpointing" in str(w.message)]
    assert training_args.activation_checkpointing is True


@pytest.mark.parametrize("config", sorted((REPO / "train" / "configs").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_config_parses_on_this_machine(config):
    for stage in ("stage1", "align", "sft"):
        parse_stage_arguments(stage, ["--config", str(config)])


@pytest.mark.parametrize(
    "kind, section, message",
    [
        ("gpu-no-bf16", "{bf16: true}", "bf16 is true but this machine has a GPU without bf16; set bf16: false"),
        ("cpu", "{bf16: true, use_cpu: false}", "bf16 is true but this machine has no GPU; set bf16: false"),
    ],
)
def test_bf16_the_machine_cannot_run_names_the_keys(kind, section, message, machine, tmp_path):
    machine(kind)
    config = tmp_path / "run.yaml"
    config.write_text(f"run: {{preset: tiny}}\nalign: {section}\n")
    with pytest.raises(ValueError, match=rf"^{re.escape(str(config))}: align: {message}, or use_cpu: true"):
        run_training(config)
    machine("gpu-bf16")
    assert parse_stage_arguments("stage1", ["--config", str(config)])[1].bf16 is False  # stage 1 is not asked


def test_the_former_checkpointing_name_is_refused(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text("run: {preset: tiny}\nsft: {gradient_checkpointing: false}\n")
    with pytest.raises(ValueError, match="section 'sft': gradient_checkpointing is transformers' former name"):
        run_training(config)  # else the default activation_checkpointing: true would silently win
    with pytest.raises(ValueError, match="use --activation_checkpointing"):
        parse_stage_arguments("align", ["--gradient_checkpointing", "false"], config={})


def test_bad_config_is_a_clear_error(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("run: {preset: tiny}\nalign: {learning_rat: 0.1}\n")
    with pytest.raises(ValueError, match="unknown keys \\['learning_rat'\\]"):
        run_training(config)
    config.write_text("run: {preset: tiny}\nalign: {lm_dtype: float8}\n")
    with pytest.raises(ValueError, match="lm_dtype must be auto, bfloat16, float16 or float32, not 'float8'"):
        run_training(config)  # refused while parsing, before stage 1 starts
    config.write_text("run: {preset: tiny, ablation: no_stage4}\n")
    with pytest.raises(ValueError, match="ablation must be one of"):
        load_run_config(config)


# -- resuming only from complete checkpoints; artifacts swapped in whole ----------------------------


def _align_args(out, steps, toy_tasks_dir, toy_text_model, init_from):
    return parse_stage_arguments("align", [
        "--preset", "tiny", "--tasks_dir", toy_tasks_dir, "--text_model", toy_text_model, "--init_from", str(init_from),
        "--output_dir", str(out), "--max_steps", str(steps), "--learning_rate", "1e-2", *SFT_COMMON,
        "--save_strategy", "steps", "--save_steps", "5",
    ], config={})  # fmt: skip


def test_resume_skips_checkpoints_a_kill_left_incomplete(
    pipeline, toy_tasks_dir, toy_text_model, tmp_path, capsys, caplog
):
    import shutil

    from e2llm.runs.artifacts import checkpoint_problem

    first = tmp_path / "first"
    train_sft(*_align_args(first, 10, toy_tasks_dir, toy_text_model, pipeline / "stage1"))
    assert checkpoint_problem(first / "checkpoint-5") is None and checkpoint_problem(first / "checkpoint-10") is None
    # what a kill while checkpoints were written leaves: checkpoint-10 before its trainer_state.json,
    # checkpoint-15 with its weights cut short
    out = tmp_path / "stage2"
    out.mkdir()
    shutil.copytree(first / "checkpoint-5", out / "checkpoint-5")
    shutil.copytree(first / "checkpoint-10", out / "checkpoint-10")
    (out / "checkpoint-10" / "trainer_state.json").unlink()
    shutil.copytree(first / "checkpoint-10", out / "checkpoint-15")
    weights = out / "checkpoint-15" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    assert checkpoint_problem(out / "checkpoint-10") == "no trainer_state.json"
    assert "model.safetensors is truncated" in checkpoint_problem(out / "checkpoint-15")
    capsys.readouterr()

    with caplog.at_level("WARNING", logger="e2llm"):
        train_sft(*_align_args(out, 15, toy_tasks_dir, toy_text_model, pipeline / "stage1"))
    err = caplog.text
    assert f"{out / 'checkpoint-15'}: incomplete checkpoint (model.safetensors is truncated" in err
    assert (
        f"{out / 'checkpoint-10'}: incomplete checkpoint (no trainer_state.json); set aside as .checkpoint-10.incomplete-"
        in err
    )
    assert "resuming from checkpoint-5" in err
    marker = _marker(out)
    assert marker["resumed_from"].endswith("checkpoint-5") and marker["global_step"] == 15
    steps = [e["step"] for e in marker["log_history"] if "loss" in e]
    assert steps == list(range(1, 16))  # continued at step 6 with checkpoint-5's state, not from 0
    assert len(list(out.glob(".checkpoint-1[05].incomplete-*"))) == 2  # set aside, not deleted
    assert checkpoint_problem(out / "checkpoint-15") is None  # written anew, complete


def test_checkpoint_problem_names_what_is_missing(tmp_path):
    from safetensors.torch import save_file

    from e2llm.runs.artifacts import checkpoint_problem

    ckpt = tmp_path / "checkpoint-3"
    ckpt.mkdir()
    assert checkpoint_problem(ckpt) == "no trainer_state.json"
    (ckpt / "trainer_state.json").write_text('{"global_step": 3')
    assert checkpoint_problem(ckpt) == "trainer_state.json unreadable"
    (ckpt / "trainer_state.json").write_text('{"global_step": 3}')
    assert checkpoint_problem(ckpt) == "no weights file"
    save_file({"w": torch.zeros(4, 4)}, ckpt / "model.safetensors")
    assert checkpoint_problem(ckpt) == "no scheduler.pt"
    torch.save({"step": 3}, ckpt / "scheduler.pt")
    assert checkpoint_problem(ckpt) == "no optimizer.pt"
    torch.save({"state": {0: torch.zeros(100)}}, ckpt / "optimizer.pt")
    assert checkpoint_problem(ckpt) is None
    data = (ckpt / "optimizer.pt").read_bytes()
    (ckpt / "optimizer.pt").write_bytes(data[: len(data) - 30])
    assert checkpoint_problem(ckpt).startswith("optimizer.pt is truncated")
    (ckpt / "optimizer.pt").write_bytes(data)
    data = (ckpt / "model.safetensors").read_bytes()
    (ckpt / "model.safetensors").write_bytes(data[:6])
    assert checkpoint_problem(ckpt).startswith("model.safetensors is truncated")


def test_stage_artifact_is_swapped_in_whole(tmp_path):
    out = tmp_path / "stage2"
    (out / "checkpoint-5").mkdir(parents=True)
    (out / "model.safetensors").write_text("old")

    def fails(folder):
        (folder / "model.safetensors").write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        Artifact(out).publish(fails, "stage2")
    assert (out / "model.safetensors").read_text() == "old" and not Artifact(out).is_complete()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stage2"]  # no temporary folder left

    def writes(folder):
        (folder / "model.safetensors").write_text("new")

    Artifact(out).publish(writes, "stage2", note="the marker is written last, by publish")
    assert (out / "model.safetensors").read_text() == "new" and Artifact(out).is_complete()
    assert (out / "checkpoint-5").is_dir()  # the training run's checkpoints are kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stage2"]


def test_convert_eegpt_interrupted_leaves_the_previous_folder(tmp_path, monkeypatch):
    from test_model import _fabricated_eegpt_state

    from e2llm.eegpt_checkpoint import convert_eegpt_checkpoint

    ckpt = tmp_path / "eegpt.ckpt"
    torch.save({"state_dict": _fabricated_eegpt_state()}, ckpt)
    out = tmp_path / "eegpt"
    convert_eegpt_checkpoint(ckpt, out, num_attention_heads=2)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert "model.safetensors" in before

    def fail(self, folder, *args, **kwargs):
        (Path(folder) / "model.safetensors").write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(e2llm.E2LLMForEEGClassification, "save_pretrained", fail)
    with pytest.raises(OSError, match="disk full"):
        convert_eegpt_checkpoint(ckpt, out, num_attention_heads=2)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eegpt", "eegpt.ckpt"]  # no temporary folder left


def test_cpu_scores_only_labelled_positions_with_the_same_loss_and_gradients():
    """TRL's fused head, as SFTTrainer uses it, under ``trl_scores_labelled_positions_on_cpu``: only the
    labelled positions reach the head on a CPU, and loss and gradients equal TRL's own path."""
    import trl.trainer.utils as trl_utils
    from transformers import LlamaConfig, LlamaForCausalLM

    from e2llm.compat import trl_scores_labelled_positions_on_cpu

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=97, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, tie_word_embeddings=True,
    )  # fmt: skip
    model = LlamaForCausalLM(config)
    trl_utils.add_fused_lm_head(model)
    ids = torch.randint(0, 97, (3, 20))
    labels = ids.clone()
    labels[:, :12] = -100  # the prompt
    labels[2, 17:] = -100  # padding
    rows = []
    apply = trl_utils._ChunkedLogProbFunction.apply

    def spy(hidden, *args):
        rows.append(hidden.shape[0])
        return apply(hidden, *args)

    results = []
    for compact in (False, True):
        model.zero_grad()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(trl_utils._ChunkedLogProbFunction, "apply", spy)
            if compact:
                with trl_scores_labelled_positions_on_cpu():
                    loss = model(input_ids=ids, labels=labels, fused_lm_head=True).loss
            else:
                loss = model(input_ids=ids, labels=labels, fused_lm_head=True).loss
        loss.backward()
        results.append((loss.detach(), [p.grad.clone() for p in model.parameters()]))
    assert rows == [3 * 19, int((labels[:, 1:] != -100).sum())]
    assert torch.allclose(results[0][0], results[1][0], atol=1e-6)
    for full, compact in zip(results[0][1], results[1][1]):
        assert torch.allclose(full, compact, atol=1e-6)
    assert trl_utils._use_triton(torch.device("cpu")) is False  # restored


def test_stage2_on_chosen_tasks_from_the_classifier_then_stage3_with_its_own_projector_rate(
    pipeline, toy_tasks_dir, toy_text_model, tmp_path
):
    """The demo's CPU recipe: stage 2 on IED alone (``train_tasks``), its projector started from
    stage 1's classifier; stage 3 with ``projector_learning_rate`` (here ~0: the projector stays,
    the LoRA-merged LM moves)."""
    import math

    from datasets import load_from_disk
    from safetensors.torch import load_file

    n_ied = sum(task == "ied" for task in load_from_disk(toy_tasks_dir)["train"]["task"])
    s2 = parse_stage_arguments("align", [
        "--preset", "tiny", "--tasks_dir", toy_tasks_dir, "--init_from", str(pipeline / "stage1"),
        "--text_model", toy_text_model, "--output_dir", str(tmp_path / "stage2"), "--train_tasks", "ied",
        "--projector_init", "classifier", "--num_train_epochs", "1", *SFT_COMMON[:-1], "4",
    ], config={})  # fmt: skip
    train_sft(*s2)
    marker = _marker(tmp_path / "stage2")
    assert marker["global_step"] == math.ceil(n_ied / 4) and all(map(math.isfinite, _losses(marker["log_history"])))
    s3 = parse_stage_arguments("sft", [
        "--preset", "tiny", "--tasks_dir", toy_tasks_dir, "--init_from", str(tmp_path / "stage2"), "--output_dir", str(tmp_path / "stage3"),
        "--max_steps", "3", "--learning_rate", "2e-2", "--projector_learning_rate", "1e-12", "--lora_r", "4", "--lora_alpha", "8", *SFT_COMMON,
    ], config={})  # fmt: skip
    train_sft(*s3)
    before, after = (load_file(tmp_path / stage / "model.safetensors") for stage in ("stage2", "stage3"))
    projector = [name for name in before if "multi_modal_projector" in name]
    attention = [name for name in before if "q_proj" in name]
    assert projector and attention
    assert all(torch.allclose(before[name], after[name], atol=1e-6) for name in projector)
    assert any(not torch.allclose(before[name], after[name]) for name in attention)


def test_stage_arguments_reject_unknown_train_tasks_and_projector_settings():
    from e2llm.training.stages import E2LLMArguments

    with pytest.raises(ValueError, match="train_tasks"):
        E2LLMArguments(train_tasks="ied,esr")
    with pytest.raises(ValueError, match="projector_init"):
        E2LLMArguments(projector_init="zeros")
    with pytest.raises(ValueError, match="projector_learning_rate"):
        E2LLMArguments(projector_learning_rate=0.0)
    with pytest.raises(ValueError, match="stage must be 'align' or 'sft', not 'algin'"):  # before any data loads
        E2LLMArguments(stage="algin")


def test_projector_warm_start_needs_stage_1s_folder_and_keeps_a_stage_2_projector(pipeline, tmp_path):
    from e2llm.training.stages import E2LLMArguments, _classifier_folder

    def folder(stage, init_from):
        return _classifier_folder(E2LLMArguments(stage=stage, init_from=str(init_from), projector_init="classifier"))

    assert folder("align", pipeline / "stage1") == str(pipeline / "stage1")
    assert folder("sft", pipeline / "stage2") is None  # stage 2's projector is kept
    (tmp_path / "config.json").write_text("{}")  # e.g. a converted EEGPT: an encoder without a trained head
    with pytest.raises(ValueError, match=f"stage 1's folder.*{tmp_path}"):
        folder("align", tmp_path)


def test_a_stage_trained_again_with_the_same_seed_gives_the_same_weights(
    pipeline, toy_segments_dir, toy_tasks_dir, tmp_path
):
    """The encoder, the projector and LoRA are initialised before transformers' Trainer seeds
    anything: each stage seeds first, so the same seed gives the same model (the demo's figures
    repeat)."""
    from safetensors.torch import load_file

    train_encoder(*_stage1_args(toy_segments_dir, tmp_path / "stage1"))
    train_sft(*_stage3_args(toy_tasks_dir, pipeline / "stage2", tmp_path / "stage3"))
    for stage in ("stage1", "stage3"):
        first, again = (
            load_file(pipeline / stage / "model.safetensors"),
            load_file(tmp_path / stage / "model.safetensors"),
        )
        assert first.keys() == again.keys()
        changed = [k for k in first if not torch.equal(first[k], again[k])]
        assert changed == [], (stage, changed[:5])
