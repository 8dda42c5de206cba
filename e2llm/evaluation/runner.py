"""The evaluation run: greedy generation over the test sets, answer parsing, metrics, outputs.

:func:`evaluate_model` is the one entry point (the ``e2llm evaluate`` command and the demo call it).
It reads a task directory written by ``e2llm build-tasks`` (splits ``test_ied``, ``test_multi``,
``test_esr``; ``tasks_info.json`` names the segments dataset the EEG comes from) and writes to
``out_dir``:

``generations.jsonl``
    One JSON object per evaluated sample: ``split``, ``id``, ``task``, ``prompt`` (the rendered
    prompt of the scored turn, ``<eeg>`` marking each segment), ``generated``, ``parsed``,
    ``answer`` (ground truth), ``correct``, ``segment_ids``, ``emotions``; IED records also hold
    ``confidence`` and ``probabilities`` (:mod:`e2llm.evaluation.confidence`), ESR records
    ``turns``: the prompt and generation of both turns. Lines are appended (and flushed) as
    batches finish, so an interrupted run resumes where it stopped: samples already in the file
    are not generated again. At the end the file is rewritten in dataset order, answers re-parsed.
``run.json``
    The run's resume key (:func:`run_key`): content hashes of the weights, the processor (chat
    template, tokenizer), the task data and the segments, and every setting that changes a
    generation (dtype, device type, generation config, ``max_new_tokens``, batch size). A rerun
    into the same directory reuses its generations only when the key is the same; otherwise the
    old generations are discarded and the run starts afresh (saying so in one line on stderr).
    It also caches the files' hashes (by size, mtime, ctime and inode), so a resumed run does not
    read the weights again.
``controls/NAME/``
    With ``controls``: the same two files for each signal control (:mod:`e2llm.evaluation.controls`),
    generated exactly as the real run, with the control in the resume key.
``metrics.json``, ``report.md``, PNG plots
    Each task's scores with 95 % intervals and ``n``, the IED calibration, the controls' scores
    and the real run's margin over each (``against_controls``), and the leakage audit of the
    segments dataset's split (``leakage``). See :func:`e2llm.evaluation.report.write_report`;
    written at the end, atomically.

ESR is a real two-turn conversation: the model first describes the three segments (T1); its own
answer, not the stored reference (which names the emotions), is then put in as the assistant turn
before the scenario question (T2), whose answer is scored.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..datasets_builder import SegmentLookup, audit_segments, load_segments
from ..errors import InvalidInputError, MissingInputError
from ..inference import load_model_and_processor
from ..runs.atomic import write_text_atomic
from ..runs.fingerprints import FileHashes, processor_fingerprint, sha256_json, weights_fingerprint
from ..runs.records import RecordLog
from ..tasks import load_task_datasets, parse_answer
from ..tasks.messages import message_text
from ..tasks.rules import TASKS
from .controls import (
    CONTROLS_VERSION,
    NOISE_KIND,
    NoiseLookup,
    check_controls,
    metrics_key,
    shuffled_messages,
    without_eeg,
)
from .generation import (
    chat_messages,
    generate_responses,
    greedy_generation_config,
    neutralize_markers,
    prompt_lengths,
    segment_ids_of,
)
from .metric.e2llm_metrics import N_RESAMPLES
from .report import write_report
from .scoring import compare_with_controls, compute_metrics, record_key

EVAL_SPLITS: tuple[str, ...] = ("test_ied", "test_multi", "test_esr")
GENERATIONS_FILE = "generations.jsonl"
METRICS_FILE = "metrics.json"
RUN_FILE = "run.json"
CONTROLS_DIR = "controls"
# bumped when a record gains fields that an older run's records lack (2: the IED confidence)
RECORD_FORMAT = 2


@dataclass
class _Sample:
    split: str
    id: str
    task: str
    messages: list
    answer: str
    segment_ids: list = field(default_factory=list)
    emotions: list = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return (self.split, self.id)


# -- the data -------------------------------------------------------------------------------------


def _segment_source(segments, info: dict, tasks_dir: Path):
    """Something indexable by segment id that gives ``(eeg (58, 1024), channel_mask (58,))``, and
    the segments dataset's directory (``None`` for an object passed in)."""
    if segments is not None and not isinstance(segments, (str, os.PathLike)):
        return segments, None

    path = segments or info.get("segments_dir")
    if not path:
        raise InvalidInputError(f"{tasks_dir / 'tasks_info.json'} names no segments_dir; pass segments=")
    path = Path(path).expanduser()
    if not path.is_absolute():
        path = (tasks_dir / path).resolve()
    if not path.exists():
        raise MissingInputError(f"no segments dataset at {path} (the EEG of the task samples)")
    return SegmentLookup(load_segments(str(path))), path


