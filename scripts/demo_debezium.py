#!/usr/bin/env python3
"""Prints the demo's Debezium-format events for a person: one line per
message of kcat's "KEY<TAB>VALUE" output, with the key, op, source.snapshot
and two columns of the row.

    kcat -C -t dbz.public.orders -f '%k\\t%s\\n' … | demo_debezium.py
"""
import json
import sys

for line in sys.stdin:
    key, _, value = line.rstrip("\n").partition("\t")
    if not value:
        print(f"   key={key:<10} tombstone")
        continue
    event = json.loads(value)
    row = event["after"] or {}
    print(f"   key={key:<10} op={event['op']} snapshot={event['source']['snapshot']:<24} "
          f"status={row.get('status')} amount={row.get('amount')}")
