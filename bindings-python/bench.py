"""Benchmarks of the csms package beside the official Huawei Cloud Python SDK, in one run.

Run it with a python that has both installed: `bindings-python/run-bench` makes such a
virtualenv (bindings-python/.bench-venv: huaweicloudsdkcore/huaweicloudsdkcsms 3.1.219 and
the csms wheel) and runs this file; `--json` prints the figures as JSON as well.

Measured (best of several rounds, µs per operation, one thread):
- per call, UpdateSecret / RotateSecret / ShowSecretVersion:
  - official: `CsmsClient.update_secret(UpdateSecretRequest(...))` etc. through its full call
    path (request model, signing with the clock, requests' preparation, a session whose
    adapter returns a canned response without a socket, deserialisation into the response
    model);
  - ours: `Client.build_request` + `Client.parse_response` (the signed request from the
    clock's time, and the typed result of the canned response); also the whole method
    call (`client.update_secret(...)`) through a transport returning the canned response;
- per sign: the official `BasicCredentials.sign_request(SdkRequest)` and our
  `Signer.sign(Request)`, for the same UpdateSecret request (SDK-HMAC-SHA256), each request
  made once outside the timed loop (both signers stamp the current time);
- import time over a bare interpreter (`python -c pass`): median over subprocess runs, and
  `-X importtime`'s cumulative figure for the top package;
- installed size (the package's files in site-packages) and the wheel's size;
- the secret cache against the emulator (`target/debug/csms-emulator`, or `$CSMS_EMULATOR`;
  run-bench builds it): µs per read of a cache hit (`SecretCache.get`,
  `get_secret_string`, `AsyncSecretCache.get`) beside a plain `show_secret_version` per read
  (a loopback HTTP round trip). `--cache` runs this table alone (no official SDK needed:
  `bindings-python/run-bench --cache`).
"""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

AK = "BENCHAK0000000000000"
SK = "benchsk00000000000000000000000000000000"
PROJECT = "0123456789abcdef0123456789abcdef"
ENDPOINT = "https://kms.cn-north-4.myhuaweicloud.com"

SECRET = {
    "id": "7f3b1c2a-8d4e-4f6a-9b0c-1d2e3f4a5b6c", "name": "db-password", "state": "ENABLED",
    "kms_key_id": "0b2a5c0e-0000-4000-8000-000000000000", "description": "primary database",
    "create_time": 1722900000000, "update_time": 1722900100000,
    "secret_type": "COMMON", "auto_rotation": False, "rotation_period": "30d",
    "rotation_config": "{}", "rotation_time": 1722900000000, "next_rotation_time": 1725492000000,
    "event_subscriptions": [], "enterprise_project_id": "0", "rotation_func_urn": "",
}
RESPONSES = {
    "UpdateSecret": {"secret": SECRET},
    "RotateSecret": {"version_id": "v2", "secret_name": "db-password",
                     "rotation_task_id": "a8c5f0c2-9d3b-4e1f-8a6b-2c4d6e8f0a1b"},
    "ShowSecretVersion": {"version": {"secret_string": "s3cr3t-value", "version_metadata": {
        "id": "v2", "create_time": 1722900000000, "kms_key_id": "0b2a5c0e-0000-4000-8000-000000000000",
        "secret_name": "db-password", "version_stages": ["SYSCURRENT"]}}},
}
INPUTS = {
    "UpdateSecret": {"secret_name": "db-password", "description": "primary database"},
    "RotateSecret": {"secret_name": "db-password"},
    "ShowSecretVersion": {"secret_name": "db-password", "version_id": "latest"},
}
HEADERS = {"Content-Type": "application/json", "X-Request-Id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
           "Date": "Tue, 06 Aug 2024 00:00:00 GMT"}


def per_call_us(fn, seconds=0.4, rounds=5):
    """Best-of-`rounds` µs per call of fn()."""
    fn()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds / rounds:
        fn()
        n += 1
    n = max(n, 10)
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t0) / n)
    return best * 1e6


# ------------------------------------------------------------------------------------------
# Official SDK


