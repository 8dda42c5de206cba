"""The evaluation run: greedy generation over the test sets, answer parsing, metrics, outputs.

:func:`evaluate_model` is the one entry point (the ``e2llm evaluate`` command and the demo call it).
It reads a task directory written by ``e2llm build-tasks`` (splits ``test_ied``, ``test_multi``,
``test_esr``; ``tasks_info.json`` names the segments dataset the EEG comes from) and writes to
``out_dir``:

``generations.jsonl``
    One JSON object per evaluated sample: ``split``, ``id``, ``task``, ``prompt`` (the rendered
    prompt of the scored turn, ``<eeg>`` marking each segment), ``generated``, ``parsed``,
    ``answer`` (ground truth), ``correct``, ``segment_ids``, ``emotions``; ESR records also hold
    ``turns``: the prompt and generation of both turns. Lines are appended (and flushed) as
    batches finish, so an interrupted run resumes where it stopped: samples already in the file
    are not generated again. At the end the file is rewritten in dataset order, answers re-parsed.
``run.json``
    The settings a resumed run must share (model, data, ``max_new_tokens``, splits).
``metrics.json``, ``report.md``, PNG plots
    See :func:`e2llm.evaluation.report.write_report`; written at the end, atomically.

ESR is a real two-turn conversation: the model first describes the three segments (T1); its own
answer, not the stored reference (which names the emotions), is then put in as the assistant turn
before the scenario question (T2), whose answer is scored.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .generation import chat_messages, generate_responses, neutralize_markers, segment_ids_of
from .metric import METRIC_PATH

EVAL_SPLITS: tuple[str, ...] = ("test_ied", "test_multi", "test_esr")
TASK_ORDER: tuple[str, ...] = ("ied", "epc", "ess", "eim", "esr")
GENERATIONS_FILE = "generations.jsonl"
METRICS_FILE = "metrics.json"
RUN_FILE = "run.json"


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


# -- loading -------------------------------------------------------------------------------------


def load_model_and_processor(model, processor=None, *, device=None, dtype=None):
    """``(model, processor, name)`` from a directory/Hub id, a ``(model, processor)`` pair, or a
    model object with ``processor`` given. A loaded model goes to ``device`` (default: CUDA if
    available, else CPU); an object passed in stays where it is unless ``device`` is given."""
    import torch

    if isinstance(model, (tuple, list)):
        if len(model) != 2:
            raise ValueError("pass a model directory, a (model, processor) pair, or a model and processor=")
        model, processor = model
    if isinstance(model, (str, os.PathLike)):
        from transformers import AutoModel, AutoProcessor

        import e2llm  # noqa: F401  (registers the Auto classes)

        name = str(model)
        if Path(name).expanduser().exists():
            name = str(Path(name).expanduser().resolve())
        elif Path(name).is_absolute() or name.startswith("."):
            raise FileNotFoundError(f"no model directory at {name}")
        processor = processor or AutoProcessor.from_pretrained(name)
        model = AutoModel.from_pretrained(name, dtype=dtype or "auto")
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    else:
        if processor is None:
            raise ValueError("a model object needs its processor (processor=...)")
        name = str(getattr(model, "name_or_path", "") or type(model).__name__)
        if dtype is not None:
            model = model.to(dtype)
    if device is not None:
        model = model.to(device)
    model.eval()
    return model, processor, name


def _segment_source(segments, info: dict, tasks_dir: Path):
    """Something indexable by segment id that gives ``(eeg (58, 1024), channel_mask (58,))``."""
    if segments is not None and not isinstance(segments, (str, os.PathLike)):
        return segments
    from ..datasets_builder import SegmentLookup, load_segments

    path = segments or info.get("segments_dir")
    if not path:
        raise ValueError(f"{tasks_dir / 'tasks_info.json'} names no segments_dir; pass segments=")
    path = Path(path).expanduser()
    if not path.is_absolute():
        path = (tasks_dir / path).resolve()
    if not path.exists():
        raise FileNotFoundError(f"no segments dataset at {path} (the EEG of the task samples)")
    return SegmentLookup(load_segments(str(path)))


def _select_samples(dd, splits: Sequence[str], tasks: Iterable[str] | None, limit: int | None) -> list[_Sample]:
    missing = [s for s in splits if s not in dd]
    if missing:
        raise ValueError(f"the task dataset has no split(s) {missing} (it has {sorted(dd)})")
    wanted = set(tasks) if tasks is not None else set(TASK_ORDER)
    unknown = wanted - set(TASK_ORDER)
    if unknown:
        raise ValueError(f"unknown task(s) {sorted(unknown)}; expected some of {TASK_ORDER}")
    if limit is not None and limit < 1:
        raise ValueError("limit must be a positive number of samples per task")
    samples, taken = [], {}
    for split in splits:
        for row in dd[split]:
            task = row["task"]
            if task not in wanted:
                continue
            n = taken.get((split, task), 0)
            if limit is not None and n >= limit:
                continue
            taken[(split, task)] = n + 1
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
        raise ValueError("sample ids are not unique within a split")
    return samples


# -- output files --------------------------------------------------------------------------------


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def read_generations(path: str | os.PathLike) -> dict[tuple[str, str], dict]:
    """The records of a ``generations.jsonl``, keyed by ``(split, id)``; a last line cut short by
    an interruption is ignored."""
    records = {}
    path = Path(path)
    if not path.exists():
        return records
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            records[(record["split"], record["id"])] = record
    return records


def _repair_tail(path: Path) -> None:
    """Drop an incomplete last line (no newline) so appended records start on a line of their own."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with open(path, "rb+") as f:
        data = f.read()
        if data.endswith(b"\n"):
            return
        cut = data.rfind(b"\n") + 1
        f.truncate(cut)


