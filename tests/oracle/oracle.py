# coding: utf-8
"""JSON-lines signing oracle backed by the official Huawei Cloud Python SDK signer.

Run:  tests/oracle/.venv/bin/python tests/oracle/oracle.py
Reads one JSON object per line on stdin, writes one JSON object per line on stdout (flushed).
A bad line never stops it: the answer is {"error": "..."}. When the request has an "id", the
answer echoes it. Protocol: see tests/oracle/README.md.
"""

import hashlib
import json
import os
import re
import sys
from functools import lru_cache
from urllib.parse import urlsplit, unquote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402  (installs the fixed clock and the EC speed-up)

from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

from huaweicloudsdkcore.auth.credentials import BasicCredentials  # noqa: E402
from huaweicloudsdkcore.sdk_request import SdkRequest  # noqa: E402
from huaweicloudsdkcore.signer import signer as sdk_signer  # noqa: E402
from huaweicloudsdkcore.signer.utils import SM2SigningKey  # noqa: E402

SIGNER_CLASSES = {
    "SDK-HMAC-SHA256": sdk_signer.Signer,
    "SDK-HMAC-SM3": sdk_signer.SM3Signer,
    "SDK-ECDSA-P256-SHA256": sdk_signer.P256SHA256Signer,
    "SDK-SM2-SM3": sdk_signer.SM2SM3Signer,
    "V11-HMAC-SHA256": sdk_signer.DerivationAKSKSigner,
}

# ---------------------------------------------------------------------------------------------
# Record what the SDK signer computes (canonical request -> string to sign), without changing it.

_RECORD = {}


def _recording(orig):
    def wrapper(self, canonical_request, *args, **kwargs):
        sts = orig(self, canonical_request, *args, **kwargs)
        _RECORD["canonical_request"] = canonical_request
        _RECORD["string_to_sign"] = sts
        return sts
    wrapper.__wrapped__ = orig
    return wrapper


sdk_signer.Signer._process_string_to_sign = _recording(sdk_signer.Signer._process_string_to_sign)
sdk_signer.DerivationAKSKSigner._process_string_to_sign = _recording(
    sdk_signer.DerivationAKSKSigner.__dict__["_process_string_to_sign"])

# ---------------------------------------------------------------------------------------------


def parse_query(query):
    """Wire query -> the (name, value) list the SDK signer expects. RFC 3986 decoding: '+' stays '+'."""
    params = []
    if not query:
        return params
    for part in query.split("&"):
        if part == "":
            continue
        if "=" in part:
            k, v = part.split("=", 1)
        else:
            k, v = part, ""
        params.append((unquote(k, errors="strict"), unquote(v, errors="strict")))
    return params


def _text(v):
    """A header value as the SDK leaves it (UTF-8 bytes carried in a latin-1 str) -> text."""
    if isinstance(v, bytes):
        return v.decode("utf-8")
    try:
        return v.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return v


def _require(req, *names):
    for n in names:
        if n not in req or req[n] is None:
            raise ValueError("missing %r" % n)


def _sdk_request(req):
    _require(req, "method", "url")
    url = urlsplit(req["url"])
    if url.scheme not in ("http", "https") or not url.netloc:
        raise ValueError("url must be http(s)://host[:port]/path?query")
    headers = req.get("headers") or {}
    if not isinstance(headers, dict):
        raise ValueError("headers must be an object")
    headers = {str(k): str(v) for k, v in headers.items()}
    body = req.get("body") or ""
    if not isinstance(body, str):
        raise ValueError("body must be a string")
    return SdkRequest(method=req["method"], schema=url.scheme, host=url.netloc,
                      resource_path=url.path or "/", query_params=parse_query(url.query),
                      header_params=headers, body=body,
                      signing_algorithm=common.ALGORITHMS.get(req["algorithm"]))