def _select_samples(dd, splits: Sequence[str], tasks: Iterable[str] | None) -> list[_Sample]:
    """Every sample of ``splits`` whose task is one of ``tasks`` (all five by default), in order."""
    missing = [s for s in splits if s not in dd]
    if missing:
        raise InvalidInputError(f"the task dataset has no split(s) {missing} (it has {sorted(dd)})")
    wanted = set(tasks) if tasks is not None else set(TASKS)
    unknown = wanted - set(TASKS)
    if unknown:
        raise InvalidInputError(f"unknown task(s) {sorted(unknown)}; expected some of {TASKS}")
    samples = []
    for split in splits:
        for row in dd[split]:
            task = row["task"]
            if task not in wanted:
                continue
            samples.append(
                _Sample(
                    split=split,
                    id=str(row["id"]),
                    task=task,
                    messages=list(row["messages"]),
                    answer=str(row["answer"]),
                    segment_ids=list(row.get("segment_ids") or []),
                    emotions=list(row.get("emotions") or []),
                )
            )
    keys = [s.key for s in samples]
    if len(set(keys)) != len(keys):
        raise InvalidInputError("sample ids are not unique within a split")
    return samples


# -- the resume key --------------------------------------------------------------------------------


def _without_version(config: Mapping) -> dict:
    return {k: v for k, v in config.items() if k not in ("transformers_version", "max_new_tokens")}


def _segments_fingerprint(lookup, segments_dir: Path | None, samples: Sequence[_Sample], hashes: FileHashes) -> str:
    """The segments dataset folder's content hash; for an object passed in, a hash of the
    segments the selected samples use."""
    if segments_dir is not None:
        return "files:" + hashes.tree(segments_dir)
    import numpy as np

    digest = hashlib.sha256()
    for sid in sorted({sid for s in samples for sid in segment_ids_of(s.messages)}):
        eeg, mask = lookup[sid]
        digest.update(f"{sid}\n".encode())
        digest.update(np.ascontiguousarray(eeg, dtype=np.float32).tobytes())
        digest.update(np.ascontiguousarray(mask, dtype=bool).tobytes())
    return "segments:" + digest.hexdigest()


def run_key(model, processor, loaded_from: str | None, *, tasks_dir: Path, lookup, segments_dir: Path | None,
            samples: Sequence[_Sample], max_new_tokens, batch_size: int, hashes: FileHashes) -> dict:  # fmt: skip
    """What a generation depends on, each as a short value or a content hash: generations made
    under another key are not reused."""
    first = next(model.parameters())
    generation = {
        "greedy": _without_version(greedy_generation_config(model, processor, 1).to_dict()),
        "model": _without_version(model.generation_config.to_dict())
        if getattr(model, "generation_config", None)
        else None,
    }
    import torch
    import transformers

    return {
        "records": RECORD_FORMAT,
        # another torch or transformers may compute other logits, hence other greedy answers
        "libraries": {"torch": torch.__version__, "transformers": transformers.__version__},
        "weights": weights_fingerprint(model, loaded_from, hashes),
        "dtype": str(getattr(model, "dtype", first.dtype)),
        "device": first.device.type,
        "max_new_tokens": max_new_tokens or "auto",
        "batch_size": int(batch_size),
        "generation_config": sha256_json(generation),
        "processor": processor_fingerprint(processor),
        "tasks": "files:" + hashes.tree(tasks_dir),
        "segments": _segments_fingerprint(lookup, segments_dir, samples, hashes),
    }


# -- generation ----------------------------------------------------------------------------------


class _CachedLookup:
    """The segment lookup with a small cache: arrays and masks of a batch are asked for separately."""

    def __init__(self, lookup, size: int = 256):
        self.lookup, self.size, self.cache = lookup, size, {}

    def __getitem__(self, segment_id):
        if segment_id not in self.cache:
            if len(self.cache) >= self.size:
                self.cache.pop(next(iter(self.cache)))
            eeg, mask = self.lookup[segment_id]
            self.cache[segment_id] = (eeg, mask)
        return self.cache[segment_id]


