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
# The shared folder (tools and corpus): EVTRIAGE_SHARED, else the parent of
# EVTRIAGE_CORPUS, else the nearest `shared` beside a parent of the checkout
# (../shared from /work/main, ../../shared from a worktree in /work/wt/NAME).
find_shared() {
  if [ -n "${EVTRIAGE_SHARED:-}" ]; then echo "$EVTRIAGE_SHARED"; return; fi
  if [ -n "${EVTRIAGE_CORPUS:-}" ]; then (cd "$EVTRIAGE_CORPUS/.." && pwd); return; fi
  local d=$root
  while [ "$d" != / ]; do
    d=$(dirname "$d")
    if [ -f "$d/shared/tools/make_big_evtx.py" ]; then echo "$d/shared"; return; fi
  done
  echo "$root/../shared"
}
shared=$(find_shared)
corpus=${EVTRIAGE_CORPUS:-$shared/corpus}
[ -f "$shared/tools/make_big_evtx.py" ] || { echo "compare.sh: no $shared/tools/make_big_evtx.py; set EVTRIAGE_SHARED" >&2; exit 2; }
work=${BENCH_DIR:-/tmp/evtriage-bench}
runs=5; big_chunks=16384; label="1 GiB"
if [ "${1:-}" = "--quick" ]; then runs=3; big_chunks=2048; label="128 MiB"; fi
mkdir -p "$work"

echo "== building evtriage (release)" >&2
cargo build --release -q --bin evtriage
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
# Many files: 300 small logs (copies of three corpus files) in one folder.
many=$work/many
if [ ! -d "$many" ]; then
  mkdir -p "$many"
  for i in $(seq 100); do
    for f in omerbenamram_Application_no_crc32 deepbluecli_psexec-powershell-target_System mdecrevoisier_ID7009_meterpreter_System; do
      cp "$corpus/evtx/$f.evtx" "$many/$f-$i.evtx"
    done
  done
fi

# Commands to time, by name. Each round runs every command once, in this
# order, so that the peer and evtriage are timed side by side all along (the
# machine is shared: a slow spell then hits both, not one of them).
names=(peer_system dump_system analyze_system peer_security dump_security analyze_security
       peer_128 analyze_128 peer_small analyze_small peer_many analyze_many)
set_cmd() { # NAME: sets the array `cmd` to that command
  case $1 in
    peer_system)      cmd=("$peer" -t 2 -o jsonl "$system") ;;
    dump_system)      cmd=("$evtriage" dump --threads 2 --format jsonl "$system") ;;
    analyze_system)   cmd=("$evtriage" analyze --threads 2 --format json "$system") ;;
    peer_security)    cmd=("$peer" -t 2 -o jsonl "$security") ;;
    dump_security)    cmd=("$evtriage" dump --threads 2 --format jsonl "$security") ;;
    analyze_security) cmd=("$evtriage" analyze --threads 2 --format json "$security") ;;
    peer_128)         cmd=("$peer" -t 2 -o jsonl "$system128") ;;
    analyze_128)      cmd=("$evtriage" analyze --threads 2 --format json "$system128") ;;
    peer_small)       cmd=("$peer" -t 2 -o jsonl "$small") ;;
    analyze_small)    cmd=("$evtriage" analyze --threads 2 --format json "$small") ;;
    # The peer reads one file per run: a shell loop, as a user would write it.
    peer_many)        cmd=(sh -c 'for f in "$1"/*.evtx; do "$0" -t 2 -o jsonl "$f"; done' "$peer" "$many") ;;
    analyze_many)     cmd=("$evtriage" analyze --threads 2 --format json "$many") ;;
  esac
}

load=$(cut -d' ' -f1-3 /proc/loadavg)
results=$work/results.txt
samples=$work/samples.txt
: > "$samples"
echo "== timing ($runs rounds, every command once per round, one warm-up round first)" >&2
for name in "${names[@]}"; do set_cmd "$name"; "${cmd[@]}" >/dev/null 2>&1 || true; done
for round in $(seq "$runs"); do
  for name in "${names[@]}"; do
    # GNU time writes to its own file (the command's stderr is discarded).
    # `analyze` exits 1 when it finds something: not a failure here; time then
    # writes a "Command exited with non-zero status" line first.
    set_cmd "$name"
    /usr/bin/time -o "$work/time.txt" -f '%e %U %S %M' "${cmd[@]}" >/dev/null 2>/dev/null || true
    out=$(tail -n 1 "$work/time.txt")
    read -r wall user sys r <<<"$out"
    if ! [[ "${r:-}" =~ ^[0-9]+$ ]]; then echo "compare.sh: $name: no timing from run ($out)" >&2; continue; fi
    echo "$name $wall $(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}') $r" >> "$samples"
  done
  echo "   round $round done" >&2
