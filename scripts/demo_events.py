#!/usr/bin/env python3
"""Prints the demo's events (flatwal-consume's JSON lines) for a person:
schemas first, then every event in commit order.

    demo_events.py EVENTS.jsonl
"""
# Kafka keeps order per partition, so sorting by commit position only undoes
# the interleaving of partitions.
import json, sys
def lsn(text):
    hi, lo = text.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)
columns, entries, last_in_partition = {}, [], {}
for line in open(sys.argv[1]):
    m = json.loads(line)
    e = m["event"]
    where = (m["topic"], m["partition"])
    if e == "tombstone":
        order = last_in_partition[where] + (0.5,)
    elif e["event"] == "schema":
        columns[(e["relid"], e["version"])] = [c["name"] for c in e["columns"]]
        order = (-1, e["version"])
    elif e["event"] == "change":
        order = (lsn(e["commit_lsn"]), e["seq"])
    elif e["event"] in ("snapshot_start", "snapshot_end"):
        order = (lsn(e["consistent_lsn"]), 0 if e["event"] == "snapshot_start" else 1 << 40)
    else:
        order = (lsn(e.get("commit_lsn", "0/0")), 0)
    last_in_partition[where] = order
    entries.append((order, m))

def show(e, row):
    vals = {}
    # A change names its table by relid and version: its Schema frame has the column names.
    for name, v in zip(columns.get((e["relid"], e["version"]), []), row):
        if isinstance(v, dict) and "absent" in v:
            continue
        vals[name] = next(iter(v.values())) if isinstance(v, dict) else v
    return json.dumps(vals)

for _, m in sorted(entries, key=lambda x: x[0]):
    e = m["event"]
    where = f"{m['topic']:<30} p{m['partition']} @{m['offset']:<2}"
    if e == "tombstone":
        print(f"{where} key={m['key']:<6} tombstone (compaction marker after a delete)")
        continue
    kind = e["event"]
    if kind == "schema":
        print(f"{where} schema {e['schema']}.{e['table']} version {e['version']}: "
              f"{', '.join(columns[(e['relid'], e['version'])])}")
    elif kind == "change":
        print(f"{where} key={m['key']:<6} {e['op']:<6} v{e['version']} commit {e['commit_lsn']} seq {e['seq']}")
        if e["before"] is not None:
            print(f"{'':40} before {show(e, e['before'])}")
        elif e["old_image"] == "key_unchanged":
            print(f"{'':40} before (key unchanged)")
        if e["after"] is not None:
            print(f"{'':40} after  {show(e, e['after'])}")
    elif kind in ("snapshot_start", "snapshot_end"):
        rows = f", {e['rows']} rows" if kind == "snapshot_end" else ""
        print(f"{where} {kind.replace('_', ' ')} of {e['schema']}.{e['table']} at {e['consistent_lsn']}{rows}")
    elif kind == "shipped":
        print(f"{where} how far slot {e['record'].get('slot')} was shipped: "
              f"{e['record'].get('end_lsn')} on timeline {e['record'].get('timeline')}")
    elif kind == "message":
        print(f"{where} message {e['prefix']}: {bytes.fromhex(e['content'][2:]).decode()}")
    else:
        print(f"{where} {kind}")
