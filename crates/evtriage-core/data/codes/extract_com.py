#!/usr/bin/env python3
"""Regenerate hresult.tsv from Microsoft's "COM Error Codes" pages.

Usage: extract_com.py PAGE.md [PAGE.md ...] > hresult.tsv

Each PAGE.md is a copy of one of the MicrosoftDocs/win32 pages
`desktop-src/com/com-error-codes-N.md` (see PROVENANCE.md for the pages and
commits used). The script reads the table rows of those pages, which look like

    | <span id="E_FAIL"></span>...<dl> <dt>**E\\_FAIL**</dt> <dt>0x80004005</dt> </dl> | Unspecified error<br/> |

and also accepts the same row with the anchors and padding dropped:

    | **E_FAIL** 0x80004005 | Unspecified error |

It writes the table in the shape of the other code tables (`code` decimal,
`hex`, `name`, `message`), sorted by code. Markdown escapes (`\\_`, `\\[`,
`\\*`, `\\\\`) are undone, `<br/>` and bold (`**`) are dropped; the text is otherwise
Microsoft's, unchanged. A description that only repeats the constant's name
is left empty. When two rows carry the same value, the first one read wins
and the others are reported on stderr.
"""

import re
import sys

ROW = re.compile(
    r"^\|.*?\*\*(?P<name>[A-Za-z0-9_\\]+)\*\*.*?(?P<hex>0x[0-9A-Fa-f]{8})\b.*?\|\s*(?P<desc>.*?)\s*\|\s*$"
)
ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>\"'])")


def clean(text):
    text = text.replace("<br/>", " ").replace("<br />", " ").replace("**", "")
    text = ESCAPE.sub(r"\1", text)
    return " ".join(text.split())


def main(paths):
    rows = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                m = ROW.match(line.strip())
                if not m:
                    continue
                name = clean(m.group("name"))
                code = int(m.group("hex"), 16)
                desc = clean(m.group("desc"))
                if desc == name:
                    desc = ""
                if code in rows:
                    if rows[code][0] != name:
                        print(f"{path}: 0x{code:08X} {name} duplicates {rows[code][0]}; kept the first",
                              file=sys.stderr)
                    continue
                rows[code] = (name, desc)
    out = sys.stdout
    out.write("code\thex\tname\tmessage\n")
    for code in sorted(rows):
        name, desc = rows[code]
        out.write(f"{code}\t0x{code:08X}\t{name}\t{desc}\n")
    print(f"{len(rows)} codes", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
