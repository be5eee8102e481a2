"""The cross-language surface: one list (tests/parity/surface.json) spelt in every language.

`python3 -m tools.parity` writes tests/parity/<lang>.json (each entry's name, and default in
the language's unit) and the parity table of the top README between its markers;
`--check` fails when either is out of date. Each language's parity test reads its own file
and checks it against the binding's real surface, so the table cannot drift from the code.
"""

import functools
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SURFACE = ROOT / "tests" / "parity" / "surface.json"
README = ROOT / "README.md"
BEGIN, END = "<!-- parity:begin (python3 -m tools.parity) -->", "<!-- parity:end -->"
LANGUAGES = ("js", "python", "kotlin", "swift")


def camel(name):
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


def spell(name, language):
    """`name` (canonical snake case) as `language` spells it: JS keeps a `_ms` suffix as
    `Ms` and counts milliseconds; the others drop it and take their own duration type."""
    rule = load()["languages"][language]
    duration = name.endswith("_ms")
    if duration and rule["duration"] != "ms":
        name = name[: -len("_ms")]
    return camel(name) if rule["case"] == "camel" else name


def default_in(value, name, language):
    """A default in `language`'s unit: milliseconds for JS and Kotlin (whose test reads a
    Duration's whole milliseconds), seconds for Python and Swift."""
    if value is None or not name.endswith("_ms"):
        return value
    return value / 1000 if language in ("python", "swift") else value


def error_class(kind, language):
    """The class (or case) of an error kind in `language`."""
    if language in ("js", "python"):
        return "CsmsError" if kind == "internal" else kind.title() + "Error"
    return "CsmsException." + kind.title()  # Kotlin's subclasses, Swift's enum cases (uniffi's names)


def expected(language):
    """What `language`'s parity test checks (tests/parity/<language>.json)."""
    surface = load()

    def options(entries):
        return [
            {"canonical": e["name"], "name": spell(e["name"], language), "duration": e["name"].endswith("_ms"),
             **({"default": default_in(e["default"], e["name"], language)} if "default" in e else {})}
            for e in entries
        ]

    fields = surface["error_fields"]
    return {
        "generated_by": "python3 -m tools.parity from tests/parity/surface.json; do not edit",
        "client_options": options(surface["client_options"]),
        "call_options": options(surface["call_options"]),
        "cache_options": options(surface["cache_options"]),
        "errors": [
            {"kind": kind, "class": error_class(kind, language),
             "fields": [spell(f, language) for f in fields["all"] + fields[kind]]}
            for kind in surface["error_kinds"]
        ],
    }


def table():
    """The README's parity table (markdown)."""
    surface = load()
    head = "| | default | npm | Python | Kotlin | Swift |\n|---|---|---|---|---|---|\n"

    def row(label, default, cells):
        return f"| {label} | {default} | " + " | ".join(cells) + " |\n"

    def shown(e):
        value = e.get("default")
        if value is None:
            return ""
        if e["name"].endswith("_ms"):
            for unit, ms in (("d", 86_400_000), ("h", 3_600_000), ("min", 60_000), ("s", 1000)):
                if value % ms == 0:
                    return f"{value // ms} {unit}"
            return f"{value} ms"
        return f"`{value}`" if isinstance(value, str) else f"{value:,}".replace(",", " ")

    def code(name):
        return f"`{name}`"

    out = [head]
    for group, label in (("client_options", "client option"), ("call_options", "per call"),
                         ("cache_options", "cache option")):
        for e in surface[group]:
            out.append(row(f"{label} `{e['name']}`", shown(e) or e.get("about", ""),
                           [code(spell(e["name"], lang)) for lang in LANGUAGES]))
    fields = surface["error_fields"]
    for kind in surface["error_kinds"]:
        names = fields[kind]
        out.append(row(f"error `{kind}`", ", ".join(names),
                       [code(error_class(kind, lang)) for lang in LANGUAGES]))
    units = [surface["languages"][lang]["unit"] for lang in LANGUAGES]
    out.append(row("durations", "", units))
    return "".join(out)


@functools.cache
def load():
    """surface.json, read once."""
    return json.loads(SURFACE.read_text())


def outputs():
    """Every generated file and its text."""
    files = {ROOT / "tests" / "parity" / f"{lang}.json": json.dumps(expected(lang), indent=2) + "\n"
             for lang in LANGUAGES}
    text = README.read_text()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    files[README] = text[:start] + "\n" + table() + text[end:]
    return files


def main(argv):
    check = "--check" in argv
    stale = []
    for path, text in outputs().items():
        if not path.exists() or path.read_text() != text:
            stale.append(path.relative_to(ROOT))
            if not check:
                path.write_text(text)
    if check and stale:
        print("out of date (run python3 -m tools.parity): " + ", ".join(map(str, stale)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
