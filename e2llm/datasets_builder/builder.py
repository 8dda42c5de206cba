"""Build the segments dataset: recordings → preprocessed 4 s windows → ``datasets.DatasetDict``.

:func:`build_segments` is what ``e2llm prepare`` runs. It

* finds the recordings (:mod:`.sources`), streams them one at a time (``n_jobs`` processes work on
  different recordings), and writes each recording's segments to a shard file on disk, so the
  corpus is never in memory;
* assigns train/test (:mod:`.splits`) from the segments' metadata;
* writes the ``DatasetDict`` (``save_to_disk``) and ``summary.json`` into a temporary sibling
  folder (:mod:`e2llm.runs.atomic`: ``.OUT.tmp-HOST-PID-RANDOM``) and moves it into place only when
  complete: an interrupted build (even ``kill -9``) leaves no partial dataset, the next run
  removes what a killed build of this host left (never another host's) and gives the same result;
* skips all of this when ``OUT_DIR`` already holds a dataset built from the same inputs (file
  names, sizes and modification times) and settings, and the recordings it skipped would be
  skipped again: the cache key (``fingerprint``) in ``summary.json``;
* with ``pseudonymize=True``, stores keyed pseudonyms instead of file and subject names
  (:mod:`.pseudonyms`), the key kept outside the dataset.

Columns (exactly): ``id`` (string, unique across splits), ``eeg`` (``Array2D((58, 1024),
float32)``, mV, average reference, EEGPT channel order), ``channel_mask`` (58 bools, False where
zero-filled), ``emotion`` (``ClassLabel`` of the 7 emotions), ``subject`` (string), ``session``,
``clip`` (1-based), ``segment`` (0-based index of the 10 s segment in its clip) (int32) and
``source`` (file name relative to the input folder, or its pseudonym). Nothing from recording
headers (names, birth dates, measurement dates) is stored, nor any absolute local path.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..configuration_e2llm import EMOTIONS
from ..eeg.preprocessing import PreprocessingConfig
from ..eeg.synthetic import SYNTHETIC_PREFIX
from ..errors import InvalidInputError, MissingInputError
from ..runs.atomic import clean_leftovers, replace_directory, temporary_sibling
from ..runs.fingerprints import folder_listing
from .audit import COLUMNS as AUDIT_COLUMNS
from .audit import audit_segments, format_audit, leakage_audit
from .config import BuildConfig
from .lookup import DATASET_FORMAT, SUMMARY_FILE, load_segments, read_summary, segment_features
from .pseudonyms import METHOD, Pseudonymizer
from .sources import detect_format, discover, id_prefix, is_synthetic, process_task, recording_suffix
from .splits import assign_test

logger = logging.getLogger(__name__)

# Bump when the processing changes in a way that changes the output for the same settings.
PIPELINE_VERSION = 1


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


def fingerprint(input_dir, settings: Mapping, exclude: Sequence = ()) -> str:
    """Hash of the input folder's files (relative names, sizes, modification times), the settings
    and the pipeline version: equal fingerprints mean an existing build can be reused (if it
    skipped recordings, only if they would be skipped again: see :func:`build_segments`)."""
    from .. import __version__

    h = hashlib.sha256()
    h.update(
        json.dumps({"pipeline": PIPELINE_VERSION, "e2llm": __version__, "settings": settings}, sort_keys=True).encode()
    )
    for entry in folder_listing(Path(input_dir), [Path(e).resolve() for e in exclude]):
        h.update(json.dumps(entry).encode())
    return h.hexdigest()[:32]


def _cache_key(input_fingerprint: str, skipped: Sequence[str]) -> str:
    """The build's cache key: its inputs and settings, and which recordings it skipped."""
    return hashlib.sha256(json.dumps([input_fingerprint, sorted(skipped)]).encode()).hexdigest()[:32]


def _check_out(out: Path) -> None:
    if out.exists():
        if not out.is_dir():
            raise InvalidInputError(f"{out}: exists and is not a folder")
        if any(out.iterdir()) and (read_summary(out) or {}).get("format") != DATASET_FORMAT:
            raise InvalidInputError(f"{out}: exists and is not an e2llm segments dataset; choose another output folder")


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


PSEUDONYMOUS_NOTE = (
    "Ids, subjects and sources are pseudonymous: keyed hashes (HMAC-SHA256) of the file and subject names; "
    "the key is kept outside the dataset."
)
NAMED_NOTE = "Ids, subjects and sources are derived from the input's file and folder names (not pseudonymized)."


