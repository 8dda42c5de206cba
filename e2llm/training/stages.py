"""The three training stages (§3.2.2, §4.1 of the paper) as library functions.

* stage 1 — ``train_encoder``: ``E2LLMForEEGClassification`` on the segments with transformers'
  ``Trainer`` (AdamW, weight decay 0.01, lr 1e-4, batch 64, one-cycle schedule, 50 epochs).
* stage 2 — ``train_sft(stage="align")``: projector only (with the ``<eeg_start>``/``<eeg_end>``
  embeddings it owns); encoder and LM frozen; TRL ``SFTTrainer``; 10,000 samples. Options for
  runs of a few hundred steps (the CPU demo's): ``projector_init="classifier"`` starts the
  projector from stage 1's head, ``train_tasks="ied"`` trains on one task only.
* stage 3 — ``train_sft(stage="sft")``: projector + LoRA (r 128, α 256, dropout 0.05) on the
  LM's q_proj/k_proj; encoder frozen; 3,000 samples. Saved merged, with the adapter beside it.
  ``projector_learning_rate`` gives the projector a rate of its own.

Each stage writes a ``save_pretrained`` directory (model + processor) and a marker file
``e2llm_stage.json``: a directory with the marker is complete and is skipped by ``e2llm train``.
The artifact is built in a temporary sibling and swapped in whole (``e2llm.runs.atomic``), so a kill
never leaves a half-written model behind a marker. Checkpoints (``checkpoint-N``) go in the same
directory (and are kept in it when the artifact is swapped in); a rerun resumes from the newest
*complete* one: an incomplete checkpoint (a kill while it was written) is set aside with a warning.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from accelerate import PartialState
from accelerate.utils import str_to_bool
from datasets import load_from_disk
from transformers import Trainer, TrainingArguments, set_seed

from ..assembly import build_model, init_projector_from_classifier
from ..compat import reset_accelerate_state, trl_scores_labelled_positions_on_cpu
from ..configuration_e2llm import E2LLMEEGConfig
from ..datasets_builder import SegmentLookup, load_segments
from ..errors import InvalidInputError, MissingInputError
from ..modeling_e2llm import E2LLMForConditionalGeneration, E2LLMForEEGClassification
from ..presets import PRESETS
from ..processing_e2llm import E2LLMProcessor
from ..provenance import training_data_record
from ..runs.artifacts import Artifact, newest_complete_checkpoint
from ..tasks.rules import TRAIN_TASKS
from ..text_models import gguf_cache
from .collators import E2LLMDataCollator, EEGClassificationCollator, EncoderOutputCache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stage:
    """One of the three training stages: every name it goes by, in one place."""

    key: str  # the run config's section and ``E2LLMArguments.stage``
    number: int
    title: str

    @property
    def folder(self) -> str:
        """The folder it writes inside a run's ``output_dir``, and what its marker records."""
        return f"stage{self.number}"

    @property
    def ablation(self) -> str:
        """The run config's ``ablation`` that leaves it out (the paper's "w/o Stage N")."""
        return f"no_stage{self.number}"


ENCODER = Stage("stage1", 1, "encoder with a 7-emotion head")
ALIGN = Stage("align", 2, "projector alignment")
SFT = Stage("sft", 3, "projector and LoRA instruction tuning")
STAGES: tuple[Stage, ...] = (ENCODER, ALIGN, SFT)
STAGE_BY_KEY = {stage.key: stage for stage in STAGES}
ABLATIONS: tuple[str, ...] = ("none", *(stage.ablation for stage in STAGES))
ADAPTER_BASE = "adapter-base"  # stage 3 without stage 2: the assembled model its adapter applies to

LM_TARGET_MODULES = r".*language_model.*\.(q_proj|k_proj)"  # the paper's LoRA placement
# every linear layer of the LM's blocks (Llama/Qwen names): what a 135M LM needs to learn the tasks
# in a few dozen steps, where q_proj and k_proj alone are too few
LM_ALL_LINEAR = r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"
MODULE_GROUPS = ("eeg_encoder", "multi_modal_projector", "language_model", "lm_head")


