"""Checks the operator files in docker/: the Prometheus alert rules parse,
have the alerts the runbook names, and, like the Grafana dashboard, refer
only to metrics the shipper and the sink write (names read from
shipper/metrics.cpp and sink/sink_metrics.cpp; a histogram's _bucket, _sum
and _count series too), so renaming a metric without its rules and panels
fails here.
Prints "N passed, M failed"."""
import json
import pathlib
import re
import sys

import yaml

from checks import check, finish, root


sources = [(root / f).read_text() for f in ("shipper/metrics.cpp", "sink/sink_metrics.cpp")]
exported = {name for text in sources for name in re.findall(r'"(flatwal_[a-z0-9_]+)"', text)}
histograms = {name for text in sources for name in re.findall(r'AppendTo\(&out, "(flatwal_[a-z0-9_]+)"', text)}
exported |= {h + suffix for h in histograms for suffix in ("_bucket", "_sum", "_count")}
check(len(exported) >= 10 and histograms, f"the shipper and the sink export {len(exported)} series, {len(histograms)} histograms")


def used(expressions):
    return {name for e in expressions for name in re.findall(r"\bflatwal_[a-z0-9_]+", e)}


rules = yaml.safe_load((root / "docker/prometheus/flatwal-alerts.yml").read_text())
alerts = {r["alert"]: r for g in rules["groups"] for r in g["rules"]}
wanted = {"FlatwalSlotLagWarning", "FlatwalSlotLagCritical", "FlatwalSlotInactive", "FlatwalShipperDown",
          "FlatwalSlotLost", "FlatwalSinkTargetDown", "FlatwalSinkLagging"}
check(wanted <= alerts.keys(), "alert rules: slot lag warning and critical, slot inactive or lost, shipper down, sink down or lagging")
check(all({"expr", "labels", "annotations"} <= r.keys() for r in alerts.values()), "every alert has expr, labels, annotations")
unknown = used(r["expr"] for r in alerts.values()) - exported
check(not unknown, f"alert rules name only exported metrics {sorted(unknown) or ''}")

dashboard = json.loads((root / "docker/grafana/flatwal-dashboard.json").read_text())
exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
unknown = used(exprs) - exported
check(bool(exprs) and not unknown, f"dashboard panels name only exported metrics {sorted(unknown) or ''}")
check("flatwal_shipper_slot_lag_bytes" in used(exprs), "the dashboard shows the slot lag")

finish("ops files")