def _description(
    split: str, fmt: str, synthetic: bool, n: int, config: PreprocessingConfig, split_kind: str, pseudonymized: bool
) -> str:
    text = (
        f"E2LLM segments, {split} split ({n} segments, '{split_kind}' split): {config.window_seconds:g} s EEG windows "
        f"(58 EEGPT channels × {config.window_samples} samples at {config.sfreq:g} Hz, mV, average reference) from "
        f"{config.segment_seconds:g} s segments of emotion-labelled clips; input format {fmt}; "
        f"{config.l_freq}-{config.h_freq} Hz band-pass, {config.notch_freq} Hz notch; crop {config.crop}. "
        + (PSEUDONYMOUS_NOTE if pseudonymized else NAMED_NOTE)
    )
    if synthetic:
        return SYNTHETIC_PREFIX + text + " Generated by e2llm.eeg.synthetic; not recorded from any person."
    return text


def _public_names(tasks, pseudonymizer: Pseudonymizer | None) -> None:
    """Give each task the subject, source and id prefix its rows carry (pseudonyms, or its own)."""
    for task in tasks:
        if pseudonymizer is None:
            task.options["public"] = {"subject": task.subject, "source": task.source, "id_prefix": id_prefix(task)}
            continue
        subject = pseudonymizer.subject(task.subject)
        source = pseudonymizer.source(task.source, recording_suffix(task.source))
        prefix = subject if task.kind != "files" else source[: len(source) - len(recording_suffix(source))]
        task.options["public"] = {"subject": subject, "source": source, "id_prefix": prefix}


def _scrub(text: str, task, input_dir: Path, pseudonymized: bool) -> str:
    """A message about ``task`` without local absolute paths and, when pseudonymized, without the
    recording's own names (its relative path, file name and stem become its pseudonym)."""
    public = task.options["public"]["source"]
    replacements = {str(task.path): public if pseudonymized else task.source}
    for folder in {str(input_dir.resolve()), str(input_dir.absolute()), str(input_dir)}:
        replacements[folder.rstrip("/") + "/"] = ""
    if task.options.get("labels"):
        replacements[str(task.options["labels"])] = Path(task.options["labels"]).name
    if pseudonymized:
        name, stem = Path(task.source).name, _stem_of(task.source)
        replacements.update({task.source: public, name: Path(public).name})
        for variant in {stem, re.sub(r"_(raw|eeg)$", "", stem)}:  # sidecar labels drop MNE's endings
            if len(variant) >= 2:
                replacements[variant] = _stem_of(public)
        if len(task.subject) >= 2 and not task.subject.isdigit():
            replacements[task.subject] = task.options["public"]["subject"]
    for old in sorted(replacements, key=len, reverse=True):
        if old:
            text = text.replace(old, replacements[old])
    return text


def _stem_of(name: str) -> str:
    return Path(name).name[: len(Path(name).name) - len(recording_suffix(name))]


@dataclass
class _Plan:
    """A build's inputs and settings, checked, and its cache key."""

    input_dir: Path
    out: Path
    fmt: str
    build: BuildConfig
    key_path: Path | None
    pseudonymizer: Pseudonymizer | None
    synthetic: bool
    settings: dict
    fingerprint: str

    @property
    def exclude(self) -> list[Path]:  # never hashed, never read as input: the output and the key
        return [self.out] + ([self.key_path] if self.key_path is not None else [])

    def discover(self):
        tasks, info = discover(
            self.input_dir, self.fmt, cnt_format=self.build.cnt_format, labels=self.build.labels,
            label_map=self.build.label_map, exclude=self.exclude,
        )  # fmt: skip
        _public_names(tasks, self.pseudonymizer)
        return tasks, info


