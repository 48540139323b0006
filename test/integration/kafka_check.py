#!/usr/bin/python3
"""Independent check of what flatwal-shipper put into Kafka.

Reads every table topic with python3-confluent-kafka, decodes the frames with
code that flatc generated from format/flatwal.fbs (no flatwal C++ involved),
and checks against the source database:

  * every committed change arrived: the distinct streamed (commit_lsn, seq)
    changes per table equal the count a test_decoding slot reported for the
    same WAL (when --oracle-slot is given);
  * snapshot rows (op read) between SnapshotMarker frames replace the table's
    state as of the snapshot's consistent LSN;
  * per-key order: within a partition, each key's first deliveries follow
    commit order;
  * identity: a streamed change is (commit_lsn, seq), a snapshot row the same
    pair among snapshot rows (a transaction whose commit record directly follows
    a snapshot's consistent point or a chunk's low watermark shares its
    commit_lsn with rows of that snapshot or chunk: docs/format.md);
  * the table rebuilt from the topic equals the source table, row for row;
  * duplicates (allowed: at-least-once) never predate --min-duplicate-lsn;
  * every keyed message sits in the partition the Java client would choose
    (murmur2 of the key, made positive, modulo the partition count), so Kafka
    Streams and Flink joins by key line up.

Prints a summary and "N passed, M failed"; exits non-zero on any failure.
"""
import argparse
import collections
import json
import struct
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "build" / "gen" / "python"))
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition  # noqa: E402
from flatwal.wire import Event, Body, Change, Truncate, Kind, Op, SnapshotMarker, SnapshotPhase  # noqa: E402


def java_murmur2(data):
    """org.apache.kafka.common.utils.Utils.murmur2, as a signed 32-bit int."""
    m, r, mask = 0x5BD1E995, 24, 0xFFFFFFFF
    h = (0x9747B28C ^ len(data)) & mask
    length4 = len(data) // 4
    for i in range(length4):
        k = int.from_bytes(data[i * 4:i * 4 + 4], "little")
        k = (k * m) & mask
        k ^= k >> r
        k = (k * m) & mask
        h = (h * m) & mask
        h ^= k
    rest = len(data) % 4
    tail = data[length4 * 4:]
    if rest == 3:
        h ^= tail[2] << 16
    if rest >= 2:
        h ^= tail[1] << 8
    if rest >= 1:
        h ^= tail[0]
        h = (h * m) & mask
    h ^= h >> 13
    h = (h * m) & mask
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def java_partition(key, partitions):
    return (java_murmur2(key) & 0x7FFFFFFF) % partitions


def lsn_value(text):
    hi, lo = text.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)


# The vtable slots of Row's vectors this checker reads (flatc numbers a table's
# fields 4, 6, 8, ... in schema order: kinds, ints, data, data_ends, floats, bools).
ROW_KINDS, ROW_INTS, ROW_DATA, ROW_DATA_ENDS, ROW_BOOLS = 4, 6, 8, 10, 14


def vector_of(table, slot, item_format):
    """A vector field's items in one read (the generated accessors read one
    item a call, which made this checker the slowest part of the snapshot
    suite): a tuple of `item_format` (struct) values, or bytes for "B"."""
    tab = table._tab
    o = tab.Offset(slot)
    if not o:
        return b"" if item_format == "B" else ()
    start, n = tab.Vector(o), tab.VectorLen(o)
    if item_format == "B":
        return bytes(tab.Bytes[start:start + n])
    return struct.unpack_from(f"<{n}{item_format}", tab.Bytes, start)


rows_verified = 0


def decode_row(row):
    """A packed Row as a list of texts (None for NULL, UNCHANGED for unchanged
    TOAST): each kind takes the next element of its payload vector."""
    kinds = vector_of(row, ROW_KINDS, "B")
    ints, bools = vector_of(row, ROW_INTS, "q"), vector_of(row, ROW_BOOLS, "B")
    data, data_ends = vector_of(row, ROW_DATA, "B"), vector_of(row, ROW_DATA_ENDS, "I")
    global rows_verified
    if rows_verified < 100:  # the slots above against the generated accessors, on the first rows
        rows_verified += 1
        assert list(kinds) == [row.Kinds(i) for i in range(row.KindsLength())]
        assert list(ints) == [row.Ints(i) for i in range(row.IntsLength())]
        assert list(bools) == [row.Bools(i) for i in range(row.BoolsLength())]
        assert list(data) == [row.Data(i) for i in range(row.DataLength())]
        assert list(data_ends) == [row.DataEnds(i) for i in range(row.DataEndsLength())]
    next_int = next_bool = next_data = 0
    values = []
    for kind in kinds:
        if kind == Kind.Kind.Null:
            values.append(None)
        elif kind == Kind.Kind.Unchanged:
            values.append(UNCHANGED)
        elif kind == Kind.Kind.Int:
            values.append(str(ints[next_int]))
            next_int += 1
        elif kind == Kind.Kind.Bool:
            values.append("true" if bools[next_bool] else "false")
            next_bool += 1
        elif kind in (Kind.Kind.Text, Kind.Kind.Numeric):
            # Variable-length payloads lie back to back in data; data_ends says where each ends.
            start = data_ends[next_data - 1] if next_data else 0
            values.append(data[start:data_ends[next_data]].decode())
            next_data += 1
        else:
            raise ValueError(f"checker does not decode kind {kind}")
    return values


