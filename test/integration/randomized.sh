#!/usr/bin/env bash
# The randomized end-to-end differential test: a seeded workload
# (test/integration/random_workload.py: tables and columns named to break
# generated SQL, a partitioned table, TOASTed values, excluded and masked
# columns, key moves, upserts, savepoints, rollbacks, large transactions,
# truncates, ADD/DROP/RENAME COLUMN) goes through the shipper and the test broker into flatwal-sink's
# PostgreSQL target (a partition detached and attached again among the DDL),
# while seeded faults strike between and during rounds:
# the shipper, the sink, the broker, the source and the target killed or
# cut off, on-demand snapshots requested. At the end every target table
# equals its source column for column (excluded columns absent, masked ones
# their HMAC), and the history tables hold exactly
# the changes test_decoding saw, each once, and nothing was dead-lettered.
#
#   randomized.sh PORT                 (the source cluster; run-suites.sh runs it)
#   RANDOM_SEED=N       the seed (default: from the clock); printed first, so a failure is re-run with it
#   RANDOM_ROUNDS=N     rounds of RANDOM_TXNS transactions each (default 12 of 40)
#   RANDOM_MINUTES=M    instead of a number of rounds: rounds for M minutes, checked every 10 (the long run)
#   RANDOM_KEEP=1       keep the source database and the scratch directory (logs, the target's files);
#                       a failed run keeps the scratch directory anyway
# Prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
source test/lib/itest.sh
port=$1
seed=${RANDOM_SEED:-$(($(date +%s%N) % 1000000007))}
rounds=${RANDOM_ROUNDS:-12}
transactions=${RANDOM_TXNS:-40}
minutes=${RANDOM_MINUTES:-}
echo "seed $seed (re-run: RANDOM_SEED=$seed test/integration/randomized.sh PORT)"
RANDOM=$seed  # the faults' choices and moments come from the seed too
db=flatwal_random_src
work=$(mktemp -d /tmp/flatwal-random.XXXXXX)
chmod 755 "$work"
target_port=$(test/lib/free-port.sh)
pgdata=$(psql -X -At -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "SHOW data_directory")
sink_pid=""
# A failed run keeps its scratch directory (the logs of the shipper, the sink and the broker) and says where.
trap '[ -n "$sink_pid" ] && kill -KILL "$sink_pid" 2>/dev/null; stop_started; cluster_stop "$work/target"
      if [ -n "${RANDOM_KEEP:-}" ] || [ "$failed" != 0 ]; then echo "kept: $work"; else rm -rf "$work"; fi' EXIT
