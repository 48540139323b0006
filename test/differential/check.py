#!/usr/bin/python3
"""Differential check: flatwal against contrib's test_decoding.

Runs workload.sql in a fresh database with one test_decoding slot and one
flatwal slot created before it, then checks that both report the same
changes, in the same order, with the same values. Values are compared by
PostgreSQL itself: each side is cast to the column's type and rendered with
the type's output function, so "the same" means what the database means.
Exits non-zero and prints the differences if anything disagrees.
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

DB = "flatwal_differential"


def psql(args, sql, db=DB):
    cmd = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", args.host, "-p", str(args.port),
           "-U", "postgres", "-d", db]
    out = subprocess.run(cmd, input=sql, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"psql failed: {out.stderr}")
    return out.stdout


# ------------------------------------------------------------------ test_decoding's text

def parse_value(text, pos):
    """A test_decoding value at pos: 'quoted' (with '' escapes), or a bare word."""
    if text[pos] == "'":
        out, pos = [], pos + 1
        while True:
            q = text.index("'", pos)
            out.append(text[pos:q])
            if q + 1 < len(text) and text[q + 1] == "'":
                out.append("'")
                pos = q + 2
            else:
                return "".join(out), q + 1
    end = text.find(" ", pos)
    end = len(text) if end < 0 else end
    word = text[pos:end]
    return (None if word == "null" else word), end


def parse_columns(text):
    """'a[integer]:1 b[text]:'x'' -> {name: (type, literal)}"""
    cols, pos = {}, 0
    while pos < len(text):
        while pos < len(text) and text[pos] == " ":
            pos += 1
        if pos >= len(text):
            break
        bracket = text.index("[", pos)
        name = text[pos:bracket].strip('"')
        close = text.index("]:", bracket)
        typ = text[bracket + 1:close]
        value, pos = parse_value(text, close + 2)
        cols[name] = (typ, value)
    return cols


def parse_test_decoding(lines):
    changes = []
    for line in lines:
        if line in ("BEGIN", "COMMIT") or not line.startswith("table "):
            continue
        head, op, rest = (line[len("table "):].split(": ", 2) + [""])[:3]
        if op == "TRUNCATE":
            changes.append({"op": "truncate", "tables": sorted(t.strip() for t in head.split(","))})
            continue
        old, new = {}, {}
        if rest.startswith("old-key: "):
            body = rest[len("old-key: "):]
            if " new-tuple: " in body:
                old_text, new_text = body.split(" new-tuple: ", 1)
                old, new = parse_columns(old_text), parse_columns(new_text)
            else:
                old = parse_columns(body)
        elif rest != "(no-tuple-data)":
            # A DELETE's old tuple comes without the "old-key:" label.
            if op == "DELETE":
                old = parse_columns(rest)
            else:
                new = parse_columns(rest)
        changes.append({"op": op.lower(), "table": head, "old": old, "new": new})
    return changes


# ------------------------------------------------------------------ flatwal's frames

def scalar_literal(value):
    """Typed JSON value from flatwal.to_json -> text PostgreSQL can cast back."""
    if value is None:
        return None
    tags = [k for k in value if k not in ("element_type_oid", "lower_bounds")]
    tag, x = tags[0], value[tags[0]]
    if tag == "unchanged":
        return "unchanged-toast-datum"
    if tag == "array":
        return array_literal(x, value.get("lower_bounds"))
    if tag == "interval":
        return f"{x['months']} mons {x['days']} days {x['micros']} microseconds"
    if tag == "json":
        return json.dumps(x)
    if tag == "bool":
        return "true" if x else "false"
    if tag in ("date", "timestamp", "timestamptz") and x.startswith("-") and x != "-infinity":
        # to_json writes astronomical years (year 0 = 1 BC); PostgreSQL reads "… BC".
        year, rest = x[1:].split("-", 1)
        return f"{int(year) + 1:04d}-{rest} BC"
    return str(x)


def array_literal(nested, lower_bounds):
    def render(level):
        if isinstance(level, list):
            return "{" + ",".join(render(e) for e in level) + "}"
        lit = scalar_literal(level)
        if lit is None:
            return "NULL"
        return '"' + lit.replace("\\", "\\\\").replace('"', '\\"') + '"'

    text = render(nested)
    if lower_bounds:
        dims, level = [], nested
        while isinstance(level, list):
            dims.append(len(level))
            level = level[0] if level else None
        text = "".join(f"[{lb}:{lb + n - 1}]" for lb, n in zip(lower_bounds, dims)) + "=" + text
    return text


def parse_flatwal(rows):
    # A change names its table by (relid, version): the Schema frame sent before it says which.
    schemas, changes = {}, []
    for row in rows:
        frame = json.loads(row)
        event = frame["event"]
        if event == "schema":
            schemas[(frame["relid"], frame["version"])] = (f"{frame['schema']}.{frame['table']}",
                                                           [c["name"] for c in frame["columns"]])
        elif event == "truncate":
            changes.append({"op": "truncate",
                            "tables": sorted(f"{t['schema']}.{t['table']}" for t in frame["tables"])})
        elif event == "change":
            table, names = schemas[(frame["relid"], frame["version"])]

            def image(values):
                if values is None:
                    return {}
                return {n: scalar_literal(v) for n, v in zip(names, values) if v != {"absent": True}}

            changes.append({"op": frame["op"], "table": table,
                            "old_image": frame["old_image"], "old": image(frame["before"]),
                            "new": image(frame["after"])})
    return changes


# ------------------------------------------------------------------ comparison

def sql_literal(text):
    return "NULL" if text is None else "'" + text.replace("'", "''") + "'"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()

    psql(args, f"DROP DATABASE IF EXISTS {DB}; CREATE DATABASE {DB};", db="postgres")
    psql(args, "SET client_min_messages = warning; CREATE EXTENSION flatwal;")
    psql(args, Path(__file__).with_name("workload.sql").read_text())
    td_lines = psql(args, "SELECT data FROM pg_logical_slot_get_changes('differential_td', NULL, NULL, "
                          "'include-xids', '0', 'skip-empty-xacts', '1')").splitlines()
    fw_rows = psql(args, "SELECT flatwal.to_json(f) FROM pg_logical_slot_get_binary_changes("
                         "'differential_fw', NULL, NULL) AS s, LATERAL flatwal.frames(s.data) AS f").splitlines()
    psql(args, "SELECT pg_drop_replication_slot('differential_td'), pg_drop_replication_slot('differential_fw')")

    td, fw = parse_test_decoding(td_lines), parse_flatwal(fw_rows)
    problems, comparisons = [], []
    if len(td) != len(fw):
        problems.append(f"test_decoding reported {len(td)} changes, flatwal {len(fw)}")
    for i, (a, b) in enumerate(zip(td, fw)):
        if a["op"] != b["op"] or a.get("table") != b.get("table") or a.get("tables") != b.get("tables"):
            problems.append(f"change {i}: test_decoding {a['op']} {a.get('table') or a.get('tables')}, "
                            f"flatwal {b['op']} {b.get('table') or b.get('tables')}")
            continue
        if a["op"] == "truncate":
            continue
        for image in ("new", "old"):
            for name, (typ, td_value) in a[image].items():
                if name not in b[image]:
                    problems.append(f"change {i} ({a['op']} {a['table']}): {image} column {name} missing in flatwal")
                    continue
                comparisons.append((i, image, name, typ, td_value, b[image][name]))
        extra = set(b["new"]) - set(a["new"])
        if extra:
            problems.append(f"change {i}: flatwal has columns test_decoding does not: {sorted(extra)}")

    # One query compares every value pair through the column's own type.
    toast = "unchanged-toast-datum"
    checks = []
    for n, (i, image, name, typ, td_value, fw_value) in enumerate(comparisons):
        if td_value == toast or fw_value == toast:
            if td_value != fw_value:
                problems.append(f"change {i} {image}.{name}: test_decoding {td_value!r}, flatwal {fw_value!r}")
            continue
        cast = "jsonb" if typ == "json" else typ
        checks.append(f"({n}, ({sql_literal(td_value)}::{cast})::text IS NOT DISTINCT FROM "
                      f"({sql_literal(fw_value)}::{cast})::text)")
    if checks:
        bad = psql(args, "SELECT n FROM (VALUES " + ",\n".join(checks) + ") AS v(n, same) WHERE NOT same")
        for n in bad.split():
            i, image, name, typ, td_value, fw_value = comparisons[int(n)]
            problems.append(f"change {i} {image}.{name} [{typ}]: test_decoding {td_value!r}, flatwal {fw_value!r}")

    psql(args, f"DROP DATABASE {DB}", db="postgres")
    ops = {}
    for c in td:
        ops[c["op"]] = ops.get(c["op"], 0) + 1
    summary = ", ".join(f"{k} {v}" for k, v in sorted(ops.items()))
    if problems:
        print(f"differential: {len(problems)} difference(s) between test_decoding and flatwal:")
        for p in problems[:50]:
            print("  " + p)
        print(f"0 passed, 1 failed")
        return 1
    print(f"differential: {len(td)} changes ({summary}), {len(checks)} values compared through their types: "
          "flatwal reports exactly what test_decoding reports")
    print("1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
