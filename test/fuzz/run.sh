#!/usr/bin/env bash
# Runs each libFuzzer target (built by `make fuzz-build`) for FUZZ_SECONDS
# (default 60) under AddressSanitizer and UndefinedBehaviorSanitizer, starting
# from its seed corpus in test/fuzz/corpus/TARGET, after replaying every input
# in test/fuzz/regressions/TARGET (crashes found before, kept so they stay
# fixed). A crash fails the run and leaves its input in build/fuzz/crashes.
# Prints "fuzz: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-60}
passed=0 failed=0
mkdir -p build/fuzz/crashes
for target in frames plugin_options shipper_config pgoutput; do
	bin=build/fuzz/fuzz_$target
	work=$(mktemp -d /tmp/flatwal-fuzz.XXXXXX)
	cp -r "test/fuzz/corpus/$target/." "$work/"  # the repository's corpus stays as committed
	regressions=()
	[ -d "test/fuzz/regressions/$target" ] && mapfile -t regressions < <(find "test/fuzz/regressions/$target" -type f)
	status=0
	if [ ${#regressions[@]} -gt 0 ]; then
		"$bin" "${regressions[@]}" >"$work.log" 2>&1 || status=$?
	fi
	if [ "$status" = 0 ]; then
		"$bin" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix=build/fuzz/crashes/"$target"- "$work" >>"$work.log" 2>&1 || status=$?
	fi
	runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$work.log" | grep -oE '[0-9]+$' | tail -1)
	if [ "$status" = 0 ]; then
		echo "ok: fuzz_$target: ${runs:-?} inputs in ${seconds} s, ${#regressions[@]} regression inputs, no crash"
		passed=$((passed + 1))
	else
		echo "FAILED: fuzz_$target (exit $status); the input is in build/fuzz/crashes:"
		grep -E 'ERROR|SUMMARY|Test unit written' "$work.log" | head -5 | sed 's/^/    /'
		failed=$((failed + 1))
	fi
	rm -rf "$work" "$work.log"
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" = 0 ]
