"""The dependencies' private state that ``e2llm.compat`` relies on, checked against the installed
libraries: an upgrade that moves or renames one fails here, by name.

Also: no other module of the package reads or writes a private attribute of an MNE, TRL,
accelerate or torch object."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import mne
import pytest
import torch
from conftest import REAL, needs_real

from e2llm import compat

PACKAGE = Path(__file__).resolve().parents[1] / "e2llm"


@needs_real
@pytest.mark.parametrize(
    "rel, kwargs, keys",
    [
        ("CNT/scan41_short.cnt", {"data_format": "int16"}, {"n_samples", "n_bytes", "orig_nchan"}),
        ("EEGLAB/test_raw_chanloc.set", {}, {"is_embedded", "orig_nchan"}),
    ],
)
def test_mne_header_holds_what_the_truncation_checks_read(rel, kwargs, keys):
    reader = mne.io.read_raw_cnt if rel.endswith(".cnt") else mne.io.read_raw_eeglab
    raw = reader(REAL / rel, preload=False, verbose="error", **kwargs)
    header = compat.mne_header(raw)
    assert keys <= set(header), sorted(header)
    assert int(header["orig_nchan"]) >= len(raw.ch_names) - 1
    if "n_samples" in keys:
        assert int(header["n_samples"]) == raw.n_times and int(header["n_bytes"]) == 2


def test_mne_gdf_header_fields_are_where_the_reader_leaves_them():
    import importlib

    source = inspect.getsource(importlib.import_module("mne.io.edf.edf"))  # GDF is read by MNE's EDF module
    for name in ("n_records", "bytes_tot", "data_offset"):
        assert f'"{name}"' in source or f"'{name}'" in source, name


def test_accelerate_state_can_be_reset_keeping_the_process_group():
    from accelerate import Accelerator, PartialState
    from accelerate.state import AcceleratorState

    assert "reset_partial_state" in inspect.signature(AcceleratorState._reset_state).parameters
    Accelerator(cpu=True, mixed_precision="no")
    partial = PartialState()
    with pytest.raises(ValueError):  # what the stages ran into: a second mixed precision is refused
        Accelerator(cpu=True, mixed_precision="bf16")
    compat.reset_accelerate_state()
    Accelerator(cpu=True, mixed_precision="bf16")  # accepted now
    assert PartialState() is not None and PartialState().num_processes == partial.num_processes
    compat.reset_accelerate_state()


def test_trl_switch_exists_and_is_restored():
    import trl.trainer.utils as trl_utils

    original = trl_utils._use_triton
    cpu = torch.device("cpu")
    assert original(cpu) is False  # TRL's own choice on a CPU
    with compat.trl_scores_labelled_positions_on_cpu() as switched:
        assert switched is True and trl_utils._use_triton(cpu) is True
    assert trl_utils._use_triton is original


def test_cpu_bf16_check_reads_torch_helpers():
    names = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    assert all(callable(getattr(torch.cpu, name)) for name in names)
    assert compat.cpu_has_native_bf16() == any(getattr(torch.cpu, name)() for name in names)
    a = torch.ones(8, 8, dtype=torch.bfloat16)
    assert torch.equal(a @ a, torch.full((8, 8), 8.0, dtype=torch.bfloat16))  # bf16 runs either way


def _private_accesses(path: Path) -> list[str]:
    """``x._name`` reads and writes, and ``getattr``/``setattr`` with a private name, on anything
    but ``self``/``cls``/``super()``: a subclass may extend its base's hooks (the model's
    generation hooks), and the model files follow transformers' own models in
    ``config._attn_implementation`` and ``model._init_weights``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            base = node.value
            if isinstance(base, ast.Name) and base.id in ("self", "cls"):
                continue
            if isinstance(base, ast.Call) and isinstance(base.func, ast.Name) and base.func.id == "super":
                continue
            if node.attr in ("_attn_implementation", "_init_weights") and path.name.endswith("_e2llm.py"):
                continue
            found.append(f"{path.name}:{node.lineno} .{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "setattr"):
            if (
                len(node.args) > 1
                and isinstance(node.args[1], ast.Constant)
                and str(node.args[1].value).startswith("_")
            ):
                found.append(f"{path.name}:{node.lineno} {node.func.id}(…, {node.args[1].value!r})")
    return found


def test_no_private_state_of_a_dependency_outside_the_adapter():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "compat.py":
            continue
        offenders += _private_accesses(path)
    assert offenders == []
    assert _private_accesses(PACKAGE / "compat.py")  # the scan does find them where they are
