"""Publishing a trained model to the Hugging Face Hub: checks, a generated model card, upload.

``push_model`` uploads the ``save_pretrained`` files of a model directory (weights in
safetensors, config, the four ``*_e2llm.py`` code files for ``trust_remote_code`` users, the
processor and tokenizer) plus a ``README.md`` model card, in one commit with ``huggingface_hub``.
Training checkpoints and other leftovers in the directory are not uploaded.

Nothing local leaves the machine: in the JSON files uploaded, ``_name_or_path`` becomes the repo
id, ``base_model_name_or_path`` the LM's Hub id, and any other value naming a local path (the
training run's ``tasks_dir``, ``segments_dir``, ``text_model``…) becomes ``"<local path>"``;
before anything is sent, every uploaded text (the card included) is checked not to contain the
model folder's, the working folder's or the home folder's absolute path.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .configuration_e2llm import EMOTIONS
from .errors import InvalidInputError, MissingInputError
from .runs.artifacts import MARKER, Artifact
from .tasks.rules import TASKS
from .text_models import describe_text_model

ETHICS = (
    "EEG carries sensitive neurophysiological information that can reveal private mental states beyond the "
    "intended emotion categories. Use this model only on recordings made with explicit informed consent, with "
    "transparent disclosure of how the data and the model's outputs are used, and with robust privacy protection. "
    "Do not use it for surveillance, workplace monitoring, or any decision about a person made without their "
    "explicit consent; its descriptions can read as authoritative psychological assessments while being wrong."
)
UPLOAD_PATTERNS = (
    "*.safetensors",
    "*.safetensors.index.json",
    "config.json",
    "generation_config.json",
    "*_e2llm.py",
    "processor_config.json",
    "preprocessor_config.json",
    "chat_template.jinja",
    "chat_template.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.json",
    "merges.txt",
    "added_tokens.json",
    "adapter/*",
    MARKER,
)


def check_model_dir(model_dir: str | Path) -> Path:
    """A model directory fit to publish: a config, safetensors weights and a processor."""
    path = Path(model_dir)
    if not (path / "config.json").is_file():
        raise MissingInputError(f"{path}: no config.json; not a save_pretrained model directory")
    if not list(path.glob("*.safetensors")):
        raise InvalidInputError(f"{path}: no safetensors weights (E2LLM publishes safetensors only)")
    if not (path / "processor_config.json").is_file():
        raise InvalidInputError(f"{path}: no processor (processor_config.json); save it with processor.save_pretrained")
    return path


LOCAL_PATH = "<local path>"


def _is_local_path(value: str, bases: list[Path]) -> bool:
    if value.startswith(("/", "~", "./", "../", "\\")) or re.match(r"^[A-Za-z]:[\\/]", value):
        return True
    if "/" in value or "\\" in value or value.endswith((".gguf", ".safetensors", ".json")):
        return any((base / value).exists() for base in bases)
    return False


def scrub_local_paths(value, bases: list[Path], replacements: dict[str, str] | None = None):
    """``value`` (parsed JSON) with local paths replaced: keys in ``replacements`` take their
    value there, any other string naming a local path becomes ``"<local path>"``."""
    replacements = replacements or {}
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in replacements and isinstance(item, str) and item:
                out[key] = replacements[key]
            else:
                out[key] = scrub_local_paths(item, bases, replacements)
        return out
    if isinstance(value, list):
        return [scrub_local_paths(item, bases, replacements) for item in value]
    if isinstance(value, str) and _is_local_path(value, bases):
        return LOCAL_PATH
    return value


def upload_payload(model_dir: str | Path, repo_id: str, card: str) -> dict[str, bytes]:
    """What ``push_model`` uploads, ``{path in repo: bytes}``, with local paths scrubbed.

    Raises:
        ValueError: a file would still carry a local absolute path (nothing is uploaded then).
    """
    path = Path(model_dir).resolve()
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    hub_id = (config.get("text_model_info") or {}).get("hub_id") or repo_id
    replacements = {"_name_or_path": repo_id, "base_model_name_or_path": hub_id}
    bases = [path, Path.cwd(), path.parent]
    payload = {}
    for file in sorted({p for pattern in UPLOAD_PATTERNS for p in path.glob(pattern) if p.is_file()}):
        name = file.relative_to(path).as_posix()
        data = file.read_bytes()
        if file.suffix == ".json":
            scrubbed = scrub_local_paths(json.loads(data.decode("utf-8")), bases, replacements)
            data = (json.dumps(scrubbed, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        payload[name] = data
    payload["README.md"] = card.encode("utf-8")
    local = {str(p) for p in (path, Path.cwd().resolve(), Path.home().resolve()) if len(str(p)) > 1}
    for name, data in payload.items():
        if name.endswith(".safetensors"):
            continue
        text = data.decode("utf-8", errors="ignore")
        leaked = sorted(p for p in local if p in text)
        if leaked:
            raise InvalidInputError(f"{path / name}: holds the local path {leaked[0]}; refusing to upload it")
    return payload


def _pseudonymized(stage: dict, bases: list[Path]) -> bool | None:
    """Whether the training data's subject/source ids were pseudonymised (``e2llm prepare
    --pseudonymize``), as the run's task data says; None when unknown."""
    tasks_dir = stage.get("tasks_dir")
    if not tasks_dir:
        return None
    for base in bases:
        info = Path(base, tasks_dir).expanduser() / "tasks_info.json"
        if info.is_file():
            value = json.loads(info.read_text(encoding="utf-8")).get("pseudonymized")
            return None if value is None else bool(value)
    return None