# -- arguments ---------------------------------------------------------------------------------


@dataclass
class Stage1Arguments:
    """Stage-1 data and model options (training options are ``TrainingArguments``)."""

    segments_dir: str | None = field(default=None, metadata={"help": "segments dataset (e2llm prepare)"})
    preset: str = field(default="e2llm-8b", metadata={"help": "model preset; sets the encoder size"})
    eeg_checkpoint: str | None = field(
        default=None, metadata={"help": "start from this encoder: a converted EEGPT or stage-1 directory"}
    )
    eval_split: str = field(
        default="test", metadata={"help": "split on which validation balanced accuracy is reported"}
    )
    max_train_samples: int | None = field(default=None, metadata={"help": "use at most this many training segments"})


@dataclass
class E2LLMArguments:
    """Stage-2/3 options (training options are TRL's ``SFTConfig``)."""

    stage: str = field(default=SFT.key, metadata={"help": f"'{ALIGN.key}' (stage 2) or '{SFT.key}' (stage 3)"})
    preset: str = field(default="e2llm-8b", metadata={"help": f"one of {sorted(PRESETS)}"})
    tasks_dir: str | None = field(default=None, metadata={"help": "task datasets (e2llm build-tasks)"})
    segments_dir: str | None = field(default=None, metadata={"help": "segments dataset; default: from tasks_info.json"})
    init_from: str | None = field(
        default=None,
        metadata={
            "help": "align: stage-1 directory (its encoder); sft: stage-2 model directory, or a stage-1 "
            "directory to skip stage 2"
        },
    )
    text_model: str | None = field(
        default=None, metadata={"help": "LM: Hub id, HF folder or .gguf file; default: the preset's"}
    )
    lm_dtype: str = field(
        default="auto", metadata={"help": "dtype the LM is loaded in: auto (its own), bfloat16, float32"}
    )
    eeg_encoder: str | None = field(
        default=None, metadata={"help": "encoder directory when not from init_from (e.g. converted EEGPT)"}
    )
    max_train_samples: int | None = field(default=None, metadata={"help": "use at most this many samples"})
    train_tasks: str | None = field(
        default=None, metadata={"help": "train on these tasks only, comma-separated (e.g. 'ied'); default: all"}
    )
    cache_encoder_outputs: bool = field(default=True, metadata={"help": "compute the frozen encoder once per segment"})
    projector_learning_rate: float | None = field(
        default=None, metadata={"help": "the projector's own learning rate (default: learning_rate, as the LoRA's)"}
    )
    projector_init: str = field(
        default="random",
        metadata={
            "help": "a projector built here starts 'random' (the paper's) or from stage 1's 'classifier': "
            "each EEG token begins as the LM's embedding of the emotion word the classifier gives it"
        },
    )
    lora_r: int = 128
    lora_alpha: int = 256
    lora_dropout: float = 0.05
    lora_target_modules: str = LM_TARGET_MODULES

    def __post_init__(self):  # checked when the arguments are parsed, before any work
        if self.stage not in (ALIGN.key, SFT.key):
            raise InvalidInputError(f"stage must be '{ALIGN.key}' or '{SFT.key}', not {self.stage!r}")
        if self.train_tasks is not None:
            unknown = sorted(set(self.task_list()) - set(TRAIN_TASKS))
            if unknown or not self.task_list():
                raise InvalidInputError(
                    f"train_tasks must name some of {', '.join(TRAIN_TASKS)}, not {self.train_tasks!r}"
                )
        if self.projector_init not in ("random", "classifier"):
            raise InvalidInputError(f"projector_init must be 'random' or 'classifier', not {self.projector_init!r}")
        if self.projector_learning_rate is not None and not self.projector_learning_rate > 0:
            raise InvalidInputError(f"projector_learning_rate must be positive, not {self.projector_learning_rate!r}")
        if self.lm_dtype not in ("auto", "bfloat16", "float16", "float32"):
            raise InvalidInputError(f"lm_dtype must be auto, bfloat16, float16 or float32, not {self.lm_dtype!r}")

    def task_list(self) -> list[str]:
        """The tasks to train on (``train_tasks``), all of them when unset."""
        if self.train_tasks is None:
            return list(TRAIN_TASKS)
        return [name.strip().lower() for name in self.train_tasks.split(",") if name.strip()]


