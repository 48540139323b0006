#!/usr/bin/env python3
"""Compares what two shippers wrote, as flatwal-consume prints it (one JSON
object per line, topic prefix replaced by X): per topic and key, the same
events in the same order. Records without a key (tables without one) go to
any partition: compared as one list ordered by position. Left out: the
shipped-slot records (each slot's own positions) and the snapshots'
consistent points (two slots are made at two points in the WAL), and the
Schema frames' column attnums and fast defaults (the pgoutput source reads
them from the catalog when it meets the table, not as of the WAL:
docs/pgoutput.md); a Schema frame repeated unchanged counts once.

With --debezium, the two files are Debezium-format topics as kcat prints
them (topic, partition, offset, key, value separated by tabs, the topic
prefix replaced by X everywhere): the same comparison, leaving out when each
record was written (the envelope's ts_ms/ts_us/ts_ns, and the source's
outside a transaction) and, for snapshot rows, their place in each slot's
WAL (source lsn and sequence)."""
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
            for column in event.get("columns") or []:
                if isinstance(column, dict):
                    column.pop("attnum", None)
                    column.pop("missing", None)
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


def debezium_events(path):
    by_key = {}
    for line in open(path, encoding="utf-8"):
        fields = line.rstrip("\n").split("\t", 4)
        if len(fields) < 5 or ".flatwal." in fields[0]:  # flatwal's own topics: frames, compared without --debezium
            continue
        topic, partition, offset, key, value = fields
        record = json.loads(value) if value else None  # None: a tombstone
        payload = record.get("payload", record) if isinstance(record, dict) else record
        if isinstance(payload, dict):
            for field in ("ts_ms", "ts_us", "ts_ns"):
                payload.pop(field, None)
            source = payload.get("source")
            if isinstance(source, dict) and source.get("txId") is None:
                # Outside a transaction (snapshot rows, non-transactional
                # messages) source.ts_* is when the shipper wrote the record.
                for field in ("ts_ms", "ts_us", "ts_ns"):
                    source.pop(field, None)
            if payload.get("op") == "r" and isinstance(source, dict):
                source.pop("lsn", None)
                source.pop("sequence", None)
        by_key.setdefault((topic, key or None), []).append((int(partition), int(offset), record))
    out = {}
    for group, items in by_key.items():
        items.sort(key=lambda i: (i[0], i[1]))
        texts = [json.dumps(i[2], sort_keys=True) for i in items]
        if group[1] is None:  # no key: any partition, compared as a list in order of its text
            texts.sort()
        out[group] = texts
    return out


def main():
    read = events
    if sys.argv[1] == "--debezium":
        read = debezium_events
        del sys.argv[1]
    a, b = read(sys.argv[1]), read(sys.argv[2])
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
