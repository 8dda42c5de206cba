"""Benchmark: batched IED generation (batch 16) against one prompt at a time, on the same samples.

A tiny E2LLM (the ``tiny`` preset, CPU) generates greedy answers to IED prompts built with the
task builders' own IED templates, through ``e2llm.evaluation.generate_responses`` (the evaluation
code path). The model is random, and synthetic EEG noise (labelled as such) stands in for
recordings: the point is speed and equality, not quality. Its weights are drawn with std 0.2 rather
than the usual 0.02: a tiny LM initialised at 0.02 just repeats its last prompt token, which would
make the equality check vacuous; at 0.2 the answers are varied and depend on the EEG.

Prints samples per second for both, whether the outputs are identical, and as its last line
``ratio: X`` (batched samples/s over one-at-a-time samples/s). Each mode runs ``--repeats`` times
and the best time counts (the machine may be shared). Target: X >= 4 with identical outputs.

    python bench/generate.py [--samples 48] [--batch-size 16] [--max-new-tokens 40]
"""

from __future__ import annotations

import argparse
import random
import sys
import time

import numpy as np
import torch


def tiny_model(seed: int = 0, std: float = 0.2):
    from e2llm.assembly import build_model
    from e2llm.configuration_e2llm import EMOTIONS
    from e2llm.tasks import templates
    from e2llm.tokenization import train_tokenizer

    corpus = [d for e in EMOTIONS for d in templates.DESCRIPTIONS[e]] + [f"Emotion: {e}" for e in EMOTIONS]
    corpus += list(templates.IED_QUESTIONS)
    tokenizer = train_tokenizer(corpus * 5, vocab_size=600)
    torch.manual_seed(seed)
    model, processor = build_model("tiny", tokenizer)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in model.parameters():
            if param.dim() >= 2:
                param.copy_(torch.randn(param.shape, generator=generator) * std)
    return model.eval(), processor


def ied_prompts(n: int, seed: int = 0) -> tuple[list, list]:
    """``n`` IED conversations (the builders' question templates) and one noise segment each
    (synthetic, ~20 µV standard deviation, in mV)."""
    from e2llm.tasks import templates

    questions = templates.IED_QUESTIONS
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    conversations, eeg = [], []
    for _ in range(n):
        before, after = rng.choice(questions).split("{e1}")
        parts = ([{"type": "text", "text": before}] if before else []) + [{"type": "eeg"}]
        parts += [{"type": "text", "text": after}] if after else []
        conversations.append([{"role": "user", "content": parts}])
        eeg.append([(noise.standard_normal((58, 1024)) * 0.02).astype(np.float32)])
    return conversations, eeg


def main(argv=None) -> int:
    from e2llm.evaluation import generate_responses

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=48)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)

    model, processor = tiny_model()
    conversations, eeg = ied_prompts(args.samples)
    generate_responses(model, processor, conversations[:2], eeg[:2], batch_size=2, max_new_tokens=4)  # warm-up

    def timed(batch_size):
        best, texts = float("inf"), None
        for _ in range(args.repeats):
            start = time.perf_counter()
            texts = generate_responses(
                model, processor, conversations, eeg, batch_size=batch_size, max_new_tokens=args.max_new_tokens
            )
            best = min(best, time.perf_counter() - start)
        return args.samples / best, texts

    batched_rate, batched = timed(args.batch_size)
    single_rate, single = timed(1)
    same = sum(a == b for a, b in zip(batched, single))
    lengths = [len(ids) for ids in processor.tokenizer(single, add_special_tokens=False)["input_ids"]]
    print(
        f"tiny E2LLM, CPU ({torch.get_num_threads()} threads), {args.samples} IED samples, greedy, max_new_tokens {args.max_new_tokens}"
    )
    print(f"answers: {len(set(single))} distinct, {np.mean(lengths):.1f} tokens on average (re-tokenized)")
    print(f"{'mode':<12} {'samples/s':>10}")
    print(f"{'batch ' + str(args.batch_size):<12} {batched_rate:>10.2f}")
    print(f"{'batch 1':<12} {single_rate:>10.2f}")
    print(f"identical outputs: {same}/{args.samples} ({'yes' if same == args.samples else 'NO'})")
    print(f"ratio: {batched_rate / single_rate:.2f}")
    return 0 if same == args.samples else 1


if __name__ == "__main__":
    sys.exit(main())
