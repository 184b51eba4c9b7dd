#!/usr/bin/env python3
"""Fill the message column of ntstatus.tsv from the Windows SDK's ntstatus.h.

Usage: fill_ntstatus.py MESSAGES.tsv ntstatus.tsv > ntstatus.tsv.new

MESSAGES.tsv holds one row per `MessageId` block of `ntstatus.h` as the
Windows SDK ships it (microsoft/win32metadata
`generation/WinSDK/RecompiledIdlHeaders/shared/ntstatus.h`, see
PROVENANCE.md for the commit), in the form

    0xC0000022<TAB>STATUS_ACCESS_DENIED<TAB>{Access Denied} A process has requested access ...

that is: the value of the `#define`, the `MessageId`, and the `MessageText`
lines with their `// ` prefixes removed and joined by one space (the header
breaks a message into lines where FormatMessage would print line breaks; the
`{Title}` lines are kept, as MS-ERREF writes them). Runs of blanks are
reduced to one space; the text is otherwise Microsoft's, unchanged.

A row of ntstatus.tsv gets a message only when both its code and its name
match a row of MESSAGES.tsv; a MessageText that only repeats the name
(`STATUS_WAIT_1`) is not used. Rows of MESSAGES.tsv that match no row (names
the mingw-w64 table does not have, or a different name for the value) and
rows whose value matches but whose name differs are counted on stderr.
"""

import sys


def main(messages_path, table_path):
    messages = {}
    with open(messages_path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) != 3:
                sys.exit(f"{messages_path}:{n}: expected 3 tab-separated columns")
            hexval, name, text = parts
            text = " ".join(text.split())
            if text == name:
                continue
            messages[(int(hexval, 16), name)] = text
    used = set()
    by_code = {code for code, _ in messages}
    mismatched = []
    out = sys.stdout
    with open(table_path, encoding="utf-8") as f:
        header = f.readline()
        out.write(header)
        for line in f:
            cols = line.rstrip("\n").split("\t")
            while len(cols) < 4:
                cols.append("")
            code, _hex, name = int(cols[0]), cols[1], cols[2]
            key = (code, name)
            if key in messages:
                cols[3] = messages[key]
                used.add(key)
            elif code in by_code and not cols[3]:
                mismatched.append(f"0x{code:08X} {name}")
            out.write("\t".join(cols[:4]) + "\n")
    print(f"{len(used)} messages filled, {len(messages) - len(used)} not in the table", file=sys.stderr)
    for m in mismatched:
        print(f"value known under another name: {m}", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
