#!/bin/sh
# Renders an HTML report of the rule fixtures in headless Chromium and saves
# docs/report.png, to check that the report looks right offline.
#
#   apt-get install -y chromium      # Debian's package
#   docs/screenshot.sh               # from the repository root
#
# The report is written to target/report.html; only the PNG is committed.
set -eu
cd "$(dirname "$0")/.."
cargo build -q --bin evtriage
bin=target/debug/evtriage
out=target/report.html
# Three computers: remote execution through temporary services (security), a
# KB4530043 case (with its LDAP client trace) and a port conflict, plus an
# input that is not a log (listed first, as not read).
"$bin" -q analyze --format html -o "$out" \
  fixtures/rules/remote-execution-service/positive/two-shell-services-merge/System.xml \
  fixtures/rules/kb4530043-ismserv-boot/positive/ldap-trace-confirmed/System.xml \
  fixtures/rules/kb4530043-ismserv-boot/positive/ldap-trace-confirmed/boot-ldap.txt \
  fixtures/rules/port-conflict-dns-socket-pool/positive/dhcp-madcap-2535/System.xml \
  fixtures/rules/port-conflict-dns-socket-pool/positive/dhcp-madcap-2535/netstat-ano.txt \
  fixtures/rules/port-conflict-dns-socket-pool/positive/dhcp-madcap-2535/tasklist-svc.txt \
  fixtures/rules/README.md \
  || [ $? -eq 1 ]   # exit 1 means "findings", which is what we want here
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --screenshot=docs/report.png --window-size=1280,1600 \
  "file://$(pwd)/$out"
echo "wrote docs/report.png from $out"
