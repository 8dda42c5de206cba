"""pytest set-up for test_e2llm_hf_mixins.py: where transformers' own test mixins come from.

The mixins are not part of the transformers wheel; they live in the repository's ``tests/``
package. ``hf_tests/`` (beside this file) holds that package, made by ``assemble.sh``:
``tests/*.py`` from the transformers 5.23.0 sdist, plus ``tests/generation`` and
``tests/exporters`` (the sdist leaves them out) from a checkout of the transformers repository. Putting ``hf_tests`` first on ``sys.path`` makes ``import tests.test_modeling_common``
resolve to it (a regular package, so it wins over E2LLM's own ``tests/`` folder).
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing here may reach the Hub

HF_TESTS = Path(os.environ.get("E2LLM_HF_TESTS", Path(__file__).resolve().parent / "hf_tests"))
if not (HF_TESTS / "tests" / "test_modeling_common.py").is_file():
    raise RuntimeError(f"transformers' tests package not found under {HF_TESTS} (set E2LLM_HF_TESTS)")
sys.path.insert(0, str(HF_TESTS))

E2LLM_ROOT = os.environ.get("E2LLM_ROOT", str(Path(__file__).resolve().parents[2]))  # this repository
if E2LLM_ROOT not in sys.path:
    sys.path.insert(1, E2LLM_ROOT)


def pytest_configure(config):
    # the markers transformers' own conftest.py registers (the mixins use them): every
    # ``pytest.mark.<name>`` found in the mixin modules that pytest does not know already
    import re

    builtin = {"parametrize", "skip", "skipif", "xfail", "usefixtures", "filterwarnings", "timeout"}
    names = set()
    for path in (HF_TESTS / "tests").rglob("*.py"):
        names.update(re.findall(r"\bmark\.([A-Za-z_][A-Za-z0-9_]*)", path.read_text(errors="ignore")))
    names.add("slow")
    for name in sorted(names - builtin):
        config.addinivalue_line("markers", f"{name}: marker used by transformers' test mixins")