def _metrics_table(metrics: dict) -> str:
    """The evaluation as Markdown: the split's leakage verdict, each score with its 95 % interval
    and n beside random, and the signal controls when the run had them."""
    from .evaluation.report import controls_sentence, controls_table, format_percent, leakage_section

    ied = metrics.get("ied", {})
    rows = ["| task | metric | model, % [95 % interval] | n | random, % |", "|---|---|---|---|---|"]
    random = metrics.get("random", {})

    def row(task, title, value, interval, n, chance):
        rows.append(f"| {task} | {title} | {format_percent(value, interval)} | {n} | {100 * chance:.1f} |")

    if ied:
        for name in ("balanced_accuracy", "cohen_kappa", "weighted_f1"):
            row(
                "IED",
                name.replace("_", " "),
                ied[name],
                ied.get(f"{name}_ci95"),
                ied["n"],
                random.get("ied", {}).get(name, 0),
            )
        for emotion in EMOTIONS:
            if emotion in ied.get("per_class", {}):
                interval = (ied.get("per_class_ci95") or {}).get(emotion)
                row("IED", f"accuracy ({emotion})", ied["per_class"][emotion], interval, ied["n"], 1 / 7)
    for task in TASKS[1:]:  # IED above
        if task in metrics:
            block = metrics[task]
            chance = random.get(task, {}).get("accuracy", 0)
            row(task.upper(), "accuracy", block["accuracy"], block.get("accuracy_ci95"), block["n"], chance)
    parts = ["Split: " + "\n".join(leakage_section(metrics.get("leakage"))).strip(), "", "\n".join(rows)]
    if metrics.get("controls"):
        parts += ["", "Signal controls (the same questions with the EEG taken away):", "", controls_table(metrics), "",
                  controls_sentence(metrics)]  # fmt: skip
    return "\n".join(parts)