def official_client():
    import requests
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkcsms.v1 import CsmsClient

    config = HttpConfig.get_default_config()
    config.retry_times = 0
    client = CsmsClient.new_builder().with_http_config(config) \
        .with_credentials(BasicCredentials(AK, SK, PROJECT)).with_endpoint(ENDPOINT).build()

    class Canned(requests.adapters.BaseAdapter):
        """Answers every request with the canned body of the current operation; no socket."""

        body = b"{}"

        def send(self, request, **kwargs):
            response = requests.Response()
            response.status_code = 200
            response.reason = "OK"
            response.headers = requests.structures.CaseInsensitiveDict(HEADERS)
            response._content = self.body
            response.encoding = "utf-8"
            response.url = request.url
            response.request = request
            response.connection = self
            return response

        def close(self):
            pass

    adapter = Canned()
    session = client._http_client._session
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return client, adapter


def official_calls():
    from huaweicloudsdkcsms.v1 import model

    client, adapter = official_client()
    calls = {
        "UpdateSecret": lambda: client.update_secret(model.UpdateSecretRequest(
            secret_name="db-password", body=model.UpdateSecretRequestBody(description="primary database"))),
        "RotateSecret": lambda: client.rotate_secret(model.RotateSecretRequest(secret_name="db-password")),
        "ShowSecretVersion": lambda: client.show_secret_version(model.ShowSecretVersionRequest(
            secret_name="db-password", version_id="latest")),
    }
    out = {}
    for op, call in calls.items():
        adapter.body = json.dumps(RESPONSES[op]).encode()
        result = call()
        assert result.status_code == 200, (op, result)
        out[op] = per_call_us(call)
    return out


def official_sign():
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.sdk_request import SdkRequest

    cred = BasicCredentials(AK, SK)
    headers = {"Content-Type": "application/json;charset=utf-8", "User-Agent": "huaweicloud-usdk-python/3.0",
               "X-Project-Id": PROJECT}
    body = json.dumps({"description": "primary database"})

    # One request, as ours is made once: the official signer writes its headers into the
    # request, so each round gives it back its unsigned headers (a dict copy, ~0.1 µs).
    request = SdkRequest(method="PUT", schema="https", host="kms.cn-north-4.myhuaweicloud.com",
                         resource_path=f"/v1/{PROJECT}/secrets/db-password", query_params=[],
                         header_params=dict(headers), body=body)

    def sign():
        request.header_params = dict(headers)
        return cred.sign_request(request)

    assert "Authorization" in sign().header_params
    return per_call_us(sign)


# ------------------------------------------------------------------------------------------
# Ours


def our_calls():
    import csms

    client = csms.Client(endpoint=ENDPOINT, project_id=PROJECT, ak=AK, sk=SK)
    low, high = {}, {}
    for op, input in INPUTS.items():
        body = json.dumps(RESPONSES[op]).encode()

        def call(op=op, input=input, body=body):
            request = client.build_request(op, input)
            return client.parse_response(op, 200, HEADERS, body)

        assert call().to_dict() == RESPONSES[op]
        low[op] = per_call_us(call)

        canned = csms.Client(endpoint=ENDPOINT, project_id=PROJECT, ak=AK, sk=SK,
                             transport=lambda request, body=body: (200, HEADERS, body))
        method = getattr(canned, csms._models.METHODS[op])
        high[op] = per_call_us(lambda method=method, input=input: method(**input))
    return low, high


def our_sign():
    import csms

    signer = csms.Signer(AK, SK)
    request = csms.Request("PUT", f"{ENDPOINT}/v1/{PROJECT}/secrets/db-password",
                           {"Content-Type": "application/json;charset=utf-8", "User-Agent": csms.USER_AGENT,
                            "X-Project-Id": PROJECT}, json.dumps({"description": "primary database"}))
    assert "Authorization" in signer.sign(request).headers
    return per_call_us(lambda: signer.sign(request))


# ------------------------------------------------------------------------------------------
# The secret cache, against the emulator