def _plan(input_dir, out_dir, build: BuildConfig) -> _Plan:
    """Check the input and output folders against ``build`` and work out the cache key."""
    input_dir, out = Path(input_dir), Path(out_dir).resolve()
    if not input_dir.is_dir():
        raise MissingInputError(f"{input_dir}: input folder not found")
    fmt = detect_format(input_dir) if build.format == "auto" else build.format
    if build.labels is not None and fmt != "files":
        raise InvalidInputError(f"{build.name('labels')} applies to format 'files' only (this input is {fmt!r})")
    _check_out(out)
    key_path = build.key_path(out)
    pseudonymizer = Pseudonymizer.load_or_new(key_path) if key_path is not None else None
    settings = {**build.settings(fmt), "pseudonym_key_id": pseudonymizer.key_id if pseudonymizer else None}
    hashed = dict(settings)
    if pseudonymizer is not None and settings["test_subjects"]:  # real names: hashed, stored as pseudonyms
        settings["test_subjects"] = sorted(pseudonymizer.subject(s) for s in settings["test_subjects"])
    plan = _Plan(input_dir, out, fmt, build, key_path, pseudonymizer, is_synthetic(input_dir), settings, "")
    plan.fingerprint = fingerprint(input_dir, hashed, exclude=plan.exclude)
    if build.labels is not None:
        st = Path(build.labels).stat()
        plan.fingerprint = hashlib.sha256(
            (plan.fingerprint + json.dumps([st.st_size, st.st_mtime_ns])).encode()
        ).hexdigest()[:32]
    return plan


def _reusable(plan: _Plan, overwrite: bool):
    """``(summary, tasks, info)``: the summary of an identical earlier build in the output folder
    (``None`` when there is none to reuse), and the recordings if they had to be listed to tell."""
    existing = read_summary(plan.out)
    if overwrite or not existing or existing.get("input_fingerprint") != plan.fingerprint:
        return None, None, None
    if not (plan.out / "dataset_dict.json").is_file() or (plan.key_path is not None and not plan.key_path.is_file()):
        return None, None, None
    tasks = info = None
    still = []
    skipped_before = [s["source"] for s in existing.get("recordings", {}).get("skipped", [])]
    if skipped_before:  # reuse only if they would be skipped again: try them again
        tasks, info = plan.discover()
        still = _still_skipped(tasks, skipped_before, plan.build.preprocessing, plan.out)
    return (existing if existing.get("fingerprint") == _cache_key(plan.fingerprint, still) else None), tasks, info


def _held_subjects(plan: _Plan, tasks) -> list[str] | None:
    """The test subjects the build asked for, checked against the recordings' (pseudonymised
    when the build is)."""
    if not plan.build.test_subjects:
        return None
    subjects = sorted({t.subject for t in tasks})
    wanted = [str(s).strip() for s in plan.build.test_subjects]
    unknown = sorted(set(wanted) - set(subjects))
    name = plan.build.name("test_subjects")
    if unknown:
        shown = ", ".join(subjects[:20]) + (", …" if len(subjects) > 20 else "")
        raise InvalidInputError(f"{name}: {', '.join(unknown)} not among the recordings' subjects ({shown})")
    if set(wanted) >= set(subjects):
        raise InvalidInputError(f"{name}: holds out every subject ({', '.join(subjects)}); train would be empty")
    return [plan.pseudonymizer.subject(s) for s in wanted] if plan.pseudonymizer else wanted


@dataclass
class _Collected:
    """What the recordings gave: segment rows, their shard locations, and what was skipped or filled."""

    rows: list = field(default_factory=list)
    shards: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    filled: dict = field(default_factory=dict)
    label_origins: Counter = field(default_factory=Counter)


def _collect(plan: _Plan, tasks, results) -> _Collected:
    got = _Collected()
    pseudonymized = plan.pseudonymizer is not None
    for task, res in zip(tasks, results):
        public_source = task.options["public"]["source"]
        if "skipped" in res:
            logger.warning("skipped %s: %s", task.source, res["skipped"])
            got.skipped.append(
                {"source": public_source, "reason": _scrub(res["skipped"], task, plan.input_dir, pseudonymized)}
            )
            continue
        for k, meta in enumerate(res["rows"]):
            got.rows.append(meta)
            got.shards.append((res["eeg"], res["mask"], k))
        if res["filled"]:
            got.filled[public_source] = res["filled"]
        origin = str(res["labels"])
        if pseudonymized and origin not in ("annotations", plan.settings["labels"]):
            origin = "sidecar labels file"  # its name is the recording's
        got.label_origins[_scrub(origin, task, plan.input_dir, pseudonymized)] += 1
    if not got.rows:
        reasons = "; ".join(f"{s['reason']}" for s in got.skipped[:3])
        raise InvalidInputError(
            f"{plan.input_dir}: no segments could be made from {len(tasks)} recording(s): {reasons}"
        )
    ids = [r["id"] for r in got.rows]
    if len(set(ids)) != len(ids):
        dup = next(i for i, c in Counter(ids).items() if c > 1)
        raise InvalidInputError(
            f"{plan.input_dir}: segment id {dup!r} occurs twice (two recordings with the same name?)"
        )
    return got


