"""Quickstart: load an E2LLM model and describe a recording, window by window.

Each window gets the model's emotion and its confidence, or an abstention ("uncertain", "not
assessable"); what the model was trained on and the recording's facts are printed first.

    python examples/quickstart.py --model org/e2llm-8b --recording my_recording.edf
    python examples/quickstart.py --model demo-out/model --recording ../shared/data/real-eeg/EDF/test_edf_overlapping_annotations.edf

The recording may be EDF, BDF, BrainVision (.vhdr), EEGLAB (.set), FIF or Neuroscan CNT
(pass --cnt-format int16 or int32).
"""

import argparse

from transformers import AutoModel, AutoProcessor

import e2llm  # noqa: F401  (registers E2LLM with the Auto classes)
from e2llm.describe import describe_recording, format_timeline


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="Hub id or directory")
    parser.add_argument("--recording", required=True)
    parser.add_argument("--cnt-format", choices=("int16", "int32"))
    args = parser.parse_args(argv)

    model = AutoModel.from_pretrained(args.model).eval()
    processor = AutoProcessor.from_pretrained(args.model)
    timeline = describe_recording(args.recording, model, processor, cnt_format=args.cnt_format)
    print(format_timeline(timeline))
    return timeline


if __name__ == "__main__":
    main()
