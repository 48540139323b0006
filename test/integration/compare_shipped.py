#!/usr/bin/env python3
"""Compares what two shippers wrote, as flatwal-consume prints it (one JSON
object per line, topic prefix replaced by X): per topic and key, the same
events in the same order. Records without a key (tables without one) go to
any partition: compared as one list ordered by position. Left out: the
shipped-slot records (each slot's own positions) and the snapshots'
consistent points (two slots are made at two points in the WAL); a Schema
frame repeated unchanged counts once."""
import json
import sys


def events(path):
    by_key = {}
    for line in open(path, encoding="utf-8"):
        if not line.startswith("{"):
            continue
        record = json.loads(line)
        event = record.get("event")
        if record["topic"].endswith(".flatwal.shipped"):
            continue
        if isinstance(event, dict):
            if event.get("op") == "read":
                event.pop("commit_lsn", None)
            event.pop("consistent_lsn", None)
        group = (record["topic"], record.get("key"))
        by_key.setdefault(group, []).append((record["partition"], record["offset"], event))
    out = {}
    for group, items in by_key.items():
        if group[1] is None:  # no key: by position in the WAL
            items.sort(key=lambda i: (json.dumps(i[2].get("commit_lsn")), i[2].get("seq", 0)) if isinstance(i[2], dict) else ("", 0))
        else:
            items.sort(key=lambda i: (i[0], i[1]))
        texts = [json.dumps(i[2], sort_keys=True) for i in items]
        if group[0].endswith(".flatwal.schemas"):
            texts = [t for n, t in enumerate(texts) if n == 0 or t != texts[n - 1]]
        out[group] = texts
    return out


def main():
    a, b = events(sys.argv[1]), events(sys.argv[2])
    differences = 0
    for group in sorted(set(a) | set(b), key=str):
        if a.get(group) != b.get(group):
            differences += 1
            if differences <= 5:
                print("differs: topic %s key %s" % group)
                print("  %s: %s" % (sys.argv[1], (a.get(group) or ["(none)"])[:3]))
                print("  %s: %s" % (sys.argv[2], (b.get(group) or ["(none)"])[:3]))
    print("%d topic keys compared, %d differ" % (len(set(a) | set(b)), differences))
    return 1 if differences else 0


sys.exit(main())