# -- helpers -----------------------------------------------------------------------------------


def parameter_table(model: torch.nn.Module) -> str:
    """Trainable / total parameters per module group, as a text table."""
    rows = {group: [0, 0] for group in MODULE_GROUPS}
    rows["other"] = [0, 0]
    for name, param in model.named_parameters():
        group = next((g for g in MODULE_GROUPS if f"{g}." in f".{name}" or name.startswith(g)), "other")
        rows[group][1] += param.numel()
        if param.requires_grad:
            rows[group][0] += param.numel()
    lines = [f"{'module':<24}{'trainable':>14}{'total':>14}"]
    for group, (trainable, total) in rows.items():
        if total:
            lines.append(f"{group:<24}{trainable:>14,}{total:>14,}")
    t, a = sum(r[0] for r in rows.values()), sum(r[1] for r in rows.values())
    lines.append(f"{'all':<24}{t:>14,}{a:>14,}  ({100 * t / max(a, 1):.2f}% trainable)")
    return "\n".join(lines)


def trainable_groups(model: torch.nn.Module) -> set[str]:
    """Module groups that have at least one trainable parameter."""
    groups = set()
    for name, param in model.named_parameters():
        if param.requires_grad:
            groups.add(next((g for g in MODULE_GROUPS if f"{g}." in f".{name}"), "other"))
    return groups


def freeze_for_stage(model: E2LLMForConditionalGeneration, stage: str) -> None:
    """Stage 2 ('align'): only the projector trains. Stage 3 ('sft'): the projector trains and
    LoRA (added by PEFT afterwards) trains the LM; everything else is frozen. The encoder is put in
    eval mode (no dropout), so its outputs can be cached."""
    if stage not in (ALIGN.key, SFT.key):
        raise InvalidInputError(f"stage must be '{ALIGN.key}' or '{SFT.key}', not {stage!r}")
    for name, param in model.named_parameters():
        param.requires_grad = name.startswith("model.multi_modal_projector.")
    model.model.eeg_encoder.eval()


def upcast_trainable(model: torch.nn.Module) -> None:
    """Trainable parameters of a half-precision model in float32, in place.

    The optimizer then keeps and updates float32 weights (in bf16, updates far below a weight's
    size round away: bf16 keeps 8 significant bits), while the frozen LM stays in bf16 and the
    forward runs under the Trainer's autocast. PEFT does the same for LoRA weights
    (``autocast_adapter_dtype``).
    """
    for param in model.parameters():
        if param.requires_grad and param.dtype in (torch.float16, torch.bfloat16):
            param.data = param.data.float()


def _run_info(trainer, resumed_from: str | None) -> dict:
    return {
        "global_step": trainer.state.global_step,
        "world_size": trainer.args.world_size,
        "resumed_from": resumed_from,
        "log_history": trainer.state.log_history,
        "peak_gpu_memory_gib": torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None,
    }


def _resume_checkpoint(output_dir: str, args: TrainingArguments | None = None) -> str | None:
    """The checkpoint to resume from: the main process sets incomplete ones aside, then every
    process finds the same newest complete one."""
    state = PartialState()
    with state.main_process_first():
        return newest_complete_checkpoint(output_dir, args, set_aside=state.is_main_process)


