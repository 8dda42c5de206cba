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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..configuration_e2llm import EEGPT_CHANNELS, EMOTIONS
from ..eeg.preprocessing import PreprocessingConfig
from ..eeg.synthetic import SYNTHETIC_PREFIX
from ..emotions import emotion_of_label
from ..errors import InvalidInputError, MissingInputError
from ..runs.atomic import clean_leftovers, replace_directory, temporary_sibling
from ..runs.fingerprints import folder_listing
from .audit import COLUMNS as AUDIT_COLUMNS
from .audit import audit_segments, format_audit, leakage_audit
from .lookup import DATASET_FORMAT, SUMMARY_FILE, load_segments, read_summary
from .pseudonyms import METHOD, Pseudonymizer, default_key_path
from .sources import FORMATS, detect_format, discover, id_prefix, is_synthetic, process_task, recording_suffix
from .splits import PAPER_TEST_FRACTION, SPLITS, assign_test

logger = logging.getLogger(__name__)

# Bump when the processing changes in a way that changes the output for the same settings.
PIPELINE_VERSION = 1


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


def check_build_arguments(
    *,
    format: str = "auto",
    split: str = "paper",
    test_size: float | None = None,
    test_subjects: Sequence[str] | None = None,
    seed: int = 0,
    n_jobs: int = 1,
    labels=None,
    label_map: Mapping[str, str] | None = None,
    pseudonymize: bool = False,
    pseudonym_key=None,
    out_dir=None,
    names: Mapping[str, str] | None = None,
) -> None:
    """Check the arguments of :func:`build_segments` before anything is read.

    ``names`` maps argument names to how the caller calls them (the CLI: ``{"seed": "--seed", …}``):
    each error is one line naming the argument.

    Raises:
        ValueError: an argument out of range or inconsistent with another.
        FileNotFoundError: the labels file does not exist.
    """
    cli = bool(names)

    def n(name: str) -> str:
        return (names or {}).get(name, name)

    def given(name: str, value) -> str:  # how the caller wrote a value: --split paper / split='paper'
        return f"{n(name)} {value}" if cli else f"{n(name)}={value!r}"

    if format != "auto" and format not in FORMATS:
        raise InvalidInputError(
            f"{n('format')}: unknown input format {format!r}; choose one of auto, {', '.join(FORMATS)}"
        )
    if split not in SPLITS:
        raise InvalidInputError(f"{n('split')}: unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidInputError(f"{n('seed')} must be a whole number ≥ 0 (got {seed!r})")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs < 1:
        raise InvalidInputError(f"{n('n_jobs')} must be at least 1 (got {n_jobs!r})")
    if test_size is not None:
        try:
            frac = float(test_size)
        except (TypeError, ValueError):
            frac = float("nan")
        if isinstance(test_size, bool) or not (0.0 < frac < 1.0):
            raise InvalidInputError(f"{n('test_size')} must be a fraction strictly between 0 and 1 (got {test_size!r})")
    if test_subjects is not None:
        subjects = [str(t).strip() for t in test_subjects]
        if split != "subject":
            raise InvalidInputError(
                f"{n('test_subjects')} applies to {given('split', 'subject')} only (got {given('split', split)})"
            )
        if not subjects or any(not t for t in subjects):
            raise InvalidInputError(
                f"{n('test_subjects')} needs one or more subject names (got {list(test_subjects)!r})"
            )
    if label_map is not None:
        if not isinstance(label_map, Mapping):
            raise InvalidInputError(f"{n('label_map')} must map labels to emotion names (got {label_map!r})")
        for code, emotion in label_map.items():
            if not str(code).strip():
                raise InvalidInputError(f"{n('label_map')}: empty label in {code}={emotion}")
            if emotion_of_label(emotion) is None:
                raise InvalidInputError(
                    f"{n('label_map')}: {code}={emotion}: {emotion!r} is not an emotion (one of {', '.join(EMOTIONS)})"
                )
    if labels is not None:
        lp = Path(labels)
        if not lp.exists():
            raise MissingInputError(f"{n('labels')}: {lp}: labels file not found")
        if not lp.is_file():
            raise InvalidInputError(
                f"{n('labels')}: {lp} is a folder, not a labels file (CSV of file, onset, duration, label)"
            )
    if pseudonym_key is not None:
        if not pseudonymize:
            raise InvalidInputError(f"{n('pseudonym_key')} applies with {n('pseudonymize')} only")
        kp = Path(pseudonym_key)
        if kp.is_dir():
            raise InvalidInputError(f"{n('pseudonym_key')}: {kp} is a folder; give the path of a key file")
        if out_dir is not None and kp.resolve().is_relative_to(Path(out_dir).resolve()):
            raise InvalidInputError(
                f"{n('pseudonym_key')}: {kp} is inside the dataset folder {out_dir}; keep the key outside it, so that "
                "it is never uploaded with the dataset"
            )


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


def _resolve_key_path(out: Path, pseudonym_key) -> Path:
    return Path(pseudonym_key).expanduser().absolute() if pseudonym_key is not None else default_key_path(out)


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
    pseudonymize: bool = False,
    pseudonym_key=None,
    argument_names: Mapping[str, str] | None = None,
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
        test_size: fraction held out (default: the paper's 2,761 / 27,205), in (0, 1).
        test_subjects: for ``split="subject"`` only, subjects to hold out (default: drawn with
            ``seed``); each must be a subject of the recordings.
        seed: seed of the split (a whole number ≥ 0).
        cnt_format: ``'int16'``/``'int32'`` for Neuroscan CNT files (SEED-VII default ``'int32'``).
        labels: for ``format="files"``, a CSV of ``file, onset, duration, label``.
        label_map: maps a file's own labels (e.g. annotation codes) to emotion names.
        skip_bad: skip recordings that cannot be used (listed with the reason in the summary)
            instead of stopping with an error. System errors (I/O error, no space, no permission)
            are never skipped: they stop the build.
        n_jobs: recordings processed in parallel (processes).
        progress: show a progress bar.
        overwrite: rebuild even if the fingerprint matches.
        pseudonymize: replace the ``subject``, ``source`` and ``id`` columns' names (file and folder
            names, often a subject's name) by stable keyed pseudonyms (:mod:`.pseudonyms`).
        pseudonym_key: the key file (default ``<out parent>/<out name>.pseudonym-key.json``);
            reused if present, written (mode 0600) with the build otherwise. Never inside ``out_dir``.
        argument_names: how the caller names the arguments in error messages (the CLI's flags).

    Every argument is checked before the first recording is read, the test subjects as soon as
    the recordings are listed. An existing build is reused when its inputs (file names, sizes,
    modification times) and settings are the same and the recordings it skipped would be skipped
    again (they are tried again): what was skipped is part of the cache key. Nothing in the
    dataset or its ``summary.json`` holds an absolute local path.

    Returns:
        :class:`BuildResult`.

    Raises:
        FileNotFoundError: no input folder (or labels file).
        ValueError: a bad argument, unknown format/split, no recordings, a bad recording (unless
            ``skip_bad``), no segments, an empty split, or an output folder that is not a segments
            dataset.
        OSError: a system error (``SystemReadError``: I/O error, no space, no permission).
        In every error case the output folder is left as it was, and nothing new is written.
    """
    import datasets
    from datasets import Dataset, DatasetDict

    names = dict(argument_names or {})

    def n(name: str) -> str:
        return names.get(name, name)

    check_build_arguments(
        format=format,
        split=split,
        test_size=test_size,
        test_subjects=test_subjects,
        seed=seed,
        n_jobs=n_jobs,
        labels=labels,
        label_map=label_map,
        pseudonymize=pseudonymize,
        pseudonym_key=pseudonym_key,
        out_dir=out_dir,
        names=names,
    )
    config = config or PreprocessingConfig()
    input_dir = Path(input_dir)
    out = Path(out_dir).resolve()
    if not input_dir.is_dir():
        raise MissingInputError(f"{input_dir}: input folder not found")
    fmt = detect_format(input_dir) if format == "auto" else format
    if labels is not None and fmt != "files":
        raise InvalidInputError(f"{n('labels')} applies to format 'files' only (this input is {fmt!r})")
    _check_out(out)
    key_path = _resolve_key_path(out, pseudonym_key) if pseudonymize else None
    pseudonymizer = Pseudonymizer.load_or_new(key_path) if pseudonymize else None
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
        "pseudonymize": bool(pseudonymize),
        "pseudonym_key_id": pseudonymizer.key_id if pseudonymizer else None,
        "preprocessing": config.to_dict(),
    }
    hashed_settings = dict(settings)
    if pseudonymize and settings["test_subjects"]:  # real names: hashed, stored only as pseudonyms
        settings["test_subjects"] = sorted(pseudonymizer.subject(s) for s in settings["test_subjects"])
    exclude = [out] + ([key_path] if key_path is not None else [])  # never hash the output or the key
    fp = fingerprint(input_dir, hashed_settings, exclude=exclude)
    if labels is not None:
        st = Path(labels).stat()
        fp = hashlib.sha256((fp + json.dumps([st.st_size, st.st_mtime_ns])).encode()).hexdigest()[:32]

    existing = read_summary(out)
    reusable = (
        not overwrite
        and existing
        and existing.get("input_fingerprint") == fp
        and (out / "dataset_dict.json").is_file()
        and (not pseudonymize or key_path.is_file())
    )
    tasks = None
    if reusable:
        skipped_before = [s["source"] for s in existing.get("recordings", {}).get("skipped", [])]
        if skipped_before:  # reuse only if they would be skipped again: try them again
            tasks, source_info = discover(
                input_dir, fmt, cnt_format=cnt_format, labels=labels, label_map=label_map, exclude=exclude
            )
            _public_names(tasks, pseudonymizer)
            still = _still_skipped(tasks, skipped_before, config, out)
        else:
            still = []
        if existing.get("fingerprint") == _cache_key(fp, still):
            logger.info("%s: reusing the dataset built from the same inputs and settings", out)
            existing.setdefault("leakage", audit_segments(out))  # a build from before the audit existed
            return BuildResult(load_segments(out), existing, out, True)

    if tasks is None:
        tasks, source_info = discover(
            input_dir, fmt, cnt_format=cnt_format, labels=labels, label_map=label_map, exclude=exclude
        )
        _public_names(tasks, pseudonymizer)
    held_subjects = None
    if test_subjects:
        subjects = sorted({t.subject for t in tasks})
        wanted = [str(s).strip() for s in test_subjects]
        unknown = sorted(set(wanted) - set(subjects))
        if unknown:
            shown = ", ".join(subjects[:20]) + (", …" if len(subjects) > 20 else "")
            raise InvalidInputError(
                f"{n('test_subjects')}: {', '.join(unknown)} not among the recordings' subjects ({shown})"
            )
        if set(wanted) >= set(subjects):
            raise InvalidInputError(
                f"{n('test_subjects')}: holds out every subject ({', '.join(subjects)}); train would be empty"
            )
        held_subjects = [pseudonymizer.subject(s) for s in wanted] if pseudonymizer else wanted

    clean_leftovers(out)
    work = temporary_sibling(out)
    (work / "shards").mkdir(parents=True)
    progress_was_enabled = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        started = time.time()
        results = _run_tasks(tasks, config, work / "shards", skip_bad, n_jobs, progress)
        rows, shards, skipped, filled_by_recording, label_origins = [], [], [], {}, Counter()
        for task, res in zip(tasks, results):
            public_source = task.options["public"]["source"]
            if "skipped" in res:
                logger.warning("skipped %s: %s", task.source, res["skipped"])
                skipped.append(
                    {"source": public_source, "reason": _scrub(res["skipped"], task, input_dir, pseudonymize)}
                )
                continue
            for k, meta in enumerate(res["rows"]):
                rows.append(meta)
                shards.append((res["eeg"], res["mask"], k))
            if res["filled"]:
                filled_by_recording[public_source] = res["filled"]
            origin = str(res["labels"])
            if pseudonymize and origin not in ("annotations", settings["labels"]):
                origin = "sidecar labels file"  # its name is the recording's
            label_origins[_scrub(origin, task, input_dir, pseudonymize)] += 1
        if not rows:
            reasons = "; ".join(f"{s['reason']}" for s in skipped[:3])
            raise InvalidInputError(f"{input_dir}: no segments could be made from {len(tasks)} recording(s): {reasons}")
        ids = [r["id"] for r in rows]
        if len(set(ids)) != len(ids):
            dup = next(i for i, c in Counter(ids).items() if c > 1)
            raise InvalidInputError(
                f"{input_dir}: segment id {dup!r} occurs twice (two recordings with the same name?)"
            )
        is_test = assign_test(
            rows, split, test_size=test_size, test_subjects=held_subjects, seed=seed, clip_is_stimulus=fmt != "files"
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
                cache_dir=str(work / "cache"),
                writer_batch_size=64,
                split=name,
            )
            ds.info.description = _description(name, fmt, synthetic, len(idx), config, split, pseudonymize)
            splits[name] = ds
        dataset = DatasetDict(splits)
        final = work / "dataset"
        dataset.save_to_disk(str(final), max_shard_size="500MB")

        counts = {
            name: {e: int(sum(1 for i in np.flatnonzero(sel) if rows[i]["emotion"] == e)) for e in EMOTIONS}
            for name, sel in (("train", ~is_test), ("test", is_test))
        }
        filled_counts = Counter(ch for chans in filled_by_recording.values() for ch in chans)
        folder = "" if pseudonymize else f" ({input_dir.resolve().name})"
        summary = {
            "format": DATASET_FORMAT,
            "version": PIPELINE_VERSION,
            "fingerprint": _cache_key(fp, [s["source"] for s in skipped]),
            "input_fingerprint": fp,
            "synthetic": synthetic,
            "pseudonymized": bool(pseudonymize),
            "description": (SYNTHETIC_PREFIX if synthetic else "")
            + f"E2LLM segments dataset built from a {fmt} folder{folder}; see each split's info.description. "
            + (PSEUDONYMOUS_NOTE if pseudonymize else NAMED_NOTE),
            "input_format": fmt,
            "input_dir": None if pseudonymize else input_dir.resolve().name,
            "labels": dict(label_origins) if fmt == "files" else source_info.get("labels"),
            "settings": settings,
            "n_segments": {"train": int((~is_test).sum()), "test": int(is_test.sum())},
            "counts": counts,
            "subjects": {
                "train": sorted({rows[i]["subject"] for i in np.flatnonzero(~is_test)}),
                "test": sorted({rows[i]["subject"] for i in np.flatnonzero(is_test)}),
            },
            "recordings": {"found": len(tasks), "used": len(tasks) - len(skipped), "skipped": skipped},
            "leakage": leakage_audit(
                _columns([rows[i] for i in np.flatnonzero(~is_test)]),
                _columns([rows[i] for i in np.flatnonzero(is_test)]),
                split=split,
                settings=settings,
                clip_is_stimulus=fmt != "files",
            ),
            "channels_filled": {
                "by_channel": dict(sorted(filled_counts.items(), key=lambda kv: config.channels.index(kv[0]))),
                "by_recording": filled_by_recording,
            },
            "build_seconds": round(time.time() - started, 1),
        }
        if pseudonymize:
            summary["pseudonymization"] = {"method": METHOD, "key_id": pseudonymizer.key_id}
        (final / SUMMARY_FILE).write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
        if pseudonymizer is not None:
            pseudonymizer.save(key_path)  # before the dataset appears: its pseudonyms are always traceable
        replace_directory(final, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if progress_was_enabled:
            datasets.enable_progress_bars()
    return BuildResult(load_segments(out), summary, out, False)


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
    "check_build_arguments",
    "fingerprint",
    "format_summary",
    "segment_features",
]