def _credentials(req):
    _require(req, "ak", "sk")
    cred = BasicCredentials(req["ak"], req["sk"])
    if req.get("security_token") is not None:
        cred.with_security_token(req["security_token"])
    return cred


def op_sign(req):
    _require(req, "algorithm", "at")
    alg = req["algorithm"]
    if alg not in SIGNER_CLASSES:
        raise ValueError("unknown algorithm %r" % alg)
    cred = _credentials(req)
    if alg == "V11-HMAC-SHA256":
        derived = req.get("derived") or {}
        _require(derived, "region_id", "service")
        cred.with_derived_predicate(lambda r: True)
        cred._process_derived_auth_params(derived["service"], derived["region_id"])
    sdk_req = _sdk_request(req)
    _RECORD.clear()
    common.set_clock(req["at"])
    try:
        # Credentials.sign_request: adds X-Security-Token, then picks the signer class
        # (derived predicate -> DerivationAKSKSigner, else by request.signing_algorithm).
        signed = cred.sign_request(sdk_req)
    finally:
        common.set_clock(None)
    headers = {k: _text(v) for k, v in signed.header_params.items()}
    auth = None
    for k, v in headers.items():
        if k.lower() == "authorization":
            auth = v
    return {
        "authorization": auth,
        "headers": headers,
        "canonical_request": _RECORD.get("canonical_request"),
        "string_to_sign": _RECORD.get("string_to_sign"),
        "url": "%s://%s%s" % (signed.schema, signed.host, signed.uri),
    }


_AUTH_RE = re.compile(r"^(\S+) Access=([^,]*), SignedHeaders=([^,]*), Signature=([0-9a-fA-F]*)$")


@lru_cache(maxsize=256)
def _private_key(alg, ak, sk):
    """d exactly as the official signer derives it (P256SHA256Signer/SM2SM3Signer._derive_key)."""
    cls = SIGNER_CLASSES[alg]
    return cls(BasicCredentials(ak, sk))._derive_key()


@lru_cache(maxsize=256)
def _sm2_key(ak, sk):
    return SM2SigningKey(_private_key("SDK-SM2-SM3", ak, sk))


@lru_cache(maxsize=256)
def _p256_public(ak, sk):
    d = _private_key("SDK-ECDSA-P256-SHA256", ak, sk)
    return ec.derive_private_key(d, ec.SECP256R1()).public_key()


def op_public_key(req):
    _require(req, "algorithm", "ak", "sk")
    alg = req["algorithm"]
    if alg == "SDK-ECDSA-P256-SHA256":
        d = _private_key(alg, req["ak"], req["sk"])
        nums = _p256_public(req["ak"], req["sk"]).public_numbers()
        x, y = nums.x, nums.y
    elif alg == "SDK-SM2-SM3":
        key = _sm2_key(req["ak"], req["sk"])
        d = key._private_key
        x, y = key._public_key
    else:
        raise ValueError("public_key: algorithm must be SDK-ECDSA-P256-SHA256 or SDK-SM2-SM3")
    out = {"x": "%064x" % x, "y": "%064x" % y, "d": "%064x" % d}
    if alg == "SDK-SM2-SM3":
        # The SDK hashes x and y into Z_A with minimal-length big-endian bytes (not 32 fixed):
        # for such keys its signatures differ from standard GM/T 0003 ones.
        out["za_minimal_length_differs"] = x < (1 << 248) or y < (1 << 248)
    return out


