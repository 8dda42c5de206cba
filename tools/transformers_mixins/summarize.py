"""Summarise run.xml (written by run.sh): counts per test class, then every failure, error and skip
with its message, skips grouped by reason. Usage: python summarize.py [run.xml]"""

import collections
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1] if len(sys.argv) > 1 else "run.xml").getroot()
counts = collections.defaultdict(collections.Counter)
problems, skips = [], collections.defaultdict(list)
for case in root.iter("testcase"):
    cls, name = case.get("classname").rsplit(".", 1)[-1], case.get("name")
    outcome = next((child.tag for child in case if child.tag in ("failure", "error", "skipped")), "passed")
    counts[cls][outcome] += 1
    if outcome in ("failure", "error"):
        message = case.find(outcome).get("message", "").splitlines()
        problems.append(f"{outcome.upper():8} {cls}::{name}: {message[0][:200] if message else ''}")
    elif outcome == "skipped":
        skips[case.find("skipped").get("message", "")[:160]].append(name)

for cls, counter in counts.items():
    print(f"{cls}: " + ", ".join(f"{counter[k]} {k}" for k in ("passed", "failure", "error", "skipped")))
print("\n".join(["", "Failures and errors:"] + (problems or ["  none"])))
print("\nSkips, by reason:")
for reason, names in sorted(skips.items(), key=lambda item: -len(item[1])):
    print(f"  [{len(names)}] {reason}\n        " + ", ".join(sorted(names)))
