"""Run configuration: one YAML file describes a whole three-stage run.

Layout (see ``train/configs/``)::

    run:            # shared by all stages
      preset: e2llm-8b
      output_dir: runs/e2llm-8b          # stages write stage1/, stage2/, stage3/ inside
      segments_dir: data/seed-vii/segments
      tasks_dir: data/seed-vii/tasks
      ablation: none                     # none | no_stage1 | no_stage2 | no_stage3 (stages.ABLATIONS)
    stage1: {...}   # Stage1Arguments + transformers.TrainingArguments fields
    align:  {...}   # E2LLMArguments + trl.SFTConfig fields (stage 2)
    sft:    {...}   # the same, stage 3

For one stage, the ``run`` values, then the stage's section, then command-line flags apply, in
that order, over the paper's values in ``PAPER_DEFAULTS`` and the machine's in
``machine_defaults`` (TRL's parser conventions: flags override the file).
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import yaml
from transformers import HfArgumentParser, TrainingArguments
from transformers.utils import is_torch_bf16_gpu_available, is_torch_xla_available

from ..errors import InvalidInputError, MissingInputError
from ..paths import check_hub_model
from ..presets import check_preset
from ..runs.artifacts import Artifact
from ..text_models import check_text_model, preset_text_model
from .stages import (
    ABLATIONS,
    ALIGN,
    ENCODER,
    SFT,
    STAGE_BY_KEY,
    STAGES,
    E2LLMArguments,
    Stage1Arguments,
    end_distributed,
    train_encoder,
    train_sft,
)

# The paper's hyper-parameters (§4.1). Adam without weight decay is AdamW with weight_decay 0.
_EVERY_STAGE = {"optim": "adamw_torch", "save_total_limit": 2, "logging_steps": 10, "report_to": "none"}
# stages 2 and 3 share everything but their sample counts (and stage 3's LoRA)
_LM_STAGES = {
    **_EVERY_STAGE,
    "num_train_epochs": 1,
    "per_device_train_batch_size": 16,
    "learning_rate": 2e-4,
    "weight_decay": 0.0,
    "lr_scheduler_type": "cosine",
    "save_strategy": "steps",
    "save_steps": 100,
    "ddp_find_unused_parameters": False,
    "activation_checkpointing": True,  # TRL's default, under transformers' current name
}
PAPER_DEFAULTS: dict[str, dict] = {
    ENCODER.key: {
        **_EVERY_STAGE,
        "num_train_epochs": 50,
        "per_device_train_batch_size": 64,
        "per_device_eval_batch_size": 64,
        "learning_rate": 1e-4,
        "weight_decay": 0.01,
        "eval_strategy": "epoch",
        "save_strategy": "epoch",
    },
    ALIGN.key: {**_LM_STAGES, "max_train_samples": 10_000},
    SFT.key: {**_LM_STAGES, "max_train_samples": 3_000, "lora_r": 128, "lora_alpha": 256, "lora_dropout": 0.05},
}


# transformers' old names, which the new ones above would silently override
RENAMED_KEYS = {
    "gradient_checkpointing": "activation_checkpointing",
    "gradient_checkpointing_kwargs": "activation_checkpointing_kwargs",
}


def machine_defaults(stage: str) -> dict:
    """The defaults that depend on the machine: ``use_cpu`` where torch sees no accelerator, and
    for stages 2 and 3 ``bf16`` where the accelerator computes it (TRL's own default is bf16
    everywhere, which transformers refuses on a machine without such a GPU). On a CPU bf16 stays
    off unless the config asks for it: without AVX-512 BF16 or AMX it is emulated, far slower."""
    values = {"use_cpu": not _has_accelerator()}
    if stage != ENCODER.key:
        values["bf16"] = _accelerator_computes_bf16()
    return values


def _has_accelerator() -> bool:
    import torch

    accelerator = getattr(torch, "accelerator", None)  # torch >= 2.6: CUDA, XPU, MPS, ...
    return accelerator.is_available() if accelerator is not None else torch.cuda.is_available()


def _accelerator_computes_bf16() -> bool:
    return is_torch_bf16_gpu_available() or is_torch_xla_available()


def _check_precision(namespace, stage: str, source: str) -> None:
    """bf16 where this machine cannot run it, said with the keys to change (transformers'
    own message speaks of its internals)."""
    if not namespace.bf16 or namespace.use_cpu or _accelerator_computes_bf16():
        return
    machine = "has a GPU without bf16" if _has_accelerator() else "has no GPU"
    raise InvalidInputError(
        f"{source}: {stage}: bf16 is true but this machine {machine}; set bf16: false, or use_cpu: true "
        "to compute bf16 on the CPU"
    )


def _dataclasses(stage: str):
    if stage == ENCODER.key:
        return (Stage1Arguments, TrainingArguments)
    from trl import SFTConfig

    return (E2LLMArguments, SFTConfig)


def load_run_config(path: str | Path, extra_sections: tuple[str, ...] = ()) -> dict:
    """Read and check a run config: valid YAML, a mapping of known sections, each a mapping
    (an empty section is an empty mapping), keys of ``run`` known to some stage, a known preset
    and ablation. Every problem is a one-line ``ValueError`` naming the file. ``extra_sections``:
    sections a caller reads itself (``e2llm reproduce``'s ``reproduce``), returned unchecked."""
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(f"{path}: no such config file")
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise InvalidInputError(f"{path}: not valid YAML{where}: {getattr(err, 'problem', None) or err}") from None
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path}: not a text file") from None
    config = {} if config is None else config
    if not isinstance(config, dict):
        raise InvalidInputError(f"{path}: expected sections run, stage1, align, sft; found a {type(config).__name__}")
    known = ("run", *STAGE_BY_KEY, *extra_sections)
    unknown = set(config) - set(known)
    if unknown:
        raise InvalidInputError(f"{path}: unknown sections {sorted(map(str, unknown))}; expected {', '.join(known)}")
    for section, body in list(config.items()):
        if section in extra_sections:
            continue
        if body is None:
            config[section] = {}
        elif not isinstance(body, dict):
            raise InvalidInputError(
                f"{path}: section '{section}' must hold key: value lines, not a {type(body).__name__}"
            )
        for old, new in RENAMED_KEYS.items():
            if old in config[section]:
                raise InvalidInputError(f"{path}: section '{section}': {old} is transformers' former name; write {new}")
    run = config.get("run", {})
    run_keys = set(run) - {"output_dir", "ablation"}
    unknown = run_keys - set().union(*(_field_names(stage) for stage in STAGE_BY_KEY))
    if unknown:
        raise InvalidInputError(f"{path}: section 'run': unknown keys {sorted(unknown)}")
    ablation = run.get("ablation", "none")
    if ablation not in ABLATIONS:
        raise InvalidInputError(f"{path}: ablation must be one of {ABLATIONS}, not {ablation!r}")
    if "preset" in run:
        check_preset(run["preset"], f"{path}: run.preset")
    return config


