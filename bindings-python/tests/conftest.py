"""Fixtures: the repository layout, the emulator binary on a free port, the oracle."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

AK = "PYTEST-AK"
SK = "PYTEST-SK-0123456789abcdef0123456789abcdef"
PROJECT_ID = "pytestproject0000000000000000000"

# No test may reach the real instance metadata service: while CSMS_TEST_NO_METADATA is set the
# core refuses its address (http://169.254.169.254) at once, so a test that can reach the metadata
# provider (the default chain included) must point it at the emulator (CSMS_METADATA_ENDPOINT or
# the endpoint argument), or it fails fast saying so. Set for this process (os.environ is the
# process environment the native layer reads).
os.environ["CSMS_TEST_NO_METADATA"] = "1"
if "169.254.169.254" in os.environ.get("CSMS_METADATA_ENDPOINT", ""):
    raise pytest.UsageError("CSMS_METADATA_ENDPOINT names the real metadata service: the tests talk to loopback only")


def _target_dir():
    return Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")


def emulator_binary():
    """The csms-emulator binary ($CSMS_EMULATOR, or target/debug, built when missing)."""
    given = os.environ.get("CSMS_EMULATOR")
    if given:
        return Path(given)
    binary = _target_dir() / "debug" / "csms-emulator"
    if not binary.exists():
        subprocess.run(["cargo", "build", "-q", "-p", "csms-emulator"], cwd=ROOT, check=True)
    return binary


class Emulator:
    """An emulator process: its endpoint, credentials, and its emulator-only endpoints."""

    def __init__(self, process, endpoint):
        self.process = process
        self.endpoint = endpoint
        self.ak = AK
        self.sk = SK
        self.project_id = PROJECT_ID

    def client_options(self, **overrides):
        options = {"endpoint": self.endpoint, "project_id": self.project_id, "ak": self.ak, "sk": self.sk}
        options.update(overrides)
        return options

    def get(self, path):
        """The JSON answer of an emulator-only endpoint (`/_emulator/counts`, `/_emulator/faults`)."""
        import json
        import urllib.request

        with urllib.request.urlopen(self.endpoint + path, timeout=10) as response:
            return json.loads(response.read())

    def applied(self, secret):
        """How many RotateSecret and CreateSecretVersion calls the emulator applied to `secret`."""
        for entry in self.get("/_emulator/counts")["secrets"]:
            if entry["secret_name"] == secret and entry["project_id"] == self.project_id:
                return {"RotateSecret": entry["rotate_secret"], "CreateSecretVersion": entry["create_secret_version"]}
        return {"RotateSecret": 0, "CreateSecretVersion": 0}

    def set_faults(self, spec):
        """Sets the fault spec in force (`"503=100%"` takes the service down; None: no faults)."""
        import json
        import urllib.request

        request = urllib.request.Request(self.endpoint + "/_emulator/faults", data=json.dumps({"spec": spec}).encode(),
                                         method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def requests(self):
        """The number of CSMS requests the emulator received (emulator-only ones aside)."""
        return self.get("/_emulator/faults")["requests"]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_emulator(*args):
    """Starts the emulator binary on 127.0.0.1:0 with the test key and `args` (`--faults ...`)."""
    process = subprocess.Popen(
        [str(emulator_binary()), "--listen", "127.0.0.1:0", "--ak", AK, "--sk", SK, "--project-id", PROJECT_ID,
         *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline().strip()
    prefix = "listening on "
    if not line.startswith(prefix):
        process.kill()
        raise RuntimeError(f"the emulator did not start: {line!r} {process.stderr.read()!r}")
    return Emulator(process, line[len(prefix):])


def _serving():
    server = start_emulator()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def emulator():
    """The emulator binary listening on 127.0.0.1:0 with one access key; stopped after the tests."""
    yield from _serving()


@pytest.fixture(scope="module")
def module_emulator():
    """An emulator of the test module's own: its request counts and faults are not shared."""
    yield from _serving()


def oracle_python():
    """The python of the official-SDK oracle venv ($CSMS_ORACLE_PYTHON or tests/oracle/.venv)."""
    given = os.environ.get("CSMS_ORACLE_PYTHON")
    path = Path(given) if given else ROOT / "tests" / "oracle" / ".venv" / "bin" / "python"
    return path if path.exists() else None


@pytest.fixture(scope="session")
def oracle():
    """A running tests/oracle/oracle.py (JSON lines over stdin/stdout)."""
    python = oracle_python()
    if python is None:
        pytest.skip("the oracle venv is missing: run tests/oracle/setup.sh (run-tests does)")
    process = subprocess.Popen(
        [str(python), str(ROOT / "tests" / "oracle" / "oracle.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    try:
        yield process
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


sys.path.insert(0, str(HERE))