UNCHANGED = object()
NULL_MARK = "<<null>>"


def psql(args, sql):
    out = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\t", "-P", f"null={NULL_MARK}", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                          "-p", str(args.pg_port), "-U", "postgres", "-d", args.dbname, "-c", sql],
                         capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"psql: {out.stderr}")
    return out.stdout


def consume(args, topics):
    """Every message of the topics, with partition and offset: up to each
    partition's end as it stood when the checker started (its callers run it
    once the shipper stopped, or confirmed everything written), then for
    --idle-seconds after the last message (0: not at all), for a late one."""
    # Partitions assigned, not a group subscription: the test broker can hold a
    # group's first join for up to the session timeout, longer than the idle wait.
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": f"checker-{time.time()}",
                         "enable.auto.commit": False})
    metadata = consumer.list_topics(timeout=10).topics
    present = [t for t in topics if t in metadata and metadata[t].error is None]  # a topic never written is empty
    assigned = [TopicPartition(t, p, OFFSET_BEGINNING) for t in present for p in metadata[t].partitions]
    ends = {(tp.topic, tp.partition): consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in assigned}
    unread = {tp for tp, end in ends.items() if end > 0}
    consumer.assign(assigned)
    messages, idle_since, deadline = [], time.time(), time.time() + args.timeout
    while time.time() < deadline and (unread or time.time() - idle_since < args.idle_seconds):
        m = consumer.poll(0.5)
        if m is None:
            continue
        if m.error():
            if "UNKNOWN_TOPIC" in str(m.error()):
                continue
            sys.exit(f"consumer error: {m.error()}")
        idle_since = time.time()
        messages.append(m)
        if m.offset() + 1 >= ends.get((m.topic(), m.partition()), 0):
            unread.discard((m.topic(), m.partition()))
    if unread:
        sys.exit(f"consumer: {len(unread)} partitions not read to their end in {args.timeout} s")
    partitions = {t: len(md.partitions) for t, md in consumer.list_topics(timeout=10).topics.items()}
    consumer.close()
    return messages, partitions


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--pg-port", type=int, required=True)
    p.add_argument("--dbname", required=True)
    p.add_argument("--tables", required=True, help="schema.table,... with their key columns as table(k1+k2)")
    p.add_argument("--oracle-slot", help="test_decoding slot created when the flatwal slot was")
    p.add_argument("--min-duplicate-lsn", default="0/0")
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--idle-seconds", type=float, default=1,
                   help="after the ends read at the start, wait this long for a message written late")
    args = p.parse_args()

    tables = {}
    for spec in args.tables.split(","):
        name, keys = spec.rstrip(")").split("(")
        tables[name] = keys.split("+")
    topics = [f"{args.prefix}.{t}" for t in tables]
    messages, partition_counts = consume(args, topics)
    misplaced = sum(1 for m in messages if m.key() is not None and
                    m.partition() != java_partition(m.key(), partition_counts[m.topic()]))

    failures, notes = [], []
    # Oracle: what test_decoding saw for the same WAL, per table.
    expected = collections.Counter()
    if args.oracle_slot:
        for line in psql(args, f"SELECT data FROM pg_logical_slot_peek_changes('{args.oracle_slot}', NULL, NULL)").splitlines():
            if line.startswith("table ") and ": TRUNCATE" not in line:
                expected[line[6:line.index(":")]] += 1

    columns = {}  # table -> column names, from the database (the checker's own view)
    for t in tables:
        schema, table = t.split(".")
        columns[t] = psql(args, f"SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute "
                                f"WHERE attrelid = '{t}'::regclass AND attnum > 0 AND NOT attisdropped").strip().split(",")

    seen = {}                      # (table, is_read, commit_lsn, seq) -> change, first delivery
    per_partition_key = collections.defaultdict(list)
    duplicates, truncates, snapshots = 0, {}, {}
    min_dup = lsn_value(args.min_duplicate_lsn)
    for m in messages:
        table = m.topic()[len(args.prefix) + 1:]
        if m.value() is None:
            continue  # tombstone
        frame = bytearray(m.value())
        if not Event.Event.EventBufferHasIdentifier(frame, 0):
            failures.append(f"{m.topic()}@{m.partition()}:{m.offset()}: not a flatwal frame")
            continue
        event = Event.Event.GetRootAs(frame, 0)
        body = event.Body()
        if event.BodyType() == Body.Body.SnapshotMarker:
            mk = SnapshotMarker.SnapshotMarker()
            mk.Init(body.Bytes, body.Pos)
            # An initial snapshot replaces the table as of its LSN; an on-demand one (LSN 0) replaces nothing.
            if mk.Phase() == SnapshotPhase.SnapshotPhase.Start and mk.ConsistentLsn() != 0:
                snapshots[(mk.ConsistentLsn(), table)] = True
            continue
        if event.BodyType() == Body.Body.Truncate:
            tr = Truncate.Truncate()
            tr.Init(body.Bytes, body.Pos)
            refs = [tr.Tables(i) for i in range(tr.TablesLength())]
            if refs and all(r.PartitionOf() is not None for r in refs):
                # Some partitions' rows only, which keys alone cannot name: the
                # rebuilt table keeps them, and the comparison says so.
                notes.append(f"{table}: a partition truncate, not applied by key")
                continue
            truncates[(tr.CommitLsn(), tr.Lsn(), table)] = True
            continue
        if event.BodyType() != Body.Body.Change:
            failures.append(f"{m.topic()}: unexpected event type {event.BodyType()}")
            continue
        ch = Change.Change()
        ch.Init(body.Bytes, body.Pos)
        h = ch.Header()
        is_read = h.Op() == Op.Op.Read
        ident = (table, is_read, h.CommitLsn(), h.Seq())
        key = m.key() or b""  # the shipper renders it from the row and the table's Schema frame
        if ident in seen:
            duplicates += 1
            if h.CommitLsn() < min_dup and h.Op() != Op.Op.Read:
                failures.append(f"duplicate of an already confirmed change: commit_lsn {h.CommitLsn():X} seq {h.Seq()}")
            continue
        after = None
        if ch.After() is not None:
            after = decode_row(ch.After())
        seen[ident] = (table, h.Op(), key, after)
        per_partition_key[(m.topic(), m.partition(), key)].append((h.CommitLsn(), 0 if is_read else 1, h.Seq()))

    # Per-key order: first deliveries of one key in one partition follow commit order.
    order_breaks = sum(1 for ids in per_partition_key.values() if ids != sorted(ids))
    if order_breaks:
        failures.append(f"{order_breaks} keys saw changes out of commit order")
    if misplaced:
        failures.append(f"{misplaced} keyed messages are not in the partition the Java client's murmur2 picks")

    # Nothing missing: distinct changes per table equal the oracle's count.
    got = collections.Counter(c[0] for c in seen.values() if c[1] != Op.Op.Read)
    for t in tables:
        if args.oracle_slot and got[t] != expected[t]:
            failures.append(f"{t}: test_decoding saw {expected[t]} changes, Kafka has {got[t]} distinct")

    # Rebuild each table in commit order (truncates included) and compare with the source.
    # A snapshot start sorts just before its own rows (seq from 1), which sort before
    # the stream, also before a transaction that committed at the same LSN.
    events = sorted([(ident[2], 0 if ident[1] else 1, ident[3], "change", v) for ident, v in seen.items()] +
                    [(c, 1, lsn, "truncate", t) for (c, lsn, t) in truncates] +
                    [(c, 0, -1, "truncate", t) for (c, t) in snapshots])
    state = {t: {} for t in tables}
    for commit_lsn, _, _, kind, payload in events:
        if kind == "truncate":
            state[payload].clear()
            continue
        table, op, key, after = payload
        if op == Op.Op.Delete:
            state[table].pop(key, None)
        else:
            old = state[table].get(key)
            state[table][key] = [o if a is UNCHANGED else a for a, o in zip(after, old or [None] * len(after))]
    for t, keys in tables.items():
        cols = columns[t]
        quoted = ('"' + c.replace('"', '""') + '"::text' for c in cols)  # column names as the table spells them
        rows = psql(args, f"SELECT {','.join(quoted)} FROM {t}").splitlines()
        source = sorted(tuple(None if v == NULL_MARK else v for v in r.split("\t")) for r in rows)
        rebuilt = sorted(tuple(r) for r in state[t].values())
        if source != rebuilt:
            missing = set(source) - set(rebuilt)
            extra = set(rebuilt) - set(source)
            failures.append(f"{t}: rebuilt table differs: {len(missing)} rows missing or stale, {len(extra)} extra; "
                            f"e.g. source {sorted(missing)[:2]} rebuilt {sorted(extra)[:2]}")
        else:
            notes.append(f"{t}: {len(source)} rows match")

    reads = sum(1 for c in seen.values() if c[1] == Op.Op.Read)
    print(f"kafka check: {len(messages)} messages, {len(seen)} distinct changes ({reads} snapshot reads), "
          f"{duplicates} duplicates, {len(truncates)} truncates, {len(snapshots)} table snapshots; " + "; ".join(notes))
    for f in failures:
        print("  FAILED: " + f)
    checks = 5
    failed = min(checks, len(failures))
    print(f"{checks - failed} passed, {failed} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
