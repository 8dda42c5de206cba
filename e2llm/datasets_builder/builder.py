"""Build the segments dataset: recordings → preprocessed 4 s windows → ``datasets.DatasetDict``.

:func:`build_segments` is what ``e2llm prepare`` runs. It

* finds the recordings (:mod:`.sources`), streams them one at a time (``n_jobs`` processes work on
  different recordings), and writes each recording's segments to a shard file on disk, so the
  corpus is never in memory;
* assigns train/test (:mod:`.splits`) from the segments' metadata;
* writes the ``DatasetDict`` (``save_to_disk``) and ``summary.json`` into a temporary sibling
  folder and moves it into place with ``os.replace`` only when complete: an interrupted build
  (even ``kill -9``) leaves no partial dataset, and the next run starts again and gives the same
  result;
* skips all of this when ``OUT_DIR`` already holds a dataset built from the same inputs (file
  names, sizes and modification times) and settings: the fingerprint in ``summary.json``.

Columns (exactly): ``id`` (string, unique across splits), ``eeg`` (``Array2D((58, 1024),
float32)``, mV, average reference, EEGPT channel order), ``channel_mask`` (58 bools, False where
zero-filled), ``emotion`` (``ClassLabel`` of the 7 emotions), ``subject`` (string), ``session``,
``clip`` (1-based), ``segment`` (0-based index of the 10 s segment in its clip) (int32) and
``source`` (file name relative to the input folder). Nothing from recording headers (names,
birth dates, measurement dates) is stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..configuration_e2llm import EEGPT_CHANNELS, EMOTIONS
from ..eeg.preprocessing import PreprocessingConfig
from .lookup import DATASET_FORMAT, SUMMARY_FILE, load_segments, read_summary
from .sources import FORMATS, detect_format, discover, is_synthetic, process_task
from .splits import PAPER_TEST_FRACTION, SPLITS, assign_test

logger = logging.getLogger(__name__)

# Bump when the processing changes in a way that changes the output for the same settings.
PIPELINE_VERSION = 1
SYNTHETIC_PREFIX = "SYNTHETIC DATA — "
_BUILD_TAG = ".building-"
_OLD_TAG = ".old-"


def segment_features(n_channels: int = len(EEGPT_CHANNELS), n_samples: int = 1024):
    """The ``datasets.Features`` of a segments split."""
    from datasets import Array2D, ClassLabel, Features, Sequence, Value

    return Features(
        {
            "id": Value("string"),
            "eeg": Array2D(shape=(n_channels, n_samples), dtype="float32"),
            "channel_mask": Sequence(Value("bool"), length=n_channels),
            "emotion": ClassLabel(names=list(EMOTIONS)),
            "subject": Value("string"),
            "session": Value("int32"),
            "clip": Value("int32"),
            "segment": Value("int32"),
            "source": Value("string"),
        }
    )


@dataclass
class BuildResult:
    """What :func:`build_segments` returns.

    Attributes:
        dataset: the ``DatasetDict`` (opened from ``path``).
        summary: the content of ``summary.json``.
        path: the output folder.
        reused: True if an existing dataset with the same fingerprint was reused.
    """

    dataset: object
    summary: dict
    path: Path
    reused: bool


def _input_files(input_dir: Path, exclude: Sequence[Path]) -> list[tuple[str, int, int]]:
    out = []
    for root, dirs, files in os.walk(input_dir):
        rootp = Path(root)
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and not any((rootp / d).resolve() == e for e in exclude)
        )
        for name in sorted(files):
            if name.startswith("."):
                continue
            st = (rootp / name).stat()
            out.append(((rootp / name).relative_to(input_dir).as_posix(), st.st_size, st.st_mtime_ns))
    return out


def fingerprint(input_dir, settings: Mapping, exclude: Sequence = ()) -> str:
    """Hash of the input folder's files (relative names, sizes, modification times), the settings
    and the pipeline version: equal fingerprints mean an existing build can be reused."""
    from .. import __version__

    h = hashlib.sha256()
    h.update(json.dumps({"pipeline": PIPELINE_VERSION, "e2llm": __version__, "settings": settings}, sort_keys=True).encode())
    for entry in _input_files(Path(input_dir), [Path(e).resolve() for e in exclude]):
        h.update(json.dumps(entry).encode())
    return h.hexdigest()[:32]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_stale(out: Path) -> None:
    """Remove temporary siblings left by interrupted builds (whose process is gone)."""
    for p in out.parent.glob(f".{out.name}*"):
        for tag in (_BUILD_TAG, _OLD_TAG):
            if p.name.startswith(f".{out.name}{tag}"):
                try:
                    pid = int(p.name[len(f".{out.name}{tag}") :].split("-")[0])
                except ValueError:
                    continue
                if not _pid_alive(pid):
                    shutil.rmtree(p, ignore_errors=True)


def _check_out(out: Path) -> None:
    if out.exists():
        if not out.is_dir():
            raise ValueError(f"{out}: exists and is not a folder")
        if any(out.iterdir()) and (read_summary(out) or {}).get("format") != DATASET_FORMAT:
            raise ValueError(f"{out}: exists and is not an e2llm segments dataset; choose another output folder")


def _run_tasks(tasks, config, shard_dir: Path, skip_bad: bool, n_jobs: int, progress: bool) -> list[dict]:
    from tqdm.auto import tqdm

    results: list[dict | None] = [None] * len(tasks)
    bar = tqdm(total=len(tasks), unit="recording", desc="prepare", disable=not progress)
    try:
        if n_jobs <= 1 or len(tasks) == 1:
            for i, task in enumerate(tasks):
                bar.set_postfix_str(task.source[-40:])
                results[i] = process_task(task, config, str(shard_dir / f"{i:05d}"), skip_bad)
                bar.update()
        else:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor, as_completed

            pool = ProcessPoolExecutor(max_workers=n_jobs, mp_context=mp.get_context("spawn"))
            try:
                futures = {
                    pool.submit(process_task, task, config, str(shard_dir / f"{i:05d}"), skip_bad): i
                    for i, task in enumerate(tasks)
                }
                for future in as_completed(futures):
                    results[futures[future]] = future.result()
                    bar.update()
            finally:  # on an error, do not wait for the recordings not yet started
                pool.shutdown(wait=True, cancel_futures=True)
    finally:
        bar.close()
    return results  # type: ignore[return-value]


def _generate(shards: list[tuple[str, str, int]], rows: list[dict], n_channels: int, n_samples: int):
    """Rows of one split: ``shards`` lists (eeg file, mask file, row) per segment, in order."""
    cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for (eeg_file, mask_file, row), meta in zip(shards, rows):
        if eeg_file not in cache:
            cache.clear()  # shards are visited in order: keep one recording mapped at a time
            n = os.path.getsize(eeg_file) // (4 * n_channels * n_samples)
            cache[eeg_file] = (
                np.memmap(eeg_file, dtype=np.float32, mode="r", shape=(n, n_channels, n_samples)),
                np.memmap(mask_file, dtype=bool, mode="r", shape=(n, n_channels)),
            )
        eeg, mask = cache[eeg_file]
        yield {**meta, "eeg": np.asarray(eeg[row]), "channel_mask": np.asarray(mask[row])}


def _description(split: str, fmt: str, synthetic: bool, n: int, config: PreprocessingConfig, split_kind: str) -> str:
    text = (
        f"E2LLM segments, {split} split ({n} segments, '{split_kind}' split): {config.window_seconds:g} s EEG windows "
        f"(58 EEGPT channels × {config.window_samples} samples at {config.sfreq:g} Hz, mV, average reference) from "
        f"{config.segment_seconds:g} s segments of emotion-labelled clips; input format {fmt}; "
        f"{config.l_freq}-{config.h_freq} Hz band-pass, {config.notch_freq} Hz notch; crop {config.crop}."
    )
    if synthetic:
        return SYNTHETIC_PREFIX + text + " Generated by e2llm.eeg.synthetic; not recorded from any person."
    return text


def build_segments(
    input_dir,
    out_dir,
    *,
    format: str = "auto",
    split: str = "paper",
    config: PreprocessingConfig | None = None,
    test_size: float | None = None,
    test_subjects: Sequence[str] | None = None,
    seed: int = 0,
    cnt_format: str | None = None,
    labels=None,
    label_map: Mapping[str, str] | None = None,
    skip_bad: bool = False,
    n_jobs: int = 1,
    progress: bool = True,
    overwrite: bool = False,
) -> BuildResult:
    """Build (or reuse) the segments dataset of ``input_dir`` in ``out_dir``.

    Args:
        input_dir: SEED-VII as distributed, its ``EEG_preprocessed`` half (or the synthetic
            generator's output), or a folder of MNE-readable recordings.
        out_dir: output folder (created; an existing segments dataset there is replaced, anything
            else there is an error).
        format: ``"seed-vii"``, ``"seed-vii-preprocessed"``, ``"files"`` or ``"auto"``.
        split: ``"paper"``, ``"clip"`` or ``"subject"`` (see :mod:`.splits`).
        config: the preprocessing recipe (the paper's by default).
        test_size: fraction held out (default: the paper's 2,761 / 27,205).
        test_subjects: for ``split="subject"``, subjects to hold out (default: drawn with ``seed``).
        seed: seed of the split.
        cnt_format: ``'int16'``/``'int32'`` for Neuroscan CNT files (SEED-VII default ``'int32'``).
        labels: for ``format="files"``, a CSV of ``file, onset, duration, label``.
        label_map: maps a file's own labels (e.g. annotation codes) to emotion names.
        skip_bad: skip recordings that cannot be used (listed with the reason in the summary)
            instead of stopping with an error.
        n_jobs: recordings processed in parallel (processes).
        progress: show a progress bar.
        overwrite: rebuild even if the fingerprint matches.

    Returns:
        :class:`BuildResult`.

    Raises:
        FileNotFoundError: no input folder (or labels file).
        ValueError: unknown format/split, no recordings, a bad recording (unless ``skip_bad``),
            no segments, an empty split, or an output folder that is not a segments dataset. The
            output folder is left as it was.
    """
    import datasets
    from datasets import Dataset, DatasetDict

    config = config or PreprocessingConfig()
    input_dir = Path(input_dir)
    out = Path(out_dir).resolve()
    if not input_dir.is_dir():
        raise FileNotFoundError(f"{input_dir}: input folder not found")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    fmt = detect_format(input_dir) if format == "auto" else format
    if fmt not in FORMATS:
        raise ValueError(f"unknown input format {format!r}; choose one of auto, {', '.join(FORMATS)}")
    if labels is not None and fmt != "files":
        raise ValueError(f"labels= applies to format 'files' only (this input is {fmt!r})")
    if n_jobs < 1:
        raise ValueError("n_jobs must be at least 1")
    _check_out(out)
    synthetic = is_synthetic(input_dir)
    settings = {
        "format": fmt,
        "split": split,
        "test_size": PAPER_TEST_FRACTION if test_size is None else float(test_size),
        "test_subjects": sorted(str(s) for s in test_subjects) if test_subjects else None,
        "seed": int(seed),
        "cnt_format": cnt_format,
        "labels": Path(labels).name if labels is not None else None,
        "label_map": dict(sorted((label_map or {}).items())),
        "skip_bad": bool(skip_bad),
        "preprocessing": config.to_dict(),
    }
    fp = fingerprint(input_dir, settings, exclude=[out])  # never hash the output if it sits inside the input
    if labels is not None:
        st = Path(labels).stat() if Path(labels).exists() else None
        fp = hashlib.sha256((fp + json.dumps([st.st_size, st.st_mtime_ns] if st else None)).encode()).hexdigest()[:32]
    existing = read_summary(out)
    if not overwrite and existing and existing.get("fingerprint") == fp and (out / "dataset_dict.json").is_file():
        logger.info("%s: reusing the dataset built from the same inputs and settings", out)
        return BuildResult(load_segments(out), existing, out, True)

    tasks, source_info = discover(
        input_dir, fmt, cnt_format=cnt_format, labels=labels, label_map=label_map, exclude=[out]
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale(out)
    tmp = out.parent / f".{out.name}{_BUILD_TAG}{os.getpid()}-{secrets.token_hex(4)}"
    (tmp / "shards").mkdir(parents=True)
    progress_was_enabled = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        started = time.time()
        results = _run_tasks(tasks, config, tmp / "shards", skip_bad, n_jobs, progress)
        rows, shards, skipped, filled_by_recording, label_origins = [], [], [], {}, Counter()
        for res in results:
            if "skipped" in res:
                skipped.append({"source": res["source"], "reason": res["skipped"]})
                continue
            for k, meta in enumerate(res["rows"]):
                rows.append(meta)
                shards.append((res["eeg"], res["mask"], k))
            if res["filled"]:
                filled_by_recording[res["source"]] = res["filled"]
            label_origins[res["labels"]] += 1
        if not rows:
            reasons = "; ".join(f"{s['reason']}" for s in skipped[:3])
            raise ValueError(f"{input_dir}: no segments could be made from {len(tasks)} recording(s): {reasons}")
        ids = [r["id"] for r in rows]
        if len(set(ids)) != len(ids):
            dup = next(i for i, c in Counter(ids).items() if c > 1)
            raise ValueError(f"{input_dir}: segment id {dup!r} occurs twice (two recordings with the same name?)")
        is_test = assign_test(
            rows, split, test_size=test_size, test_subjects=test_subjects, seed=seed, clip_is_stimulus=fmt != "files"
        )
        features = segment_features(len(config.channels), config.window_samples)
        splits = {}
        for name, selector in (("train", ~is_test), ("test", is_test)):
            idx = np.flatnonzero(selector)
            ds = Dataset.from_generator(
                _generate,
                features=features,
                gen_kwargs={
                    "shards": [shards[i] for i in idx],
                    "rows": [rows[i] for i in idx],
                    "n_channels": len(config.channels),
                    "n_samples": config.window_samples,
                },
                cache_dir=str(tmp / "cache"),
                writer_batch_size=64,
                split=name,
            )
            ds.info.description = _description(name, fmt, synthetic, len(idx), config, split)
            splits[name] = ds
        dataset = DatasetDict(splits)
        final = tmp / "dataset"
        dataset.save_to_disk(str(final), max_shard_size="500MB")

        counts = {
            name: {e: int(sum(1 for i in np.flatnonzero(sel) if rows[i]["emotion"] == e)) for e in EMOTIONS}
            for name, sel in (("train", ~is_test), ("test", is_test))
        }
        filled_counts = Counter(ch for chans in filled_by_recording.values() for ch in chans)
        summary = {
            "format": DATASET_FORMAT,
            "version": PIPELINE_VERSION,
            "fingerprint": fp,
            "synthetic": synthetic,
            "description": (SYNTHETIC_PREFIX if synthetic else "")
            + f"E2LLM segments dataset built from a {fmt} folder ({input_dir.name}); see each split's info.description",
            "input_format": fmt,
            "input_dir": input_dir.name,
            "labels": dict(label_origins) if fmt == "files" else source_info.get("labels"),
            "settings": settings,
            "n_segments": {"train": int((~is_test).sum()), "test": int(is_test.sum())},
            "counts": counts,
            "subjects": {
                "train": sorted({rows[i]["subject"] for i in np.flatnonzero(~is_test)}),
                "test": sorted({rows[i]["subject"] for i in np.flatnonzero(is_test)}),
            },
            "recordings": {"found": len(tasks), "used": len(tasks) - len(skipped), "skipped": skipped},
            "channels_filled": {
                "by_channel": dict(sorted(filled_counts.items(), key=lambda kv: config.channels.index(kv[0]))),
                "by_recording": filled_by_recording,
            },
            "build_seconds": round(time.time() - started, 1),
        }
        (final / SUMMARY_FILE).write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
        _replace(final, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if progress_was_enabled:
            datasets.enable_progress_bars()
    return BuildResult(load_segments(out), summary, out, False)


def _replace(final: Path, out: Path) -> None:
    """Move the finished dataset into place; an old dataset there is removed only afterwards."""
    old = None
    if out.exists():
        old = out.parent / f".{out.name}{_OLD_TAG}{os.getpid()}-{secrets.token_hex(4)}"
        os.replace(out, old)
    os.replace(final, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def format_summary(summary: Mapping) -> str:
    """A plain-text table of a build summary: segments per emotion and split, channels filled,
    recordings skipped and why."""
    lines = []
    if summary.get("synthetic"):
        lines.append("SYNTHETIC DATA (generated, not recorded from any person)")
    counts = summary["counts"]
    width = max(len(e) for e in EMOTIONS) + 2
    lines.append(f"{'emotion':<{width}}{'train':>8}{'test':>8}")
    for e in EMOTIONS:
        lines.append(f"{e:<{width}}{counts['train'][e]:>8}{counts['test'][e]:>8}")
    lines.append(f"{'total':<{width}}{summary['n_segments']['train']:>8}{summary['n_segments']['test']:>8}")
    lines.append(
        f"split: {summary['settings']['split']}; subjects: {len(summary['subjects']['train'])} train, "
        f"{len(summary['subjects']['test'])} test"
    )
    rec = summary["recordings"]
    lines.append(f"recordings: {rec['used']} used of {rec['found']}")
    filled = summary["channels_filled"]["by_channel"]
    if filled:
        lines.append(
            "channels zero-filled (recordings): " + ", ".join(f"{ch} ({n})" for ch, n in filled.items())
        )
    else:
        lines.append("channels zero-filled: none")
    for item in rec["skipped"]:
        lines.append(f"skipped {item['source']}: {item['reason']}")
    return "\n".join(lines)


__all__ = ["BuildResult", "PIPELINE_VERSION", "build_segments", "fingerprint", "format_summary", "segment_features"]
