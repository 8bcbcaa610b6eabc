#!/usr/bin/env bash
# Builds the libFuzzer targets (Fuzz/, docs/fuzzing.md) with AddressSanitizer and runs each
# for FUZZ_SECONDS; exits non-zero when any target crashes, leaks, times out or runs out of
# memory (libFuzzer's own verdicts), after running the others.
#
#   Fuzz/run.sh [target ...]         targets: csv panelcache manifest strategy pattern parquet (default: all)
#   FUZZ_SECONDS=60                  seconds per target (libFuzzer -max_total_time)
#   FUZZ_BUILD_ONLY=1                build, do not run
#   FUZZ_SCRATCH=.build-fuzz         build folder; the grown corpora and crash inputs stay there
#   FUZZ_LEAK_INPUTS=200             grown-corpus inputs the leak pass checks, besides the seeds
#   FUZZ_ARGS="-only_ascii=1"        extra libFuzzer flags
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
SECONDS_EACH=${FUZZ_SECONDS:-60}
SCRATCH=${FUZZ_SCRATCH:-.build-fuzz}
LEAK_INPUTS=${FUZZ_LEAK_INPUTS:-200}
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(csv panelcache manifest strategy pattern parquet)

product() {
  case "$1" in
    csv) echo FuzzCSV ;; panelcache) echo FuzzPanelCache ;; manifest) echo FuzzManifest ;;
    strategy) echo FuzzStrategy ;; pattern) echo FuzzPattern ;; parquet) echo FuzzParquet ;;
    *) echo "unknown fuzz target '$1' (csv, panelcache, manifest, strategy, pattern, parquet)" >&2; exit 64 ;;
  esac
}
# Longest input libFuzzer may make, per target (the Parquet seeds are real files of 5–7 KB).
max_len() { case "$1" in csv | parquet) echo 8192 ;; *) echo 4096 ;; esac; }

start=$(date +%s)
# Two passes: from an empty scratch folder, a product built early was seen linked without its
# coverage counters (the fuzzer then runs blind); the second pass relinks it, and costs a
# few seconds when nothing changed.
for pass in 1 2; do
  for t in "${TARGETS[@]}"; do
    p=$(product "$t")
    # LUNAR_FUZZ declares the targets in Package.swift; ld.gold's notes about ASan's local
    # symbols are noise. SwiftPM passes its sanitizers to swiftc as two flags, in an order that
    # changes between invocations, and of `-sanitize=` flags swiftc keeps only the last: the
    # Swift code got ASan without coverage counters, or counters without ASan. The one combined
    # flag, passed last, gives both.
    if ! LUNAR_FUZZ=1 "$SWIFT" build --scratch-path "$SCRATCH" --sanitize=fuzzer --sanitize=address \
           -Xswiftc -sanitize=fuzzer,address --product "$p" 2>&1 \
        | { grep -v "Cannot export local symbol" || true; }; then
      echo "fuzz: building $p failed" >&2; exit 1
    fi
  done
done
echo "fuzz: built ${TARGETS[*]} in $(( $(date +%s) - start )) s"
[ -n "${FUZZ_BUILD_ONLY:-}" ] && exit 0

bin="$SCRATCH/debug"
failed=()
# The Swift runtime's own crash reporter would run first and confuse ASan's report.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="allocator_may_return_null=0:${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan.supp:print_suppressions=0:${LSAN_OPTIONS:-}"
for t in "${TARGETS[@]}"; do
  p=$(product "$t")
  work="$SCRATCH/fuzz-corpus/$t"; artifacts="$SCRATCH/fuzz-artifacts/$t"; logs="$SCRATCH/fuzz-logs"
  mkdir -p "$work" "$artifacts" "$logs"
  common=(-timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$t")" -artifact_prefix="$artifacts/")
  # 1. Fuzz. The grown corpus goes to $work; the committed seeds (second folder) are only
  #    read. Leak checks are off here: libFuzzer checks an input whenever it allocated more than
  #    it freed, and the Swift runtime's first-use caches (metadata, conformances) make that
  #    true of most new inputs — each check costs ~0.1 s and cut the rate by 10–25×.
  # 2. Leak pass: the seeds and up to FUZZ_LEAK_INPUTS inputs of the grown corpus (a fixed
  #    pseudo-random choice: the files are named by their hash) run once more, LeakSanitizer
  #    checking each one that allocated more than it freed (libFuzzer's checks while it runs
  #    an initial corpus), and the whole process at its exit.
  leakset="$SCRATCH/fuzz-leakcheck/$t"
  rm -rf "$leakset"; mkdir -p "$leakset"
  # shellcheck disable=SC2086
  if ASAN_OPTIONS="detect_leaks=0:$ASAN_OPTIONS" "$bin/$p" "${common[@]}" -max_total_time="$SECONDS_EACH" -detect_leaks=0 \
       -dict="Fuzz/dict/$t.dict" -print_final_stats=1 ${FUZZ_ARGS:-} "$work" "Fuzz/corpus/$t" > "$logs/$t.log" 2>&1 &&
     cp Fuzz/corpus/"$t"/* "$leakset"/ &&
     { mapfile -t grown < <(find "$work" -type f | sort)   # no `| head`: pipefail would see sort's SIGPIPE
       for f in "${grown[@]:0:$LEAK_INPUTS}"; do cp "$f" "$leakset"/; done; } &&
     "$bin/$p" "${common[@]}" -runs=0 -detect_leaks=1 "$leakset" > "$logs/$t-leaks.log" 2>&1; then
    # A binary without coverage counters fuzzes blind and finds nothing; say so instead of "ok".
    # (Seen when swiftc was given the sanitizers as two flags, see the build above: the run still
    # catches crashes, leaks and hangs in what it executes, so it warns instead of failing.)
    if ! grep -q "inline 8-bit counters" "$logs/$t.log"; then
      echo "fuzz $t: WARNING — $p has no coverage instrumentation, so it fuzzed blind; rebuild it (rm -rf $SCRATCH/*/debug/$p*)" >&2
      continue
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$logs/$t.log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$logs/$t.log" | tail -1)
    echo "fuzz $t: ok — ${runs:-?} inputs in ${SECONDS_EACH} s (${rate:-?}/s), ${cov:-cov: ?}, corpus of $(ls "$work" | wc -l);" \
         "no leaks in $(ls "$leakset" | wc -l) inputs"
  else
    echo "fuzz $t: FAILED (logs: $logs/$t*.log, the input: $artifacts/)" >&2
    cat "$logs/$t.log" "$logs/$t-leaks.log" 2>/dev/null \
      | grep -E "ERROR: |SUMMARY: |Fatal error|deadly signal|Test unit written|leak" | head -20 >&2 || true
    failed+=("$t")
  fi
done
echo "fuzz: ${#TARGETS[@]} targets, ${SECONDS_EACH} s each, $(( $(date +%s) - start )) s in all"
[ ${#failed[@]} -eq 0 ] || { echo "fuzz: failures in ${failed[*]}" >&2; exit 1; }
