"""Benchmark: stage-3 training step (projector + LoRA, frozen encoder with cached outputs) on the
tiny config, against the same LM trained text-only on the same tokens.

Both runs use the same model (PEFT-wrapped as in ``train_sft``), the same optimizer and the same
batches from ``E2LLMDataCollator``; the text-only batches are those batches with every EEG
token (``<eeg_start>``, ``<eeg_pad>``, ``<eeg_end>``) replaced by an ordinary token and no EEG
input, so both process exactly the same number of tokens. Runs alternate and the best of
``--repeats`` is kept. Prints tokens/s for both, peak memory, and last ``ratio: X`` (EEG-path time
over text-only time). Target: X ≤ 1.15.

    python bench/train.py [--steps 20] [--batch-size 16] [--repeats 3]

Data: a small SYNTHETIC SEED-VII-layout set, generated and prepared in a temporary folder.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import torch


def _prepare(tmp: Path, n_samples: int):
    from datasets import load_from_disk

    from e2llm.datasets_builder import SegmentLookup, build_segments, load_segments
    from e2llm.eeg import write_synthetic_seed_vii
    from e2llm.tasks import build_task_datasets

    write_synthetic_seed_vii(tmp / "raw", n_subjects=2, clip_seconds=10.0, seed=0)
    build_segments(tmp / "raw", tmp / "segments", format="seed-vii-preprocessed", progress=False)
    build_task_datasets(tmp / "segments", tmp / "tasks", n_train=n_samples, n_train_sft=n_samples // 2, n_multi=3, n_esr=1, n_test_ied=7)
    return load_from_disk(str(tmp / "tasks"))["train"], SegmentLookup(load_segments(tmp / "segments"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    from peft import LoraConfig, get_peft_model

    from e2llm.assembly import build_model
    from e2llm.tokenization import train_tokenizer
    from e2llm.training import E2LLMDataCollator, EncoderOutputCache, freeze_for_stage
    from e2llm.training.stages import LM_TARGET_MODULES

    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        rows, segments = _prepare(Path(tmp), args.steps * args.batch_size)
        rows = [rows[i] for i in range(len(rows))]
        texts = ["".join(p["text"] or "" for p in m["content"]) for r in rows for m in r["messages"]]
        model, processor = build_model("tiny", train_tokenizer(texts, vocab_size=1000))
        freeze_for_stage(model, "sft")
        cache = EncoderOutputCache(model.model.eeg_encoder, segments, [s for r in rows for s in r["segment_ids"]], progress=False)
        model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules=LM_TARGET_MODULES,
                                                 modules_to_save=["multi_modal_projector"], task_type="CAUSAL_LM"))  # fmt: skip
        model.train()
        collator = E2LLMDataCollator(processor, segments, encoder_cache=cache)
        eeg_batches = [collator(rows[i : i + args.batch_size]) for i in range(0, len(rows), args.batch_size)]
        eeg_ids = torch.tensor(sorted(processor.token_ids.values()))
        filler = processor.tokenizer.convert_tokens_to_ids("a") if "a" in processor.tokenizer.get_vocab() else 10
        text_batches = []
        for batch in eeg_batches:
            ids = batch["input_ids"].clone()
            ids[torch.isin(ids, eeg_ids)] = filler
            text_batches.append({"input_ids": ids, "attention_mask": batch["attention_mask"], "labels": batch["labels"]})
        tokens = sum(int(b["attention_mask"].sum()) for b in eeg_batches)
        optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3, weight_decay=0.0)

        def run(batches) -> float:
            start = time.perf_counter()
            for batch in batches:
                loss = model(**batch).loss
                loss.backward()
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            return time.perf_counter() - start

        run(eeg_batches[:2]), run(text_batches[:2])  # warm-up
        best = {"eeg": float("inf"), "text": float("inf")}
        peak = {}
        for _ in range(args.repeats):
            for name, batches in (("eeg", eeg_batches), ("text", text_batches)):
                best[name] = min(best[name], run(batches))
                peak[name] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"stage-3 step, tiny config, CPU ({torch.get_num_threads()} threads): {len(eeg_batches)} batches of {args.batch_size}, {tokens} tokens")
    print(f"{'path':<22}{'seconds':>10}{'tokens/s':>12}{'peak RSS (MiB)':>16}")
    print(f"{'EEG + text (cached)':<22}{best['eeg']:>10.2f}{tokens / best['eeg']:>12.0f}{peak['eeg']:>16.0f}")
    print(f"{'text only':<22}{best['text']:>10.2f}{tokens / best['text']:>12.0f}{peak['text']:>16.0f}")
    print("(peak RSS is the process's high-water mark, so the second row includes the first)")
    print(f"ratio: {best['eeg'] / best['text']:.3f}")


if __name__ == "__main__":
    main()
