#!/usr/bin/python3
"""Dumps the Debezium-format topics of one shipper run as stable text, for
comparison with the golden files in test/expected/debezium/.

Reads every topic whose name starts with PREFIX. (except flatwal's own:
schemas, heartbeats) with python3-confluent-kafka, in (topic, partition,
offset) order, and writes one JSON object per message: topic, key, the
__debezium.* headers, and value. Keys and values are parsed as JSON (a
message that is not valid JSON fails the dump), keeping the order of their
fields; strings longer than 256 characters are shown as their length and
digest; what differs from run to run is masked: wall-clock and commit times
(ts_ms/ts_us/ts_ns), LSNs (source.lsn, source.sequence), transaction ids.
"""
import argparse
import hashlib
import json
import sys

from confluent_kafka import Consumer

from topics import read_topic

VOLATILE_SOURCE = ("ts_ms", "ts_us", "ts_ns", "sequence", "lsn", "txId")


def mask(value):
    """Masks the fields that change from run to run, in place."""
    if not isinstance(value, dict):
        return value
    payload = value.get("payload", value) if "schema" in value and "payload" in value else value
    if not isinstance(payload, dict):
        return value
    for field in ("ts_ms", "ts_us", "ts_ns"):
        if field in payload:
            payload[field] = "<time>"
    source = payload.get("source")
    if isinstance(source, dict):
        for field in VOLATILE_SOURCE:
            if source.get(field) is not None:
                source[field] = "<" + field + ">"
    transaction = payload.get("transaction")
    if isinstance(transaction, dict) and "id" in transaction:
        transaction["id"] = "<txid>"
    if payload.get("status") in ("BEGIN", "END"):
        payload["id"] = "<txid>"
    return value


def shorten(value):
    """Long strings (TOAST-sized values) as their length and digest."""
    if isinstance(value, str) and len(value) > 256:
        return f"<{len(value)} chars, sha1 {hashlib.sha1(value.encode()).hexdigest()[:16]}>"
    if isinstance(value, dict):
        return {k: shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shorten(v) for v in value]
    return value


def parse(raw, what, topic):
    if raw is None:
        return None
    try:
        return shorten(json.loads(raw))
    except ValueError as e:
        sys.exit(f"{topic}: the {what} is not JSON ({e}): {raw[:200]!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--prefix", required=True)
    args = ap.parse_args()
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": "dump", "enable.auto.commit": False})
    metadata = consumer.list_topics(timeout=10)
    topics = sorted(t for t in metadata.topics
                    if t.startswith(args.prefix + ".") and not t.startswith(args.prefix + ".flatwal."))
    for topic in topics:
        for _, _, key, value, headers in read_topic(consumer, topic, metadata.topics[topic].partitions):
            key = key if key is None else key.decode()
            value = value if value is None else value.decode()
            headers = {k: v.decode() for k, v in headers if k.startswith("__debezium")}
            name = topic[len(args.prefix) + 1:]
            record = {"topic": name, "key": mask(parse(key, "key", topic))}
            if name == "transaction":  # keyed by the transaction id
                mask_key = record["key"].get("payload", record["key"])
                mask_key["id"] = "<txid>"
            if headers:
                record["headers"] = {k: mask(parse(v, k, topic)) for k, v in headers.items()}
            record["value"] = mask(parse(value, "value", topic))
            print(json.dumps(record, ensure_ascii=False))
    consumer.close()


if __name__ == "__main__":
    main()