def _save_dataset(plan: _Plan, got: _Collected, is_test: np.ndarray, work: Path) -> Path:
    """The two splits as a ``DatasetDict`` saved under ``work``; returns its folder."""
    from datasets import Dataset, DatasetDict

    config = plan.build.preprocessing
    features = segment_features(len(config.channels), config.window_samples)
    splits = {}
    for name, selector in (("train", ~is_test), ("test", is_test)):
        idx = np.flatnonzero(selector)
        ds = Dataset.from_generator(
            _generate,
            features=features,
            gen_kwargs={"shards": [got.shards[i] for i in idx], "rows": [got.rows[i] for i in idx],
                        "n_channels": len(config.channels), "n_samples": config.window_samples},
            cache_dir=str(work / "cache"),
            writer_batch_size=64,
            split=name,
        )  # fmt: skip
        ds.info.description = _description(
            name, plan.fmt, plan.synthetic, len(idx), config, plan.build.split, plan.pseudonymizer is not None
        )
        splits[name] = ds
    final = work / "dataset"
    DatasetDict(splits).save_to_disk(str(final), max_shard_size="500MB")
    return final


def _summary(plan: _Plan, got: _Collected, tasks, source_info, is_test: np.ndarray, seconds: float) -> dict:
    """``summary.json``: what was built from what, its counts and split, and the leakage audit."""
    train, test = [got.rows[i] for i in np.flatnonzero(~is_test)], [got.rows[i] for i in np.flatnonzero(is_test)]
    pseudonymized = plan.pseudonymizer is not None
    filled_counts = Counter(ch for chans in got.filled.values() for ch in chans)
    channels = plan.build.preprocessing.channels
    folder = "" if pseudonymized else f" ({plan.input_dir.resolve().name})"
    summary = {
        "format": DATASET_FORMAT,
        "version": PIPELINE_VERSION,
        "fingerprint": _cache_key(plan.fingerprint, [s["source"] for s in got.skipped]),
        "input_fingerprint": plan.fingerprint,
        "synthetic": plan.synthetic,
        "pseudonymized": pseudonymized,
        "description": (SYNTHETIC_PREFIX if plan.synthetic else "")
        + f"E2LLM segments dataset built from a {plan.fmt} folder{folder}; see each split's info.description. "
        + (PSEUDONYMOUS_NOTE if pseudonymized else NAMED_NOTE),
        "input_format": plan.fmt,
        "input_dir": None if pseudonymized else plan.input_dir.resolve().name,
        "labels": dict(got.label_origins) if plan.fmt == "files" else source_info.get("labels"),
        "settings": plan.settings,
        "n_segments": {"train": len(train), "test": len(test)},
        "counts": {name: {e: sum(r["emotion"] == e for r in part) for e in EMOTIONS} for name, part in (("train", train), ("test", test))},
        "subjects": {"train": sorted({r["subject"] for r in train}), "test": sorted({r["subject"] for r in test})},
        "recordings": {"found": len(tasks), "used": len(tasks) - len(got.skipped), "skipped": got.skipped},
        "leakage": leakage_audit(_columns(train), _columns(test), split=plan.build.split, settings=plan.settings,
                                 clip_is_stimulus=plan.fmt != "files"),
        "channels_filled": {
            "by_channel": dict(sorted(filled_counts.items(), key=lambda kv: channels.index(kv[0]))),
            "by_recording": got.filled,
        },
        "build_seconds": round(seconds, 1),
    }  # fmt: skip
    if pseudonymized:
        summary["pseudonymization"] = {"method": METHOD, "key_id": plan.pseudonymizer.key_id}
    return summary


