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
# -- train -------------------------------------------------------------------------------------
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
