"""Probe: how far the CPU stand-in LM gets with the multi-segment tasks' reasoning, text only.

``e2llm demo`` replaces Qwen3 by a small Qwen3-architecture LM pre-trained for a few minutes
(``e2llm.training.language_model.make_standin_lm``). This probe trains that LM the same way, on
task samples built from emotion labels alone (no EEG: every span is filled with its true emotion
word, as in the pre-training corpus), and asks it the held-out EPC, ESS, EIM and ESR questions
the same way. The segment lines are then (almost) free, so what is measured is the reasoning after
them: the ceiling of what stages 2 and 3 can reach with this LM.

Prints, per task: accuracy, invalid answers and the random baseline; for ESS, how often each step
of the chain of thought agrees with what the lines before it state (the target named in the
"Looking for" line, each segment's verdict given its emotion and that target, the one segment
marked "is the one" given the verdicts and the question's polarity, the answer given the mark).

Training data: ``--n-train`` samples split evenly over IED, EPC, ESS, EIM (as the demo's
``train`` split; default 2400), ``--epochs`` passes over them in batches of ``--batch-size``
(defaults 6 and 8, the demo's), or with ``--unique`` as many distinct samples in one pass (same
compute). Test data: ``--n-test`` samples
per task from a separate label pool. Everything here is SYNTHETIC (labels drawn by the builders).
Run: ``python bench/standin_reasoning.py --out /tmp/probe [--epochs 6] [--batch-size 8] [--unique] [--n-test 40]``.
"""

from __future__ import annotations

import argparse
import re
import time
from collections import Counter
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from e2llm.configuration_e2llm import EMOTIONS, PRESETS, E2LLMEEGConfig
from e2llm.evaluation import random_baseline
from e2llm.processing_e2llm import CHAT_TEMPLATE
from e2llm.tasks import build_task_samples, esr_turns, message_text, parse_answer, prompt_messages
from e2llm.tasks.builders import SegmentIndex
from e2llm.tasks.parsing import parse_emotion
from e2llm.training.language_model import chat_corpus, make_standin_lm

LOOKING = re.compile(r"Looking for .+?: the segment that (shows|does not show) (.+?)\.\n")
VERDICT = re.compile(r"^Segment \(([abc])\): (.+?)\. It (shows|does not show) (.+?)(?:, so \(([abc])\) is the one)?\.$", re.M)
ANSWER = re.compile(r"Answer: \(([abc])\)")


def label_pool(name: str, per_emotion: int) -> SegmentIndex:
    """A segments index of labels only (ids ``<name>-<emotion>-<k>``)."""
    return SegmentIndex([f"{name}-{e}-{k}" for e in EMOTIONS for k in range(per_emotion)],
                        [e for e in EMOTIONS for _ in range(per_emotion)], name=name)  # fmt: skip


def generate(model, tokenizer, prompts: list[str], max_new_tokens: int = 300, batch_size: int = 20) -> list[str]:
    """Greedy continuations of rendered prompts (left-padded batches)."""
    out = []
    for i in range(0, len(prompts), batch_size):
        enc = tokenizer(prompts[i : i + batch_size], return_tensors="pt", padding=True)
        with torch.no_grad():
            ids = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False)
        out += tokenizer.batch_decode(ids[:, enc.input_ids.shape[1] :], skip_special_tokens=True)
    return out


