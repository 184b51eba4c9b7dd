#!/usr/bin/env bash
# Fuzz every evtriage parser, one target after another (or in LANES parallel lanes).
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Seeds are copied at run time from fixtures/ and, when EVTRIAGE_CORPUS is set,
# from the real corpus, into $WORK (a temp dir) — never into the repository.
# Logs go to $WORK/logs/<target>.log; crashes to fuzz/artifacts/<target>/.
# Needs cargo-fuzz (`cargo install cargo-fuzz`). Only a stable toolchain here:
# RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its nightly-only flags (-Zsanitizer).
# -O -a: optimised, with debug assertions (integer overflow is a finding).
set -euo pipefail
cd "$(dirname "$0")"
SECS=${1:-600}
shift || true
ALL=(read_bytes etw_text reg netstat tracerpt_csv xml_event zip etl tasklist tcpvcon powershell text_decode event_from_xml tracerpt_xml ldap_message rule_parse evtx systeminfo hotfix_table netsh_ports sc archives)
TARGETS=("${@:-${ALL[@]}}")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL[@]}")
WORK=${WORK:-$(mktemp -d /tmp/evtriage-fuzz.XXXXXX)}
LANES=${LANES:-1}
FIX=../fixtures
CORPUS=${EVTRIAGE_CORPUS:-}
mkdir -p "$WORK/logs"
export RUSTC_BOOTSTRAP=1

seed() { # seed TARGET FILE... — copies (the first 128 KiB of) each file
  local d="$WORK/seeds/$1"; shift
  mkdir -p "$d"
  for f in "$@"; do [ -f "$f" ] && head -c 131072 "$f" > "$d/$(basename "$f")"; done
  return 0
}
c() { [ -n "$CORPUS" ] && ls "$CORPUS"/$1 2>/dev/null || true; }

TEXT=("$FIX"/inputs/*.txt "$FIX"/inputs/*.csv "$FIX"/inputs/*.xml "$FIX"/inputs/*.reg)
seed xml_event "$FIX"/inputs/*.xml "$FIX"/evtx/*.xml
seed tracerpt_xml "$FIX"/inputs/tracerpt_ldap_client.xml "$FIX"/inputs/eventviewer_system_ismserv.xml
seed event_from_xml "$FIX"/inputs/*.xml "$FIX"/evtx/*.xml
seed tracerpt_csv "$FIX"/inputs/*.csv $(c 'etw/*.csv')
seed etw_text "$FIX"/inputs/ldap_client_trace*.txt "$FIX"/inputs/test_outlookwebservices.txt $(c 'debuglog/*')
seed netstat "$FIX"/inputs/netstat_*.txt $(c 'netstat/*')
seed tcpvcon "$FIX"/inputs/tcpvcon_*.csv
seed tasklist "$FIX"/inputs/tasklist_svc.txt
seed reg "$FIX"/inputs/*.reg
seed powershell "$FIX"/inputs/test_outlookwebservices.txt "$FIX"/inputs/tasklist_svc.txt
seed text_decode "${TEXT[@]}"
seed ldap_message "$FIX"/inputs/ldap_client_trace.txt
seed rule_parse ../crates/evtriage-rules/rules/*.toml
seed evtx "$FIX"/evtx/*.evtx $(c "evtx/*Zerologon*.evtx") $(c "evtx/*ForwardedEvents_empty.evtx") $(c "evtx-more/*ID4741*.evtx")
seed etl $(c 'etl/*.etl')
# Captures the rule scenarios carry (systeminfo, update lists, netsh, sc, Get-Service).
R="$FIX"/rules
seed systeminfo $(ls "$R"/*/*/*/systeminfo*.txt 2>/dev/null)
seed hotfix_table $(ls "$R"/*/*/*/hotfix*.txt 2>/dev/null)
seed netsh_ports $(ls "$R"/*/*/*/netsh*.txt 2>/dev/null)
seed sc $(ls "$R"/*/*/*/sc-*.txt 2>/dev/null)
seed read_bytes "${TEXT[@]}" "$FIX"/evtx/example-dc-boot.evtx "$FIX"/evtx/truncated.evtx $(c 'etl/lxcore_kernel.etl') $(c 'netstat/*')
# A tar, a tar.gz and a gzipped file of fixtures, each behind the byte that picks its reader.
python3 - "$WORK/seeds/archives" "$FIX/inputs" <<'PY'
import os, sys, tarfile, gzip, io
out, src = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as t:
    for n in ["netstat_anob_ex1.txt", "tasklist_svc.txt"]:
        t.add(os.path.join(src, n), arcname="case/" + n)
tar = buf.getvalue()
open(os.path.join(out, "tar"), "wb").write(b"\x00" + tar)
open(os.path.join(out, "tar.gz"), "wb").write(b"\x01" + gzip.compress(tar))
open(os.path.join(out, "netstat.gz"), "wb").write(b"\x01" + gzip.compress(open(os.path.join(src, "netstat_anob_ex1.txt"), "rb").read()))
PY
# Zips built from the fixtures (stored and deflated, one nested).
python3 - "$WORK/seeds/zip" "$FIX/inputs" <<'PY'
import os, sys, zipfile, io
out, src = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
names = ["netstat_anob_ex1.txt", "tasklist_svc.txt", "tcpvcon_v4.csv", "ismserv_imc_utf16.reg"]
for method, tag in [(zipfile.ZIP_STORED, "stored"), (zipfile.ZIP_DEFLATED, "deflated")]:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for n in names:
            z.write(os.path.join(src, n), "case/" + n)
    inner = buf.getvalue()
    open(os.path.join(out, tag + ".zip"), "wb").write(inner)
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w", method) as z:
        z.writestr("nested/inner.zip", inner)
        z.writestr("../escape.txt", b"x")
    open(os.path.join(out, tag + "-nested.zip"), "wb").write(outer.getvalue())
PY
cp "$WORK"/seeds/zip/*.zip "$WORK/seeds/read_bytes/"

cargo fuzz build -O -a >"$WORK/logs/build.log" 2>&1

run_one() {
  local t=$1
  mkdir -p "$WORK/corpus/$t" "artifacts/$t"
  local maxlen=65536
  case $t in read_bytes|zip|etl|evtx) maxlen=131072 ;; esac
  echo "$(date -u +%FT%TZ) start $t ${SECS}s" >>"$WORK/logs/summary.log"
  cargo fuzz run -O -a "$t" "$WORK/corpus/$t" "$WORK/seeds/$t" -- \
    -max_total_time="$SECS" -max_len="$maxlen" -timeout=20 -rss_limit_mb=3072 -print_final_stats=1 \
    >"$WORK/logs/$t.log" 2>&1 || echo "$(date -u +%FT%TZ) $t exited non-zero (finding?)" >>"$WORK/logs/summary.log"
  echo "$(date -u +%FT%TZ) end $t: $(grep -E '^#[0-9]+' "$WORK/logs/$t.log" | tail -1)" >>"$WORK/logs/summary.log"
}

lane=0
for t in "${TARGETS[@]}"; do
  if [ "$LANES" -gt 1 ]; then
    run_one "$t" & lane=$((lane + 1))
    if [ "$lane" -ge "$LANES" ]; then wait -n; lane=$((lane - 1)); fi
  else
    run_one "$t"
  fi
done
wait
echo "done; logs in $WORK/logs" >>"$WORK/logs/summary.log"
