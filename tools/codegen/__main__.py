"""Regenerates every file derived from `spec/csms.json`.

    python3 -m tools.codegen          # write the files
    python3 -m tools.codegen --check  # fail if a file is stale
"""

import sys

from . import kotlin, python, rust, swift, typescript
from .spec import load, write_if_changed

EMITTERS = [rust, typescript, python, python.runtime, kotlin, swift]


def main():
    check = "--check" in sys.argv
    spec = load()
    stale = []
    for emitter in EMITTERS:
        path, text = emitter.emit(spec)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
        elif write_if_changed(path, text):
            print(f"wrote {path}")
    if stale:
        print("stale generated files (run `python3 -m tools.codegen`):", *stale, sep="\n  ")
        sys.exit(1)


main()
