#!/usr/bin/env bash
# Rebuilds docs/benchmarks.md from every bench/<name>/RESULTS.md (each benchmark keeps its
# own figures next to its script; this page is their index).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - <<'PY'
import glob, os, re
out = ["# Benchmarks", "",
       "Each benchmark lives in `bench/<name>/` with the script that runs it and a `RESULTS.md`",
       "holding its figures, the command and the machine; this page collects them",
       "(`bench/collect.sh` regenerates it). Figures marked as taken under load were measured",
       "while the 2-core machine was shared with parallel builds: they are an ordering, not the",
       "machine's capability, and are to be re-measured on an idle machine."]
for path in sorted(glob.glob("bench/*/RESULTS.md")):
    name = os.path.basename(os.path.dirname(path))
    lines = open(path).read().splitlines()
    in_code, top, first = False, None, True
    body = []
    for line in lines:
        if line.startswith("```"):
            in_code = not in_code
        m = None if in_code else re.match(r"^(#+) (.*)$", line)
        if m:
            level = len(m.group(1))
            top = level if top is None else top
            level = max(2, level - top + 2)
            text = m.group(2) + (f" (bench/{name})" if first else "")
            first = False
            line = "#" * level + " " + text
        body.append(line)
    if first:
        body.insert(0, f"## bench/{name}")
    out += ["", "---", "", f"<!-- from {path} -->"] + body
open("docs/benchmarks.md", "w").write("\n".join(out) + "\n")
print("wrote docs/benchmarks.md")
PY
