"""The conformance runner: every vector of tests/vectors/*.json and of every *.json in
$CSMS_EXTRA_VECTORS, through the installed csms package (format: tests/vectors/FORMAT.md;
same semantics as the Rust runner core/tests/conformance.rs).

Prints one line per failing vector (its id and what differed), then
`conformance: N passed, M failed`, and fails if any vector failed.
"""

import json
import os
from pathlib import Path

import csms

ROOT = Path(__file__).resolve().parents[2]


def vector_files():
    dirs = [ROOT / "tests" / "vectors"]
    extra = os.environ.get("CSMS_EXTRA_VECTORS")
    if extra:
        dirs.append(Path(extra))
    files = []
    for folder in dirs:
        files.extend(sorted(p for p in folder.iterdir() if p.suffix == ".json"))
    return files


def media(value):
    return value.split(";")[0].strip().lower()


def check_headers(headers, expected):
    lower = {k.lower(): v for k, v in headers.items()}
    for name, want in (expected or {}).items():
        got = lower.get(name.lower())
        if got is None:
            return f"header {name} missing"
        same = media(got) == media(want) if name.lower() == "content-type" else got == want
        if not same:
            return f"header {name}: got {got!r}, want {want!r}"
    return None


def is_subset(expected, actual):
    """Every key of `expected` is in `actual` with an equal value (objects recursively,
    numbers by value; arrays and other values whole)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return all(k in actual and is_subset(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return float(expected) == float(actual)
    return same_json(expected, actual)


def same_json(a, b):
    """JSON equality: bools are not numbers, 1 == 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def error_as_json(err):
    if isinstance(err, csms.ValidationError):
        return {"kind": "validation", "field": err.field}
    if isinstance(err, csms.ApiError):
        return {"kind": "api", "status": err.status, "error_code": err.error_code, "error_msg": err.error_msg,
                "request_id": err.request_id}
    if isinstance(err, csms.CsmsError):
        return {"kind": err.kind}
    raise err


def check_error(err, expected):
    actual = error_as_json(err)
    if actual["kind"] != expected.get("kind"):
        return f"got {actual['kind']} error ({err}), want {expected.get('kind')}"
    if not is_subset(expected, actual):
        return f"error {json.dumps(actual)} does not match {json.dumps(expected)}"
    return None


def run_sign(v):
    creds = v["credentials"]
    derived = v.get("derived") or {}
    try:
        signer = csms.Signer(creds.get("ak", ""), creds.get("sk", ""), creds.get("security_token"), v["algorithm"],
                             derived.get("region_id"), derived.get("service"))
        r = v["request"]
        request = csms.Request(r["method"], r["url"], r.get("headers") or {}, r.get("body", ""))
        signed = signer.sign(request, at=v["at"])
    except csms.CsmsError as e:
        return str(e)
    got = signed.headers.get("Authorization", "")
    want = v["expect"].get("authorization", "")
    if want and got != want:
        return f"authorization: got {got!r}, want {want!r}"
    return check_headers(signed.headers, v["expect"].get("headers"))


def client_of(config):
    unknown = set(config) - {"region", "endpoint", "project_id", "credentials", "algorithm", "user_agent",
                             "derived_service"}
    if unknown:
        raise csms.ValidationError("config", f"unknown keys {sorted(unknown)}")
    creds = config.get("credentials") or {}
    unknown = set(creds) - {"ak", "sk", "security_token", "auth_token"}
    if unknown:
        raise csms.ValidationError("config.credentials", f"unknown keys {sorted(unknown)}")
    return csms.Client(
        region=config.get("region"),
        endpoint=config.get("endpoint"),
        project_id=config.get("project_id"),
        ak=creds.get("ak"),
        sk=creds.get("sk"),
        security_token=creds.get("security_token"),
        auth_token=creds.get("auth_token"),
        algorithm=config.get("algorithm") or "SDK-HMAC-SHA256",
        user_agent=config.get("user_agent"),
        derived_service=config.get("derived_service"),
    )


def run_build(v):
    try:
        client = client_of(v["config"])
    except csms.CsmsError as e:
        return f"config: {e}"
    expect = v["expect"]
    try:
        request = client.build_request(v["operation"], v.get("input"), at=v["at"])
    except csms.CsmsError as e:
        if "error" in expect:
            return check_error(e, expect["error"])
        return f"refused: {e}"
    if "error" in expect:
        return f"built {request.method} {request.url} instead of refusing"
    if request.method != expect.get("method"):
        return f"method: got {request.method}, want {expect.get('method')}"
    if request.url != expect.get("url"):
        return f"url: got {request.url}, want {expect.get('url')}"
    problem = check_headers(request.headers, expect.get("headers"))
    if problem:
        return problem
    try:
        body = json.loads(request.body) if request.body else None
    except ValueError as e:
        return f"body is not JSON: {e}"
    if not same_json(body, expect.get("body_json")):
        return f"body: got {json.dumps(body)}, want {json.dumps(expect.get('body_json'))}"
    creds = v["config"].get("credentials") or {}
    if "sk" in creds:
        try:
            csms.verify_signature(request, ak=creds.get("ak", ""), sk=creds["sk"],
                                  security_token=creds.get("security_token"))
        except csms.ValidationError as e:
            return f"signature does not verify: {e.reason}"
    return None


PARSER = csms.Client(endpoint="http://127.0.0.1:1", project_id="p", ak="AK", sk="SK")


def run_parse(v):
    r = v["response"]
    expect = v["expect"]
    try:
        result = PARSER.parse_response(v["operation"], r.get("status", 0), r.get("headers") or {}, r.get("body", ""))
    except csms.CsmsError as e:
        if "error" in expect:
            return check_error(e, expect["error"])
        return f"failed: {e}"
    value = result.to_dict()
    if "error" in expect:
        return f"parsed as {json.dumps(value)} instead of failing"
    if not is_subset(expect.get("ok"), value):
        return f"result {json.dumps(value)} does not contain {json.dumps(expect.get('ok'))}"
    return None


RUNNERS = {"sign": run_sign, "build": run_build, "parse": run_parse}


def test_every_vector_passes():
    passed = failed = 0
    files = vector_files()
    for path in files:
        doc = json.loads(path.read_text(encoding="utf-8"))
        vectors = doc.get("vectors")
        assert isinstance(vectors, list), f"{path}: no `vectors` list"
        for v in vectors:
            runner = RUNNERS.get(v.get("kind"))
            try:
                problem = runner(v) if runner else f"unknown kind {v.get('kind')!r}"
            except Exception as e:  # a crash is a failure of that vector, not of the run
                problem = f"raised {type(e).__name__}: {e}"
            if problem is None:
                passed += 1
            else:
                failed += 1
                print(f"FAIL {v.get('id')} ({path.name}): {problem}")
    print(f"conformance: {passed} passed, {failed} failed")
    assert passed > 0, "no vector found"
    assert failed == 0, f"{failed} vectors failed"
