"""The tiny preset's language model: a small Qwen3-architecture LM given its language by a
short text-only pre-training on the instruction corpus.

It stands in for a pretrained Qwen3 on machines without one (tests, the CPU demo); the real
presets (``e2llm-4b``/``-8b``/``-14b``) load Qwen3 from the Hub instead. Trained with
transformers' ``Trainer``, on every token (``DataCollatorForLanguageModeling``) or, as the demo
does, on the assistant turns only (:func:`assistant_labels`, padded by ``DataCollatorForSeq2Seq``).
"""

from __future__ import annotations

from pathlib import Path

from datasets import Dataset
from transformers import (
    AutoConfig,
    AutoModelForCausalLM,
    DataCollatorForLanguageModeling,
    DataCollatorForSeq2Seq,
    Trainer,
    TrainingArguments,
)

from ..configuration_e2llm import EEG_END_TOKEN, EEG_START_TOKEN, EEG_TOKEN, EMOTIONS, PRESETS
from .collators import END_OF_TURN
from .stages import _write_marker, artifact_exists


def chat_corpus(conversations, chat_template_renderer, emotions=None, span_tokens: int = 16) -> list[str]:
    """Render conversations as text for the stand-in LM's pre-training.

    Without ``emotions`` each EEG marker becomes an empty ``<eeg_start><eeg_end>``. With
    ``emotions`` (one list per conversation, the emotion of each ``<eeg>`` in order) each span is
    filled with its emotion's name, ``span_tokens`` times: ``<eeg_start>sad sad … sad<eeg_end>``.
    The LM then learns to read what a span holds and carry it into the answer ("Segment (b): …"
    describes the span after "b)"), the in-context reading a pretrained Qwen3 brings; stage 2 then
    trains the projector to make the EEG say what the word said. Only training-split labels are
    used, and the EEG itself never reaches this LM.
    """
    texts = []
    for i, conversation in enumerate(conversations):
        parts = chat_template_renderer(list(conversation)).split(EEG_TOKEN)
        if emotions is None:
            spans = [EEG_START_TOKEN + EEG_END_TOKEN] * (len(parts) - 1)
        else:
            if len(emotions[i]) != len(parts) - 1:
                raise ValueError(f"conversation {i}: {len(parts) - 1} <eeg> markers but {len(emotions[i])} emotions")
            spans = [EEG_START_TOKEN + " ".join([e] * span_tokens) + EEG_END_TOKEN for e in emotions[i]]
        texts.append(parts[0] + "".join(span + part for span, part in zip(spans, parts[1:])))
    return texts


ASSISTANT_START = "<|im_start|>assistant\n"  # how CHAT_TEMPLATE opens an assistant turn


def assistant_labels(text: str, input_ids: list[int], offsets: list[tuple[int, int]]) -> list[int]:
    """Labels for a rendered ChatML ``text``: the token ids of every assistant turn's content and
    its closing ``<|im_end|>``, ``-100`` elsewhere (system and user turns, EEG spans, role headers).

    ``offsets`` are the tokens' character spans (a fast tokenizer's ``offset_mapping``). With the
    loss on the answers alone the small LM spends its few minutes on the reasoning rather than on
    predicting the questions' scenario texts (a scratch drill, EIM alone, text only, 120 s of
    training: 47 % of matchings and 97 % of situation emotions right, against 28–38 % and 84 %
    with the loss on every token).
    """
    spans, start = [], text.find(ASSISTANT_START)
    while start >= 0:
        begin = start + len(ASSISTANT_START)
        end = text.find(END_OF_TURN, begin)
        end = len(text) if end < 0 else end + len(END_OF_TURN)
        spans.append((begin, end))
        start = text.find(ASSISTANT_START, end)
    return [i if any(b <= s0 < e for b, e in spans) and s1 > s0 else -100 for i, (s0, s1) in zip(input_ids, offsets)]


# Phrasings of the general dialogues below; deliberately unlike the ESR questions of e2llm.tasks.
_DIALOGUE_T1_PEOPLE = (
    "Three people: a) {a}, b) {b}, c) {c}. How does each of them feel?",
    "How do these people feel? a) {a}; b) {b}; c) {c}.",
    "a) {a}. b) {b}. c) {c}. Say what each person feels.",
    "Think about three people, a) {a}, b) {b} and c) {c}. What is each one feeling?",
)
_DIALOGUE_T1_RECORDINGS = (
    "Three recordings: a) {a}, b) {b}, c) {c}. What does each one show?",
    "What feeling does each of these show? a) {a}; b) {b}; c) {c}.",
    "Recordings a) {a}, b) {b} and c) {c}: tell me the feeling in each.",
)
_DIALOGUE_T2 = (
    "And someone in this situation: {s}. Which of the three (a, b or c) feels most alike? Explain.",
    "Think of {s}. Whose feeling (a, b or c) is closest to that? Say why.",
    "Picture {s}. Which one, a, b or c, would fit that person? Tell me why.",
    "Now imagine {s}. Pick a, b or c for that feeling, with a reason.",
    "What about {s}? Which of a, b and c matches it, and why?",
    "Suppose it is {s}. Who of the three feels the same way: a, b or c? Give a reason.",
)