def _check_run_settings(out: Path, settings: dict) -> None:
    run_file = out / RUN_FILE
    if run_file.exists():
        previous = json.loads(run_file.read_text(encoding="utf-8"))
        for key in ("model", "data", "max_new_tokens"):
            if previous.get(key) != settings.get(key):
                raise ValueError(
                    f"{out} holds generations made with {key}={previous.get(key)!r}, not {settings.get(key)!r}; "
                    "use another --out (or delete it) to start over"
                )
        settings = {**previous, "splits": sorted(set(previous.get("splits", [])) | set(settings["splits"]))}
    _atomic_write_text(run_file, json.dumps(settings, indent=2) + "\n")


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


def _message_text(message) -> str:
    content = message["content"]
    if isinstance(content, str):
        return content
    return "".join(part.get("text") or "" for part in content if part.get("type") == "text")


def _render(processor, conversation) -> str:
    return processor.apply_chat_template(conversation, add_generation_prompt=True, tokenize=False)


def _budget(processor, samples: Sequence[_Sample], max_new_tokens: int | None, message_index: int) -> int:
    if max_new_tokens is not None:
        return int(max_new_tokens)
    return _auto_max_new_tokens(processor, [_message_text(s.messages[message_index]) for s in samples])


def _record(sample: _Sample, prompt: str, generated: str, parse_answer, turns=None) -> dict:
    parsed = parse_answer(sample.task, generated)
    record = {
        "split": sample.split,
        "id": sample.id,
        "task": sample.task,
        "prompt": prompt,
        "generated": generated,
        "parsed": parsed,
        "answer": sample.answer,
        "correct": parsed == sample.answer,
        "segment_ids": sample.segment_ids,
        "emotions": sample.emotions,
    }
    if turns is not None:
        record["turns"] = turns
    return record


def _generate_single_turn(model, processor, lookup, samples, *, batch_size, max_new_tokens, write, parse_answer):
    conversations = [chat_messages(s.messages[:-1]) for s in samples]
    ids = [segment_ids_of(s.messages[:-1]) for s in samples]

    def on_batch(indices, texts):
        write([_record(samples[i], _render(processor, conversations[i]), text, parse_answer) for i, text in zip(indices, texts)])

    generate_responses(
        model,
        processor,
        conversations,
        _LazyEEG(lookup, ids, 0),
        _LazyEEG(lookup, ids, 1),
        batch_size=batch_size,
        max_new_tokens=max_new_tokens,
        on_batch=on_batch,
    )


def _generate_esr(model, processor, lookup, samples, *, batch_size, budgets, write, parse_answer):
    """Two turns per sample, in chunks of ``batch_size`` (T1 for the chunk, then T2 with the
    model's own T1 answers), each chunk saved when done."""
    if not samples:
        return
    for s in samples:
        if len(s.messages) != 4 or [m["role"] for m in s.messages] != ["user", "assistant", "user", "assistant"]:
            raise ValueError(f"ESR sample {s.id} is not a two-turn conversation (user, assistant, user, assistant)")
    from .generation import prompt_lengths

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
            _LazyEEG(lookup, t1_ids, 0),
            _LazyEEG(lookup, t1_ids, 1),
            batch_size=batch_size,
            max_new_tokens=budgets[0],
        )
        t2 = [
            t1[i] + [{"role": "assistant", "content": [{"type": "text", "text": neutralize_markers(answer, processor)}]}]
            + chat_messages(samples[i].messages[2:3])
            for i, answer in zip(chunk, first)
        ]
        t2_ids = [segment_ids_of(samples[i].messages[:1]) + segment_ids_of(samples[i].messages[2:3]) for i in chunk]
        second = generate_responses(
            model,
            processor,
            t2,
            _LazyEEG(lookup, t2_ids, 0),
            _LazyEEG(lookup, t2_ids, 1),
            batch_size=batch_size,
            max_new_tokens=budgets[1],
        )
        records = []
        for i, conv1, conv2, a1, a2 in zip(chunk, [t1[i] for i in chunk], t2, first, second):
            p1, p2 = _render(processor, conv1), _render(processor, conv2)
            turns = [{"prompt": p1, "generated": a1}, {"prompt": p2, "generated": a2}]
            records.append(_record(samples[i], p2, a2, parse_answer, turns=turns))
        write(records)


# -- metrics -------------------------------------------------------------------------------------