def _emulator():
    """Starts the emulator on 127.0.0.1:0; returns (process, endpoint)."""
    root = Path(__file__).resolve().parents[1]
    binary = os.environ.get("CSMS_EMULATOR") or str(root / "target" / "debug" / "csms-emulator")
    process = subprocess.Popen([binary, "--listen", "127.0.0.1:0", "--ak", AK, "--sk", SK, "--project-id", PROJECT],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline().strip()
    if not line.startswith("listening on "):
        process.kill()
        raise SystemExit(f"the emulator did not start ({binary}): {line!r}")
    return process, line[len("listening on "):]


def cache_reads():
    """µs per read: a plain ShowSecretVersion, and cache hits (sync, text value, async)."""
    import asyncio

    import csms

    process, endpoint = _emulator()
    try:
        client = csms.Client(endpoint=endpoint, project_id=PROJECT, ak=AK, sk=SK)
        client.create_secret(name="bench-secret", secret_string="s3cr3t-value")
        plain = per_call_us(lambda: client.show_secret_version(secret_name="bench-secret", version_id="latest"),
                            seconds=1.0)
        cache = csms.SecretCache(client)
        assert cache.get_secret_string("bench-secret") == "s3cr3t-value"
        hit = per_call_us(lambda: cache.get("bench-secret"))
        text = per_call_us(lambda: cache.get_secret_string("bench-secret"))

        async def async_hits():
            aclient = csms.AsyncClient(endpoint=endpoint, project_id=PROJECT, ak=AK, sk=SK)
            acache = csms.AsyncSecretCache(aclient)
            await acache.get("bench-secret")
            n, best = 20000, float("inf")
            for _ in range(5):
                t0 = time.perf_counter()
                for _ in range(n):
                    await acache.get("bench-secret")
                best = min(best, (time.perf_counter() - t0) / n)
            await aclient.aclose()
            return best * 1e6

        async_hit = asyncio.run(async_hits())
        client.close()
    finally:
        process.terminate()
        process.wait()
    return {"show_secret_version_us": plain, "cache_hit_us": hit, "cache_hit_secret_string_us": text,
            "async_cache_hit_us": async_hit}


def print_cache(figures):
    plain = figures["show_secret_version_us"]
    print("| read of a secret (emulator on loopback) | µs per read | vs ShowSecretVersion |")
    print("|---|---:|---:|")
    print(f"| `client.show_secret_version(...)` per read | {plain:.1f} | 1× |")
    for key, what in (("cache_hit_us", "`SecretCache.get` (hit)"),
                      ("cache_hit_secret_string_us", "`SecretCache.get_secret_string` (hit)"),
                      ("async_cache_hit_us", "`await AsyncSecretCache.get` (hit)")):
        print(f"| {what} | {figures[key]:.2f} | {plain / figures[key]:.0f}× faster |")


# ------------------------------------------------------------------------------------------
# Import time and size


def import_ms(statement, runs=21):
    """Median wall time of `python -c statement` minus that of `python -c pass`, in ms."""
    def wall(code):
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    subprocess.run([sys.executable, "-c", statement], check=True, capture_output=True)  # warm the caches
    bare = wall("pass")
    return (wall(statement) - bare) * 1000


def importtime_ms(module):
    """`python -X importtime`'s cumulative figure for `import module`, in ms: the sum over the
    top-level imports it made (the lines at the smallest indentation), median of 5 runs."""
    runs = []
    for _ in range(5):
        out = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True,
                             text=True, check=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}).stderr
        base = subprocess.run([sys.executable, "-X", "importtime", "-c", "pass"], capture_output=True, text=True,
                              check=True).stderr
        seen = {line.split("|")[2].rstrip() for line in base.splitlines() if line.count("|") == 2}
        total = 0
        for line in out.splitlines():
            parts = line.split("|")
            if len(parts) != 3 or not parts[1].strip().isdigit():
                continue
            name = parts[2].rstrip()
            # Top-level imports only (one leading space), and not those of a bare interpreter.
            if name.startswith(" ") and not name.startswith("  ") and name not in seen:
                total += int(parts[1])
        runs.append(total / 1000)
    return statistics.median(runs)