def build_segments(
    input_dir,
    out_dir,
    build: BuildConfig | None = None,
    *,
    config: PreprocessingConfig | None = None,
    progress: bool = True,
    overwrite: bool = False,
    **settings,
) -> BuildResult:
    """Build (or reuse) the segments dataset of ``input_dir`` in ``out_dir``.

    Args:
        input_dir: SEED-VII as distributed, its ``EEG_preprocessed`` half (or the synthetic
            generator's output), or a folder of MNE-readable recordings.
        out_dir: output folder (created; an existing segments dataset there is replaced, anything
            else there is an error).
        build: the build's settings (:class:`BuildConfig`); or give them as keyword ``settings``
            (``split="subject"``, ``seed=1``…) and the recipe as ``config``.
        progress: show a progress bar.
        overwrite: rebuild even if an identical build is there.

    Every setting is checked before the first recording is read, the test subjects as soon as
    the recordings are listed. An existing build is reused when its inputs (file names, sizes,
    modification times) and settings are the same and the recordings it skipped would be skipped
    again (they are tried again): what was skipped is part of the cache key. Nothing in the
    dataset or its ``summary.json`` holds an absolute local path.

    Returns:
        :class:`BuildResult`.

    Raises:
        MissingInputError: no input folder (or labels file).
        InvalidInputError: a bad setting, no recordings, a bad recording (unless ``skip_bad``), no
            segments, an empty split, or an output folder that is not a segments dataset.
        SystemReadError: a system error (I/O error, no space, no permission).
        In every error case the output folder is left as it was, and nothing new is written.
    """
    import datasets

    if build is None:
        build = BuildConfig(**settings, preprocessing=config or PreprocessingConfig())
    elif settings or config is not None:
        raise InvalidInputError("build_segments: give a BuildConfig or its settings as keywords, not both")
    plan = _plan(input_dir, out_dir, build)
    reused, tasks, source_info = _reusable(plan, overwrite)
    if reused is not None:
        logger.info("%s: reusing the dataset built from the same inputs and settings", plan.out)
        reused.setdefault("leakage", audit_segments(plan.out))  # a build from before the audit existed
        return BuildResult(load_segments(plan.out), reused, plan.out, True)
    if tasks is None:
        tasks, source_info = plan.discover()
    held = _held_subjects(plan, tasks)

    clean_leftovers(plan.out)
    work = temporary_sibling(plan.out)
    (work / "shards").mkdir(parents=True)
    progress_was_enabled = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        started = time.time()
        results = _run_tasks(tasks, build.preprocessing, work / "shards", build.skip_bad, build.n_jobs, progress)
        got = _collect(plan, tasks, results)
        is_test = assign_test(got.rows, build.split, test_size=build.test_size, test_subjects=held, seed=build.seed,
                              clip_is_stimulus=plan.fmt != "files")  # fmt: skip
        final = _save_dataset(plan, got, is_test, work)
        summary = _summary(plan, got, tasks, source_info, is_test, time.time() - started)
        (final / SUMMARY_FILE).write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
        if plan.pseudonymizer is not None:
            plan.pseudonymizer.save(plan.key_path)  # before the dataset appears: its pseudonyms are always traceable
        replace_directory(final, plan.out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if progress_was_enabled:
            datasets.enable_progress_bars()
    return BuildResult(load_segments(plan.out), summary, plan.out, False)


def _still_skipped(tasks, skipped_before: Sequence[str], config: PreprocessingConfig, out: Path) -> list[str]:
    """Of the recordings a previous build skipped, those that still cannot be used (tried again
    in a temporary folder); a recording no longer there counts as not skipped."""
    wanted = set(skipped_before)
    again = [t for t in tasks if t.options["public"]["source"] in wanted]
    if len(again) != len(wanted):
        return []  # some skipped recording is gone: rebuild
    clean_leftovers(out)
    work = temporary_sibling(out)
    work.mkdir(parents=True)
    try:
        still = []
        for i, task in enumerate(again):
            res = process_task(task, config, str(work / f"{i:05d}"), skip_bad=True)
            if "skipped" in res:
                still.append(task.options["public"]["source"])
        return still
    finally:
        shutil.rmtree(work, ignore_errors=True)


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
        lines.append("channels zero-filled (recordings): " + ", ".join(f"{ch} ({n})" for ch, n in filled.items()))
    else:
        lines.append("channels zero-filled: none")
    for item in rec["skipped"]:
        lines.append(f"skipped {item['source']}: {item['reason']}")
    if summary.get("leakage"):
        lines.append(format_audit(summary["leakage"]))
    return "\n".join(lines)


def _columns(rows: Sequence[Mapping]) -> dict[str, list]:
    return {name: [r[name] for r in rows] for name in AUDIT_COLUMNS}


__all__ = [
    "NAMED_NOTE",
    "PIPELINE_VERSION",
    "PSEUDONYMOUS_NOTE",
    "BuildResult",
    "build_segments",
    "fingerprint",
    "format_summary",
]
