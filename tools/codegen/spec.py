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
    for op in spec["operations"]:
        # Reads have no side effects: a retry may resend them (spec/README.md, "idempotent").
        if op["method"] == "GET" or op["name"].startswith(("Show", "List")):
            assert op["idempotent"], f"{op['name']} only reads: mark it \"idempotent\": true"
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


# Names of the enums the typed bindings (Kotlin, Swift) emit for members with an `enum`
# rule, by their set of values. A set not listed here is named after its member
# (`secret_sub_type` -> `SecretSubType`); the names here are for generic member names
# (`type`, `state`, `action`, `key`) and for two members of one name with different values.
ENUM_NAMES = {
    frozenset(["create", "delete"]): "TagAction",
    frozenset(["filter", "count"]): "ResourceQueryAction",
    frozenset(["COMMON", "RDS-FG", "GaussDB-FG"]): "SecretType",
    frozenset(["RDS-FG", "GaussDB-FG"]): "DatabaseSecretType",
    frozenset(["SECRET", "GROUP"]): "GrantType",
    frozenset(["SECRET_VERSION_CREATED", "SECRET_VERSION_EXPIRED", "SECRET_ROTATED", "SECRET_DELETED",
               "SECRET_ROTATED_FAILED"]): "EventType",
    frozenset(["ENABLED", "DISABLED"]): "EventState",
    frozenset(["SUCCESS", "FAILED"]): "TaskStatus",
    frozenset(["mysql", "postgresql", "sqlserver"]): "DatabaseEngine",
    frozenset(["resource_name"]): "TagMatchKey",
}


def enum_words(value):
    """The words of a wire value: `GaussDB-FG` -> [gauss, db, fg], `SingleUser` -> [single, user]."""
    words = []
    for part in re.split(r"[^A-Za-z0-9]+", value):
        words += [w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+", part)]
    assert words and not words[0][0].isdigit(), f"no identifier for enum value {value!r}"
    return words


def enums(spec):
    """Every distinct enum of the spec's members, as {name: {"values": [...], "members": [...]}}
    (members as `Owner.member`, in spec order), and the member lookup `enum_of(field)`:
    the enum name of a member with an `enum` rule, else None. Two members with the same set
    of values share one enum."""
    by_values, out = {}, {}
    owners = [(op["name"], op.get("input", [])) for op in spec["operations"]]
    owners += [(name, spec["models"][name].get("fields", [])) for name in sorted(spec["models"])]
    for owner, fields in owners:
        for f in fields:
            values = (f.get("rules") or {}).get("enum")
            if not values:
                continue
            assert f["type"] in ("string", "list<string>"), f"an enum rule on {owner}.{f['name']}: {f['type']}"
            key = frozenset(values)
            if key not in by_values:
                name = ENUM_NAMES.get(key) or "".join(w.title() for w in snake(f["name"]).split("_"))
                assert name not in out, f"two enums named {name}: add one to ENUM_NAMES"
                by_values[key] = name
                out[name] = {"values": list(values), "members": []}
            out[by_values[key]]["members"].append(f"{owner}.{f['name']}")
            words = [tuple(enum_words(v)) for v in values]
            assert len(words) == len(set(words)), f"two values of {owner}.{f['name']} give one name"

    def enum_of(field):
        values = (field.get("rules") or {}).get("enum")
        return by_values[frozenset(values)] if values else None

    return out, enum_of


def member_type(field, enum_of):
    """`parse_type` of a member, with ("enum", name) for the strings of a member with an
    `enum` rule (`enum_of` from `enums`)."""
    ty = parse_type(field["type"])
    name = enum_of(field)
    if not name:
        return ty
    return ("list", ("enum", name)) if ty[0] == "list" else ("enum", name)
