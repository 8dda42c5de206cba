"""A model argument that is neither a local folder nor a Hub model: one line naming it, before
anything loads, whether the Hub is offline, unreachable or answers "not found" — without
huggingface_hub's retries. The Hub is played by a server on the loopback interface; nothing
leaves the machine."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading

import pytest

from e2llm.paths import check_model_location

# Runs the CLI with every connection to a host other than the loopback refused.
CLI_ON_LOOPBACK_ONLY = """
import socket, sys
connect = socket.socket.connect
def loopback_only(self, address, *args):
    if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1"):
        raise OSError(f"a test reached for {address}")
    return connect(self, address, *args)
socket.socket.connect = loopback_only
from e2llm.cli import main
sys.exit(main(sys.argv[1:]))
"""


class _NoSuchRepo(http.server.BaseHTTPRequestHandler):
    """Answers every request as the Hub answers for a repository that does not exist."""

    def do_HEAD(self):
        self.send_response(404)
        self.send_header("X-Error-Code", "RepoNotFound")
        self.send_header("X-Error-Message", "Repository not found")
        self.end_headers()

    do_GET = do_HEAD

    def log_message(self, *args):
        pass


@pytest.fixture()
def hub_without_the_repo():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NoSuchRepo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"  # closed when the socket is


def _describe_online(tmp_path, endpoint: str):
    (tmp_path / "rec.edf").write_bytes(b"")  # the model is checked before the recording is read
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    env.update(HF_ENDPOINT=endpoint, HF_HOME=str(tmp_path / "hf-home"))
    argv = ["describe", "rec.edf", "--model", "runs/stgae3"]
    return subprocess.run(
        [sys.executable, "-c", CLI_ON_LOOPBACK_ONLY, *argv],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "hub, reason", [("not-found", "(not found on the Hub"), ("unreachable", "(the Hub could not be reached: ")]
)
def test_a_name_that_is_neither_folder_nor_hub_model_is_one_line(hub, reason, tmp_path, request):
    """No ``runs/`` folder here and the Hub online: ``runs/stgae3`` reads as a Hub id."""
    endpoint = request.getfixturevalue("hub_without_the_repo") if hub == "not-found" else _closed_port()
    result = _describe_online(tmp_path, endpoint)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [result.stderr.strip()], result.stderr  # one line, no retry warnings
    assert result.stderr.startswith(
        "e2llm describe: error: --model runs/stgae3: no local folder of that name, and no Hub model either "
    )
    assert reason in result.stderr
    assert "Retrying" not in result.stderr and "couldn't connect" not in result.stderr


def test_offline_a_hub_id_is_found_in_the_cache_or_refused(tmp_path, monkeypatch):
    from huggingface_hub import constants

    cache = tmp_path / "hub"
    commit = "0123456789abcdef0123456789abcdef01234567"
    snapshot = cache / "models--org--e2llm-tiny" / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    (cache / "models--org--e2llm-tiny" / "refs").mkdir()
    (cache / "models--org--e2llm-tiny" / "refs" / "main").write_text(commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.chdir(tmp_path)

    assert check_model_location("org/e2llm-tiny", "--model") == "hub"
    with pytest.raises(FileNotFoundError, match=r"^--model org/e2llm-small: no local folder .*HF_HUB_OFFLINE is set"):
        check_model_location("org/e2llm-small", "--model")
    with pytest.raises(FileNotFoundError, match=r"^--model org/two words: .*not a valid Hub id"):
        check_model_location("org/two words", "--model")
