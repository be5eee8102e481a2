# coding: utf-8
"""Self-check of the signing oracle. Exits non-zero on any mismatch.

1. Every vector of tests/vectors/official_sign.json is reproduced exactly (Authorization to the
   byte, the listed headers), once with the signing time given only as `at` (fixed clock) and
   once with the same time passed as a caller-supplied X-Sdk-Date header (the SDK honours it).
2. The worked example of pipeline.md §9 is reproduced through the full official client
   (CsmsClient + capturing transport + fixed clock).
3. The faster EC scalar multiplication equals the SDK's original one; ECDSA-P256 and SM2
   signatures made by the SDK's own (unpatched) key classes verify, tampered ones do not.
4. The oracle process itself: protocol answers, bad lines, throughput.
"""

import json
import os
import random
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402
import oracle  # noqa: E402

from huaweicloudsdkcore.signer.utils import P256SigningKey, SM2SigningKey  # noqa: E402

VECTORS = os.path.join(HERE, "..", "vectors", "official_sign.json")
FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print("FAIL", msg)


def sign_request_from_vector(v, with_date_header=False):
    headers = dict(v["request"]["headers"])
    if with_date_header:
        headers["X-Sdk-Date"] = v["at"]
    req = {"op": "sign", "algorithm": v["algorithm"], "ak": v["credentials"]["ak"],
           "sk": v["credentials"]["sk"], "at": v["at"], "method": v["request"]["method"],
           "url": v["request"]["url"], "headers": headers, "body": v["request"]["body"]}
    if "security_token" in v["credentials"]:
        req["security_token"] = v["credentials"]["security_token"]
    if "derived" in v:
        req["derived"] = v["derived"]
    return req


def check_sign_vectors():
    with open(VECTORS, encoding="utf-8") as f:
        vectors = json.load(f)["vectors"]
    n = 0
    for v in vectors:
        for with_date in (False, True):
            out = oracle.handle_line(json.dumps(sign_request_from_vector(v, with_date)))
            tag = "%s%s" % (v["id"], " (X-Sdk-Date header)" if with_date else "")
            if "error" in out:
                fail("%s: %s" % (tag, out["error"]))
                continue
            if out["authorization"] != v["expect"]["authorization"]:
                fail("%s: authorization\n  got  %s\n  want %s" % (tag, out["authorization"],
                                                               v["expect"]["authorization"]))
            got = {k.lower(): val for k, val in out["headers"].items()}
            for k, val in v["expect"]["headers"].items():
                if got.get(k.lower()) != val:
                    fail("%s: header %s = %r, want %r" % (tag, k, got.get(k.lower()), val))
            n += 1
    print("sign vectors: %d/%d signings reproduced" % (n - 0, 2 * len(vectors)))


def check_worked_example():
    """pipeline.md §9 worked vector, through the full official client."""
    from huaweicloudsdkcsms.v1.model import CreateSecretRequest, CreateSecretRequestBody
    transport = common.Transport().install()
    client = common.make_client("https://kms.cn-north-4.myhuaweicloud.com", "HPUAEXAMPLEAK0000001",
                                "ExampleSecretKey0000000000000000000000001",
                                "0f1e2d3c4b5a69788796a5b4c3d2e1f0", user_agent="vector-test")
    common.set_clock("20240102T030405Z")
    try:
        client.create_secret(CreateSecretRequest(body=CreateSecretRequestBody(
            name="demo-secret", secret_string="p@ss w0rd\u00e9")))
    finally:
        common.set_clock(None)
    sent = transport.last()
    want = ("SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, SignedHeaders=content-type;host;user-agent;"
            "x-project-id;x-sdk-date, Signature=a12ec93ad796f72867cc2e91fadc7372e49909ab59dea8b9450f3701ddff122e")
    if sent.headers.get("Authorization") != want:
        fail("worked example: %r" % sent.headers.get("Authorization"))
    if sent.body != b'{"name": "demo-secret", "secret_string": "p@ss w0rd\\u00e9"}':
        fail("worked example body: %r" % sent.body)
    print("worked example (pipeline.md §9) through CsmsClient: ok")