def op_verify(req):
    _require(req, "algorithm", "authorization")
    alg = req["algorithm"]
    if alg not in ("SDK-ECDSA-P256-SHA256", "SDK-SM2-SM3"):
        raise ValueError("verify: algorithm must be SDK-ECDSA-P256-SHA256 or SDK-SM2-SM3")
    m = _AUTH_RE.match(req["authorization"].strip())
    if not m:
        return {"valid": False, "reason": "authorization is not '<ALG> Access=.., SignedHeaders=.., Signature=..'"}
    auth_alg, access, signed_list, sig_hex = m.groups()
    signed_headers = signed_list.split(";") if signed_list else []

    cred = _credentials(req)
    sdk_req = _sdk_request(req)
    # The Authorization header itself is not part of the signed request.
    for k in list(sdk_req.header_params):
        if k.lower() == "authorization":
            del sdk_req.header_params[k]
    if req.get("security_token") is not None and not any(
            k.lower() == "x-security-token" for k in sdk_req.header_params):
        sdk_req.header_params["X-Security-Token"] = req["security_token"]
    if req.get("at") and not any(k.lower() == "x-sdk-date" for k in sdk_req.header_params):
        sdk_req.header_params["X-Sdk-Date"] = req["at"]

    signer = SIGNER_CLASSES[alg](cred)
    if isinstance(sdk_req.body, str):
        sdk_req.body = sdk_req.body.encode("utf-8")
    t = signer._process_header_time(sdk_req)
    signer._process_header_host(sdk_req)
    sdk_signed_headers = signer._process_signed_headers(sdk_req)
    present = {k.lower() for k in sdk_req.header_params}
    missing = [h for h in signed_headers if h not in present]
    result = {"valid": False, "signed_headers": signed_list,
              "sdk_signed_headers": ";".join(sdk_signed_headers),
              "signed_headers_match": signed_headers == sdk_signed_headers}
    if missing:
        result["reason"] = "signed headers missing from the request: %s" % ",".join(missing)
        return result
    _RECORD.clear()
    canonical_request = signer._process_canonical_request(sdk_req, signed_headers)
    string_to_sign = signer._process_string_to_sign(canonical_request, t)
    result["canonical_request"] = canonical_request
    result["string_to_sign"] = string_to_sign
    if auth_alg != alg:
        result["reason"] = "algorithm in authorization is %s" % auth_alg
        return result
    if access != req["ak"]:
        result["reason"] = "Access is %s, not the AK" % access
        return result
    try:
        sig = bytes.fromhex(sig_hex)
    except ValueError:
        result["reason"] = "signature is not hex"
        return result
    data = string_to_sign.encode("utf-8")
    try:
        if alg == "SDK-ECDSA-P256-SHA256":
            _p256_public(req["ak"], req["sk"]).verify(sig, data, ec.ECDSA(hashes.SHA256()))
            ok = True
        else:
            ok = bool(_sm2_key(req["ak"], req["sk"]).verify(sig, data))
    except InvalidSignature:
        ok = False
    except Exception as e:  # malformed DER etc.
        ok = False
        result["reason"] = "signature rejected: %s" % e
    result["valid"] = ok
    if not ok and "reason" not in result:
        result["reason"] = "signature does not verify"
    return result


def op_ping(req):
    return {"ok": True, "sdk": common.SDK_VERSION}


OPS = {"sign": op_sign, "verify": op_verify, "public_key": op_public_key, "ping": op_ping}


def handle_line(line):
    try:
        req = json.loads(line)
    except ValueError as e:
        return {"error": "bad JSON: %s" % e}
    if not isinstance(req, dict):
        return {"error": "request must be a JSON object"}
    try:
        op = OPS.get(req.get("op"))
        if op is None:
            out = {"error": "unknown op %r (sign, verify, public_key, ping)" % req.get("op")}
        else:
            out = op(req)
    except Exception as e:
        out = {"error": "%s: %s" % (type(e).__name__, e)}
    if "id" in req:
        out["id"] = req["id"]
    return out


def main():
    stdin = sys.stdin.buffer
    out = sys.stdout.buffer
    for raw in stdin:
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            answer = {"error": "line is not UTF-8: %s" % e}
        else:
            if not line.strip():
                continue
            answer = handle_line(line)
        out.write((json.dumps(answer) + "\n").encode("ascii"))
        out.flush()


if __name__ == "__main__":
    main()
