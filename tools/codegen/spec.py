"""Loading `spec/csms.json` and the small helpers every emitter shares."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT / "spec" / "csms.json"


def load():
    """The spec as a dict: {"operations": [...], "models": {...}}, operations sorted by name."""
    spec = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    spec["operations"].sort(key=lambda op: op["name"])
    return spec


def snake(name):
    """`UpdateSecret` -> `update_secret`, `resourceId` -> `resource_id`."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def camel(name):
    """`update_secret` -> `updateSecret`; `UpdateSecret` -> `updateSecret`."""
    parts = snake(name).split("_")
    return parts[0] + "".join(p.title() for p in parts[1:])


def parse_type(text):
    """A type string as a tuple: ("list", inner) | ("model", name) | (scalar,)."""
    if text.startswith("list<") and text.endswith(">"):
        return ("list", parse_type(text[5:-1]))
    if text in ("string", "integer", "number", "boolean", "date", "object"):
        return (text,)
    return ("model", text)


def write_if_changed(path, text):
    """Writes `text` to `path` unless it already holds it; returns True if it wrote."""
    path = Path(path)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True
