"""The one way a command prints JSON: `schema_version` first, then the document.

Scripts read `--json` output (status, doctor, profiles, recommend, models, key import /
rotate / temp); `schema_version` says which shape they got, so a later change of a field
bumps it instead of breaking a script silently. The shapes are in docs/json.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

SCHEMA_VERSION = 1


def document(doc: Mapping[str, Any]) -> dict[str, Any]:
    """`doc` with `schema_version` as its first member (a version it holds is kept)."""
    return {"schema_version": doc.get("schema_version", SCHEMA_VERSION), **doc}


def dumps(doc: Mapping[str, Any]) -> str:
    """The document as printed: indented, non-ASCII kept (Chinese messages stay readable)."""
    return json.dumps(document(doc), ensure_ascii=False, indent=2)
