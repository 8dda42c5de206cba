"""The ``e2llm`` command.

Each sub-command parses its arguments here and calls one library function; nothing is
implemented in this file. Errors on user input (``ValueError``, ``FileNotFoundError``, ``OSError``)
are printed as one line and give exit status 2.
"""

from __future__ import annotations

import argparse
import sys


def _add_convert_eegpt(sub):
    p = sub.add_parser("convert-eegpt", help="convert EEGPT's published Lightning checkpoint to a safetensors model")
    p.add_argument("checkpoint", help="path to eegpt_mcae_58chs_4s_large4E.ckpt")
    p.add_argument("out_dir")
    p.add_argument("--num-attention-heads", type=int, default=8, help="heads per block (not stored in the file; 8 for EEGPT large)")
    p.set_defaults(func=_run_convert_eegpt)


def _run_convert_eegpt(args):
    from .eegpt_checkpoint import convert_eegpt_checkpoint

    report = convert_eegpt_checkpoint(args.checkpoint, args.out_dir, num_attention_heads=args.num_attention_heads)
    print(report.summary())


# -- prepare (data pipeline) -------------------------------------------------------------------
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
    p.add_argument("--n-test-ied", type=int, default=None,
                   help="test_ied samples (default: one per test segment, as the paper)")
    p.set_defaults(func=_run_build_tasks)


def _run_build_tasks(args):
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
    synthetic = dd["train"].info.description.startswith("SYNTHETIC DATA")
    print(f"wrote {args.out} ({'chain-of-thought' if not args.no_cot else 'direct answers'}, seed {args.seed}"
          f"{', SYNTHETIC DATA' if synthetic else ''})")
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
# -- demo / describe / push --------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="e2llm", description="EEG-to-emotion language models")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, value in list(globals().items()):
        if name.startswith("_add_") and callable(value):
            value(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = args.func(args)
    except (ValueError, FileNotFoundError, OSError) as err:
        print(f"e2llm {args.command}: error: {err}", file=sys.stderr)
        return 2
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
