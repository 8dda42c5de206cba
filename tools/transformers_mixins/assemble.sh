#!/usr/bin/env bash
# Build hf_tests/, the transformers `tests` package the harness imports its mixins from.
#
#   ./assemble.sh SDIST_DIR CHECKOUT_DIR
#
# SDIST_DIR:    the unpacked transformers 5.23.0 sdist (pip download transformers==5.23.0
#               --no-binary :all: --no-deps; tar xzf): its tests/*.py are used as they are.
# CHECKOUT_DIR: a checkout of github.com/huggingface/transformers (the v5.23.0 tag, ideally): the
#               sdist leaves out tests/generation and tests/exporters, which the mixins import.
set -euo pipefail
sdist=${1:?usage: assemble.sh SDIST_DIR CHECKOUT_DIR}
checkout=${2:?usage: assemble.sh SDIST_DIR CHECKOUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-$here/../../.venv/bin/python}
for f in "$sdist/tests/test_modeling_common.py" "$checkout/tests/generation/test_utils.py"; do
    [ -f "$f" ] || { echo "assemble.sh: $f not found" >&2; exit 2; }
done
out=$here/hf_tests
tmp=$(mktemp -d "$here/.hf_tests.tmp-XXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tests/utils" "$tmp/utils"
cp "$sdist"/tests/*.py "$tmp/tests/"
cp "$checkout/tests/__init__.py" "$tmp/tests/"
cp -r "$checkout/tests/generation" "$checkout/tests/exporters" "$tmp/tests/"
touch "$tmp/tests/utils/__init__.py"
# only config_common_kwargs of tests/utils/test_configuration_utils.py (the module needs httpx and
# a test package that test_configuration_common.py does not use)
"$python" - "$checkout/tests/utils/test_configuration_utils.py" "$tmp/tests/utils/test_configuration_utils.py" <<'PY'
import ast, sys
source = open(sys.argv[1]).read()
node = next(n for n in ast.parse(source).body if isinstance(n, ast.Assign) and n.targets[0].id == "config_common_kwargs")
open(sys.argv[2], "w").write(ast.get_source_segment(source, node) + "\n")
PY
cp "$here/stand_ins/fetch_hub_objects_for_ci.py" "$tmp/utils/"
rm -rf "$out" && mv "$tmp" "$out" && trap - EXIT
"$python" -m pip install --no-deps -q parameterized
echo "hf_tests/ assembled; run ./run.sh"
