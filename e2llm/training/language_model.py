"""The tiny preset's language model: a small Qwen3-architecture LM given its language by a
short text-only pre-training on the instruction corpus.

It stands in for a pretrained Qwen3 on machines without one (tests, the CPU demo); the real
presets (``e2llm-4b``/``-8b``/``-14b``) load Qwen3 from the Hub instead. Trained with
transformers' ``Trainer`` and ``DataCollatorForLanguageModeling``.
"""

from __future__ import annotations

from pathlib import Path

from datasets import Dataset
from transformers import AutoConfig, AutoModelForCausalLM, DataCollatorForLanguageModeling, Trainer, TrainingArguments

from ..configuration_e2llm import EEG_END_TOKEN, EEG_START_TOKEN, EEG_TOKEN, EMOTIONS, PRESETS
from .stages import _write_marker, artifact_exists


def chat_corpus(conversations, chat_template_renderer) -> list[str]:
    """Render conversations as text; each EEG marker becomes ``<eeg_start><eeg_end>`` (no
    placeholders: the text model never sees EEG)."""
    return [chat_template_renderer(list(c)).replace(EEG_TOKEN, EEG_START_TOKEN + EEG_END_TOKEN) for c in conversations]


# Phrasings of the general dialogues below; deliberately unlike the ESR questions of e2llm.tasks.
_DIALOGUE_T1 = (
    "Three people: a) {a}, b) {b}, c) {c}. Describe how each of them feels.",
    "How do these people feel? a) {a}; b) {b}; c) {c}.",
)
_DIALOGUE_T2 = (
    "And someone in this situation: {s}. Which of the three (a, b or c) feels most alike? Explain.",
    "Think of {s}. Whose feeling (a, b or c) is closest to that? Say why.",
)


def situation_dialogues(n: int, seed: int = 0) -> list[list[dict]]:
    """Text-only two-turn dialogues for the stand-in LM's pre-training.

    They give the tiny LM a little of what a pretrained Qwen3 brings to zero-shot scenario
    reasoning: following a second turn, reading the emotion a situation suggests, and picking the
    option whose described feeling matches. Built only from the training side's EIM situation bank
    and emotion descriptions (``e2llm.tasks.templates``) — never from the ESR bank, whose
    scenarios stay unseen.
    """
    import random

    from ..tasks.templates import DESCRIPTIONS, EIM_SCENARIOS, EMOTION_NOUNS

    rng = random.Random(f"e2llm-dialogues:{seed}")
    dialogues = []
    for _ in range(n):
        emotions = rng.sample(EMOTIONS, 3)
        k = rng.randrange(3)
        people = [rng.choice(EIM_SCENARIOS[e]) for e in emotions]
        probe = rng.choice([s for s in EIM_SCENARIOS[emotions[k]] if s != people[k]])
        t1 = rng.choice(_DIALOGUE_T1).format(a=people[0], b=people[1], c=people[2])
        a1 = "\n".join(f"Segment ({o}): {rng.choice(DESCRIPTIONS[e])}" for o, e in zip("abc", emotions))
        noun = EMOTION_NOUNS[emotions[k]]
        a2 = f"That situation suggests {noun}. Segment ({'abc'[k]}) shows {noun}.\nAnswer: ({'abc'[k]})"
        dialogues.append([
            {"role": "user", "content": t1}, {"role": "assistant", "content": a1},
            {"role": "user", "content": rng.choice(_DIALOGUE_T2).format(s=probe)}, {"role": "assistant", "content": a2},
        ])  # fmt: skip
    return dialogues


def pretrain_text_model(
    texts: list[str],
    tokenizer,
    out_dir: str | Path,
    *,
    preset: str = "tiny",
    num_train_epochs: float = 1.0,
    learning_rate: float = 3e-3,
    batch_size: int = 32,
    max_length: int = 384,
    seed: int = 0,
) -> str:
    """Train a fresh LM of the preset's text size on ``texts``; saves model and tokenizer to
    ``out_dir`` (skipped if already complete) and returns it."""
    out_dir = Path(out_dir)
    if artifact_exists(out_dir):
        return str(out_dir)
    text_kwargs = dict(PRESETS[preset]["text"])
    config = AutoConfig.for_model(text_kwargs.pop("model_type"), vocab_size=len(tokenizer), **text_kwargs)
    config.pad_token_id = tokenizer.pad_token_id
    config.eos_token_id = tokenizer.eos_token_id
    model = AutoModelForCausalLM.from_config(config)
    dataset = Dataset.from_dict({"text": texts}).map(
        lambda batch: tokenizer(batch["text"], truncation=True, max_length=max_length),
        batched=True,
        remove_columns=["text"],
    )
    tokenizer.padding_side = "right"
    args = TrainingArguments(
        output_dir=str(out_dir),
        num_train_epochs=num_train_epochs,
        per_device_train_batch_size=batch_size,
        learning_rate=learning_rate,
        lr_scheduler_type="cosine",
        warmup_steps=20,
        weight_decay=0.0,
        logging_steps=25,
        save_strategy="no",
        report_to="none",
        seed=seed,
        train_sampling_strategy="group_by_length",  # batches of similar lengths: less padding
        disable_tqdm=False,
    )
    trainer = Trainer(model=model, args=args, train_dataset=dataset, data_collator=DataCollatorForLanguageModeling(tokenizer, mlm=False))
    trainer.train()
    tokenizer.padding_side = "left"
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    _write_marker(out_dir, "text-model", loss=trainer.state.log_history[-1])
    return str(out_dir)
