#!/usr/bin/env bash
# Side-by-side benchmark: evtriage against the peer parser `evtx_dump` (evtx 0.15.1).
#
#   benches/compare.sh [--quick]
#
# Builds the large inputs from the corpus with ../shared/tools/make_big_evtx.py,
# installs the peer into target/peer if it is missing, runs every command
# RUNS times (warm cache, 2 threads), and writes medians, ratios and peak RSS
# to docs/performance.md between the BENCH markers. --quick uses 128 MiB files
# and 3 runs. Needs python3 and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
shared=${EVTRIAGE_SHARED:-$root/../shared}
corpus=${EVTRIAGE_CORPUS:-$shared/corpus}
work=${BENCH_DIR:-/tmp/evtriage-bench}
runs=5; big_chunks=16384; label="1 GiB"
if [ "${1:-}" = "--quick" ]; then runs=3; big_chunks=2048; label="128 MiB"; fi
mkdir -p "$work"

echo "== building evtriage (release)" >&2
cargo build --release -q -p evtriage-cli
evtriage=$root/target/release/evtriage

peer=$root/target/peer/bin/evtx_dump
if [ ! -x "$peer" ]; then
  echo "== installing the peer evtx_dump 0.15.1 into target/peer" >&2
  cargo install -q evtx --version 0.15.1 --root "$root/target/peer" --locked
fi

make_big() { # out chunks files...
  local out=$1; shift
  [ -s "$out" ] || python3 "$shared/tools/make_big_evtx.py" "$out" "$@" >&2
}
system=$work/system-$big_chunks.evtx
security=$work/security-$big_chunks.evtx
system128=$work/system-2048.evtx
make_big "$system" "$big_chunks" "$corpus"/evtx/*System*.evtx
make_big "$security" "$big_chunks" "$corpus"/evtx/*[Ss]ecurity*.evtx
make_big "$system128" 2048 "$corpus"/evtx/*System*.evtx
small=$corpus/evtx/omerbenamram_Application_no_crc32.evtx

# measure NAME CMD... : prints "NAME median_seconds peak_rss_kb" after RUNS runs (one warm-up first).
measure() {
  local name=$1; shift
  "$@" >/dev/null 2>&1 || true
  local times=() rss=0
  for _ in $(seq "$runs"); do
    local out
    out=$( { /usr/bin/time -f '%e %M' "$@" >/dev/null 2>/dev/null; } 2>&1 | tail -n 1)
    times+=("${out% *}")
    local r=${out#* }; [ "$r" -gt "$rss" ] && rss=$r
  done
  local med
  med=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$name $med $rss"
}

results=$work/results.txt
: > "$results"
echo "== timing ($runs runs each, median)" >&2
measure peer_system   "$peer" -t 2 -o jsonl "$system"            | tee -a "$results" >&2
measure dump_system   "$evtriage" dump --threads 2 --format jsonl "$system"  | tee -a "$results" >&2
measure analyze_system "$evtriage" analyze --threads 2 --format json "$system" | tee -a "$results" >&2
measure peer_security  "$peer" -t 2 -o jsonl "$security"         | tee -a "$results" >&2
measure dump_security  "$evtriage" dump --threads 2 --format jsonl "$security" | tee -a "$results" >&2
measure analyze_security "$evtriage" analyze --threads 2 --format json "$security" | tee -a "$results" >&2
measure analyze_128    "$evtriage" analyze --threads 2 --format json "$system128" | tee -a "$results" >&2
measure peer_small     "$peer" -t 2 -o jsonl "$small"            | tee -a "$results" >&2
measure analyze_small  "$evtriage" analyze --threads 2 --format json "$small" | tee -a "$results" >&2

python3 - "$results" "$label" "$runs" "$(nproc)" <<'PY' > "$work/table.md"
import sys
res = {}
for line in open(sys.argv[1]):
    n, t, r = line.split()
    res[n] = (float(t), int(r))
label, runs, cores = sys.argv[2], sys.argv[3], sys.argv[4]
def row(what, name, peer):
    t, r = res[name]
    pt = res[peer][0]
    ratio = f"{t / pt:.2f}×" if pt > 0 else "n/a"
    return f"| {what} | {t:.3f} s | {r / 1024:.1f} MB | {pt:.3f} s | {res[peer][1] / 1024:.1f} MB | {ratio} |"
print(f"Inputs: {label} System and Security logs built with make_big_evtx.py from the corpus; "
      f"{runs} runs each, median wall time; peak RSS is the largest of the runs; 2 threads; {cores} cores.\n")
print("| command | evtriage | evtriage RSS | evtx_dump -o jsonl | peer RSS | ratio |")
print("|---|---|---|---|---|---|")
print(row(f"analyze, System {label}", "analyze_system", "peer_system"))
print(row(f"dump --format jsonl, System {label}", "dump_system", "peer_system"))
print(row(f"analyze, Security {label}", "analyze_security", "peer_security"))
print(row(f"dump --format jsonl, Security {label}", "dump_security", "peer_security"))
print(row("analyze, System 128 MiB", "analyze_128", "peer_system"))
print(row("analyze, 68 KB file (start-up)", "analyze_small", "peer_small"))
PY
cat "$work/table.md"

doc=docs/performance.md
[ -f "$doc" ] || printf '# Performance\n\n<!-- BENCH:BEGIN -->\n<!-- BENCH:END -->\n' > "$doc"
python3 - "$doc" "$work/table.md" <<'PY'
import sys, datetime
doc, table = sys.argv[1], open(sys.argv[2]).read()
text = open(doc).read()
begin, end = "<!-- BENCH:BEGIN -->", "<!-- BENCH:END -->"
stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
block = f"{begin}\nMeasured {stamp} by `benches/compare.sh`.\n\n{table}{end}"
if begin in text and end in text:
    text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
else:
    text += "\n" + block + "\n"
open(doc, "w").write(text)
PY
echo "== wrote $doc" >&2
