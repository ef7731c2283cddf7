#!/bin/sh
# Run libFuzzer targets one after the other; used by mk/fuzz.mk.
#   tests/fuzz/run.sh OUTDIR "LIBFUZZER FLAGS" fuzz_NAME...
# Each target starts from its committed seeds (tests/fuzz/corpus/NAME) plus
# what earlier runs added (OUTDIR/corpus/NAME). Prints one line per target
# with libFuzzer's exec count and coverage; exits 1 if any target crashed,
# leaked or timed out (the artifact is OUTDIR/fuzz_NAME-crash-*, the log
# OUTDIR/fuzz_NAME.log).
out=$1 flags=$2
shift 2
: "${ASAN_OPTIONS:=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1}"
: "${UBSAN_OPTIONS:=print_stacktrace=1:halt_on_error=1}"
export ASAN_OPTIONS UBSAN_OPTIONS
failed=0
for t in "$@"; do
	name=${t#fuzz_}
	work=$out/corpus/$name
	mkdir -p "$work"
	cp -n tests/fuzz/corpus/"$name"/* "$work"/ 2>/dev/null
	# shellcheck disable=SC2086 # $flags is a list of flags
	"$out/$t" $flags -print_final_stats=1 -artifact_prefix="$out/$t-" "$work" \
		>"$out/$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log")
	cov=$(grep -o 'cov: [0-9]*' "$out/$t.log" | tail -n 1)
	printf '%-16s %9s execs  %-10s rc=%s\n' "$t" "${execs:-?}" "$cov" "$rc"
	if [ "$rc" -ne 0 ]; then
		tail -n 40 "$out/$t.log"
		failed=1
	fi
done
exit $failed
