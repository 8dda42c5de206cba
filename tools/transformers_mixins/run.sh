#!/usr/bin/env bash
# Rerun the whole harness: ./run.sh [extra pytest args]   (E2LLM_HF_MIXINS_ALL=1 ./run.sh: skips lifted)
# Writes run.log (tracebacks), run.xml and summary.txt (counts; every failure and skip with its reason).
cd "$(dirname "$0")" || exit 1
HF_HUB_OFFLINE=1 "${PYTHON:-../../.venv/bin/python}" -m pytest test_e2llm_hf_mixins.py -p no:cacheprovider \
    --timeout 300 -v -rfEs --tb=short --junitxml=run.xml "$@" 2>&1 | tee run.log | grep -E "^(FAILED|ERROR) |^=+ .*(passed|failed|error).* =+$"
status=${PIPESTATUS[0]}
"${PYTHON:-../../.venv/bin/python}" summarize.py run.xml > summary.txt && echo "details: run.log, summary.txt"
exit "$status"