def model_card(model_dir: str | Path, metrics: dict | None = None, repo_id: str | None = None) -> str:
    """A model card (``README.md`` with YAML metadata) for the model in ``model_dir``."""
    from huggingface_hub import ModelCard, ModelCardData

    path = Path(model_dir)
    config = json.loads((path / "config.json").read_text())
    stage = Artifact(path).marker()
    text = config.get("text_config", {})
    eeg = config.get("eeg_config", {})
    synthetic = bool(stage.get("synthetic")) or bool(metrics and metrics.get("synthetic"))
    pseudonymized = _pseudonymized(stage, [path, Path.cwd()])
    if metrics is None and (path / "report" / "metrics.json").is_file():
        metrics = json.loads((path / "report" / "metrics.json").read_text())
    data = ModelCardData(
        library_name="transformers",
        license="apache-2.0",
        tags=["eeg", "emotion-recognition", "multimodal", "e2llm", *(["synthetic-data"] if synthetic else [])],
        pipeline_tag="any-to-any",
    )
    name = repo_id or path.name
    shape = f"{text.get('model_type', 'causal')} architecture, {text.get('num_hidden_layers')} layers, width {text.get('hidden_size')}"
    info = config.get("text_model_info")
    lm = f"{describe_text_model(info)}; {shape}" if info else f"a causal LM ({shape})"
    adapter = path / "adapter" / "adapter_config.json"
    lora = "q_proj/k_proj"
    targets = stage.get("lora_target_modules") or (
        json.loads(adapter.read_text()).get("target_modules") if adapter.is_file() else None
    )
    if targets:
        names = re.findall(r"[a-z]+_proj", targets) if isinstance(targets, str) else list(targets or [])
        lora = "/".join(dict.fromkeys(names)) or lora
    sections = [
        f"# {name}",
        "",
        "An **E2LLM** model: it reads EEG and answers in language — describing the emotional state in a recording, "
        "comparing people, matching recordings to situations — with its reasoning written out. It implements "
        "E²-LLM: an EEGPT-style EEG encoder, a two-layer MLP projector and a causal language model.",
        "",
        "## Model",
        f"- EEG encoder: EEGPT architecture, {len(eeg.get('channel_names', []))} channels at {eeg.get('sampling_rate')} Hz, "
        f"{eeg.get('num_samples')}-sample (4 s) windows, width {eeg.get('hidden_size')}, {eeg.get('num_hidden_layers')} blocks, "
        f"{eeg.get('num_summary_tokens')} summary tokens per 64-sample patch.",
        f"- Projector: Linear → {config.get('projector_hidden_act', 'gelu').upper()} → Linear into the LM's embeddings; "
        "each 4 s segment becomes `<eeg_start>` + 16 EEG embeddings + `<eeg_end>`.",
        f"- Language model: {lm}.",
        "",
        "## Training",
        "Three stages: (1) the encoder with a 7-emotion classification head; (2) the projector alone, aligning EEG "
        f"with the frozen LM; (3) the projector with LoRA on the LM's {lora}, on chain-of-thought instruction "
        "data for four tasks (IED, EPC, ESS, EIM); ESR is held out for zero-shot evaluation.",
        "",
        "Training data: "
        + (
            "**SYNTHETIC** EEG in SEED-VII's layout (generated, not recorded from people); the metrics "
            "below say nothing about real EEG."
            if synthetic
            else "SEED-VII-style EEG segments (see the training configuration)."
        ),
        "",
        "Identifiers: "
        + {
            True: "subject, recording and segment ids of the training data were pseudonymised (`e2llm prepare "
            "--pseudonymize`); the key stayed with the data's owner.",
            False: "subject, recording and segment ids of the training data are those of the source files (not "
            "pseudonymised); no data is part of this repository.",
            None: "not recorded; no data is part of this repository.",
        }[pseudonymized],
        "",
        "## Use",
        "```python",
        "import e2llm  # or pass trust_remote_code=True without the package",
        "from transformers import AutoModel, AutoProcessor",
        f'model = AutoModel.from_pretrained("{name}")',
        f'processor = AutoProcessor.from_pretrained("{name}")',
        'messages = [{"role": "user", "content": [{"type": "text", "text": "Describe the emotion of "}, {"type": "eeg"}]}]',
        "inputs = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True, eeg=[window])  # (58, 1024) mV, 256 Hz",
        "print(processor.batch_decode(model.generate(**inputs, max_new_tokens=128)[:, inputs['input_ids'].shape[1]:], skip_special_tokens=True)[0])",
        "```",
        "Or from the command line: `e2llm describe recording.edf --model " + name + "`.",
        "",
        "## Evaluation",
        _metrics_table(metrics) if metrics else "No evaluation report was found beside the model.",
        "",
        "## Intended use",
        "Research in affective computing and brain–computer interfaces: exploring EEG emotion decoding with readable "
        "explanations. Not for clinical diagnosis or decisions about individuals.",
        "",
        "## Limitations",
        "Trained on few subjects; expect poor transfer across datasets, montages and recording set-ups. Emotion labels "
        "are subjective, and the generated explanations have not been validated by experts.",
        "",
        "## Ethics: EEG privacy and consent",
        ETHICS,
    ]
    card = ModelCard(f"---\n{data.to_yaml()}\n---\n" + "\n".join(sections) + "\n")
    return str(card)


def push_model(
    model_dir: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    token: str | None = None,
    metrics: dict | None = None,
    commit_message: str = "Upload E2LLM model",
) -> str:
    """Upload the model, processor, code files and a model card; returns the commit URL."""
    from huggingface_hub import CommitOperationAdd, HfApi

    path = check_model_dir(model_dir)
    payload = upload_payload(path, repo_id, model_card(path, metrics=metrics, repo_id=repo_id))
    operations = [CommitOperationAdd(path_in_repo=name, path_or_fileobj=data) for name, data in payload.items()]
    api = HfApi(token=token)
    api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
    info = api.create_commit(repo_id, operations=operations, commit_message=commit_message, repo_type="model")
    return str(getattr(info, "commit_url", info))
