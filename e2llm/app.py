"""``e2llm app``: a browser page on this machine to describe a recording and ask the model about it.

Open a recording (an upload, or one of the ``--examples`` folder's), press *Describe*: the page
shows what ``e2llm describe`` gives, made by the same functions (:func:`e2llm.describe.describe_recording`,
the plot of :func:`~e2llm.describe.plot_timeline`, the header of the model's provenance and the
recording's facts, the rows of ``timeline.csv``). Then pick one to three windows and ask one of
the five tasks' questions (:mod:`e2llm.tasks.questions`) or one of your own: the answer comes in as
it is generated (:func:`e2llm.describe.ask_windows`), with the parsed answer and, for IED, the
model's confidence.

Private by default: the server listens on 127.0.0.1 only, Gradio's analytics are off (set before
Gradio is imported), no share link, the theme uses the system's fonts (no font is fetched from
anywhere), and uploads are size-limited. A mistake in the input is a message in the page; an
unexpected error is logged on the console with its traceback and named in one line in the page.
Gradio is imported only here (``pip install "e2llm[app]"``).
"""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from .configuration_e2llm import EMOTIONS
from .describe import (
    CSV_COLUMNS,
    DEFAULT_MIN_CONFIDENCE,
    NOT_ASSESSABLE,
    Reply,
    Timeline,
    ask_windows,
    csv_row,
    describe_recording,
    model_side,
    plot_timeline,
    verdict,
    window_segments,
)
from .eeg.formats import RECORDING_SUFFIXES, format_suffix
from .errors import InvalidInputError, MissingInputError, UserError, first_line
from .tasks.questions import OWN, TASK_NAMES, task_question

logger = logging.getLogger(__name__)

DEFAULT_MAX_UPLOAD_MB = 500.0
HOST = "127.0.0.1"
TABLE_COLUMNS = ("window", *CSV_COLUMNS[:-1])  # timeline.csv's columns, the whole answer left out
NOTHING_CHOSEN = "Open a recording: upload one, or pick an example."


def import_gradio():
    """Gradio, imported with its analytics off (its setting is read at import)."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    try:
        import gradio
    except ImportError:
        raise MissingInputError('the browser app needs Gradio: pip install "e2llm[app]"') from None
    return gradio


def find_examples(folder) -> dict[str, Path]:
    """The recordings under ``folder`` that ``describe`` reads, by their path relative to it."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise MissingInputError(f"--examples {folder}: no such folder")
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and format_suffix(path) in RECORDING_SUFFIXES:
            found[str(path.relative_to(root))] = path
    return found


@dataclass
class Described:
    """One recording described in the page (kept per browser session)."""

    path: str
    name: str
    timeline: Timeline


