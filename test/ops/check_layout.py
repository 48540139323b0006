"""Checks the code's layout against what the README says of it:
  * the README's layout block names every top-level folder of the tree, and
    every folder it names exists (test/ subfolders too);
  * the include graph: common/ includes only common/; format/ only format/,
    common/ and the generated wire code; runtime/ only runtime/ and common/;
    each program (shipper/, sink/, consumer/) only its own folder, format/,
    runtime/ and common/ — never another program's (a program's subfolders,
    such as shipper/snapshot/, count as the program); the snapshot wing
    (shipper/snapshot/) never includes the shipper's loop (shipper.h), which
    stands above it; plugin/ only plugin/, format/ and common/ (PostgreSQL's
    headers through plugin/pg.h alone).
Prints "N passed, M failed"."""
import pathlib
import re
import subprocess
import sys

from checks import check, finish, root


readme = (root / "README.md").read_text()
block = readme.split("## Layout", 1)[1].split("```", 2)[1]
named = {m.group(1).rstrip("/") for m in re.finditer(r"^(\S*/\S*)\s", block, re.M)}
tracked = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True).stdout.split()
top = {p.split("/")[0] for p in tracked if "/" in p and not p.startswith(".")}
tests = {"/".join(p.split("/")[:2]) for p in tracked if p.startswith("test/") and p.count("/") >= 2}
missing = sorted((top | tests) - named - {"test"})
stale = sorted(n for n in named if not (root / n).is_dir())
check(not missing, "the README's layout names every folder", [f"not named: {m}" for m in missing])
check(not stale, "every folder the README's layout names exists", [f"no such folder: {s}" for s in stale])

headers = {}  # header name -> the top-level folders that hold one by that name
for p in tracked:
    if p.endswith(".h"):
        headers.setdefault(pathlib.PurePath(p).name, set()).add(pathlib.PurePath(p).parts[0])
allowed = {
    "common": {"common"},
    "format": {"format", "common", "(generated)"},
    "runtime": {"runtime", "common"},
    "shipper": {"shipper", "format", "runtime", "common", "(generated)"},
    "sink": {"sink", "format", "runtime", "common", "(generated)"},
    "consumer": {"consumer", "format", "runtime", "common", "(generated)"},
    "plugin": {"plugin", "format", "common", "(generated)", "(postgres)"},
}


def includes(path):
    for line in path.read_text().splitlines():
        m = re.match(r'\s*#include "([^"]+)"', line)
        if m:
            yield m.group(1)


for folder, may in sorted(allowed.items()):
    wrong = []
    for path in sorted((root / folder).rglob("*.[ch]*")):
        for name in includes(path):
            if "/" in name:  # PostgreSQL's own headers, e.g. "utils/rel.h"
                where = {"(postgres)"}
            elif name == "flatwal_generated.h":
                where = {"(generated)"}
            elif name == "postgres.h":
                where = {"(postgres)"}
            elif path.name == "pg.h" and name not in headers:  # the seam: PostgreSQL's top-level headers
                where = {"(postgres)"}
            else:
                where = headers.get(name, {"(unknown)"})
            if not where & may:
                wrong.append(f"{path.relative_to(root)} includes {name} ({', '.join(sorted(where))})")
            if "(postgres)" in where and folder == "plugin" and path.name != "pg.h":
                wrong.append(f"{path.relative_to(root)} includes PostgreSQL's {name} outside plugin/pg.h")
    check(not wrong, f"{folder}/ includes only {', '.join(sorted(may))}", wrong)

upward = [f"{path.relative_to(root)} includes shipper.h"
          for path in sorted((root / "shipper" / "snapshot").glob("*.[ch]*")) if "shipper.h" in includes(path)]
check(not upward, "shipper/snapshot/ (the snapshot wing) never includes the shipper's loop", upward)

finish("layout")