def _segments_dir(tasks_dir: str, segments_dir: str | None) -> str:
    if segments_dir:
        return segments_dir
    info = Path(tasks_dir) / "tasks_info.json"
    if not info.is_file():
        raise MissingInputError(f"{tasks_dir}: no tasks_info.json; pass segments_dir")
    return json.loads(info.read_text())["segments_dir"]


# -- stage 1 -----------------------------------------------------------------------------------


class OneCycleTrainer(Trainer):
    """``Trainer`` with PyTorch's one-cycle learning-rate schedule (the paper's stage-1 schedule)."""

    def create_scheduler(self, num_training_steps: int, optimizer=None):
        if self.lr_scheduler is None:
            self.lr_scheduler = torch.optim.lr_scheduler.OneCycleLR(
                optimizer or self.optimizer,
                max_lr=self.args.learning_rate,
                total_steps=max(num_training_steps, 1),
                pct_start=0.3,
            )
            self._created_lr_scheduler = True
        return self.lr_scheduler


def _balanced_accuracy(eval_pred) -> dict[str, float]:
    from sklearn.metrics import balanced_accuracy_score

    logits, labels = eval_pred
    return {"balanced_accuracy": float(balanced_accuracy_score(labels, np.asarray(logits).argmax(-1)))}


def train_encoder(args: Stage1Arguments, training_args: TrainingArguments) -> str:
    """Stage 1: train ``E2LLMForEEGClassification``; returns the artifact directory
    (``training_args.output_dir``)."""
    reset_accelerate_state()  # each stage's Trainer sets its own mixed precision
    set_seed(training_args.seed)  # the model is initialised here, before the Trainer seeds anything
    segments = load_segments(args.segments_dir)
    columns = ["eeg", "channel_mask", "emotion"]
    train = segments["train"].select_columns(columns).with_format("numpy")
    if args.max_train_samples is not None:
        train = train.select(range(min(args.max_train_samples, len(train))))
    evaluation = (
        segments[args.eval_split].select_columns(columns).with_format("numpy") if args.eval_split in segments else None
    )

    if args.eeg_checkpoint:
        model = E2LLMForEEGClassification.from_pretrained(args.eeg_checkpoint)
    else:
        eeg_kwargs = PRESETS.get(args.preset, {}).get("eeg", {})
        model = E2LLMForEEGClassification(E2LLMEEGConfig(**eeg_kwargs))
    print(parameter_table(model))

    training_args.remove_unused_columns = False
    training_args.label_names = ["labels"]
    trainer = OneCycleTrainer(
        model=model,
        args=training_args,
        train_dataset=train,
        eval_dataset=evaluation,
        data_collator=EEGClassificationCollator(),
        compute_metrics=_balanced_accuracy,
    )
    resumed_from = _resume_checkpoint(training_args.output_dir, training_args)
    trainer.train(resume_from_checkpoint=resumed_from)
    metrics = trainer.evaluate() if evaluation is not None else {}
    if metrics:
        print(f"stage 1: validation balanced accuracy on '{args.eval_split}': {metrics['eval_balanced_accuracy']:.3f}")
    if trainer.is_world_process_zero():
        Artifact(training_args.output_dir).publish(
            lambda folder: trainer.save_model(str(folder)),
            ENCODER.folder,
            metrics=metrics,
            arguments=asdict(args),
            **_run_info(trainer, resumed_from),
        )
    trainer.accelerator.wait_for_everyone()  # no process returns before the artifact is complete
    return training_args.output_dir


