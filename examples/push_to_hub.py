"""Publish a trained model (weights, processor, code files and a generated model card).

    huggingface-cli login
    python examples/push_to_hub.py --model runs/e2llm-8b/stage3 --repo-id your-org/e2llm-8b --report runs/e2llm-8b/report

Use --dry-run to write the model card locally without uploading.
"""

import argparse
import json
from pathlib import Path

from e2llm.hub import check_model_dir, model_card, push_model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a save_pretrained directory with the processor")
    parser.add_argument("--repo-id", required=True)
    parser.add_argument("--report", help="an `e2llm evaluate` output directory (its metrics go in the card)")
    parser.add_argument("--private", action="store_true")
    parser.add_argument("--dry-run", action="store_true", help="print the model card, upload nothing")
    args = parser.parse_args(argv)

    metrics = json.loads((Path(args.report) / "metrics.json").read_text()) if args.report else None
    if args.dry_run:
        print(model_card(check_model_dir(args.model), metrics=metrics, repo_id=args.repo_id))
        return None
    url = push_model(args.model, args.repo_id, private=args.private, metrics=metrics)
    print(url)
    return url


if __name__ == "__main__":
    main()