cluster_start "$work/target" "$target_port" >/dev/null
target="host=127.0.0.1 port=$target_port user=postgres dbname=postgres"
tsql() { psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$target_port" -U postgres -d postgres "$@"; }
workload() { PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=$db python3 test/integration/random_workload.py "$@"; }

drop_database "$db" >/dev/null 2>&1  # a run stopped halfway left it, with its slots
python3 test/integration/random_workload.py schema "$seed" | fresh_database "$db" || { failed "the seed's tables"; exit 1; }
sql -c "CREATE EXTENSION pgcrypto" >/dev/null  # the masked columns' HMAC, to compare
# Round 0 before the shipper starts: rows for the initial snapshot.
run_round() { workload round "$seed" "$1" "$transactions" | sql -v ON_ERROR_STOP=0 >/dev/null 2>>"$work/workload-errors.log"; }
run_round 0
history_from=$(sql -c "SELECT lsn FROM pg_create_logical_replication_slot('random_reference', 'test_decoding')")
# The broker stops by itself after its lifetime: long enough for the run on a busy machine.
start_test_broker --max-seconds $(( ${minutes:-0} * 60 + rounds * 120 + 900 ))
start_shipper_here() { start_shipper "$work/shipper.log" --slot random_test --topic-prefix rnd -s 100; }
start_shipper_here
wait_streaming "$work/shipper.log" || exit 1
start_sink() {
	build/bin/flatwal-sink -b "$bootstrap" -d "$target" --topic-prefix rnd --batch-ms 100 --history \
		-X session.timeout.ms=6000 -X heartbeat.interval.ms=500 -X max.poll.interval.ms=20000 >>"$work/sink.log" 2>&1 &
	sink_pid=$!
}
start_sink

mapfile -t tables < <(workload tables "$seed")
# COUNT:MD5 of a table's rows in key order, over the source's columns now.
table_digest() {  # PSQL-FUNCTION TABLE KEYS COLUMNS
	$1 -c "SELECT count(*) || ':' || coalesce(md5(string_agg(r::text, '|' ORDER BY $3)), '') FROM (SELECT $4 FROM $2) r" 2>&1
}
# A table's columns as the target must hold them: the source's expressions
# (a masked column as the HMAC the plugin sends), a tab, the target's names;
# excluded columns in neither. The policy is read as it is now: it follows
# renames, and leaves a column with its drop.
compared_columns() {
	sql -F $'\t' -c "SELECT string_agg(CASE WHEN a.attname::text = ANY (coalesce(s.masked_columns, '{}'))
	                    THEN format('encode(hmac(convert_to(%I::text, ''UTF8''), (SELECT key FROM flatwal.mask_key), ''sha256''), ''hex'')', a.attname)
	                    ELSE quote_ident(a.attname) END, ', ' ORDER BY a.attnum),
	                  string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
	        FROM pg_attribute a LEFT JOIN flatwal.source_tables s ON s.relid = a.attrelid
	        WHERE a.attrelid = '$(echo "$1" | sed "s/'/''/g")'::regclass AND a.attnum > 0 AND NOT a.attisdropped
	          AND NOT a.attname::text = ANY (coalesce(s.excluded_columns, '{}'))"
}
differing=()
converged() {  # SECONDS
	local entry table keys from_source from_target
	for _ in $(seq 1 $(($1 * 2))); do
		differing=()
		for entry in "${tables[@]}"; do
			table=${entry%%$'\t'*} keys=${entry#*$'\t'}
			IFS=$'\t' read -r from_source from_target < <(compared_columns "$table")
			# An empty table may have had DDL since its last change (the target follows with the next).
			[ "$(sql -c "SELECT count(*) FROM $table")" = 0 ] && from_source=1 from_target=1
			[ "$(table_digest sql "$table" "$keys" "$from_source")" = "$(table_digest tsql "$table" "$keys" "$from_target")" ] ||
				differing+=("$table")
		done
		[ "${#differing[@]}" = 0 ] && return 0
		sleep 0.5
	done
	return 1
}
show_difference() {
	local entry table keys from_source from_target
	for entry in "${tables[@]}"; do
		table=${entry%%$'\t'*} keys=${entry#*$'\t'}
		IFS=$'\t' read -r from_source from_target < <(compared_columns "$table")
		sql -c "SELECT $keys, md5(r::text) FROM (SELECT $from_source FROM $table) r ORDER BY $keys" >"$work/source.rows" 2>&1
		tsql -c "SELECT $keys, md5(r::text) FROM (SELECT $from_target FROM $table) r ORDER BY $keys" >"$work/target.rows" 2>&1
		cmp -s "$work/source.rows" "$work/target.rows" && continue
		echo "   $table: source $(wc -l <"$work/source.rows") rows, target $(wc -l <"$work/target.rows"); first differences (key|md5):"
		diff "$work/source.rows" "$work/target.rows" | head -6 | sed 's/^/     /'
	done
	grep -E 'level=(error|warning)' "$work/sink.log" | sort | uniq -c | sort -rn | head -5
}

# One fault, chosen by the seed, while a round's transactions run.
fault() {
	local choice=$((RANDOM % 10)) entry
	sleep "0.$((RANDOM % 9 + 1))"
	case $choice in
	0 | 1)
		kill -KILL "$shipper_pid"; wait "$shipper_pid" 2>/dev/null
		echo "fault: shipper killed"
		start_shipper_here ;;
	2 | 3)
		kill -KILL "$sink_pid"; wait "$sink_pid" 2>/dev/null
		echo "fault: sink killed"
		start_sink ;;
	4)
		echo "down 1" >"$work/broker.ctl"; sleep 2; echo "up 1" >"$work/broker.ctl"
		echo "fault: broker down 2 s" ;;
	5)
		cluster_as_owner "$PG_BIN/pg_ctl" -D "$work/target/data" -m immediate stop >/dev/null
		cluster_as_owner "$PG_BIN/pg_ctl" -D "$work/target/data" -l "$work/target/server.log" -w -t 60 start >/dev/null
		echo "fault: target restarted (-m immediate)" ;;
	6)
		cluster_as_owner "$PG_BIN/pg_ctl" -D "$pgdata" -m immediate -w -t 60 restart -l "$pgdata/../server.log" >/dev/null
		echo "fault: source restarted (-m immediate)" ;;
	7)
		entry=${tables[$((RANDOM % ${#tables[@]}))]}
		sql -c "SELECT flatwal.request_snapshot('$(echo "${entry%%$'\t'*}" | sed "s/'/''/g")')" >/dev/null 2>&1
		echo "fault: on-demand snapshot of ${entry%%$'\t'*}" ;;
	*) echo "fault: none" ;;
	esac
}

# A target table takes a new version's columns with the table's next change:
# one change of each table after its last DDL, before the tables are compared.
settle() {
	local entry table keys
	for entry in "${tables[@]}"; do
		table=${entry%%$'\t'*} keys=${entry#*$'\t'}
		sql -c "UPDATE $table SET ${keys%%,*} = ${keys%%,*}
		        WHERE ($keys) IN (SELECT $keys FROM $table ORDER BY $keys LIMIT 1)" >/dev/null
	done
}

round=0
deadline=$(( $(date +%s) + ${minutes:-0} * 60 ))
checks=0
while :; do
	round=$((round + 1))
	if [ -n "$minutes" ]; then [ "$(date +%s)" -lt "$deadline" ] || break; else [ "$round" -le "$rounds" ] || break; fi
	run_round "$round" &
	load=$!
	fault
	wait "$load"
	# The long run checks every 10 rounds, so a defect is caught near its cause.
	if [ -n "$minutes" ] && [ $((round % 10)) = 0 ]; then
		checks=$((checks + 1))
		settle
		wait_confirmed random_test "" 120 >/dev/null
		if converged 120; then
			echo "round $round: every table equals its source"
		else
			failed "round $round: ${differing[*]} differ from the source (seed $seed)"
			show_difference
			break
		fi
	fi
done
settle
echo "   $((round - 1)) rounds; $(grep -c ERROR "$work/workload-errors.log" 2>/dev/null) statements refused at the source (rolled back as the workload intends)"
if wait_confirmed random_test "" 120 && converged 120; then
	ok "seed $seed: after $((round - 1)) rounds under faults, every table equals its source (${#tables[@]} tables)"
else
	failed "seed $seed: ${differing[*]} differ from the source"
	show_difference
fi

# The history tables against test_decoding: the same changes, each exactly once.
workload_tables=""
for entry in "${tables[@]}"; do
	workload_tables+="${workload_tables:+, }'$(echo "${entry%%$'\t'*}" | sed "s/'/''/g")'"
done
# test_decoding names a partition, the history its table: by the seed's
# names, as a partition detached now was attached when its changes were
# made. What a partition took while detached no stream carries (its rows
# came by the snapshot after the ATTACH): the generator's log says when.
partitions="(NULL::regclass, NULL::regclass)"
while IFS=$'\t' read -r partition parent; do
	partitions+=", ('$(sed "s/'/''/g" <<<"$partition")', '$(sed "s/'/''/g" <<<"$parent")')"
done < <(workload partitions "$seed")
sql -c "SELECT d.lsn || ' ' || d.xid || ' ' || format('%I.%I', n.nspname, c.relname) || ' ' || lower(substring(d.data from ': ([A-Z]+):'))
        FROM pg_logical_slot_peek_changes('random_reference', NULL, NULL) d
        CROSS JOIN LATERAL to_regclass(substring(d.data from '^table (.+?): [A-Z]+:')) AS r(changed)
        LEFT JOIN (VALUES $partitions) AS p(part, parent) ON p.part = r.changed
        JOIN pg_class c ON c.oid = coalesce(p.parent, r.changed)
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE d.data ~ ': (INSERT|UPDATE|DELETE):' AND c.oid = ANY (ARRAY[$workload_tables]::regclass[])
          AND NOT EXISTS (SELECT FROM random_detached l WHERE l.part::regclass = r.changed
                          AND d.lsn >= l.from_lsn AND (l.to_lsn IS NULL OR d.lsn < l.to_lsn))" 2>&1 | sort >"$work/reference.txt"
history_union=""
for entry in "${tables[@]}"; do
	table=${entry%%$'\t'*}
	IFS=$'\t' read -r name history < <(tsql -F $'\t' -c "SELECT format('%I.%I', n.nspname, c.relname), format('%I.%I', n.nspname, c.relname || '_history')
	        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass('$(echo "$table" | sed "s/'/''/g")')")
	[ -n "$history" ] || continue
	history_union+="${history_union:+ UNION ALL }SELECT lsn, xid, '$(echo "$name" | sed "s/'/''/g")' AS tbl, op FROM $history WHERE op <> 'read'"
done
[ -n "$history_union" ] && tsql -c "SELECT lsn || ' ' || xid || ' ' || tbl || ' ' || op FROM ($history_union) h
                                     WHERE lsn >= '$history_from'" 2>&1 | sort >"$work/history.txt"
# The history is the log of what was applied: no change twice, none the
# source did not make, and what is missing from it is exactly what was
# dead-lettered (the run fails on any dead letter below, and this check
# still says which changes they were).
letters=$(timeout 20 kcat -b "$bootstrap" -C -t rnd.flatwal.dlq -o beginning -e -q -f '%h\n' 2>/dev/null)
changes_refused=$(grep -c 'flatwal.op=\(insert\|update\|delete\)' <<<"$letters")
twice=$(uniq -d "$work/history.txt" | wc -l)
unknown=$(comm -13 "$work/reference.txt" "$work/history.txt" | wc -l)
absent=$(comm -23 "$work/reference.txt" "$work/history.txt" | wc -l)
if [ -s "$work/reference.txt" ] && [ "$twice" = 0 ] && [ "$unknown" = 0 ] && [ "$absent" = "$changes_refused" ]; then
	ok "seed $seed: the history tables hold every change test_decoding saw that was applied, exactly once ($(wc -l <"$work/history.txt") changes; dead-lettered and not in them: $absent)"
else
	failed "seed $seed: history against test_decoding: $(wc -l <"$work/reference.txt") changes, $(wc -l <"$work/history.txt") in the history; twice $twice, unknown $unknown, absent $absent (dead letters of changes: $changes_refused)"
	diff "$work/reference.txt" "$work/history.txt" | head -6
fi
if [ -z "$letters" ]; then
	ok "seed $seed: no dead letters"
else
	failed "seed $seed: dead letters: $(head -3 <<<"$letters")"
fi
sql -c "SELECT pg_drop_replication_slot('random_reference')" >/dev/null
stop_started
kill -TERM "$sink_pid" 2>/dev/null; wait "$sink_pid" 2>/dev/null; sink_pid=""
[ -n "${RANDOM_KEEP:-}" ] || drop_database "$db" >/dev/null
finish_suite "randomized (seed $seed)"