def end_distributed() -> None:
    """Tear down the process group (gloo/NCCL) of an ``accelerate launch`` run before the
    interpreter exits; a process that exits with the group alive can abort in the C++ runtime
    ("terminate called without an active exception"). Nothing to do in a single process."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


# -- stages 2 and 3 ----------------------------------------------------------------------------


def _saved_base(args: E2LLMArguments) -> Path | None:
    """``init_from`` when stage 3 starts from a saved E2LLM (a stage-2 model), else ``None``."""
    init = Path(args.init_from) if args.init_from else None
    if args.stage == SFT.key and init is not None and (init / "config.json").is_file():
        if json.loads((init / "config.json").read_text()).get("model_type") == "e2llm":
            return init
    return None


def _load_or_build(
    args: E2LLMArguments, output_dir: str
) -> tuple[E2LLMForConditionalGeneration, E2LLMProcessor, str | None]:
    """The model a stage starts from, its processor, and the directory of that base (if saved)."""
    base = _saved_base(args)
    if base is not None:
        model = E2LLMForConditionalGeneration.from_pretrained(base)
        return model, E2LLMProcessor.from_pretrained(base), str(base)
    init = Path(args.init_from) if args.init_from else None
    encoder_dir = args.eeg_encoder or (str(init) if init is not None else None)
    if encoder_dir is not None and not Path(encoder_dir).is_dir():  # a local folder, never a Hub id
        raise MissingInputError(
            f"{encoder_dir}: no such encoder folder (init_from / eeg_encoder: a stage-1 or converted EEGPT folder)"
        )
    dtype = None if args.lm_dtype == "auto" else getattr(torch, args.lm_dtype)
    cache_dir = gguf_cache(Path(output_dir).parent)  # a GGUF LM is dequantized beside the run
    with PartialState().main_process_first():  # one process dequantizes; the others reuse it
        model, processor = build_model(
            args.preset, language_model=args.text_model, eeg_encoder=encoder_dir, dtype=dtype, cache_dir=cache_dir
        )
    return model, processor, None


def _classifier_folder(args: E2LLMArguments) -> str | None:
    """For ``projector_init="classifier"``: the stage-1 folder whose head the projector starts
    from, checked before any work; ``None`` when the stage starts from a saved E2LLM (a stage-2
    model keeps its projector) or the init is random."""
    if args.projector_init != "classifier" or _saved_base(args) is not None:
        return None
    stage1 = args.eeg_encoder or args.init_from
    if stage1 is None or Artifact(stage1).marker().get("stage") != ENCODER.folder:
        raise InvalidInputError(
            f"projector_init='classifier' needs stage 1's folder, whose head it starts from; {stage1} is not one"
        )
    return stage1


def _init_projector(model, processor, stage1: str, segments, ids, cache) -> None:
    """``projector_init="classifier"``: stage 1's head and encoder outputs of up to 256 training
    segments set the projector's start (``e2llm.assembly.init_projector_from_classifier``)."""
    classification = E2LLMForEEGClassification.from_pretrained(stage1)
    sample = list(dict.fromkeys(ids))[:256]
    if cache is not None:
        states = cache[sample]
    else:
        eeg = torch.from_numpy(np.stack([segments[i][0] for i in sample]))
        mask = torch.from_numpy(np.stack([segments[i][1] for i in sample]))
        with torch.no_grad():
            states = classification.eval().eeg_encoder(eeg, mask).last_hidden_state
    init_projector_from_classifier(model, classification.classifier, processor, states, classification.config.id2label)


def with_projector_learning_rate(optimizer: torch.optim.Optimizer, model: torch.nn.Module, lr: float):
    """Split the projector's parameters of ``optimizer`` (not yet stepped) into groups of their own
    at learning rate ``lr``, in place; every other group and setting is kept."""
    projector = {id(p) for name, p in model.named_parameters() if "multi_modal_projector" in name}
    groups = []
    for group in optimizer.param_groups:
        settings = {k: v for k, v in group.items() if k != "params"}
        rest = [p for p in group["params"] if id(p) not in projector]
        own = [p for p in group["params"] if id(p) in projector]
        groups += [{**settings, "params": rest}] if rest else []
        groups += [{**settings, "params": own, "lr": lr}] if own else []
    optimizer.param_groups = []
    for group in groups:
        optimizer.add_param_group(group)
    return optimizer


