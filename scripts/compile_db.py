#!/usr/bin/env python3
"""The compilation database of libs/ and tools/ (compile_commands.json),
from the commands b2 would run: `b2 -n -a` prints every command of a
from-scratch build without running one.  Used by `./build.sh lint`
(clang-tidy, cppcheck); no bear or compiler wrapper needed.

usage: scripts/compile_db.py OUTPUT.json [b2 targets...]
"""
import json
import os
import shlex
import subprocess
import sys


def main():
    out = sys.argv[1]
    targets = sys.argv[2:] or ["libs/nskit/build//nskit", "tools"]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # link=static: the library's one flavour the tools use (the shared one
    # differs only in visibility flags); release: what ships.
    dry = subprocess.run(["b2", "-n", "-a", "variant=release", "link=static"] + targets,
                         cwd=root, capture_output=True, text=True, check=True).stdout
    entries = {}
    for line in dry.splitlines():
        line = line.strip()
        if not line.startswith('"g++"') or " -c " not in line:
            continue
        args = shlex.split(line)
        source = args[-1]
        if not source.startswith(("libs/", "tools/")) or not source.endswith(".cpp"):
            continue
        entries[source] = {"directory": root, "file": os.path.join(root, source), "arguments": args}
    if not entries:
        sys.exit("compile_db.py: b2 -n printed no compile commands for libs/ and tools/")
    with open(out, "w") as f:
        json.dump(sorted(entries.values(), key=lambda e: e["file"]), f, indent=1)
    print(f"compile_db.py: {len(entries)} sources in {out}")


if __name__ == "__main__":
    main()