def check_ec():
    rnd = random.Random(20240806)
    for cls in (P256SigningKey, SM2SigningKey):
        for _ in range(6):
            k = rnd.randrange(1, cls.PARAM_n)
            if common.original_point_multiply(cls, k, cls.PARAM_G) != cls._point_multiply(k, cls.PARAM_G):
                fail("fast point multiply differs for %s k=%x" % (cls.__name__, k))
        # a non-generator base point as well
        q = common.original_point_multiply(cls, 7, cls.PARAM_G)
        k = rnd.randrange(1, cls.PARAM_n)
        if common.original_point_multiply(cls, k, q) != cls._point_multiply(k, q):
            fail("fast point multiply differs for %s on 7G" % cls.__name__)

    creds = [("HPUAEXAMPLEAK0000001", "ExampleSecretKey0000000000000000000000001"),
             ("0CE9UVW53EFR4EDT2SYW", "2Ff7d3bADeB003cf205Ce15C1F90BecfeB9Ba36f")]
    base = {"method": "POST", "url": "https://kms.cn-north-4.myhuaweicloud.com/v1/p1/secrets/a%20b%2Fc?x=1&b=%E4%B8%AD",
            "headers": {"Content-Type": "application/json;charset=utf-8", "X-Project-Id": "p1",
                        "User-Agent": "huaweicloud-usdk-python/3.0; t"},
            "body": "{\"name\": \"n\u00e9\"}", "at": "20240806T101010Z"}
    for alg in ("SDK-ECDSA-P256-SHA256", "SDK-SM2-SM3"):
        for ak, sk in creds:
            pk = oracle.handle_line(json.dumps({"op": "public_key", "algorithm": alg, "ak": ak, "sk": sk}))
            key_cls = P256SigningKey if alg.startswith("SDK-ECDSA") else SM2SigningKey
            d = int(pk["d"], 16)
            if (int(pk["x"], 16), int(pk["y"], 16)) != common.original_point_multiply(key_cls, d, key_cls.PARAM_G):
                fail("public key mismatch %s %s" % (alg, ak))
            signed = oracle.handle_line(json.dumps(dict(base, op="sign", algorithm=alg, ak=ak, sk=sk)))
            if "error" in signed:
                fail("sign %s: %s" % (alg, signed["error"]))
                continue
            hdrs = {k: v for k, v in signed["headers"].items() if k.lower() != "authorization"}
            ver = dict(base, op="verify", algorithm=alg, ak=ak, sk=sk, headers=hdrs,
                       authorization=signed["authorization"])
            out = oracle.handle_line(json.dumps(ver))
            if out.get("valid") is not True or out.get("string_to_sign") != signed["string_to_sign"]:
                fail("verify own %s signature: %s" % (alg, out))
            # a signature made by the SDK's own key class with the ORIGINAL point multiply
            d = int(pk["d"], 16)
            saved = P256SigningKey.__dict__["_point_multiply"]
            P256SigningKey._point_multiply = common._ORIG_POINT_MULTIPLY
            try:
                sig = key_cls(d).sign(signed["string_to_sign"].encode("utf-8")).hex()
            finally:
                P256SigningKey._point_multiply = saved
            auth2 = signed["authorization"].rsplit("Signature=", 1)[0] + "Signature=" + sig
            out = oracle.handle_line(json.dumps(dict(ver, authorization=auth2)))
            if out.get("valid") is not True:
                fail("verify pure-SDK %s signature: %s" % (alg, out))
            # tampering
            bad_hdrs = dict(hdrs, **{"X-Project-Id": "p2"})
            if oracle.handle_line(json.dumps(dict(ver, headers=bad_hdrs))).get("valid") is not False:
                fail("tampered header verified (%s)" % alg)
            if oracle.handle_line(json.dumps(dict(ver, body=base["body"] + " "))).get("valid") is not False:
                fail("tampered body verified (%s)" % alg)
            if oracle.handle_line(json.dumps(dict(ver, sk=sk + "x"))).get("valid") is not False:
                fail("wrong key verified (%s)" % alg)
            flipped = signed["authorization"][:-1] + ("0" if signed["authorization"][-1] != "0" else "1")
            if oracle.handle_line(json.dumps(dict(ver, authorization=flipped))).get("valid") is not False:
                fail("flipped signature verified (%s)" % alg)
    print("EC: fast multiply == SDK multiply; P-256/SM2 verify accepts SDK signatures, rejects tampering")