def ess_steps(rows: list[dict], generations: list[str]) -> Counter:
    """Per ESS sample, whether each step agrees with the lines before it (counts of agreements)."""
    steps = Counter()
    for row, text in zip(rows, generations, strict=True):
        looking, verdicts, answer = LOOKING.search(text), VERDICT.findall(text), ANSWER.search(text)
        if not looking or len(verdicts) != 3:
            continue
        steps["samples"] += 1
        target = parse_emotion(looking.group(2))
        k = "abc".index(row["answer"])
        others = [e for i, e in enumerate(row["emotions"]) if i != k]
        asked_least = "least" in message_text(row["messages"][0])  # the question, not the model's reading of it
        steps["target"] += target == (others[0] if asked_least else row["emotions"][k])
        least = looking.group(1) == "does not show"
        shows = [v[2] == "shows" for v in verdicts]
        steps["verdicts"] += shows == [parse_emotion(v[1]) == target for v in verdicts]
        marked = [v[0] for v in verdicts if v[4]]
        steps["marked one"] += len(marked) == 1 and [s != least for s in shows].count(True) == 1 \
            and shows["abc".index(marked[0])] != least
        steps["answer line"] += bool(answer) and marked == [answer.group(1)]
    return steps


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="directory for the LM (reused if complete)")
    p.add_argument("--preset", default="small", choices=["small", "tiny"])
    p.add_argument("--n-train", type=int, default=2400)
    p.add_argument("--epochs", type=float, default=6.0)
    p.add_argument("--unique", action="store_true", help="n_train × epochs distinct samples, one pass")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--vocab-size", type=int, default=1200)
    p.add_argument("--n-test", type=int, default=40, help="test samples per task")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    passes = 1 if args.unique else args.epochs
    n_train = round(args.n_train * args.epochs) if args.unique else args.n_train
    pool = max(600, n_train)  # enough labels that segments rarely repeat
    samples = build_task_samples(label_pool("train", pool), label_pool("test", 200), seed=args.seed, n_train=n_train,
                                 n_train_sft=1, n_multi=3 * args.n_test, n_esr=args.n_test)  # fmt: skip
    started = time.time()
    lm_dir = Path(args.out) / "text-model"
    make_standin_lm(samples["train"], lm_dir, preset=args.preset, vocab_size=args.vocab_size, num_train_epochs=passes,
                    learning_rate=args.lr, batch_size=args.batch_size, seed=args.seed)  # fmt: skip
    print(f"stand-in LM: {n_train} samples × {passes:g} pass(es), {time.time() - started:.0f} s → {lm_dir}")

    tokenizer = AutoTokenizer.from_pretrained(lm_dir)
    model = AutoModelForCausalLM.from_pretrained(lm_dir).eval()
    span = E2LLMEEGConfig(**PRESETS[args.preset]["eeg"]).num_time_patches
    render = lambda conv: tokenizer.apply_chat_template(conv, chat_template=CHAT_TEMPLATE, tokenize=False,  # noqa: E731
                                                        add_generation_prompt=True)  # fmt: skip

    def ask(conversations, rows):
        return generate(model, tokenizer, chat_corpus(conversations, render, [r["emotions"] for r in rows], span))

    print(f"{'task':5} {'accuracy':>9} {'invalid':>8} {'random':>7}")
    for task in ("epc", "ess", "eim", "esr"):
        if task == "esr":
            rows = samples["test_esr"]
            first = [esr_turns(r)[0] for r in rows]
            replies = ask(first, rows)
            second = [t1 + [{"role": "assistant", "content": [{"type": "text", "text": x, "segment_id": None}]}, esr_turns(r)[1]]
                      for t1, x, r in zip(first, replies, rows)]  # fmt: skip
            generations = ask(second, rows)
        else:
            rows = [r for r in samples["test_multi"] if r["task"] == task]
            generations = ask([prompt_messages(r) for r in rows], rows)
        parsed = [parse_answer(task, g) for g in generations]
        accuracy = 100 * sum(a == r["answer"] for a, r in zip(parsed, rows)) / len(rows)
        print(f"{task:5} {accuracy:8.1f}% {sum(a == 'invalid' for a in parsed):5d}/{len(rows):<3d}{100 * random_baseline(task)['accuracy']:6.1f}%")
        if task == "ess":
            steps = ess_steps(rows, generations)
            n = steps.pop("samples", 0)
            print("      ESS steps that agree with the lines before them: "
                  + ", ".join(f"{k} {v}/{n}" for k, v in steps.items()))  # fmt: skip


if __name__ == "__main__":
    main()
