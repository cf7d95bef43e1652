"""Add or update translations in a .po file: python tools/po_add.py FILE.po pairs.json."""

from __future__ import annotations

import json
import sys

from babel.messages.pofile import read_po, write_po

path, pairs_path = sys.argv[1], sys.argv[2]
with open(path, "rb") as fh:
    cat = read_po(fh)
for msgid, msgstr in json.loads(open(pairs_path, encoding="utf-8").read()).items():
    cat.add(msgid, msgstr)
with open(path, "wb") as fh:
    write_po(fh, cat, width=0, sort_output=False)