class _LazyEEG(Sequence):
    """Per sample, its segments' arrays (``which=0``) or channel masks (``which=1``), read from
    the lookup when asked."""

    def __init__(self, lookup, ids_per_sample: Sequence[Sequence[str]], which: int):
        self.lookup, self.ids, self.which = lookup, ids_per_sample, which

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        return [self.lookup[sid][self.which] for sid in self.ids[i]]


def _auto_max_new_tokens(processor, texts: Sequence[str]) -> int:
    """A budget for answers like ``texts`` (the references): 1.25 × the longest, plus 16 tokens."""
    if not texts:
        return 64
    longest = max(len(ids) for ids in processor.tokenizer(list(texts), add_special_tokens=False)["input_ids"])
    return int(math.ceil(longest * 1.25)) + 16


def _render(processor, conversation) -> str:
    return processor.apply_chat_template(conversation, add_generation_prompt=True, tokenize=False)


def _budget(processor, samples: Sequence[_Sample], max_new_tokens: int | None, *message_indices: int) -> int:
    """``max_new_tokens`` when given, else the auto budget of the reference messages at
    ``message_indices``, joined by a newline when several."""
    if max_new_tokens is not None:
        return int(max_new_tokens)
    texts = ["\n".join(message_text(s.messages[i]) for i in message_indices) for s in samples]
    return _auto_max_new_tokens(processor, texts)


def _budgets(processor, groups: Mapping[tuple[str, str], Sequence[_Sample]], max_new_tokens) -> dict:
    """Tokens per answer for each (split, task): for ESR a pair, one per turn. The second turn
    has room for the first turn's reference too: ESR is not trained, and its answer may describe
    the three segments again before choosing, as the trained ESS answers do."""
    return {
        (split, task): (_budget(processor, group, max_new_tokens, 1), _budget(processor, group, max_new_tokens, 1, 3))
        if task == "esr"
        else _budget(processor, group, max_new_tokens, -1)
        for (split, task), group in groups.items()
    }


def _record(sample: _Sample, prompt: str, generated, parse_answer, turns=None) -> dict:
    """A ``generations.jsonl`` record; ``generated`` is the answer's text or its ``Response``
    (which adds the IED confidence)."""
    text = generated if isinstance(generated, str) else generated.text
    parsed = parse_answer(sample.task, text)
    record = {
        "split": sample.split,
        "id": sample.id,
        "task": sample.task,
        "prompt": prompt,
        "generated": text,
        "parsed": parsed,
        "answer": sample.answer,
        "correct": parsed == sample.answer,
        "segment_ids": sample.segment_ids,
        "emotions": sample.emotions,
    }
    if sample.task == "ied" and not isinstance(generated, str):
        record["confidence"] = generated.confidence
        record["probabilities"] = generated.probabilities
    if turns is not None:
        record["turns"] = turns
    return record


def _eeg_of(lookup, ids):
    return _LazyEEG(lookup, ids, 0), _LazyEEG(lookup, ids, 1)


def _generate_single_turn(model, processor, lookup, samples, *, batch_size, max_new_tokens, write, parse_answer):
    conversations = [chat_messages(s.messages[:-1]) for s in samples]
    ids = [segment_ids_of(s.messages[:-1]) for s in samples]

    def on_batch(indices, results):
        write(
            [
                _record(samples[i], _render(processor, conversations[i]), r, parse_answer)
                for i, r in zip(indices, results)
            ]
        )

    generate_responses(
        model,
        processor,
        conversations,
        *_eeg_of(lookup, ids),
        batch_size=batch_size,
        max_new_tokens=max_new_tokens,
        on_batch=on_batch,
        confidence=bool(samples) and samples[0].task == "ied",
    )