def _sft_trainer_class():
    """TRL's ``SFTTrainer`` with the projector's own learning rate when one is set."""
    from trl import SFTTrainer

    class E2LLMSFTTrainer(SFTTrainer):
        def __init__(self, *args, projector_learning_rate: float | None = None, **kwargs):
            self.projector_learning_rate = projector_learning_rate
            super().__init__(*args, **kwargs)

        def create_optimizer(self, model=None):
            fresh = self.optimizer is None
            optimizer = super().create_optimizer(model)
            if fresh and self.projector_learning_rate is not None:
                with_projector_learning_rate(optimizer, self.model, self.projector_learning_rate)
            return optimizer

    return E2LLMSFTTrainer


def _training_samples(args: E2LLMArguments, sft_config):
    """The task samples the stage trains on: stage 2 ``train``, stage 3 ``train_sft``, of the
    tasks asked for, at most ``max_train_samples``; ESR is never trained."""
    split = "train" if args.stage == ALIGN.key else "train_sft"
    tasks = load_from_disk(args.tasks_dir)
    if split not in tasks:
        raise InvalidInputError(f"{args.tasks_dir}: no '{split}' split (found {sorted(tasks)})")
    dataset = tasks[split]
    if args.train_tasks is not None:
        keep = set(args.task_list())
        dataset = dataset.filter(lambda task: task in keep, input_columns="task")
        if len(dataset) == 0:
            raise InvalidInputError(f"{args.tasks_dir}: no {'/'.join(sorted(keep))} samples in '{split}'")
    if args.max_train_samples is not None:
        dataset = dataset.select(range(min(args.max_train_samples, len(dataset))))
    if any(task == "esr" for task in dataset["task"]):
        raise InvalidInputError(f"{args.tasks_dir}: ESR samples in '{split}'; ESR is for evaluation only")
    if sft_config.train_sampling_strategy == "group_by_length" and len(set(dataset["task"])) > 1:
        logger.warning(
            "group_by_length sorts runs of steps by length, and the tasks in '%s' differ in length, so it trains "
            "them one after another; batch_rebalance with gradient_accumulation_steps of 2 or more keeps every "
            "step mixed",
            split,
        )
    return dataset


def _keep_adapter_base(model, processor, out: Path) -> str:
    """Stage 3 without stage 2 starts from a model assembled here: it is saved as the adapter's
    base (once, by the main process; every process starts when it is complete)."""
    base = Artifact(out / ADAPTER_BASE)
    state = PartialState()
    if state.is_main_process and not base.is_complete():
        base.publish(lambda folder: (model.save_pretrained(folder), processor.save_pretrained(folder)), ADAPTER_BASE)
    state.wait_for_everyone()
    return str(base.path)


def _lora_config(args: E2LLMArguments):
    """Stage 3's LoRA on the LM (the projector trained and saved whole beside it); none in stage 2."""
    from peft import LoraConfig

    if args.stage != SFT.key:
        return None
    return LoraConfig(
        r=args.lora_r,
        lora_alpha=args.lora_alpha,
        lora_dropout=args.lora_dropout,
        target_modules=args.lora_target_modules,
        modules_to_save=["multi_modal_projector"],
        task_type="CAUSAL_LM",
    )


def _check_trainable(trainer, stage: str) -> None:
    """Only the projector (and in stage 3 the LM's LoRA) trains; the table is printed."""
    table = parameter_table(trainer.model)
    expected = {"multi_modal_projector"} | ({"language_model"} if stage == SFT.key else set())
    if trainable_groups(trainer.model) != expected:
        raise RuntimeError(
            f"stage {stage}: trainable modules are {trainable_groups(trainer.model)}, expected {expected}\n{table}"
        )
    if trainer.is_world_process_zero():
        print(f"stage {stage}: parameters\n{table}")