def load_metric(task: str | None = None):
    """The local ``evaluate`` metric module (no network), for ``task`` (its config name)."""
    import evaluate

    return evaluate.load(str(METRIC_PATH), config_name=task or "default", keep_in_memory=True)


def compute_metrics(records: Iterable[Mapping], *, return_confusion: bool = False):
    """``metrics.json``'s task blocks and ``random`` block from generation records (each with
    ``task``, ``parsed``, ``answer``). With ``return_confusion=True`` also the IED confusion matrix
    (or ``None`` without IED samples)."""
    from .metric.e2llm_metrics import DEFAULT_LABELS, random_baseline

    by_task: dict[str, list[Mapping]] = {}
    for record in records:
        by_task.setdefault(record["task"], []).append(record)
    metrics: dict = {}
    confusion = None
    for task in TASK_ORDER:
        rows = by_task.get(task)
        if not rows:
            continue
        metric = load_metric(task)
        predictions, references = [r["parsed"] for r in rows], [r["answer"] for r in rows]
        if task == "ied":
            result = metric.compute(predictions=predictions, references=references, confusion_matrix=True)
            confusion = result.pop("confusion_matrix")
        else:
            result = metric.compute(predictions=predictions, references=references)
        metrics[task] = result
    ied_refs = [r["answer"] for r in by_task.get("ied", [])]
    metrics["random"] = {
        task: random_baseline(task, references=ied_refs if task == "ied" else None, labels=DEFAULT_LABELS)
        for task in TASK_ORDER
    }
    return (metrics, confusion) if return_confusion else metrics


# -- the run -------------------------------------------------------------------------------------


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
        device, dtype: for a model loaded here (or moved, if given).
        progress: show a progress bar.
        plots: write the PNG plots.

    Returns:
        the content of ``metrics.json``.
    """
    from tqdm.auto import tqdm

    from ..tasks import load_task_datasets, parse_answer

    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if max_new_tokens is not None and max_new_tokens < 1:
        raise ValueError("max_new_tokens must be at least 1")
    tasks_dir = Path(tasks_dir).expanduser().resolve()
    dd, info = load_task_datasets(tasks_dir)
    samples = _select_samples(dd, list(splits), tasks, limit)
    if not samples:
        raise ValueError(f"no samples to evaluate in {tasks_dir} (splits {list(splits)}, tasks {tasks or 'all'})")
    model, processor, model_name = load_model_and_processor(model, processor, device=device, dtype=dtype)
    lookup = _CachedLookup(_segment_source(segments, info, tasks_dir))

    out = Path(out_dir).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    _check_run_settings(
        out,
        {"model": model_name, "data": str(tasks_dir), "max_new_tokens": max_new_tokens or "auto", "splits": list(splits)},
    )
    generations = out / GENERATIONS_FILE
    _repair_tail(generations)
    done = read_generations(generations)
    pending = [s for s in samples if s.key not in done]

    bar = tqdm(total=len(samples), initial=len(samples) - len(pending), desc="evaluate", unit="sample", disable=not progress)
    with open(generations, "a", encoding="utf-8") as sink:

        def write(records):
            for record in records:
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
                done[(record["split"], record["id"])] = record
            sink.flush()
            bar.update(len(records))

        groups: dict[tuple[str, str], list[_Sample]] = {}
        for s in samples:
            groups.setdefault((s.split, s.task), []).append(s)
        for (split, task), group in groups.items():
            todo = [s for s in group if s.key not in done]
            if not todo:
                continue
            bar.set_postfix_str(f"{task} ({split})")
            if task == "esr":
                budgets = (_budget(processor, group, max_new_tokens, 1), _budget(processor, group, max_new_tokens, 3))
                _generate_esr(model, processor, lookup, todo, batch_size=batch_size, budgets=budgets, write=write, parse_answer=parse_answer)
            else:
                budget = _budget(processor, group, max_new_tokens, -1)
                _generate_single_turn(
                    model, processor, lookup, todo, batch_size=batch_size, max_new_tokens=budget, write=write, parse_answer=parse_answer
                )
    bar.close()

    # Re-parse (the parser may have improved since a resumed run began) and rewrite in order.
    selected = {s.key for s in samples}
    ordered = [done[s.key] for s in samples] + [r for k, r in done.items() if k not in selected]
    for record in ordered:
        record["parsed"] = parse_answer(record["task"], record["generated"])
        record["correct"] = record["parsed"] == record["answer"]
    _atomic_write_text(generations, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ordered))

    metrics, confusion = compute_metrics([done[s.key] for s in samples], return_confusion=True)
    metrics["model"] = model_name
    metrics["data"] = str(tasks_dir)
    _atomic_write_text(out / METRICS_FILE, json.dumps(metrics, indent=2) + "\n")

    from .report import write_report

    write_report(out, metrics=metrics, confusion=confusion, plots=plots)
    return metrics


__all__ = [
    "EVAL_SPLITS",
    "TASK_ORDER",
    "compute_metrics",
    "evaluate_model",
    "load_metric",
    "load_model_and_processor",
    "read_generations",
]
