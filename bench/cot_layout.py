"""Benchmark: how fast the CPU stand-in LM learns ESS with the library's chain of thought, against
the layout it replaced, on the same samples and the same compute.

Both layouts describe the three segments first. The library's ESS reasoning
(``e2llm.tasks.builders``) then names the target once (``Looking for the least fearful: …``) and
gives one short line per segment, its emotion then its verdict (``Segment (a): fear. It shows
fear.`` / ``Segment (c): sadness. It does not show fear, so (c) is the one.``): every step reads
only the lines just before it. The baseline rewrites the same samples into an earlier layout, one
list of verdicts after the segment lines (``Which show fear? (a) yes, (b) yes, (c) no.`` then
``Only segment (c) does not show fear.``), where each verdict must first find its segment's
emotion further up.

For each layout a fresh stand-in LM (the demo's ``small`` preset, one tokenizer trained on both
layouts' texts) is pre-trained text-only on ``--n`` ESS samples (one pass, batch 8, each EEG span
filled with its true emotion word and the loss on the answers, as in ``make_standin_lm``), then
answers ``--n-test`` held-out ESS questions greedily. Prints each layout's accuracy and seconds,
then ``ratio: X`` (library layout accuracy over baseline accuracy). Everything here is SYNTHETIC
(labels drawn by the builders). Measured on a 2-core CPU: see the README.

    python bench/cot_layout.py [--n 7000] [--n-test 60]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from transformers import AutoModelForCausalLM, AutoTokenizer

sys.path.insert(0, str(Path(__file__).parent))
from standin_reasoning import generate, label_pool  # noqa: E402

from e2llm.configuration_e2llm import PRESETS, E2LLMEEGConfig  # noqa: E402
from e2llm.processing_e2llm import CHAT_TEMPLATE  # noqa: E402
from e2llm.tasks import message_text, parse_answer, prompt_messages  # noqa: E402
from e2llm.tasks.builders import build_ess  # noqa: E402
from e2llm.tasks.templates import EMOTION_NOUNS  # noqa: E402
from e2llm.tokenization import train_tokenizer  # noqa: E402
from e2llm.training.language_model import chat_corpus, pretrain_text_model  # noqa: E402


def yes_no_layout(sample: dict) -> list[dict]:
    """The sample's conversation with its reasoning rewritten into the previous ESS layout."""
    user, assistant = sample["messages"]
    lines = message_text(assistant).split("\n")
    segments, looking = lines[:3], lines[3]
    least = "does not show" in looking
    target = sample["emotions"]["abc".index(sample["answer"])]
    if least:
        target = next(e for e in sample["emotions"] if e != target)
    noun = EMOTION_NOUNS[target]
    verdicts = ", ".join(f"({o}) {'yes' if e == target else 'no'}" for o, e in zip("abc", sample["emotions"]))
    only = f"Only segment ({sample['answer']}) {'does not show' if least else 'shows'} {noun}."
    text = "\n".join([*segments, f"Which show {noun}? {verdicts}.", only, lines[-1]])
    return [user, {"role": "assistant", "content": [{"type": "text", "text": text, "segment_id": None}]}]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=7000, help="training samples (one pass)")
    p.add_argument("--n-test", type=int, default=60)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    train = build_ess(label_pool("train", max(600, args.n)), args.n, seed=args.seed)
    test = build_ess(label_pool("test", 200), args.n_test, seed=args.seed)
    layouts = {"verdict line per segment (library)": [list(s["messages"]) for s in train],
               "yes/no list (baseline)": [yes_no_layout(s) for s in train]}  # fmt: skip
    tokenizer = train_tokenizer([message_text(m) for c in layouts.values() for conv in c for m in conv], vocab_size=1200)
    span = E2LLMEEGConfig(**PRESETS["small"]["eeg"]).num_time_patches
    emotions = [s["emotions"] for s in train]
    render = lambda conv, **kw: tokenizer.apply_chat_template(conv, chat_template=CHAT_TEMPLATE, tokenize=False, **kw)  # noqa: E731
    prompts = chat_corpus([prompt_messages(s) for s in test], lambda c: render(c, add_generation_prompt=True),
                          [s["emotions"] for s in test], span)  # fmt: skip

    accuracy = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, conversations) in enumerate(layouts.items()):
            started = time.time()
            out = pretrain_text_model(chat_corpus(conversations, render, emotions, span), tokenizer, Path(tmp) / str(i),
                                      preset="small", batch_size=8, assistant_only_loss=True, seed=args.seed)  # fmt: skip
            seconds = time.time() - started
            model = AutoModelForCausalLM.from_pretrained(out).eval()
            replies = generate(model, AutoTokenizer.from_pretrained(out), prompts)
            accuracy[name] = sum(parse_answer("ess", r) == s["answer"] for r, s in zip(replies, test)) / len(test)
            print(f"{name:32} accuracy {100 * accuracy[name]:5.1f} %  ({seconds:.0f} s of training)", flush=True)
    library, baseline = accuracy.values()
    print(f"ratio: {library / max(baseline, 1e-9):.2f}")


if __name__ == "__main__":
    main()
