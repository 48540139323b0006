# timing.sh — how long each part of a test run took, printed as a table.
# Source it, then:
#   timed NAME COMMAND...   runs COMMAND, records NAME, its seconds and its exit
#                           status, and returns that status
#   timing_table TITLE      prints the recorded parts, slowest first, and the total
# Each part is one line "seconds<TAB>status<TAB>name" in $timing_file (a
# temporary file unless the caller set it).

timing_file=${timing_file:-$(mktemp /tmp/flatwal-timing.XXXXXX)}

timed() {
	local name=$1 started=$SECONDS status=0
	shift
	"$@" || status=$?
	printf '%s\t%s\t%s\n' "$((SECONDS - started))" "$status" "$name" >>"$timing_file"
	return "$status"
}

timing_table() {
	local total
	total=$(awk -F'\t' '{ s += $1 } END { print s + 0 }' "$timing_file")
	echo "== $1 (seconds, slowest first)"
	sort -t$'\t' -k1,1nr "$timing_file" |
		awk -F'\t' '{ printf "%6d  %-6s %s\n", $1, ($2 == 0 ? "ok" : "exit " $2), $3 }'
	printf '%6d  total\n' "$total"
}