def _generate_esr(model, processor, lookup, samples, *, batch_size, budgets, write, parse_answer):
    """Two turns per sample, in chunks of ``batch_size`` (T1 for the chunk, then T2 with the
    model's own T1 answers), each chunk saved when done."""
    if not samples:
        return
    for s in samples:
        if len(s.messages) != 4 or [m["role"] for m in s.messages] != ["user", "assistant", "user", "assistant"]:
            raise InvalidInputError(
                f"ESR sample {s.id} is not a two-turn conversation (user, assistant, user, assistant)"
            )

    t1 = [chat_messages(s.messages[:1]) for s in samples]
    lengths = prompt_lengths(processor, t1)
    order = sorted(range(len(samples)), key=lambda i: (lengths[i], i))
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        t1_ids = [segment_ids_of(samples[i].messages[:1]) for i in chunk]
        first = generate_responses(
            model,
            processor,
            [t1[i] for i in chunk],
            *_eeg_of(lookup, t1_ids),
            batch_size=batch_size,
            max_new_tokens=budgets[0],
        )
        t2 = [
            t1[i]
            + [{"role": "assistant", "content": [{"type": "text", "text": neutralize_markers(answer, processor)}]}]
            + chat_messages(samples[i].messages[2:3])
            for i, answer in zip(chunk, first)
        ]
        t2_ids = [segment_ids_of(samples[i].messages[:1]) + segment_ids_of(samples[i].messages[2:3]) for i in chunk]
        second = generate_responses(
            model, processor, t2, *_eeg_of(lookup, t2_ids), batch_size=batch_size, max_new_tokens=budgets[1]
        )
        records = []
        for i, conv1, conv2, a1, a2 in zip(chunk, [t1[i] for i in chunk], t2, first, second):
            p1, p2 = _render(processor, conv1), _render(processor, conv2)
            turns = [{"prompt": p1, "generated": a1}, {"prompt": p2, "generated": a2}]
            records.append(_record(samples[i], p2, a2, parse_answer, turns=turns))
        write(records)


# -- controls ------------------------------------------------------------------------------------


def _groups(samples: Sequence[_Sample]) -> dict[tuple[str, str], list[_Sample]]:
    groups: dict[tuple[str, str], list[_Sample]] = {}
    for s in samples:
        groups.setdefault((s.split, s.task), []).append(s)
    return groups


def _first_per_group(samples: Sequence[_Sample], limit: int | None) -> list[_Sample]:
    """The first ``limit`` samples of each (split, task), in their order (all with ``None``)."""
    if limit is None:
        return list(samples)
    return [s for group in _groups(samples).values() for s in group[:limit]]


def _check_controls_apply(controls: Sequence[str], samples: Sequence[_Sample]) -> None:
    """A control takes the EEG away: a task whose samples hold none has nothing to control."""
    if not controls:
        return
    for (split, task), group in _groups(samples).items():
        if not any(s.segment_ids for s in group):
            raise InvalidInputError(
                f"--controls {' '.join(controls)}: task {task!r} ({split}) has no EEG in its prompts, so there is "
                "nothing to control; leave it out with --tasks"
            )


def _control_samples(control: str, samples: Sequence[_Sample], seed: int) -> list[_Sample]:
    """``samples`` as the control asks them (the same ids, questions and reference answers)."""
    if control == "noise":
        return list(samples)
    if control == "no-eeg":
        return [replace(s, messages=without_eeg(s.messages), segment_ids=[]) for s in samples]
    groups = _groups(samples)
    shuffled = shuffled_messages(
        {f"{split}/{task}": [s.messages for s in g] for (split, task), g in groups.items()}, seed
    )
    out = []
    for (split, task), group in groups.items():
        for s, messages in zip(group, shuffled[f"{split}/{task}"]):
            out.append(replace(s, messages=messages, segment_ids=segment_ids_of(messages)))
    order = {s.key: i for i, s in enumerate(samples)}
    return sorted(out, key=lambda s: order[s.key])


# -- one run: a directory of generations ---------------------------------------------------------


@dataclass
class _Run:
    """What a run into one directory needs besides its samples."""

    model: object
    processor: object
    lookup: object
    budgets: dict
    batch_size: int
    progress: bool