def stage_defaults(config: dict, stage: str, source: str = "config") -> dict:
    """Flat defaults of one stage: paper values < ``run`` < the stage's section, plus the derived
    ``output_dir`` and ``init_from``."""
    run = dict(config.get("run", {}))
    output_dir = Path(run.pop("output_dir", "runs/e2llm"))
    ablation = run.pop("ablation", "none")
    folder = STAGE_BY_KEY[stage].folder
    values = {**machine_defaults(stage), **PAPER_DEFAULTS[stage], "output_dir": str(output_dir / folder)}
    if stage == ALIGN.key and ablation != ENCODER.ablation:
        values["init_from"] = str(output_dir / ENCODER.folder)  # its trained encoder
    if stage == SFT.key:  # the stage-2 model; without stage 2, the stage-1 encoder
        values["init_from"] = str(output_dir / (ENCODER if ablation == ALIGN.ablation else ALIGN).folder)
    if stage != ENCODER.key:
        values["stage"] = stage
    fields = _field_names(stage)
    values.update({k: v for k, v in run.items() if k in fields})
    values.update(config.get(stage) or {})
    unknown = set(values) - fields
    if unknown:
        raise InvalidInputError(f"{source}: section '{stage}': unknown keys {sorted(unknown)}")
    return values


def _field_names(stage: str) -> set[str]:
    return {f.name for cls in _dataclasses(stage) for f in dataclasses.fields(cls)}


