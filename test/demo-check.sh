#!/usr/bin/env bash
# Runs the README's demo command and checks that it showed the whole pipeline
# working, so the demo cannot rot unnoticed. Prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(timeout 300 scripts/demo.sh 2>&1)
status=$?
expect=(
	"snapshot start of public.orders"
	"key=[101]  read   v1"
	"snapshot end of public.orders"
	"msg=\"snapshot complete\" rows=3"
	"schema public.orders version 1"
	"schema public.orders version 2"
	"key=[1]    insert v1"
	"key=[2]    update v1"
	"key=[3]    delete v1"
	"key=[1]    update v2"
	"tombstone (compaction marker after a delete)"
	"message outbox.payments: {\"order\": 2, \"event\": \"paid\"}"
	"msg=stopped reason=signal"
	"target orders = source orders (every column, every row)"
	"key={\"id\":101} op=r snapshot=first"
	"key={\"id\":2}   op=u snapshot=false"
	"key={\"id\":3}   tombstone"
)
missing=0
for line in "${expect[@]}"; do
	grep -qF -- "$line" <<<"$out" || { echo "demo output lacks: $line"; missing=$((missing + 1)); }
done
if [ "$status" != 0 ] || [ "$missing" != 0 ]; then
	echo "$out" | tail -40
	echo "demo: 0 passed, 1 failed (exit $status, $missing expected lines missing)"
	exit 1
fi
echo "demo: 1 passed, 0 failed"
