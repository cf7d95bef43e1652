"""Print the UI messages that have no Chinese translation yet (file:line and msgid)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.base.test_i18n_catalogue import message_ids
from ui.i18n import catalogue

zh = catalogue("zh")
for msgid, where in message_ids().items():
    if msgid not in zh:
        print(f"{where}\t{msgid!r}")
