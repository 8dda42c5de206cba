"""Stages 2 and 3: projector alignment (``--stage align``) and projector + LoRA instruction
tuning (``--stage sft``) with TRL's SFTTrainer.

    accelerate launch train/sft.py --config train/configs/e2llm-8b.yaml --stage align
    python train/sft.py --config train/configs/tiny.yaml --stage sft --learning_rate 1e-3

Options: ``E2LLMArguments`` and ``trl.SFTConfig`` fields, from the config's ``run`` and stage
sections, overridden by flags.
"""

import argparse
import sys

from e2llm.training.config import parse_stage_arguments
from e2llm.training.stages import end_distributed, train_sft


def main(argv=None):
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--stage", choices=("align", "sft"), default="sft")
    known, rest = pre.parse_known_args(argv)
    script_args, sft_config = parse_stage_arguments(known.stage, rest)
    script_args.stage = known.stage
    try:
        train_sft(script_args, sft_config)
    finally:
        end_distributed()


if __name__ == "__main__":
    main(sys.argv[1:])
