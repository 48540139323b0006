#!/usr/bin/python3
"""An independent reader of Debezium-format topics: it knows only the
envelope of Debezium's PostgreSQL connector (nothing of flatwal), rebuilds
each table from its topic, and compares it with the source.

Two ways of reading, as real consumers do:
  * upsert, as a JDBC or key-value sink does: c/r/u put `after` under the
    message key, d deletes the key, tombstones are ignored, t empties the table;
  * changelog, as Flink's debezium-json format does (tables named in --full,
    REPLICA IDENTITY FULL): c/r insert `after`, u retracts `before` and
    inserts `after`, d retracts `before`; every retraction must find the row
    it retracts, and an update without `before` fails, as it does in Flink.
A value equal to the unavailable-value placeholder (an unchanged TOAST
value) keeps the row's previous value, as consumers of Debezium's
PostgreSQL events must. Events are applied in source.sequence order
([commit lsn, lsn]), per table; a redelivered event (same topic, key,
sequence and op: at-least-once) is applied once.

Prints what it checked and "N passed, M failed"; exits non-zero on failure.
"""
import argparse
import collections
import decimal
import json
import subprocess
import sys

from confluent_kafka import Consumer

from topics import read_topic

ENVELOPE_FIELDS = ["before", "after", "source", "transaction", "op", "ts_ms", "ts_us", "ts_ns"]
PLACEHOLDER = "__debezium_unavailable_value"


def source_rows(args, table, columns):
    query = f"SELECT coalesce(json_agg(json_build_array({', '.join(columns)})), '[]') FROM {table}"
    out = subprocess.run(["psql", "-X", "-At", "-h", "127.0.0.1", "-p", str(args.pg_port), "-U", "postgres",
                          "-d", args.dbname, "-c", query], check=True, capture_output=True, text=True).stdout
    return [tuple(normal(v) for v in row) for row in json.loads(out)]


def normal(value):
    """Numbers compare as decimals whatever their JSON spelling (12.5, "12.50")."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return decimal.Decimal(str(value)).normalize()
    if isinstance(value, str):
        try:
            return decimal.Decimal(value).normalize()
        except decimal.InvalidOperation:
            return value
    return json.dumps(value, sort_keys=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--pg-port", type=int, required=True)
    ap.add_argument("--dbname", required=True)
    ap.add_argument("--tables", required=True, help="schema.table(col,col,...),... with the key columns first")
    ap.add_argument("--keys", required=True, help="schema.table=key+key,...")
    ap.add_argument("--full", default="", help="tables with full before images, read as Flink does too")
    ap.add_argument("--expect-snapshot", action="store_true", help="read rows (op r) must be there")
    ap.add_argument("--expect-incremental", default="", help="tables with rows of an on-demand snapshot")
    args = ap.parse_args()

    passed = failed = 0

    def check(ok, what):
        nonlocal passed, failed
        print(("ok: " if ok else "FAILED: ") + what)
        if ok:
            passed += 1
        else:
            failed += 1

    keys = dict(item.split("=") for item in args.keys.split(","))
    full = set(filter(None, args.full.split(",")))
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": "debezium-reader",
                         "enable.auto.commit": False})
    for spec in args.tables.split("),"):
        name, cols = spec.rstrip(")").split("(")
        columns = cols.split(",")
        key_columns = keys[name].split("+")
        topic = f"{args.prefix}.{name}"
        messages = read_topic(consumer, topic, consumer.list_topics(topic, timeout=10).topics[topic].partitions)
        events, duplicates, malformed, tombstones = [], 0, 0, 0
        seen = set()
        for partition, offset, key, value, _ in messages:
            key = json.loads(key) if key is not None else None
            value = json.loads(value) if value is not None else None
            if value is None:
                tombstones += 1
                continue
            if list(value.keys()) != ENVELOPE_FIELDS or value["op"] not in "crudt":
                malformed += 1
                continue
            commit_lsn, lsn = (int(x) for x in json.loads(value["source"]["sequence"]))
            identity = (json.dumps(key, sort_keys=True), commit_lsn, lsn, value["op"])
            if identity in seen:
                duplicates += 1
                continue
            seen.add(identity)
            events.append(((commit_lsn, lsn, partition, offset), key, value))
        events.sort(key=lambda e: e[0])
        ops = collections.Counter(v["op"] for _, _, v in events)
        check(malformed == 0, f"{topic}: {len(messages)} messages are Debezium envelopes with fields in order "
                              f"({dict(ops)}, {tombstones} tombstones, {duplicates} redelivered)")
        if args.expect_snapshot:
            initial = collections.Counter(v["source"]["snapshot"] for _, _, v in events
                                          if v["op"] == "r" and v["source"]["snapshot"] != "incremental")
            check(ops["r"] > 0 and initial["first"] + initial["first_in_data_collection"] == 1
                  and initial["last_in_data_collection"] == 1,
                  f"{topic}: the snapshot's rows arrived as op r, its first and last marked ({dict(initial)})")
        if name in args.expect_incremental.split(","):
            snapshots = collections.Counter(v["source"]["snapshot"] for _, _, v in events if v["op"] == "r")
            check(snapshots["incremental"] > 0 and snapshots["first"] + snapshots["first_in_data_collection"] == 1,
                  f"{topic}: read rows say which snapshot they came from ({dict(snapshots)})")

        def row_of(image, previous):
            row = []
            for i, c in enumerate(columns):
                v = image.get(c)
                if v == PLACEHOLDER and previous is not None:
                    v = previous[i]  # unchanged TOAST value: the last one seen
                row.append(v)
            return tuple(row)

        # Upsert by key.
        table, key_errors = {}, 0
        for _, key, value in events:
            op = value["op"]
            if op == "t":
                table.clear()
                continue
            k = json.dumps([key[c] for c in key_columns]) if key else None
            if op == "d":
                table.pop(k, None)
            else:
                table[k] = row_of(value["after"], table.get(k))
                key_errors += [value["after"][c] for c in key_columns] != [key[c] for c in key_columns]
        rebuilt = sorted(tuple(normal(v) for v in row) for row in table.values())
        expected = sorted(source_rows(args, name, columns))
        check(key_errors == 0 and rebuilt == expected,
              f"{topic}: read by key (upsert) equals the source ({len(expected)} rows)")
        if rebuilt != expected:
            missing = [r for r in expected if r not in rebuilt][:3]
            extra = [r for r in rebuilt if r not in expected][:3]
            print(f"   missing {missing}\n   extra {extra}")
        if name not in full:
            continue
        # Changelog, as Flink's debezium-json: a multiset of rows.
        rows, problems = collections.Counter(), []
        for _, key, value in events:
            op, before, after = value["op"], value["before"], value["after"]
            if op == "t":
                rows.clear()
                continue
            old = row_of(before, None) if before is not None else None
            if op in "ud":
                if old is None:
                    problems.append(f"{op} without before")
                    continue
                if rows[old] == 0:
                    problems.append(f"{op} retracts a row not there: {str(old)[:80]}")
                    continue
                rows[old] -= 1
                if rows[old] == 0:
                    del rows[old]
            if op in "cru":
                rows[row_of(after, old)] += 1
        rebuilt = sorted(tuple(normal(v) for v in row) for row in rows.elements())
        check(not problems and rebuilt == expected,
              f"{topic}: read as a changelog (Flink's debezium-json) equals the source, every retraction found its row")
        for p in problems[:3]:
            print("   " + p)
    consumer.close()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