def _generate_run(
    run: _Run, samples: Sequence[_Sample], out: Path, key: dict, settings: dict, hashes, desc: str
) -> dict:
    """Generate the answers of ``samples`` into ``out/generations.jsonl`` (resuming what a run
    with the same key left there), rewrite the file in sample order with answers re-parsed, and
    return the records keyed by (split, id)."""
    from tqdm.auto import tqdm

    log = _record_log(out, key)
    done = log.open(**settings, file_hashes=hashes.cache)
    pending = [s for s in samples if s.key not in done]
    bar = tqdm(
        total=len(samples), initial=len(samples) - len(pending), desc=desc, unit="sample", disable=not run.progress
    )

    def write(records):
        log.append(records)
        done.update((record_key(r), r) for r in records)
        bar.update(len(records))

    for (split, task), group in _groups(pending).items():
        bar.set_postfix_str(f"{task} ({split})")
        common = dict(batch_size=run.batch_size, write=write, parse_answer=parse_answer)
        if task == "esr":
            _generate_esr(run.model, run.processor, run.lookup, group, budgets=run.budgets[(split, task)], **common)
        else:
            _generate_single_turn(
                run.model, run.processor, run.lookup, group, max_new_tokens=run.budgets[(split, task)], **common
            )
    bar.close()

    # Re-parse (the parser may have improved since a resumed run began) and rewrite in order.
    selected = {s.key for s in samples}
    ordered = [done[s.key] for s in samples] + [r for k, r in done.items() if k not in selected]
    for record in ordered:
        record["parsed"] = parse_answer(record["task"], record["generated"])
        record["correct"] = record["parsed"] == record["answer"]
    log.rewrite(ordered)
    return {s.key: done[s.key] for s in samples}


def _record_log(out: Path, key: dict | None = None) -> RecordLog:
    """``out``'s generations, kept with ``run.json`` (the key, the settings, the files' hashes);
    a report made from other generations goes with them."""
    return RecordLog(out / GENERATIONS_FILE, key or {}, record_key, key_file=out / RUN_FILE,
                     discard=[out / METRICS_FILE, out / "report.md"])  # fmt: skip


# -- the run -------------------------------------------------------------------------------------


def _check_arguments(batch_size, max_new_tokens, limit, controls, control_limit) -> list[str]:
    if limit is not None and limit < 1:
        raise InvalidInputError("limit must be a positive number of samples per task")
    if batch_size < 1:
        raise InvalidInputError("batch_size must be at least 1")
    if max_new_tokens is not None and max_new_tokens < 1:
        raise InvalidInputError("max_new_tokens must be at least 1")
    if control_limit is not None and control_limit < 1:
        raise InvalidInputError("control_limit must be a positive number of samples per task")
    return check_controls(controls)


def _audit(segments_dir: Path | None, info: dict, tasks_dir: Path, samples: Sequence[_Sample]) -> dict | None:
    """The leakage audit of the segments dataset the task data were built from (``None`` when the
    EEG came from an object passed in and ``tasks_info.json`` names no dataset that exists)."""
    path = segments_dir
    if path is None and info.get("segments_dir"):
        named = Path(info["segments_dir"]).expanduser()
        path = named if named.is_absolute() else (tasks_dir / named).resolve()
    if path is None or not path.exists():
        return None
    return audit_segments(path, sample_segments=[s.segment_ids for s in samples if s.segment_ids])


def _metrics(records: dict, control_records: dict, seed: int, control_limit: int | None):
    """``metrics.json`` (less the run's identity) and the IED confusion matrix: each task's scores
    with their intervals, each control's, and the real run's margin over them."""
    metrics, confusion = compute_metrics(list(records.values()), return_confusion=True, intervals=True, seed=seed)
    controls = list(control_records)
    if controls:
        metrics["controls"] = {
            metrics_key(c): compute_metrics(list(r.values()), intervals=True, seed=seed, baseline=False)
            for c, r in control_records.items()
        }
        metrics["against_controls"] = compare_with_controls(records, control_records, seed=seed)
    metrics["settings"] = {"seed": seed, "n_resamples": N_RESAMPLES, "interval": "95 %", "controls": controls,
                           "control_limit": control_limit, "noise": NOISE_KIND if "noise" in controls else None}  # fmt: skip
    return metrics, confusion


