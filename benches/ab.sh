#!/usr/bin/env bash
# A/B timing of two evtriage builds on the benchmark logs: is a change a
# slowdown? (benches/compare.sh measures evtriage against the peer parser;
# this compares evtriage with itself, before and after.)
#
#   benches/ab.sh BASE NEW [ROUNDS]
#
# Runs `analyze --format json` and `dump --format jsonl` (2 threads, warm
# cache) of both binaries in turn, ROUNDS times (default 5, after one warm-up
# round), on the 1 GiB System and Security logs that compare.sh builds and on
# a log of distinct chunks (make_big_evtx.py N = 0: nothing repeats), and
# prints median wall time, median CPU time and peak RSS, with NEW/BASE.
# Needs GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: benches/ab.sh BASE NEW [ROUNDS]" >&2; exit 2; }
base=$1; new=$2; rounds=${3:-5}
work=${BENCH_DIR:-/tmp/evtriage-bench}
shared=${EVTRIAGE_SHARED:-$(cd "${EVTRIAGE_CORPUS:-../shared/corpus}/.." && pwd)}
corpus=${EVTRIAGE_CORPUS:-$shared/corpus}
unique=$work/unique-0.evtx
[ -s "$unique" ] || python3 "$shared/tools/make_big_evtx.py" "$unique" 0 "$corpus"/evtx/*.evtx "$corpus"/evtx-more/*.evtx >&2
logs=()
for f in "$work/system-16384.evtx" "$work/security-16384.evtx" "$unique"; do
  if [ -s "$f" ]; then logs+=("$f"); else echo "ab.sh: no $f (run benches/compare.sh once to build it)" >&2; fi
done
out=$(mktemp /tmp/evtriage-ab.XXXXXX)
trap 'rm -f "$out"' EXIT
run() { # tag bin args...
  local tag=$1; shift
  /usr/bin/time -f "$tag %e %U %S %M" -a -o "$out" "$@" >/dev/null 2>/dev/null || true
}
for round in $(seq 0 "$rounds"); do
  for log in "${logs[@]}"; do
    name=$(basename "$log" .evtx)
    for which in base new; do
      bin=$base; [ $which = new ] && bin=$new
      if [ "$round" -eq 0 ]; then
        "$bin" analyze --threads 2 --format json "$log" -o /dev/null >/dev/null 2>&1 || true
        continue
      fi
      run "$which analyze $name" "$bin" analyze --threads 2 --format json "$log" -o /dev/null
      run "$which dump $name" "$bin" dump --threads 2 --format jsonl "$log"
    done
  done
done
python3 - "$out" <<'PY'
import statistics, sys
by = {}
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) < 7 or parts[0] not in ("base", "new"):
        continue
    which, cmd, log = parts[0], parts[1], parts[2]
    wall, cpu, rss = float(parts[3]), float(parts[4]) + float(parts[5]), int(parts[6])
    by.setdefault((cmd, log), {}).setdefault(which, []).append((wall, cpu, rss))
print(f"{'command':<10}{'log':<16}{'base wall':>10}{'new wall':>10}{'new/base':>9}{'base cpu':>10}{'new cpu':>9}{'base MB':>9}{'new MB':>8}")
for (cmd, log), d in sorted(by.items()):
    if "base" not in d or "new" not in d:
        continue
    m = lambda xs, i: statistics.median_low(sorted(x[i] for x in xs))
    bw, nw = m(d["base"], 0), m(d["new"], 0)
    bc, nc = m(d["base"], 1), m(d["new"], 1)
    br, nr = max(x[2] for x in d["base"]) / 1024, max(x[2] for x in d["new"]) / 1024
    print(f"{cmd:<10}{log:<16}{bw:>10.2f}{nw:>10.2f}{(nw / bw if bw else 0):>9.2f}{bc:>10.2f}{nc:>9.2f}{br:>9.0f}{nr:>8.0f}")
PY