def parse_stage_arguments(
    stage: str, argv: list[str] | None = None, config: dict | None = None, source: str | None = None
):
    """Parse ``[--config FILE] [flags]`` for one stage into its two dataclasses."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--config")
    known, rest = pre.parse_known_args(argv)
    if config is None:
        config = load_run_config(known.config) if known.config else {}
    source = source or known.config or "config"
    renamed = [flag for flag in rest if flag.lstrip("-").split("=")[0] in RENAMED_KEYS]
    if renamed:
        old = renamed[0].lstrip("-").split("=")[0]
        raise InvalidInputError(f"{renamed[0]}: {old} is transformers' former name; use --{RENAMED_KEYS[old]}")
    parser = HfArgumentParser(_dataclasses(stage))
    parser.set_defaults(**stage_defaults(config, stage, source))
    _check_precision(parser.parse_known_args(rest)[0], stage, source)  # before transformers checks it
    script_args, training_args = parser.parse_args_into_dataclasses(args=rest)
    check_preset(script_args.preset, f"{source}: {stage}.preset")
    return script_args, training_args


def check_stage_inputs(stage: str, script_args, source: str = "config", loads_text_model: bool = True) -> None:
    """The folders and files a stage reads exist (checked before any stage starts): one
    ``FileNotFoundError`` / ``ValueError`` naming the key and the path. ``loads_text_model``: the
    stage builds its model from the pretrained LM (stage 2, or stage 3 without stage 2) rather than
    from a saved stage-2 model."""

    def must_exist(key: str, required: bool = True) -> None:
        value = getattr(script_args, key, None)
        if value is None:
            if required:
                raise InvalidInputError(f"{source}: {stage} needs {key} (set it in run: or the stage's section)")
            return
        if not Path(value).expanduser().exists():
            raise MissingInputError(f"{source}: {key} {value}: no such file or folder")

    if stage == ENCODER.key:
        must_exist("segments_dir")
        must_exist("eeg_checkpoint", required=False)
    else:
        must_exist("tasks_dir")
        must_exist("segments_dir", required=False)
        must_exist("eeg_encoder", required=False)
        if loads_text_model:
            _check_stage_text_model(script_args, source)


def _check_stage_text_model(script_args, source: str) -> None:
    check_text_model_available(
        getattr(script_args, "text_model", None) or preset_text_model(script_args.preset), source
    )


def check_text_model_available(name: str | None, source: str) -> None:
    """The LM ``name`` (what a stage loads: its ``text_model``, else its preset's) is a file, a
    folder, or a Hub id that the cache or the Hub has; an error names ``source``."""
    if not name:
        return
    try:
        kind = check_text_model(name)
    except FileNotFoundError as err:
        raise MissingInputError(f"{source}: text_model {err}") from None
    if kind == "hub":
        check_hub_model(name, f"{source}: text_model")


def run_training(config_path: str | Path, argv_per_stage: dict[str, list[str]] | None = None) -> dict[str, str]:
    """``e2llm train``: stage 1 → 2 → 3 from one config, skipping stages whose artifact exists
    and those the ablation leaves out. Returns the directory of each stage that exists."""
    config = load_run_config(config_path)
    ablation = config.get("run", {}).get("ablation", "none")
    skip = next((stage.key for stage in STAGES if stage.ablation == ablation), None)
    stages = [stage.key for stage in STAGES if stage.key != skip]
    # parse every stage first, so that a mistake in a later section fails before any training
    source = str(config_path)
    parsed = {
        stage: parse_stage_arguments(stage, (argv_per_stage or {}).get(stage, []), config, source) for stage in stages
    }
    for stage in stages:  # what each unfinished stage reads is there, before the first one starts
        if not Artifact(parsed[stage][1].output_dir).is_complete():
            loads_text_model = stage == ALIGN.key or ALIGN.key not in stages
            check_stage_inputs(stage, parsed[stage][0], source, loads_text_model)
    if skip:
        print(f"[{skip}] skipped ({ablation})")
    done = {}
    try:
        for stage in stages:
            script_args, training_args = parsed[stage]
            if Artifact(training_args.output_dir).is_complete():
                print(f"[{stage}] {training_args.output_dir} exists; skipping")
            else:
                print(f"[{stage}] training → {training_args.output_dir}")
                (train_encoder if stage == ENCODER.key else train_sft)(script_args, training_args)
            done[stage] = training_args.output_dir
    finally:
        end_distributed()
    return done
