#!/usr/bin/env python3
"""Fill the message column of ldap.tsv from Microsoft's LDAP "Return Values" page.

Usage: fill_ldap.py return-values.md ldap.tsv > ldap.tsv.new

return-values.md is a copy of MicrosoftDocs/win32 `desktop-src/LDAP/return-values.md`
(see PROVENANCE.md for the commit). Each entry of that page is a bold
constant name (`**LDAP\\_CONNECT\\_ERROR**`), its value (`0x5b`) and a
description; the first paragraph of the description becomes the message,
with Markdown links and bold reduced to their text. The anchors, `<dl>`/`<dt>`
tags and blank padding of the page are ignored, so either the page itself or
a copy with them dropped can be given.

Only rows whose code *and* name match an entry of the page get a message; the
other rows (codes the page does not list) keep theirs. Names and numbers in
ldap.tsv are never changed.
"""

import re
import sys

NAME = re.compile(r"\*\*(LDAP(?:\\?_[A-Z0-9]+)+)\*\*")
HEX = re.compile(r"^0x[0-9A-Fa-f]+$")
LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>\"'])")


def text_of(paragraph):
    t = LINK.sub(r"\1", paragraph)
    t = t.replace("**", "")
    t = ESCAPE.sub(r"\1", t)
    return " ".join(t.split())


def entries(path):
    """(name, code, first paragraph) for each entry of the page."""
    lines = [re.sub(r"<[^>]+>", "", l).strip() for l in open(path, encoding="utf-8")]
    out = []
    i = 0
    while i < len(lines):
        m = NAME.search(lines[i])
        if not m or lines[i].startswith("- "):
            i += 1
            continue
        name = m.group(1).replace("\\_", "_")
        j = i + 1
        while j < len(lines) and not lines[j]:
            j += 1
        if j >= len(lines) or not HEX.match(lines[j]):
            i += 1
            continue
        code = int(lines[j], 16)
        j += 1
        while j < len(lines) and not lines[j]:
            j += 1
        para = []
        while j < len(lines) and lines[j] and not NAME.search(lines[j]):
            para.append(lines[j])
            j += 1
        out.append((name, code, text_of(" ".join(para))))
        i = j
    return out


def main(page, table):
    known = {(name, code): msg for name, code, msg in entries(page)}
    filled = 0
    rows = open(table, encoding="utf-8").read().splitlines()
    print(rows[0])
    for row in rows[1:]:
        cols = row.split("\t")
        while len(cols) < 4:
            cols.append("")
        key = (cols[2], int(cols[0]))
        if key in known and known[key]:
            cols[3] = known[key]
            filled += 1
        print("\t".join(cols[:4]))
    print(f"{filled} of {len(rows) - 1} rows have a message from the page; "
          f"{len(known)} entries on the page", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
