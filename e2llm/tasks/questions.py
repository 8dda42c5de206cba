"""One question about chosen EEG windows, in the words the model was trained and tested on.

``e2llm describe`` asks IED's question about every window; the browser app (:mod:`e2llm.app`) lets a
user ask any of the five tasks' questions, or one of their own, about one to three windows. Both
build the question here: the first template of each task's bank (:mod:`.templates`), split at
``{e1}``..``{e3}`` by the builders' own :func:`~.builders.user_turn`, in the chat format the
processor renders (``{"type": "eeg"}`` where a window goes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..configuration_e2llm import EMOTIONS
from ..errors import InvalidInputError
from . import templates
from .builders import esr_scenarios, scenario_listing, user_turn
from .messages import segment_ids_of
from .rules import OPTIONS, TASKS

OWN = "own"  # a question of the user's own, about one to three windows
TASK_WINDOWS: dict[str, int] = {"ied": 1, "epc": 2, "ess": 3, "eim": 3, "esr": 3}
TASK_NAMES: dict[str, str] = {
    "ied": "IED: describe the emotion (1 window)",
    "epc": "EPC: is the first happier than the second? (2 windows)",
    "ess": "ESS: which of three is the most / least ...? (3 windows)",
    "eim": "EIM: match three windows to three people (3 windows)",
    "esr": "ESR: describe three windows, then pick one for a scenario (3 windows)",
    OWN: "your own question (1 to 3 windows)",
}
# EIM's and ESR's situations when the user gives none: the banks' first of three emotions' (EIM)
# and the bank's first scenario (ESR).
DEFAULT_EIM_EMOTIONS: tuple[str, str, str] = ("happy", "sad", "fear")


def default_eim_scenarios() -> list[str]:
    return [templates.EIM_SCENARIOS[e][0] for e in DEFAULT_EIM_EMOTIONS]


def default_esr_scenario() -> str:
    return esr_scenarios()[0][1]


@dataclass(frozen=True)
class Question:
    """A task's question as chat user turns: one, or two for ESR (the second is asked after the
    model's answer to the first, as ``e2llm evaluate`` does)."""

    task: str  # one of TASKS, or OWN
    turns: tuple[dict, ...]
    n_windows: int
    order: tuple[int, ...]  # the window (from 0) of each EEG part, in order of appearance

    def in_order(self, items: Sequence) -> list:
        """``items`` given per window (window 1 first), in the order the EEG parts ask for them."""
        return [items[k] for k in self.order]

    def shown(self, names: Sequence[str] = ()) -> str:
        """The question as text, each window written ``[name]`` (default: ``window k``)."""
        names = list(names) or [f"window {k}" for k in range(1, self.n_windows + 1)]
        texts, windows = [], iter(self.order)
        for turn in self.turns:
            text = ""
            for part in turn["content"]:
                text += f"[{names[next(windows)]}]" if part["type"] == "eeg" else part["text"]
            texts.append(text)
        return "\n\n".join(texts)


def task_question(
    task: str,
    n_windows: int | None = None,
    *,
    text: str = "",
    emotion: str = "happy",
    polarity: str = "most",
    scenarios: Sequence[str] = (),
    scenario: str = "",
) -> Question:
    """The question of ``task`` about ``n_windows`` windows (default: as many as the task takes).

    Args:
        task: ``ied``, ``epc``, ``ess``, ``eim``, ``esr`` or ``own``.
        text: ``own``: the question; ``{e1}``..``{e3}`` place the windows, else they come first.
        emotion, polarity: ESS: "the most" (``most``) or "the least" (``least``) of ``emotion``.
        scenarios: EIM: three descriptions of people (default: :func:`default_eim_scenarios`).
        scenario: ESR: the situation of the second turn (default: :func:`default_esr_scenario`).

    Raises:
        InvalidInputError: an unknown task or emotion, a number of windows the task does not take,
            an empty question of one's own, not three EIM scenarios.
    """
    from ..evaluation.generation import chat_messages

    if task not in TASK_WINDOWS and task != OWN:
        raise InvalidInputError(f"unknown task {task!r}; expected one of {(*TASKS, OWN)}")
    wanted = TASK_WINDOWS.get(task)
    n = wanted if n_windows is None else int(n_windows)
    if wanted is not None and n != wanted:
        raise InvalidInputError(f"{task.upper()} asks about {wanted} window(s), not {n}")
    if not 1 <= n <= 3:
        raise InvalidInputError(f"a question is about one to three windows, not {n}")
    templates, fields = _templates(task, n, text, emotion, polarity, scenarios, scenario)
    ids = [f"window-{k}" for k in range(1, n + 1)]
    turns = [user_turn(t, ids if k == 0 else [], **fields) for k, t in enumerate(templates)]
    order = tuple(ids.index(i) for i in segment_ids_of(turns))
    return Question(task, tuple(chat_messages(turns)), n, order)


def _templates(task, n, text, emotion, polarity, scenarios, scenario) -> tuple[list[str], dict]:
    if task == "ied":
        return [templates.IED_QUESTIONS[0]], {}
    if task == "epc":
        return [templates.EPC_QUESTIONS[0] + templates.EPC_ANSWER_HINTS[0]], {}
    if task == "ess":
        if emotion not in EMOTIONS or polarity not in ("most", "least"):
            raise InvalidInputError(f"ESS asks for the most or least of one of {EMOTIONS}, not {polarity} {emotion!r}")
        return [templates.ESS_QUESTIONS[0]], {
            "sup": (templates.ESS_MOST if polarity == "most" else templates.ESS_LEAST)[emotion][0]
        }
    if task == "eim":
        texts = [s.strip() for s in scenarios if s and s.strip()] or default_eim_scenarios()
        if len(texts) != 3:
            raise InvalidInputError(f"EIM matches three windows to three people; {len(texts)} given")
        return [templates.EIM_QUESTIONS[0]], {"scenarios": scenario_listing(texts)}
    if task == "esr":
        return [templates.ESR_T1_QUESTIONS[0], templates.ESR_T2_QUESTIONS[0]], {
            "scenario": scenario.strip() or default_esr_scenario()
        }
    text = text.strip()
    if not text:
        raise InvalidInputError("write a question about the windows")
    placed = [text.count(f"{{e{k}}}") for k in range(1, 4)]
    if any(placed):
        if placed[:n] != [1] * n or any(placed[n:]):
            raise InvalidInputError(f"a question about {n} window(s) places each once: {{e1}}..{{e{n}}}")
        return [text], {}
    if n == 1:
        return ["EEG: {e1}\n" + text], {}
    listing = ", ".join(f"{o}) {{e{k}}}" for k, o in enumerate(OPTIONS[:n], start=1))
    return [f"EEG segments {listing}.\n" + text], {}


__all__ = [
    "OWN",
    "Question",
    "TASK_NAMES",
    "TASK_WINDOWS",
    "default_eim_scenarios",
    "default_esr_scenario",
    "task_question",
]
