"""Reads an .evtx file with python-evtx (an implementation independent of ours and
of the Rust evtx crate) and prints what it sees, for tests/python_reader.rs.

Line 1: "header_ok=<bool> chunks=<n> chunk_ok=<bool>,<bool>,..."
Then:   <Events> with every record's XML, <Binary> turned from python-evtx's
        base64 into Event Viewer's uppercase hex.
"""
import base64
import sys
import xml.etree.ElementTree as ET

import Evtx.Evtx as evtx

URI = "http://schemas.microsoft.com/win/2004/08/events/event"
NS = "{" + URI + "}"
# Write the event namespace as the default one (`<Event xmlns=…>`), as exporters do.
ET.register_namespace("", URI)


def main(path):
    parts = ["<Events>"]
    with evtx.Evtx(path) as log:
        header = log.get_file_header()
        verdicts = []
        for chunk in header.chunks():
            verdicts.append(str(chunk.verify()))
            for record in chunk.records():
                root = ET.fromstring(record.xml())
                for binary in root.iter(NS + "Binary"):
                    binary.text = base64.b64decode(binary.text or "").hex().upper()
                parts.append(ET.tostring(root, encoding="unicode"))
        print("header_ok={} chunks={} chunk_ok={}".format(header.verify(), header.chunk_count(), ",".join(verdicts)))
    parts.append("</Events>")
    print("\n".join(parts))


if __name__ == "__main__":
    main(sys.argv[1])