def dist_size(name):
    """Bytes of the files a distribution installed (its RECORD)."""
    from importlib import metadata

    dist = metadata.distribution(name)
    total = 0
    for f in dist.files or []:
        path = Path(dist.locate_file(f))
        if path.is_file():
            total += path.stat().st_size
    return total


def requirement_names(name, seen=None):
    """The distribution and everything it requires, recursively (no extras)."""
    from importlib import metadata

    seen = set() if seen is None else seen
    key = name.lower().replace("_", "-")
    if key in seen:
        return seen
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return seen
    seen.add(key)
    for req in dist.requires or []:
        if "extra ==" in req:
            continue
        dep = req.split(";")[0].strip()
        for sep in "<>=!~[ (":
            dep = dep.split(sep)[0]
        requirement_names(dep, seen)
    return seen


def mib(n):
    return f"{n / (1 << 20):.2f} MiB"


def main():
    if "--cache" in sys.argv:
        figures = cache_reads()
        print_cache(figures)
        if "--json" in sys.argv:
            print(json.dumps(figures))
        return
    wheel = next(iter(sorted(Path(__file__).resolve().parent.joinpath(".wheels").glob("csms_sdk-*.whl"))), None)
    official = official_calls()
    ours_low, ours_high = our_calls()
    sign_official, sign_ours = official_sign(), our_sign()
    import_ours, import_official = import_ms("import csms"), import_ms("import huaweicloudsdkcsms.v1")
    it_ours, it_official = importtime_ms("csms"), importtime_ms("huaweicloudsdkcsms.v1")
    size_ours = dist_size("csms-sdk")
    size_official = dist_size("huaweicloudsdkcore") + dist_size("huaweicloudsdkcsms")
    deps = sorted(requirement_names("huaweicloudsdkcsms"))
    size_official_deps = sum(dist_size(d) for d in deps)
    import platform

    rows = []
    for op in INPUTS:
        rows.append((f"{op}: µs per call", f"{official[op]:.1f}", f"{ours_low[op]:.2f}",
                     f"{official[op] / ours_low[op]:.0f}×", f"{ours_high[op]:.2f} µs"))
    rows.append(("µs per sign (SDK-HMAC-SHA256)", f"{sign_official:.1f}", f"{sign_ours:.2f}",
                 f"{sign_official / sign_ours:.1f}×", ""))
    rows.append(("import over a bare interpreter (median wall)", f"{import_official:.1f} ms", f"{import_ours:.1f} ms",
                 f"{import_official / max(import_ours, 0.01):.0f}×", ""))
    rows.append(("import, -X importtime cumulative", f"{it_official:.1f} ms", f"{it_ours:.1f} ms",
                 f"{it_official / max(it_ours, 0.01):.0f}×", ""))
    rows.append(("installed size (the SDK's own packages)", mib(size_official), mib(size_ours),
                 f"{size_official / size_ours:.1f}×", ""))
    rows.append((f"installed size with dependencies ({len(deps)} distributions)", mib(size_official_deps),
                 mib(size_ours), f"{size_official_deps / size_ours:.1f}×", ""))
    if wheel:
        rows.append(("wheel", "", mib(wheel.stat().st_size), "", wheel.name))

    print(f"Python {platform.python_version()} on {platform.machine()}, huaweicloudsdkcore "
          f"{_version('huaweicloudsdkcore')} vs csms-sdk {_version('csms-sdk')}\n")
    print("| measure | official SDK | csms | ratio | csms, whole method call |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    cache = cache_reads()
    print()
    print_cache(cache)
    if "--json" in sys.argv:
        print(json.dumps({"official_us": official, "ours_us": ours_low, "ours_method_us": ours_high,
                          "sign_official_us": sign_official, "sign_ours_us": sign_ours,
                          "import_official_ms": import_official, "import_ours_ms": import_ours,
                          "size_ours": size_ours, "size_official": size_official,
                          "size_official_with_deps": size_official_deps, "cache": cache,
                          "wheel": wheel.stat().st_size if wheel else None}))


def _version(name):
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


if __name__ == "__main__":
    main()
