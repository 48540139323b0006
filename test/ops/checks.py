"""The pass/fail counting the checks in test/ops share: check() prints one
"ok: …" or "FAILED: …" line (with up to ten lines of detail), finish() the
"NAME: N passed, M failed" line and exits non-zero on a failure."""
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parents[2]
_counts = {"passed": 0, "failed": 0}


def check(ok, what, details=()):
    print(("ok: " if ok else "FAILED: ") + what)
    for d in list(details)[:10]:
        print("    " + d)
    _counts["passed" if ok else "failed"] += 1


def finish(name):
    print(f"{name}: {_counts['passed']} passed, {_counts['failed']} failed")
    sys.exit(1 if _counts["failed"] else 0)
