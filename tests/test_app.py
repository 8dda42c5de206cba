"""The browser app (``e2llm app``) and its Space export: the handlers without a browser, then the
page in headless Chromium (Playwright, Debian's /usr/bin/chromium) and the exported Space started
as its own process.

``E2LLM_APP_SCREENSHOT=PATH`` also writes the browser test's screenshot to PATH, and
``E2LLM_APP_MODEL=DIR`` runs that test with the model in DIR instead of the scrambled tiny one
(docs/app.png: the model of ``e2llm demo --size test``).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
from conftest import REAL, needs_real, scrambled_tiny_model

from e2llm.cli import main
from e2llm.describe import ied_conversation
from e2llm.errors import InvalidInputError
from e2llm.tasks.questions import task_question
from e2llm.tasks.templates import EPC_ANSWER_HINTS, EPC_QUESTIONS, ESR_T1_QUESTIONS, IED_QUESTIONS

gradio = pytest.importorskip("gradio")

EDF = REAL / "EDF" / "test_edf_overlapping_annotations.edf"  # 128 Hz, 64 channels, 124 s: 31 windows
SHORT = REAL / "EEGLAB" / "test_raw_chanloc.set"  # 3 s: shorter than one window
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def tiny_app(tiny_tokenizer):
    from e2llm.app import E2LLMApp

    model, processor = scrambled_tiny_model(tiny_tokenizer)
    return E2LLMApp(model, processor, "tiny", max_new_tokens=12, describe_max_new_tokens=4)


@pytest.fixture(scope="module")
def tiny_dir(tiny_tokenizer, tmp_path_factory):
    """The scrambled tiny model saved as a model folder."""
    model, processor = scrambled_tiny_model(tiny_tokenizer)
    folder = tmp_path_factory.mktemp("app") / "model"
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the pieces, without a browser ---------------------------------------------------------------


def test_questions_are_the_task_templates_with_the_windows_in_place():
    epc = task_question("epc", 2)
    assert epc.shown() == (EPC_QUESTIONS[0] + EPC_ANSWER_HINTS[0]).format(e1="[window 1]", e2="[window 2]")
    parts = epc.turns[0]["content"]
    assert [p["type"] for p in parts].count("eeg") == 2 and epc.turns[0]["role"] == "user"
    assert ied_conversation() == list(task_question("ied").turns)
    assert ied_conversation()[0]["content"][0] == {"type": "text", "text": IED_QUESTIONS[0].split("{e1}")[0]}
    esr = task_question("esr", scenario="You won a prize.")
    assert len(esr.turns) == 2 and esr.shown().startswith(ESR_T1_QUESTIONS[0].split("{e1}")[0])
    assert "You won a prize." in esr.shown()
    assert task_question("ess", emotion="sad", polarity="least").shown().endswith("select the least sad.")
    own = task_question("own", 2, text="Which of {e2} and {e1} is calmer?")
    assert own.shown() == "Which of [window 2] and [window 1] is calmer?"
    assert own.in_order(["first", "second"]) == ["second", "first"]  # the EEG parts' order
    assert task_question("own", 1, text="Calm?").shown() == "EEG: [window 1]\nCalm?"
    for bad in (
        lambda: task_question("epc", 3),
        lambda: task_question("own", 2, text=""),
        lambda: task_question("own", 1, text="{e1} or {e2}?"),
        lambda: task_question("eim", scenarios=["one", "two"]),
        lambda: task_question("xyz"),
    ):
        with pytest.raises(InvalidInputError):
            bad()


def _message_without_traceback(outputs) -> str:
    message = outputs[0]
    assert "Traceback" not in message and 'File "' not in message
    assert all(o is None or o == "" for o in (outputs[1], outputs[2], outputs[3], outputs[5]))
    return message


@needs_real
def test_a_bad_recording_is_a_message_in_the_page(tiny_app, tmp_path):
    from e2llm.app import ask_outputs, describe_outputs

    fake = tmp_path / "notes.edf"
    fake.write_text("not an EEG recording\n" * 50)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert "Cannot do that" in _message_without_traceback(describe_outputs(tiny_app, str(fake), None))
    assert "notes.txt" in _message_without_traceback(describe_outputs(tiny_app, str(text), None))
    short = _message_without_traceback(describe_outputs(tiny_app, str(SHORT), None))
    assert "shorter than one 4 s window" in short
    assert "Open a recording" in _message_without_traceback(describe_outputs(tiny_app, None, None))
    *_, line = next(ask_outputs(tiny_app, None, [0, 1], "epc"))
    assert line == "**Cannot do that:** describe a recording first"


@needs_real
def test_examples_are_the_recordings_of_a_folder():
    from e2llm.app import find_examples

    found = find_examples(REAL)
    assert found["EDF/test_edf_overlapping_annotations.edf"] == EDF
    assert "antio/CA_208/test_CA_208_start_stop.vhdr" in found  # BrainVision by its header file
    assert not [name for name in found if name.endswith((".md", ".fdt", ".vmrk", ".eeg"))]


@needs_real
def test_the_answer_streams_from_the_windows_describe_read(tiny_app):
    """Describe, then EPC about two windows: the question shown, the answer growing, parsed at the end."""
    from e2llm.app import ask_outputs, describe_outputs

    tiny_app.examples = {"edf": EDF}
    outputs = describe_outputs(tiny_app, None, "edf")
    assert outputs[0].startswith("**edf:** 31 windows") and len(outputs[3]) == 31
    assert "model:" in outputs[2] and "recording: edf (124.0 s" in outputs[2]
    described = outputs[5]
    steps = list(ask_outputs(tiny_app, described, [4, 1], "epc"))
    question = steps[0][0]
    assert question.startswith(
        "Is the individual with EEG signals [window 5] happier than the individual with [window 2]"
    )
    answers = [answer for _, answer, _ in steps[1:]]
    assert len(answers) >= 3 and answers[-1] and answers[-1].startswith(answers[1])
    assert steps[-1][2].startswith("**EPC answer:**")
    *_, line = next(ask_outputs(tiny_app, described, [1, 2, 3, 4], "own", own="Calm?"))
    assert "one to three" in line


def test_export_space_refuses_bad_input_and_writes_nothing(tmp_path, tiny_dir, capsys):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    before = sorted(p.name for p in tmp_path.iterdir())
    for argv in (
        ["app", "--export-space", str(tmp_path / "space"), "--model", str(tiny_dir)],  # a local folder
        ["app", "--export-space", str(tmp_path / "space"), "--model", "./org/model"],
        ["app", "--export-space", str(tmp_path / "space"), "--model", "not a hub id"],
        ["app", "--export-space", str(tmp_path / "full"), "--model", "org/e2llm-tiny"],
        ["app", "--export-space", str(tmp_path / "space"), "--model", "org/e2llm-tiny", "--port", "8000"],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("e2llm app: error: ") and err.count("\n") == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["keep.txt"]


def test_a_taken_port_is_one_line_before_the_model_loads(tiny_dir, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["app", "--model", str(tiny_dir), "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"e2llm app: error: --port {port}: cannot serve") and err.count("\n") == 1, err


def test_the_page_fetches_no_fonts_and_sends_no_analytics():
    from e2llm.app import import_gradio, theme

    import_gradio()
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    look = theme()
    assert look._stylesheets == [] and look._font_css == []  # no font file, local or remote
    assert all(isinstance(font, str) for font in [*look._font, *look._font_mono])  # the system's


# -- in a browser ---------------------------------------------------------------------------------


@pytest.mark.slow
@needs_real
@pytest.mark.skipif(not CHROMIUM.is_file(), reason="no /usr/bin/chromium (apt-get install chromium)")
def test_in_a_browser_describe_then_compare_two_windows(tiny_dir, tmp_path):
    """Upload the real EDF, Describe, choose two windows, ask EPC's question; every request the page
    makes goes to 127.0.0.1."""
    from playwright.sync_api import expect, sync_playwright

    from e2llm.app import launch

    port = free_port()
    model = os.environ.get("E2LLM_APP_MODEL") or str(tiny_dir)
    server = launch(model, port=port, prevent_thread_lock=True, quiet=True)
    hosts = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 2200})
            page.on("request", lambda request: hosts.append(urlparse(request.url).hostname or request.url))
            page.goto(f"http://127.0.0.1:{port}/")
            page.locator("input[type=file]").first.set_input_files(str(EDF))
            expect(page.get_by_text(EDF.name).first).to_be_visible(timeout=30_000)
            page.get_by_role("button", name="Describe").click()
            expect(page.locator("#message")).to_contain_text("31 windows", timeout=240_000)
            expect(page.locator("#timeline img")).to_be_visible()
            assert "recording:" in page.locator("#facts textarea").input_value()
            for k in (2, 5):
                page.locator("#windows input").click()
                page.get_by_role("option", name=re.compile(rf"^{k}: ")).click()
            page.keyboard.press("Escape")
            page.get_by_label("EPC: is the first happier than the second? (2 windows)").check()
            page.get_by_role("button", name="Ask").click()
            expect(page.locator("#summary")).to_contain_text("EPC answer", timeout=120_000)
            assert (
                "[window 2] happier than the individual with [window 5]"
                in page.locator("#question textarea").input_value()
            )
            assert page.locator("#answer textarea").input_value().strip()
            shot = tmp_path / "app.png"
            page.screenshot(path=str(shot), full_page=True)
            browser.close()
    finally:
        server.close()
    assert shot.stat().st_size > 10_000
    if os.environ.get("E2LLM_APP_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["E2LLM_APP_SCREENSHOT"])
    assert hosts and set(hosts) <= {"127.0.0.1", "localhost"}, sorted(set(hosts))


# -- the Space -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_exported_space_starts_and_serves_its_page(tiny_dir, tmp_path):
    """Export a Space for ``org/e2llm-tiny``, put that model in an offline Hub cache, and run the
    Space's app.py as its own process: it imports its own copy of e2llm and serves its page."""
    space = tmp_path / "space"
    assert main(["app", "--export-space", str(space), "--model", "org/e2llm-tiny"]) == 0
    assert sorted(p.name for p in space.iterdir()) == ["README.md", "app.py", "e2llm", "requirements.txt"]
    readme = (space / "README.md").read_text()
    assert readme.startswith("---\n") and f"sdk_version: {gradio.__version__}\n" in readme
    assert "sdk: gradio\n" in readme and "app_file: app.py\n" in readme
    requirements = (space / "requirements.txt").read_text().split()
    assert f"gradio=={gradio.__version__}" in requirements and all("==" in r for r in requirements)
    assert any(r.startswith("transformers==") for r in requirements)

    cache = tmp_path / "hub"
    commit = "0123456789abcdef0123456789abcdef01234567"
    shutil.copytree(tiny_dir, cache / "models--org--e2llm-tiny" / "snapshots" / commit)
    (cache / "models--org--e2llm-tiny" / "refs").mkdir()
    (cache / "models--org--e2llm-tiny" / "refs" / "main").write_text(commit)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(HF_HUB_CACHE=str(cache), HF_HUB_OFFLINE="1", GRADIO_SERVER_NAME="127.0.0.1")
    env["GRADIO_SERVER_PORT"] = str(port)
    probe = "import e2llm, sys; sys.stdout.write(e2llm.__file__)"
    where = subprocess.run([sys.executable, "-c", probe], cwd=space, env=env, capture_output=True, text=True)
    assert Path(where.stdout).resolve() == (space / "e2llm" / "__init__.py").resolve(), where.stderr[-2000:]
    process = subprocess.Popen(
        [sys.executable, "app.py"], cwd=space, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        status = _wait_for_page(f"http://127.0.0.1:{port}/", process, timeout=240)
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert status == 200, output[-3000:]


def _wait_for_page(url: str, process, timeout: float) -> int | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status
        except OSError:
            time.sleep(1)
    return None
