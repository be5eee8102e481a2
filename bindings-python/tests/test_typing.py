"""The stubs (csms/__init__.pyi, generated from the spec) type-check real use under mypy
--strict, and mypy reports misuse: a missing required member, an unknown one, a wrong type,
an attribute a result does not have."""

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent / "typecheck"


def mypy(*args):
    pytest.importorskip("mypy")
    cache = Path(sys.prefix) / ".mypy_cache"
    return subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(cache), "--no-error-summary",
                           "--hide-error-context", "--show-error-codes", *args],
                          capture_output=True, text=True, cwd=tempfile.gettempdir())


def test_the_stubs_match_the_runtime(tmp_path):
    """mypy's stubtest over the installed package: everything the stubs declare (the type aliases
    included) exists at run time as what they say it is, with the same parameters, and the stubs
    are valid stubs (the operation methods' required members required at run time too). Allowed
    difference: OperationName / PagedOperationName, a Literal at run time where stubtest expects a
    Union."""
    pytest.importorskip("mypy")

    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\n"
                      "[mypy-csms._cache,csms._client,csms._errors,csms._model,csms._models,csms._rotation,csms._types,"
                      "csms.transports]\n"
                      "ignore_errors = True\n"
                      "[mypy-csms._native]\nignore_missing_imports = True\n")
    allowed = ["csms.OperationName", "csms.PagedOperationName"]
    allowlist = tmp_path / "allowlist.txt"
    allowlist.write_text("\n".join(allowed) + "\n")
    result = subprocess.run([sys.executable, "-m", "mypy.stubtest", "--mypy-config-file", str(config),
                             "--allowlist", str(allowlist), "csms"],
                            capture_output=True, text=True, cwd=tempfile.gettempdir())
    assert result.returncode == 0, result.stdout + result.stderr


def test_real_use_type_checks_strictly():
    result = mypy("--strict", str(HERE / "usage_ok.py"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_readme_examples_type_check_strictly(tmp_path):
    """Every ```python block of README.md and of docs/*.md, as written, each on its own."""
    package = Path(__file__).resolve().parents[1]
    blocks = []
    for page in [package / "README.md", *sorted((package / "docs").glob("*.md"))]:
        blocks += re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), re.S | re.M)
    assert len(blocks) >= 10
    paths = []
    for number, code in enumerate(blocks):
        path = tmp_path / f"readme_example_{number}.py"
        path.write_text(code, encoding="utf-8")
        paths.append(str(path))
    result = mypy("--strict", *paths)
    assert result.returncode == 0, result.stdout + result.stderr


def test_misuse_is_reported():
    path = HERE / "usage_bad.py"
    expected = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        m = re.search(r"# error: ([\w-]+)", line)
        if m:
            expected[number] = m.group(1)
    result = mypy(str(path))
    reported = {}
    for line in result.stdout.splitlines():
        m = re.match(r".*usage_bad\.py:(\d+): error: .*\[([\w-]+)\]$", line)
        if m:
            reported.setdefault(int(m.group(1)), set()).add(m.group(2))
    missing = {n: code for n, code in expected.items() if code not in reported.get(n, set())}
    unexpected = {n: codes for n, codes in reported.items() if n not in expected}
    assert not missing and not unexpected, (missing, unexpected, result.stdout)
