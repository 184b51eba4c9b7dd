#!/usr/bin/env bash
# Checks that two evtriage builds give byte-identical output: `analyze
# --format json` reports, and `dump --format jsonl` stdout and stderr, with
# 1 and 2 threads, over the corpus (together and file by file), the
# fixtures, dump's filters, and the large benchmark logs when they exist.
#
#   benches/identical.sh BASE NEW
#
# BASE and NEW are evtriage binaries (e.g. a copy of target/release/evtriage
# taken before a change, and the build after it). Every optimisation in
# docs/performance.md was checked this way. Exits 1 on any difference.
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: benches/identical.sh BASE NEW" >&2; exit 2; }
base=$1; new=$2
corpus=${EVTRIAGE_CORPUS:-../shared/corpus}
bench=${BENCH_DIR:-/tmp/evtriage-bench}
out=$(mktemp -d /tmp/evtriage-identical.XXXXXX)
trap 'rm -rf "$out"' EXIT
rc=0
compare() { # tag, then the input paths and options
  local tag=$1; shift
  for th in 1 2; do
    "$base" analyze --threads $th --format json "$@" -o "$out/b.json" 2>/dev/null
    "$new" analyze --threads $th --format json "$@" -o "$out/n.json" 2>/dev/null
    cmp -s "$out/b.json" "$out/n.json" || { echo "analyze differs: $tag, $th thread(s)"; rc=1; }
  done
}
compare_dump() {
  local tag=$1; shift
  for th in 1 2; do
    "$base" dump --threads $th --format jsonl "$@" >"$out/b.out" 2>"$out/b.err"
    "$new" dump --threads $th --format jsonl "$@" >"$out/n.out" 2>"$out/n.err"
    if ! cmp -s "$out/b.out" "$out/n.out" || ! cmp -s "$out/b.err" "$out/n.err"; then
      echo "dump differs: $tag, $th thread(s)"
      rc=1
    fi
  done
}
if [ -d "$corpus" ]; then
  compare corpus "$corpus"
  compare_dump corpus "$corpus"
  compare_dump "corpus, levels" "$corpus" --level error,warning
  compare_dump "corpus, channel and times" "$corpus" --channel system --since 2016-01-01 --until 2020-01-01
  compare_dump "corpus, ids and level" "$corpus" --id 7000-7045 --level 2
  for f in "$corpus"/evtx/*.evtx; do
    compare "$(basename "$f")" "$f"
    compare_dump "$(basename "$f")" "$f"
  done
else
  echo "no corpus at $corpus (set EVTRIAGE_CORPUS): corpus not compared" >&2
fi
compare fixtures fixtures
compare_dump fixtures fixtures
for f in system-2048 security-2048 system-16384 security-16384 unique-0 unique-nobin unique-bin; do
  if [ -f "$bench/$f.evtx" ]; then
    compare "$f" "$bench/$f.evtx"
    compare_dump "$f" "$bench/$f.evtx"
  fi
done
[ $rc -eq 0 ] && echo "identical"
exit $rc