@dataclass
class E2LLMApp:
    """The page's handlers, callable without a browser (tests call them directly).

    ``model``/``processor``: loaded (:func:`e2llm.inference.load_model_and_processor`);
    ``name``: the model's folder or Hub id, as ``describe`` names it."""

    model: object
    processor: object
    name: str = ""
    examples: dict[str, Path] = field(default_factory=dict)
    batch_size: int = 16
    max_new_tokens: int = 256  # per answer to a question
    describe_max_new_tokens: int = 96  # per window described (``e2llm describe``'s default)
    min_confidence: float = DEFAULT_MIN_CONFIDENCE

    def __post_init__(self):
        self.side = model_side(self.model)

    def model_lines(self) -> str:
        """The model and what it was trained on (Markdown), shown before anything is described."""
        lines = [f"**Model:** `{self.name or self.side.name}`: {self.side.provenance.text}"]
        if self.side.provenance.warning:
            lines.append(f"**Warning:** {self.side.provenance.warning}")
        return "\n\n".join(lines)

    def recording(self, upload, example) -> tuple[str, str]:
        """The path and the shown name of the recording chosen: the upload, else the example."""
        if upload:
            path = Path(upload if isinstance(upload, (str, os.PathLike)) else upload.name)
            return str(path), path.name
        if example:
            if example not in self.examples:
                raise InvalidInputError(f"{example}: not one of the examples")
            return str(self.examples[example]), example
        raise InvalidInputError(NOTHING_CHOSEN)

    def describe(self, upload, example) -> Described:
        """``e2llm describe`` of the chosen recording, a progress bar (tqdm) over its windows."""
        path, name = self.recording(upload, example)
        try:
            timeline = describe_recording(
                path,
                self.model,
                self.processor,
                batch_size=self.batch_size,
                max_new_tokens=self.describe_max_new_tokens,
                min_confidence=self.min_confidence,
                progress=True,
            )
        except UserError as err:  # name the upload as the user knows it, not by its temporary path
            raise type(err)(str(err).replace(path, name)) from None
        return Described(path, name, timeline)

    def ask(self, described: Described | None, windows, task: str, **fields):
        """Ask ``task``'s question (``fields``: :func:`~e2llm.tasks.questions.task_question`'s) about
        ``windows`` (row numbers from 0, in the order chosen); yields the question as shown, then
        :class:`~e2llm.describe.Reply` objects as the answer grows."""
        if described is None:
            raise InvalidInputError("describe a recording first")
        indices = [int(w) for w in windows or ()]
        if not 1 <= len(indices) <= 3 or len(set(indices)) != len(indices):
            raise InvalidInputError("choose one to three different windows")
        rows = described.timeline.rows
        for i in indices:
            if rows[i].verdict == NOT_ASSESSABLE:
                raise InvalidInputError(
                    f"window {i + 1} is not assessable ({', '.join(rows[i].quality)}): the model is not asked about it"
                )
        question = task_question(task, len(indices), **fields)
        yield question
        step = described.timeline.settings["step_seconds"]
        segments, masks = window_segments(
            described.path, self.side, indices, step_seconds=step, batch_size=self.batch_size
        )
        yield from ask_windows(
            self.model, self.processor, question, segments, masks, max_new_tokens=self.max_new_tokens
        )


# -- what the page shows -------------------------------------------------------------------------


def timeline_image(timeline: Timeline, title: str):
    """The timeline's plot (:func:`~e2llm.describe.plot_timeline`) as a PIL image."""
    from PIL import Image

    buffer = io.BytesIO()
    plot_timeline(timeline, buffer, title=title)
    buffer.seek(0)
    return Image.open(buffer)


def table_rows(timeline: Timeline) -> list[list[str]]:
    """``timeline.csv``'s rows (:func:`~e2llm.describe.csv_row`), numbered, without the whole answer."""
    return [[str(k), *csv_row(row)[:-1]] for k, row in enumerate(timeline.rows, start=1)]


def window_choices(timeline: Timeline) -> list[tuple[str, int]]:
    return [(f"{k + 1}: {row.start:g}–{row.end:g} s, {row.verdict}", k) for k, row in enumerate(timeline.rows)]


def reply_text(reply: Reply) -> str:
    """The answer's turns as they stand (ESR: the first answer, then the second)."""
    if len(reply.turns) == 1:
        return reply.turns[0]
    return "\n\n".join(f"[turn {k}]\n{text}" for k, text in enumerate(reply.turns, start=1))


def reply_summary(reply: Reply, task: str, min_confidence: float) -> str:
    """One line under a finished answer: the parsed answer and, for IED, the confidence."""
    if not reply.done:
        return "*generating…*"
    if reply.answer is None:
        return "Done."
    line = f"**{task.upper()} answer:** {reply.answer}"
    if reply.confidence is not None:
        call = verdict(reply.answer, reply.confidence, (), min_confidence)
        line += (
            f" · **confidence** {reply.confidence:.2f} (the model's probability of it over the seven emotion "
            f"words; `describe` reports it as *{call}* at a threshold of {min_confidence:g})"
        )
    return line


def problem(err: BaseException) -> str:
    """The page's message for an error: the user's mistake in one line; anything else is a bug,
    logged with its traceback on the console."""
    if isinstance(err, UserError):
        return f"**Cannot do that:** {first_line(err)}"
    logger.error("unexpected error in the app", exc_info=err)
    return f"**Unexpected error** (a bug; its traceback is on the console): {type(err).__name__}: {first_line(err)}"


# -- the page ------------------------------------------------------------------------------------


