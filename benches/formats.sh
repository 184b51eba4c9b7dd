#!/usr/bin/env bash
# Checks that two evtriage builds print the same in every output format, not
# only the JSON that benches/identical.sh compares: stdout, stderr and the
# exit status of `analyze` (text, colour, Markdown, HTML), `timeline` (table,
# CSV, JSON lines, Timesketch; zones, windows, recovered records), `dump`
# (table, CSV, JSON lines), `inputs` (table, JSON), `explain`, `rules list`,
# and the usage errors of each (bad times, zones, paths, rule ids).
#
#   benches/formats.sh BASE NEW
#
# The HTML report carries no generation time (only the evtriage version), so
# it is compared as it is. Exits 1 on any difference.
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: benches/formats.sh BASE NEW" >&2; exit 2; }
corpus=${EVTRIAGE_CORPUS:-../shared/corpus}
out=$(mktemp -d /tmp/evtriage-formats.XXXXXX)
trap 'rm -rf "$out"' EXIT
# Both under the name `evtriage`: clap's messages name the binary.
mkdir "$out/base" "$out/new" && cp "$1" "$out/base/evtriage" && cp "$2" "$out/new/evtriage" || exit 2
base=$out/base/evtriage; new=$out/new/evtriage
rc=0
n=0
same() { # the arguments of one run, compared between BASE and NEW
  n=$((n + 1))
  "$base" "$@" >"$out/b.out" 2>"$out/b.err"; local b=$?
  "$new" "$@" >"$out/n.out" 2>"$out/n.err"; local c=$?
  if [ $b -ne $c ] || ! cmp -s "$out/b.out" "$out/n.out" || ! cmp -s "$out/b.err" "$out/n.err"; then
    echo "differs (exit $b vs $c): evtriage $*"
    diff <(head -c 2000 "$out/b.out") <(head -c 2000 "$out/n.out") | head -5
    diff "$out/b.err" "$out/n.err" | head -5
    rc=1
  fi
}
case=fixtures/example/dc1-case
for input in "$case" fixtures/rules fixtures/report; do
  for f in text markdown html json; do
    same analyze --format "$f" "$input"
  done
  same analyze --color always "$input"
  same analyze --format markdown --context 1 "$input"
  same analyze --format html --context 0 "$input"
done
same analyze --format html --recovered "$corpus/evtx/anotherc0ne_AD-DC_ForwardedEvents_empty.evtx"
same analyze --format markdown "$corpus/evtx/anotherc0ne_AD-DC_ForwardedEvents_empty.evtx"
for input in "$case" "$corpus/evtx/plaso_System_dc.evtx" "$corpus/evtx/omerbenamram_sysmon_dirty.evtx" fixtures/inputs; do
  for f in table csv jsonl timesketch; do
    same timeline --format "$f" "$input"
    same timeline --format "$f" --tz +02:00 "$input"
    same timeline --format "$f" --recovered "$input"
  done
  same timeline --color always "$input"
  same timeline --format csv --id 7036,6005 --provider service "$input"
done
same timeline "$case" --around '2024-03-02 06:01' --window 2m
same timeline "$case" --around 2024-03-02T07:01:00+01:00 --window 90s --tz=-05:30
same timeline "$case" --since 2024-03-02 --until '2024-03-02 06:01:35.5' --format csv
same timeline "$case" --since '2024-03-02T06:00:00Z' --until 2024-03-02T06:01:00 --tz UTC+1
same timeline "$case" --since 2024-03-02Z --tz local --format jsonl
same timeline "$case" --computer dc1 --format timesketch
same timeline "$case" --since yesterday
same timeline "$case" --around 2024-03-02 --window '5 minutes'
same timeline "$case" --tz Mars/Olympus
same timeline no/such/dir
for input in "$corpus/evtx/plaso_System_dc.evtx" "$corpus/evtx/omerbenamram_sysmon_dirty.evtx" "$corpus" fixtures/inputs; do
  for f in table csv jsonl; do
    same dump --format "$f" "$input"
    same dump --format "$f" --recovered "$input"
  done
done
same dump --format table --since 2016-01-01 --until 2020-01-01 "$corpus"
same dump --format csv --since 2016-01-01T10:00:00Z --until 2019-03-05T12:00:00+01:00 "$corpus"
same dump --format table --since yesterday "$corpus"
same dump --format table --id 70x "$corpus"
same dump no/such/dir
for input in "$case" "$corpus" fixtures/inputs; do
  same inputs "$input"
  same inputs --format json "$input"
done
same inputs "$corpus/evtx/anotherc0ne_AD-DC_ForwardedEvents_empty.evtx"
same explain 0x5b
same explain 0x5b %%58 ERROR_BAD_NET_RESP -2147024882 nonsense
same explain --format json 0x5b nonsense
same explain nonsense
for f in text markdown json; do
  same rules list --format "$f"
done
same rules show kb4530043-ismserv-boot
same rules show no-such-rule
same rules test --fixtures no/such/dir
same rules test --rule kb4530043-ismserv-boot
same rules test --fixtures docs
mkdir -p "$out/bad-rules" && printf 'id = "x"\ntitel = "typo"\n' >"$out/bad-rules/zz-broken.toml"
same rules --rules "$out/bad-rules" list
same analyze --rules "$out/bad-rules" "$case"
same analyze --rules no/such/dir "$case"
same analyze no/such/path "$case"
same inputs no/such/path
same --color always timeline "$case" --tz Mars/Olympus
same --color always dump "$corpus/evtx/anotherc0ne_AD-DC_ForwardedEvents_empty.evtx"
same timeline "$corpus/evtx/anotherc0ne_AD-DC_ForwardedEvents_empty.evtx" fixtures/inputs/README.md
same completions bash
same man
[ $rc -eq 0 ] && echo "identical ($n runs)"
exit $rc
