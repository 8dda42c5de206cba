"""What ``e2llm push`` uploads: the model's files with every local path scrubbed, and a card
that says whether the training data's ids were pseudonymised (the Hub replaced at ``HfApi``)."""

from __future__ import annotations

import copy
import json

import pytest

from e2llm.cli import main as cli


class FakeHub:
    def __init__(self, monkeypatch):
        import huggingface_hub

        self.commits = []
        monkeypatch.setattr(huggingface_hub.HfApi, "create_repo", lambda api, repo_id, **kw: repo_id)
        monkeypatch.setattr(
            huggingface_hub.HfApi,
            "create_commit",
            lambda api, repo_id, operations, **kw: self.commits.append(list(operations)) or "https://hub.example/c/1",
        )

    def payload(self) -> dict[str, bytes]:
        return {op.path_in_repo: op.path_or_fileobj for op in self.commits[-1]}


@pytest.fixture()
def model_dir(tiny_tokenizer, tmp_path):
    """A saved tiny model whose files name local paths, as a training run leaves them."""
    from e2llm.assembly import build_model

    model, processor = build_model("tiny", copy.deepcopy(tiny_tokenizer))
    out = tmp_path / "runs" / "Jane Doe" / "stage3"
    model.save_pretrained(out)
    processor.save_pretrained(out)
    config = json.loads((out / "config.json").read_text())
    config["_name_or_path"] = str(tmp_path / "runs" / "Jane Doe" / "stage2")
    (out / "config.json").write_text(json.dumps(config))
    tasks = tmp_path / "data" / "tasks"
    tasks.mkdir(parents=True)
    (tasks / "tasks_info.json").write_text(json.dumps({"pseudonymized": True}))
    stage = {
        "stage": "sft",
        "tasks_dir": str(tasks),
        "segments_dir": str(tmp_path / "data" / "segments"),
        "text_model": "../text-model/SmolLM2-135M-Instruct.Q4_1",
        "lora_target_modules": "all-linear",
    }
    (out / "e2llm_stage.json").write_text(json.dumps(stage))
    (out / "adapter").mkdir()
    (out / "adapter" / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": str(tmp_path / "lm")}))
    return out


def test_push_uploads_no_local_path(model_dir, tmp_path, monkeypatch):
    hub = FakeHub(monkeypatch)
    monkeypatch.chdir(tmp_path)
    assert cli(["push", str(model_dir), "someone/e2llm-test"]) == 0
    payload = hub.payload()
    for name, data in payload.items():
        if not name.endswith(".safetensors"):
            text = data.decode()
            assert str(tmp_path) not in text and "Jane Doe" not in text, name
    assert json.loads(payload["config.json"])["_name_or_path"] == "someone/e2llm-test"
    stage = json.loads(payload["e2llm_stage.json"])
    assert stage["tasks_dir"] == stage["segments_dir"] == stage["text_model"] == "<local path>"
    assert stage["lora_target_modules"] == "all-linear"  # not a path: kept
    assert json.loads(payload["adapter/adapter_config.json"])["base_model_name_or_path"] == "someone/e2llm-test"
    assert "were pseudonymised" in payload["README.md"].decode()


def test_push_refuses_a_file_that_still_names_a_local_path(model_dir, monkeypatch, capsys):
    hub = FakeHub(monkeypatch)
    (model_dir / "chat_template.jinja").write_text(
        f"{{# made in {model_dir} #}}" + (model_dir / "chat_template.jinja").read_text()
    )
    assert cli(["push", str(model_dir), "someone/e2llm-test"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "chat_template.jinja" in err and "refusing to upload" in err
    assert hub.commits == []


def test_card_says_when_ids_are_not_pseudonymised(model_dir, monkeypatch):
    from e2llm.hub import model_card

    stage = json.loads((model_dir / "e2llm_stage.json").read_text())
    (model_dir.parents[2] / "data" / "tasks" / "tasks_info.json").write_text(json.dumps({"pseudonymized": False}))
    assert "(not pseudonymised)" in model_card(model_dir, repo_id="a/b")
    stage.pop("tasks_dir")
    (model_dir / "e2llm_stage.json").write_text(json.dumps(stage))
    assert "Identifiers: not recorded" in model_card(model_dir, repo_id="a/b")