def theme():
    """Gradio's default look in the system's fonts: nothing is fetched to draw the page."""
    gr = import_gradio()
    return gr.themes.Default(
        font=["ui-sans-serif", "system-ui", "sans-serif"], font_mono=["ui-monospace", "Consolas", "monospace"]
    )


def build_page(app: E2LLMApp):
    """The Gradio ``Blocks`` of ``app`` (not launched)."""
    gr = import_gradio()
    with gr.Blocks(title="E2LLM", analytics_enabled=False) as page:
        gr.Markdown("# E2LLM: emotions in an EEG recording\n" + app.model_lines())
        described = gr.State(None)
        with gr.Row():
            upload = gr.File(label="Recording (EDF, BDF, GDF, FIF, EEGLAB .set, CNT)", type="filepath")
            example = gr.Dropdown(
                choices=list(app.examples), value=None, label="…or an example", visible=bool(app.examples)
            )
        describe_button = gr.Button("Describe", variant="primary")
        message = gr.Markdown(NOTHING_CHOSEN, elem_id="message")
        plot = gr.Image(label="Timeline", type="pil", interactive=False, elem_id="timeline")
        facts = gr.Textbox(label="The model and the recording", lines=8, interactive=False, elem_id="facts")
        table = gr.Dataframe(
            headers=list(TABLE_COLUMNS),
            label="Windows (click a row to choose it)",
            interactive=False,
            wrap=True,
            max_height=420,
            column_widths=["7%", "8%", "8%", "11%", "9%", "10%", "10%", "37%"],
        )
        gr.Markdown("## Ask about one to three windows")
        with gr.Row():
            windows = gr.Dropdown(
                choices=[], value=[], multiselect=True, max_choices=3, label="Windows", elem_id="windows"
            )
            task = gr.Radio(choices=[(label, key) for key, label in TASK_NAMES.items()], value="ied", label="Question")
        own = gr.Textbox(label="Your own question ({e1}, {e2}, {e3} place the windows; else they come first)")
        with gr.Row():
            emotion = gr.Dropdown(choices=list(EMOTIONS), value="happy", label="ESS: emotion")
            polarity = gr.Radio(choices=["most", "least"], value="most", label="ESS: the most or the least")
        scenarios = gr.Textbox(
            label="EIM: three people, one a line; ESR: a scenario (empty: the question bank's)", lines=3
        )
        ask_button = gr.Button("Ask", variant="primary")
        question = gr.Textbox(label="Question asked", interactive=False, elem_id="question")
        answer = gr.Textbox(label="Answer", lines=6, interactive=False, elem_id="answer")
        summary = gr.Markdown(elem_id="summary")

        def on_describe(upload, example, progress=gr.Progress(track_tqdm=True)):
            return describe_outputs(app, upload, example)

        def on_row(chosen, event: gr.SelectData):
            row = int(event.index[0])
            chosen = [c for c in (chosen or []) if c != row] if row in (chosen or []) else [*(chosen or []), row]
            return chosen[-3:]

        on_row.__annotations__["event"] = gr.SelectData  # resolved here: Gradio finds the event by its type

        def on_ask(done, chosen, task, own, emotion, polarity, scenarios):
            yield from ask_outputs(app, done, chosen, task, own, emotion, polarity, scenarios)

        outputs = [message, plot, facts, table, windows, described]
        describe_button.click(on_describe, [upload, example], outputs, concurrency_id="model")
        table.select(on_row, [windows], [windows])
        inputs = [described, windows, task, own, emotion, polarity, scenarios]
        ask_button.click(on_ask, inputs, [question, answer, summary], concurrency_id="model")
    return page


def describe_outputs(app: E2LLMApp, upload, example) -> tuple:
    """What *Describe* shows: a message, the plot, the header, the rows, the windows to choose
    from, and the session's :class:`Described` (on an error: the message, the rest empty)."""
    gr = import_gradio()
    try:
        done = app.describe(upload, example)
    except Exception as err:  # noqa: BLE001  (a message in the page, never a traceback)
        return problem(err), None, "", None, gr.update(choices=[], value=[]), None
    timeline = done.timeline
    counts = ", ".join(f"{name} {n}" for name, n in timeline.summary().items())
    return (
        f"**{done.name}:** {len(timeline.rows)} windows ({counts or 'none'}).",
        timeline_image(timeline, done.name),
        "\n".join(timeline.header()).replace(done.path, done.name),  # not an upload's temporary path
        table_rows(timeline),
        gr.update(choices=window_choices(timeline), value=[]),
        done,
    )


