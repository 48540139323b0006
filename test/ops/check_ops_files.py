"""Checks the operator files in docker/: the Prometheus alert rules parse,
have the alerts the runbook names, and, like the Grafana dashboard, refer
only to metrics the shipper writes (names read from shipper/metrics.cpp), so
renaming a metric without its rules and panels fails here.
Prints "N passed, M failed"."""
import json
import pathlib
import re
import sys

import yaml

root = pathlib.Path(__file__).resolve().parents[2]
passed = failed = 0


def check(ok, what):
    global passed, failed
    print(("ok: " if ok else "FAILED: ") + what)
    if ok:
        passed += 1
    else:
        failed += 1


exported = set(re.findall(r'"(flatwal_[a-z0-9_]+)"', (root / "shipper/metrics.cpp").read_text()))
check(len(exported) >= 10, f"the shipper exports {len(exported)} metrics")


def used(expressions):
    return {name for e in expressions for name in re.findall(r"\bflatwal_[a-z0-9_]+", e)}


rules = yaml.safe_load((root / "docker/prometheus/flatwal-alerts.yml").read_text())
alerts = {r["alert"]: r for g in rules["groups"] for r in g["rules"]}
wanted = {"FlatwalSlotLagWarning", "FlatwalSlotLagCritical", "FlatwalSlotInactive", "FlatwalShipperDown"}
check(wanted <= alerts.keys(), "alert rules: slot lag warning and critical, slot inactive, shipper down")
check(all({"expr", "labels", "annotations"} <= r.keys() for r in alerts.values()), "every alert has expr, labels, annotations")
unknown = used(r["expr"] for r in alerts.values()) - exported
check(not unknown, f"alert rules name only exported metrics {sorted(unknown) or ''}")

dashboard = json.loads((root / "docker/grafana/flatwal-dashboard.json").read_text())
exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
unknown = used(exprs) - exported
check(bool(exprs) and not unknown, f"dashboard panels name only exported metrics {sorted(unknown) or ''}")
check("flatwal_shipper_slot_lag_bytes" in used(exprs), "the dashboard shows the slot lag")

print(f"ops files: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
