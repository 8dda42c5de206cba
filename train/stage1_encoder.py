"""Stage 1: the EEG encoder with a classification head, trained with transformers' Trainer
(AdamW, weight decay 0.01, lr 1e-4, batch 64, one-cycle schedule, 50 epochs).

    accelerate launch train/stage1_encoder.py --config train/configs/e2llm-8b.yaml
    python train/stage1_encoder.py --segments_dir data/segments --eeg_checkpoint eegpt-converted --output_dir runs/x/stage1

Options: ``Stage1Arguments`` and ``transformers.TrainingArguments`` fields, from the config's
``run`` and ``stage1`` sections, overridden by flags.
"""

import sys

from e2llm.training.config import parse_stage_arguments
from e2llm.training.stages import end_distributed, train_encoder


def main(argv=None):
    script_args, training_args = parse_stage_arguments("stage1", argv)
    try:
        train_encoder(script_args, training_args)
    finally:
        end_distributed()


if __name__ == "__main__":
    main(sys.argv[1:])
