#!/usr/bin/env python3
"""Build windows-update.tsv from Microsoft's "Windows Update error codes by component".

Usage: extract_wu.py PAGE.md > windows-update.tsv

PAGE.md is a copy of MicrosoftDocs/windows-itpro-docs
`windows/deployment/update/windows-update-error-reference.md` (see
PROVENANCE.md for the commit used), or just its table rows, which look like

    | 0x80244022 | `WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL` | Same as HTTP status 503 - the service is temporarily overloaded. |

(some rows of the page have no closing `|`). The output has the shape of
the other code tables (`code` decimal, `hex`, `name`, `message`), sorted by
code. Code spans (backticks) and surrounding blanks are dropped; the text is
otherwise Microsoft's, unchanged. A value listed twice (the page repeats
`WU_E_AUCLIENT_UNEXPECTED`) keeps its first row; a second row with another
name is reported on stderr.
"""

import re
import sys

ROW = re.compile(
    r"^\|\s*(?P<hex>0x[0-9A-Fa-f]{8})\s*\|\s*`?(?P<name>[A-Z0-9_]+)`?\s*\|\s*(?P<desc>.*?)\s*\|?\s*$"
)


def main(path):
    rows = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = ROW.match(line.strip())
            if not m:
                continue
            code = int(m.group("hex"), 16)
            name = m.group("name")
            desc = " ".join(m.group("desc").replace("`", "").split())
            if code in rows:
                if rows[code][0] != name:
                    print(f"0x{code:08X} {name} duplicates {rows[code][0]}; kept the first", file=sys.stderr)
                continue
            rows[code] = (name, desc)
    out = sys.stdout
    out.write("code\thex\tname\tmessage\n")
    for code in sorted(rows):
        name, desc = rows[code]
        out.write(f"{code}\t0x{code:08X}\t{name}\t{desc}\n")
    print(f"{len(rows)} codes", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