def evaluate_model(
    model,
    tasks_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    processor=None,
    batch_size: int = 16,
    max_new_tokens: int | None = None,
    limit: int | None = None,
    splits: Sequence[str] = EVAL_SPLITS,
    tasks: Iterable[str] | None = None,
    segments=None,
    controls: Sequence[str] | None = None,
    control_limit: int | None = None,
    seed: int = 0,
    device=None,
    dtype=None,
    progress: bool = True,
    plots: bool = True,
) -> dict:
    """Evaluate a model on the test sets of a task directory and write the outputs to ``out_dir``.

    Args:
        model: a model directory (or Hub id), a ``(model, processor)`` pair, or a model object
            (then give ``processor``).
        tasks_dir: a directory written by ``e2llm build-tasks``.
        out_dir: where ``generations.jsonl``, ``metrics.json``, ``report.md`` and the plots go;
            rerunning into the same directory skips samples already generated.
        processor: the model's ``E2LLMProcessor`` when ``model`` is an object.
        batch_size: prompts per ``generate`` call.
        max_new_tokens: the most tokens per answer; ``None``: per task (and ESR turn), 1.25 × the
            longest reference answer plus 16.
        limit: at most this many samples per task and split (the first ones), for quick runs.
        splits: the test splits to evaluate.
        tasks: restrict to these tasks (``ied``, ``epc``, ``ess``, ``eim``, ``esr``).
        segments: where the EEG comes from: a segments dataset directory, or any mapping from
            segment id to ``(eeg, channel_mask)``; default: ``segments_dir`` of ``tasks_info.json``.
        controls: signal controls to run beside the real run (:data:`~e2llm.evaluation.controls.CONTROLS`:
            ``shuffled``, ``noise``, ``no-eeg``), each into ``out_dir/controls/NAME``.
        control_limit: at most this many samples per task for each control (the first of the
            real run's); ``None``: all of them.
        seed: seed of the controls (shuffling, noise) and of the bootstrap intervals.
        device, dtype: for a model loaded here (or moved, if given).
        progress: show a progress bar.
        plots: write the PNG plots.

    Returns:
        the content of ``metrics.json``.
    """
    controls = _check_arguments(batch_size, max_new_tokens, limit, controls, control_limit)
    tasks_dir = Path(tasks_dir).expanduser().resolve()
    dd, info = load_task_datasets(tasks_dir)
    every = _select_samples(dd, list(splits), tasks)
    samples = _first_per_group(every, limit)
    if not samples:
        raise InvalidInputError(
            f"no samples to evaluate in {tasks_dir} (splits {list(splits)}, tasks {tasks or 'all'})"
        )
    _check_controls_apply(controls, samples)
    # every control's samples before any generation: a control that cannot be made stops here
    per_control = min((n for n in (limit, control_limit) if n is not None), default=None)
    control_samples = {c: _first_per_group(_control_samples(c, every, seed), per_control) for c in controls}
    source, segments_dir = _segment_source(segments, info, tasks_dir)
    leakage = _audit(segments_dir, info, tasks_dir, samples)
    loaded_here = isinstance(model, (str, os.PathLike))
    model, processor, model_name = load_model_and_processor(model, processor, device=device, dtype=dtype)
    lookup = _CachedLookup(source)

    out = Path(out_dir).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    hashes = FileHashes(_record_log(out).stored().get("file_hashes"))
    key = run_key(model, processor, model_name if loaded_here else None, tasks_dir=tasks_dir, lookup=lookup,
                  segments_dir=segments_dir, samples=every, max_new_tokens=max_new_tokens, batch_size=batch_size,
                  hashes=hashes)  # fmt: skip
    settings = {"model": model_name, "data": str(tasks_dir), "max_new_tokens": max_new_tokens or "auto",
                "splits": list(splits)}  # fmt: skip
    run = _Run(model, processor, lookup, _budgets(processor, _groups(samples), max_new_tokens), batch_size, progress)
    records = _generate_run(run, samples, out, key, settings, hashes, "evaluate")
    control_records = {}
    for control in controls:
        control_key = {**key, "control": {"name": control, "seed": seed, "version": CONTROLS_VERSION}}
        control_run = replace(run, lookup=_CachedLookup(NoiseLookup(source, seed))) if control == "noise" else run
        control_records[control] = _generate_run(
            control_run, control_samples[control], out / CONTROLS_DIR / control,
            control_key, {**settings, "control": control}, hashes, f"control {control}",
        )  # fmt: skip

    metrics, confusion = _metrics(records, control_records, seed, control_limit)
    metrics.update(leakage=leakage, model=model_name, data=str(tasks_dir))
    write_text_atomic(out / METRICS_FILE, json.dumps(metrics, indent=2) + "\n")
    write_report(out, metrics=metrics, confusion=confusion, plots=plots)
    return metrics


__all__ = ["CONTROLS_DIR", "EVAL_SPLITS", "evaluate_model", "run_key"]