def check_process():
    """The oracle as a process: protocol, robustness, throughput."""
    with open(VECTORS, encoding="utf-8") as f:
        vectors = json.load(f)["vectors"]
    lines = [b"not json\n", b"[1,2]\n", b'{"op":"nope"}\n', b'{"op":"sign"}\n', b"\xff\xfe\n",
             b'{"op":"ping","id":7}\n']
    n_bad = len(lines)
    signs = [json.dumps(sign_request_from_vector(v)).encode() + b"\n" for v in vectors]
    ec_base = {"method": "GET", "url": "https://kms.cn-north-4.myhuaweicloud.com/v1/p/secrets/s",
               "headers": {"X-Project-Id": "p"}, "body": "", "at": "20240806T101010Z",
               "ak": "AKEXAMPLE", "sk": "SKEXAMPLE"}
    for i in range(4000):
        lines.append(signs[i % len(signs)])
    for alg in ("SDK-ECDSA-P256-SHA256", "SDK-SM2-SM3"):
        for i in range(500):
            lines.append(json.dumps(dict(ec_base, op="sign", algorithm=alg)).encode() + b"\n")
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "oracle.py")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    t0 = time.time()
    out, _ = proc.communicate(b"".join(lines), timeout=600)
    dt = time.time() - t0
    answers = [json.loads(x) for x in out.decode("ascii").splitlines()]
    if len(answers) != len(lines):
        fail("oracle answered %d lines for %d" % (len(answers), len(lines)))
        return
    for a in answers[:n_bad - 1]:
        if "error" not in a:
            fail("bad line not answered with error: %r" % a)
    if answers[n_bad - 1] != {"ok": True, "sdk": common.SDK_VERSION, "id": 7}:
        fail("ping: %r" % answers[n_bad - 1])
    for i, a in enumerate(answers[n_bad:n_bad + 4000]):
        if a.get("authorization") != vectors[i % len(vectors)]["expect"]["authorization"]:
            fail("process sign answer %d wrong: %r" % (i, a))
            break
    # verify the ECDSA/SM2 answers (another 1000 lines, through the process as well)
    vlines = []
    for a, alg in zip(answers[n_bad + 4000:], ["SDK-ECDSA-P256-SHA256"] * 500 + ["SDK-SM2-SM3"] * 500):
        hdrs = {k: v for k, v in a["headers"].items() if k.lower() != "authorization"}
        vlines.append(json.dumps(dict(ec_base, op="verify", algorithm=alg, headers=hdrs,
                                      authorization=a["authorization"])).encode() + b"\n")
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "oracle.py")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    t1 = time.time()
    vout, _ = proc.communicate(b"".join(vlines), timeout=600)
    dt2 = time.time() - t1
    vans = [json.loads(x) for x in vout.decode("ascii").splitlines()]
    if len(vans) != len(vlines) or not all(v.get("valid") is True for v in vans):
        fail("process verify: %d answers, %d valid" % (len(vans), sum(1 for v in vans if v.get("valid"))))
    print("oracle process: %d lines (4000 HMAC/V11 signs, 1000 EC signs) in %.1fs; 1000 EC verifies in %.1fs"
          % (len(lines), dt, dt2))


def main():
    check_sign_vectors()
    check_worked_example()
    check_ec()
    check_process()
    if FAILURES:
        print("selfcheck: %d failure(s)" % len(FAILURES))
        sys.exit(1)
    print("selfcheck: all ok")


if __name__ == "__main__":
    main()