def ask_outputs(app: E2LLMApp, done, chosen, task, own="", emotion="happy", polarity="most", scenarios=""):
    """What *Ask* shows as the answer grows: the question, the answer so far, a line under it (on
    an error: the message in that line)."""
    gr = import_gradio()
    fields = {"text": own, "emotion": emotion, "polarity": polarity, "scenario": scenarios or ""}
    fields["scenarios"] = (scenarios or "").splitlines()
    try:
        steps = app.ask(done, chosen, task, **_fields_for(task, fields))
        shown = next(steps).shown([f"window {int(k) + 1}" for k in chosen])
        yield shown, "", "*reading the windows…*"
        for reply in steps:
            yield shown, reply_text(reply), reply_summary(reply, task, app.min_confidence)
    except Exception as err:  # noqa: BLE001  (a message in the page, never a traceback)
        yield gr.update(), gr.update(), problem(err)


def _fields_for(task: str, fields: dict) -> dict:
    """The settings of ``task_question`` that ``task`` takes."""
    wanted = {OWN: ("text",), "ess": ("emotion", "polarity"), "eim": ("scenarios",), "esr": ("scenario",)}
    return {k: v for k, v in fields.items() if k in wanted.get(task, ())}


def launch(
    model,
    *,
    port: int | None = None,
    examples=None,
    server_name: str = HOST,
    max_file_size_mb: float = DEFAULT_MAX_UPLOAD_MB,
    prevent_thread_lock: bool = False,
    quiet: bool = False,
):
    """Load ``model`` (a folder or Hub id) and serve its page at ``http://{server_name}:{port}``.

    Args:
        port: default: Gradio's (7860, or the next free one).
        examples: a folder of recordings offered in the page (:func:`find_examples`).
        server_name: the address to listen on; only a Space (:mod:`e2llm.space`) listens on others.
        max_file_size_mb: the largest upload, MB.
        prevent_thread_lock: return at once, the server running (tests); then ``close()`` it.

    Returns:
        The launched ``gradio.Blocks``.
    """
    from .inference import load_model_and_processor

    import_gradio()  # before the model loads: a missing Gradio or a taken port is said at once
    if port is not None:
        check_port(server_name, port)
    found = find_examples(examples) if examples is not None else {}
    loaded, processor, name = load_model_and_processor(model)
    page = build_page(E2LLMApp(loaded, processor, name, found))
    page.queue(default_concurrency_limit=1)  # one model: one description or answer at a time
    try:
        _serve(page, server_name, port, max_file_size_mb, prevent_thread_lock, quiet)
    except OSError as err:  # the port is taken, or the address is not this machine's
        raise InvalidInputError(
            f"cannot serve at {server_name}:{port or 'the default port'}: {first_line(err)}"
        ) from None
    return page


def check_port(server_name: str, port: int) -> None:
    """Raises InvalidInputError if ``port`` cannot be served at ``server_name`` (taken, most often)."""
    import socket

    with socket.socket() as probe:
        try:
            probe.bind((server_name, int(port)))
        except OSError as err:
            raise InvalidInputError(f"--port {port}: cannot serve at {server_name}:{port} ({err.strerror})") from None


def _serve(page, server_name, port, max_file_size_mb, prevent_thread_lock, quiet) -> None:
    page.launch(
        server_name=server_name,
        server_port=port,
        share=False,
        max_file_size=f"{max_file_size_mb:g}mb",
        theme=theme(),
        prevent_thread_lock=prevent_thread_lock,
        quiet=quiet,
        show_error=False,
        enable_monitoring=False,
        ssr_mode=False,
        mcp_server=False,
        inbrowser=False,
    )


__all__ = ["E2LLMApp", "ask_outputs", "build_page", "describe_outputs", "find_examples", "launch"]