done
# Medians of wall and CPU per command; the largest peak RSS.
python3 - "$samples" > "$results" <<'PY'
import sys, statistics
by = {}
for line in open(sys.argv[1]):
    n, w, c, r = line.split()
    by.setdefault(n, []).append((float(w), float(c), int(r)))
for n, xs in by.items():
    print(n, statistics.median_low(sorted(x[0] for x in xs)), statistics.median_low(sorted(x[1] for x in xs)),
          max(x[2] for x in xs))
PY
cat "$results" >&2

python3 - "$results" "$label" "$runs" "$(nproc)" "$load" "$samples" <<'PY' > "$work/table.md"
import sys, statistics
res = {}
for line in open(sys.argv[1]):
    n, t, c, r = line.split()
    res[n] = (float(t), float(c), int(r))
label, runs, cores, load = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
def row(what, name, peer):
    t, c, r = res[name]
    pt, pc, pr = res[peer]
    ratio = f"{t / pt:.2f}×" if pt > 0 else "n/a"
    cratio = f"{c / pc:.2f}×" if pc > 0 else "n/a"
    return (f"| {what} | {t:.3f} s | {c:.3f} s | {r / 1024:.1f} MB | {pt:.3f} s | {pc:.3f} s | {pr / 1024:.1f} MB "
            f"| {ratio} | {cratio} |")
print(f"Inputs: {label} System and Security logs built with make_big_evtx.py from the corpus; "
      f"{runs} rounds (after one warm-up round) running every command once, peer and evtriage in turn; median wall and median CPU (user+sys) time; peak RSS is the "
      f"largest of the runs; 2 threads; {cores} cores; load average before the runs: {load}.\n")
print("| command | evtriage wall | evtriage CPU | evtriage RSS | evtx_dump wall | evtx_dump CPU | peer RSS "
      "| wall ratio | CPU ratio |")
print("|---|---|---|---|---|---|---|---|---|")
print(row(f"analyze, System {label}", "analyze_system", "peer_system"))
print(row(f"dump --format jsonl, System {label}", "dump_system", "peer_system"))
print(row(f"analyze, Security {label}", "analyze_security", "peer_security"))
print(row(f"dump --format jsonl, Security {label}", "dump_security", "peer_security"))
print(row("analyze, System 128 MiB", "analyze_128", "peer_128"))
print(row("analyze, 68 KB file (start-up)", "analyze_small", "peer_small"))
print(row("analyze, folder of 300 small files", "analyze_many", "peer_many"))
# Paired: the ratio within each round (the two ran one after the other), median over rounds.
rounds = {}
for line in open(sys.argv[6]):
    n, w, c, r = line.split()
    rounds.setdefault(n, []).append(float(w))
def paired(name, peer):
    xs = [a / b for a, b in zip(rounds.get(name, []), rounds.get(peer, [])) if b > 0]
    return f"{statistics.median(xs):.2f}× (rounds: {', '.join(f'{x:.2f}' for x in xs)})" if xs else "n/a"
print(f"\nWall ratio within each round, median over the rounds: analyze System {paired('analyze_system', 'peer_system')}; "
      f"dump System {paired('dump_system', 'peer_system')}; analyze Security {paired('analyze_security', 'peer_security')}; "
      f"dump Security {paired('dump_security', 'peer_security')}.")
PY
# Start-up in milliseconds (GNU time counts in hundredths of a second).
python3 - "$evtriage" "$peer" "$small" <<'PY' >> "$work/table.md"
import statistics, subprocess, sys, time
evtriage, peer, small = sys.argv[1:4]
def median_ms(cmd):
    times = []
    for _ in range(21):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000
ours = median_ms([evtriage, "analyze", "--threads", "2", "--format", "json", small])
theirs = median_ms([peer, "-t", "2", "-o", "jsonl", small])
print(f"\nStart-up: `analyze --format json` on the 68 KB file takes {ours:.1f} ms wall (median of 21 runs, "
      f"process start included); `evtx_dump -o jsonl` on it {theirs:.1f} ms.")
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