def situation_dialogues(n: int, seed: int = 0) -> list[dict]:
    """Two-turn dialogues for the stand-in LM's pre-training, as ``{"messages", "emotions"}``.

    They give the small LM a little of the general ability a pretrained Qwen3 brings to
    zero-shot scenario reasoning: answering a second turn about the first, reading the emotion a
    situation suggests, and picking the option whose feeling matches. The first turn lists three
    people by a situation (text) or, in half of them, three recordings (``<eeg>`` markers, whose
    ``emotions`` :func:`chat_corpus` writes into the spans). Built only from the training side's EIM
    situation bank and emotion descriptions (``e2llm.tasks.templates``) with phrasings of their
    own — never from the ESR bank or the ESR questions, which stay unseen.
    """
    import random

    from ..tasks.builders import check_lines, segment_lines
    from ..tasks.templates import EIM_SCENARIOS, EMOTION_NOUNS

    rng = random.Random(f"e2llm-dialogues:{seed}")
    dialogues = []
    for i in range(n):
        emotions = rng.sample(EMOTIONS, 3)
        k = rng.randrange(3)
        recordings = i % 2 == 1
        if recordings:
            t1 = rng.choice(_DIALOGUE_T1_RECORDINGS).format(a=EEG_TOKEN, b=EEG_TOKEN, c=EEG_TOKEN)
            probe = rng.choice(EIM_SCENARIOS[emotions[k]])
        else:
            people = [rng.choice(EIM_SCENARIOS[e]) for e in emotions]
            t1 = rng.choice(_DIALOGUE_T1_PEOPLE).format(a=people[0], b=people[1], c=people[2])
            probe = rng.choice([s for s in EIM_SCENARIOS[emotions[k]] if s != people[k]])
        a1 = "\n".join(segment_lines(rng, emotions, cot=True))
        a2 = "\n".join([f"Looking for the feeling of that situation: it suggests {EMOTION_NOUNS[emotions[k]]}.",
                        *check_lines(emotions, emotions[k], "abc"[k]), f"Answer: ({'abc'[k]})"])  # fmt: skip
        messages = [
            {"role": "user", "content": t1}, {"role": "assistant", "content": a1},
            {"role": "user", "content": rng.choice(_DIALOGUE_T2).format(s=probe)}, {"role": "assistant", "content": a2},
        ]  # fmt: skip
        dialogues.append({"messages": messages, "emotions": emotions if recordings else []})
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
    assistant_only_loss: bool = False,
    seed: int = 0,
) -> str:
    """Train a fresh LM of the preset's text size on ``texts``; saves model and tokenizer to
    ``out_dir`` (skipped if already complete) and returns it. ``assistant_only_loss`` puts the
    loss on the assistant turns of the rendered chats only (:func:`assistant_labels`)."""
    out_dir = Path(out_dir)
    if artifact_exists(out_dir):
        return str(out_dir)
    text_kwargs = dict(PRESETS[preset]["text"])
    config = AutoConfig.for_model(text_kwargs.pop("model_type"), vocab_size=len(tokenizer), **text_kwargs)
    config.pad_token_id = tokenizer.pad_token_id
    config.eos_token_id = tokenizer.eos_token_id
    model = AutoModelForCausalLM.from_config(config)

    def tokenize(batch):
        encoded = tokenizer(batch["text"], truncation=True, max_length=max_length, return_offsets_mapping=assistant_only_loss)
        if assistant_only_loss:
            offsets = encoded.pop("offset_mapping")
            encoded["labels"] = [assistant_labels(*row) for row in zip(batch["text"], encoded["input_ids"], offsets)]
        return encoded

    dataset = Dataset.from_dict({"text": texts}).map(tokenize, batched=True, remove_columns=["text"])
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
    # with labels given, DataCollatorForSeq2Seq pads them with -100; otherwise every token is a label
    collator = DataCollatorForSeq2Seq(tokenizer) if assistant_only_loss else DataCollatorForLanguageModeling(tokenizer, mlm=False)
    trainer = Trainer(model=model, args=args, train_dataset=dataset, data_collator=collator)
    trainer.train()
    tokenizer.padding_side = "left"
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    _write_marker(out_dir, "text-model", loss=trainer.state.log_history[-1])
    return str(out_dir)


def make_standin_lm(
    samples,
    out_dir: str | Path,
    *,
    preset: str = "small",
    vocab_size: int = 1200,
    num_train_epochs: float = 1.0,
    learning_rate: float = 3e-3,
    batch_size: int = 8,
    seed: int = 0,
) -> str:
    """The stand-in LM as ``e2llm demo`` makes it: a tokenizer trained on ``samples`` (task rows
    with ``messages`` and ``emotions``), then :func:`pretrain_text_model` on their rendered
    conversations plus ``len(samples) // 4`` :func:`situation_dialogues`, every EEG span filled
    with its emotion word as many times as the preset's encoder gives tokens per segment, the loss
    on the assistant turns.
    Skipped if ``out_dir`` is already complete; returns it."""
    from ..configuration_e2llm import E2LLMEEGConfig
    from ..processing_e2llm import CHAT_TEMPLATE
    from ..tasks import message_text
    from ..tokenization import train_tokenizer

    out_dir = Path(out_dir)
    if artifact_exists(out_dir):
        return str(out_dir)
    conversations = [list(s["messages"]) for s in samples]
    tokenizer = train_tokenizer([message_text(m) for c in conversations for m in c], vocab_size=vocab_size)
    dialogues = situation_dialogues(len(conversations) // 4, seed)
    span_tokens = E2LLMEEGConfig(**PRESETS[preset]["eeg"]).num_time_patches  # EEG embeddings per segment
    corpus = chat_corpus(
        conversations + [d["messages"] for d in dialogues],
        lambda conv: tokenizer.apply_chat_template(conv, chat_template=CHAT_TEMPLATE, tokenize=False),
        [list(s["emotions"]) for s in samples] + [d["emotions"] for d in dialogues],
        span_tokens,
    )
    return pretrain_text_model(corpus, tokenizer, out_dir, preset=preset, num_train_epochs=num_train_epochs,
                               learning_rate=learning_rate, batch_size=batch_size, assistant_only_loss=True,
                               seed=seed)  # fmt: skip