def _publish_sft(trainer, processor, args: E2LLMArguments, out: Path, dtype, base_dir, resumed_from) -> None:
    """The stage's artifact: the model (stage 3: LoRA merged, the adapter beside it) and processor."""

    def write(folder: Path) -> None:
        final = trainer.model
        if args.stage == SFT.key:
            final.save_pretrained(folder / "adapter")
            final = final.merge_and_unload()
        final.to(dtype).save_pretrained(folder)
        processor.save_pretrained(folder)

    Artifact(out).publish(
        write,
        STAGE_BY_KEY[args.stage].folder,
        base=base_dir,
        arguments=asdict(args),
        **_run_info(trainer, resumed_from),
    )


def train_sft(args: E2LLMArguments, sft_config) -> str:
    """Stage 2 (``args.stage == "align"``) or stage 3 (``"sft"``) with TRL's ``SFTTrainer``;
    returns the artifact directory (``sft_config.output_dir``)."""
    if args.tasks_dir is None:
        raise InvalidInputError("tasks_dir is required")
    if str_to_bool(os.environ.get("ACCELERATE_USE_FSDP", "false")) or sft_config.fsdp:
        raise InvalidInputError(
            "stages 2 and 3 do not run under FSDP (its flat parameters cannot mix the frozen bf16 LM with "
            "float32 trainable weights); the LM is frozen, so each GPU can hold it whole: launch with "
            "train/configs/accelerate/ddp_2gpu.yaml"
        )
    reset_accelerate_state()  # each stage's Trainer sets its own mixed precision
    set_seed(sft_config.seed)  # the projector and LoRA are initialised before the Trainer seeds anything
    dataset = _training_samples(args, sft_config)
    segments_dir = _segments_dir(args.tasks_dir, args.segments_dir)
    segments = SegmentLookup(load_segments(segments_dir))
    classifier_folder = _classifier_folder(args)

    model, processor, base_dir = _load_or_build(args, sft_config.output_dir)
    out = Path(sft_config.output_dir)
    if args.stage == SFT.key and base_dir is None:
        base_dir = _keep_adapter_base(model, processor, out)
    freeze_for_stage(model, args.stage)
    dtype = model.dtype
    upcast_trainable(model)
    ids = [i for row in dataset["segment_ids"] for i in row]
    # what the model learns from travels with it: describe checks each window against these statistics
    model.config.training_data = training_data_record(segments_dir, ids, segments)
    cache = None
    if args.cache_encoder_outputs:
        cache = EncoderOutputCache(model.model.eeg_encoder, segments, ids, dtype=dtype, device=sft_config.device)
    if classifier_folder is not None:  # a projector built here, not a stage-2 one
        _init_projector(model, processor, classifier_folder, segments, ids, cache)

    sft_config.remove_unused_columns = False
    sft_config.dataset_kwargs = {**(sft_config.dataset_kwargs or {}), "skip_prepare_dataset": True}
    sft_config.label_names = ["labels"]
    collator = E2LLMDataCollator(processor, segments, encoder_cache=cache, max_length=sft_config.max_length)
    if sft_config.train_sampling_strategy in ("group_by_length", "batch_rebalance") and (
        sft_config.length_column_name not in dataset.column_names
    ):  # batches of samples of similar token counts: less padding, the same samples and epochs
        dataset = dataset.add_column(sft_config.length_column_name, collator.lengths(dataset))
    trainer = _sft_trainer_class()(
        model=model, args=sft_config, train_dataset=dataset, processing_class=processor, data_collator=collator,
        peft_config=_lora_config(args), projector_learning_rate=args.projector_learning_rate,
    )  # fmt: skip
    _check_trainable(trainer, args.stage)
    resumed_from = _resume_checkpoint(sft_config.output_dir, sft_config)
    with trl_scores_labelled_positions_on_cpu():
        trainer.train(resume_from_checkpoint=resumed_from)
    if trainer.is_world_process_zero():
        _publish_sft(trainer, processor, args, out, dtype, base_dir, resumed_from)
    trainer.accelerator.wait_for_everyone()  # no process returns before the artifact is complete
    return str(out)
