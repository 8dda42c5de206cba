"""Reading stored task samples: the prompt, the reference answer, the text of a message, the
segments it refers to, ESR's two turns. Training and evaluation use these; they need none of
the builders (see :mod:`e2llm.tasks.builders` for the sample format)."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import InvalidInputError


def prompt_messages(sample: dict) -> list[dict]:
    """The prompt of a sample: its messages without the last (the reference answer)."""
    return list(sample["messages"][:-1])


def reference_answer(sample: dict) -> str:
    """The text of the last message (the assistant's reference answer)."""
    return message_text(sample["messages"][-1])


def esr_turns(sample: dict) -> tuple[list[dict], dict]:
    """The two questions of an ESR sample for an honest two-turn evaluation: ``(t1_prompt,
    t2_user)``. Generate the T1 answer from ``t1_prompt``, then ask ``t1_prompt + [model's T1
    answer as an assistant message, t2_user]`` (the stored assistant T1 turn is a reference that
    names the emotions, so it must not be fed back)."""
    if sample["task"] != "esr" or len(sample["messages"]) != 4:
        raise InvalidInputError(f"sample {sample.get('id', '?')} is not a two-turn ESR sample")
    return [sample["messages"][0]], sample["messages"][2]


def segment_ids_of(messages: Sequence[dict]) -> list[str]:
    """The ``segment_id`` of every EEG part of stored ``messages``, in order of appearance."""
    ids = []
    for message in messages:
        if isinstance(message["content"], str):
            continue
        for part in message["content"]:
            if part.get("type") == "eeg":
                if part.get("segment_id") is None:
                    raise InvalidInputError("an EEG content part has no segment_id")
                ids.append(part["segment_id"])
    return ids


def message_text(message: dict) -> str:
    """The text of one message: a string content as it is, or its text parts joined (EEG parts
    left out)."""
    content = message["content"]
    if isinstance(content, str):
        return content
    return "".join(part.get("text") or "" for part in content if part.get("type") == "text")
