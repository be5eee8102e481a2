# coding: utf-8
"""Glue around the official Huawei Cloud Python SDK (huaweicloudsdkcore / huaweicloudsdkcsms
3.1.219) used by the oracle and the vector generators.

Nothing here re-implements the SDK's request pipeline: we drive the SDK's own classes and
only replace the three things a test needs to control:

* the clock: the SDK signer reads `datetime.utcnow()` (module `huaweicloudsdkcore.signer.signer`);
  `set_clock(at)` makes it return a fixed time;
* the network: `requests.adapters.HTTPAdapter.send` is replaced so the fully prepared request
  (what would go on the wire) is recorded and a canned response is returned;
* the speed of elliptic-curve scalar multiplication: the SDK's pure-Python affine
  `P256SigningKey._point_multiply` (also used by `SM2SigningKey`) costs ~20 ms; it is replaced by
  a Jacobian-coordinate version that computes the same point (checked by selfcheck.py against
  the original). Set ORACLE_PURE_EC=1 to keep the SDK's original.
"""

import datetime as _dt
import os
import re
import sys

import requests
from requests.structures import CaseInsensitiveDict

import huaweicloudsdkcore.signer.signer as _signer_mod
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.signer.algorithm import SigningAlgorithm
from huaweicloudsdkcore.signer.utils import P256SigningKey, SM2SigningKey
from huaweicloudsdkcsms.v1 import CsmsClient
import huaweicloudsdkcsms.v1.model as csms_model

SDK_VERSION = "3.1.219"
BASIC_DATE_FORMAT = "%Y%m%dT%H%M%SZ"

ALGORITHMS = {
    "SDK-HMAC-SHA256": SigningAlgorithm.HMAC_SHA256,
    "SDK-HMAC-SM3": SigningAlgorithm.HMAC_SM3,
    "SDK-ECDSA-P256-SHA256": SigningAlgorithm.ECDSA_P256_SHA256,
    "SDK-SM2-SM3": SigningAlgorithm.SM2_SM3,
}

# ---------------------------------------------------------------------------------------------
# Fixed clock


class _FixedClock(_dt.datetime):
    """Stands in for `datetime` inside the SDK signer module: only utcnow() is changed."""

    fixed = None

    @classmethod
    def utcnow(cls):
        if cls.fixed is not None:
            return cls.fixed
        return _dt.datetime.utcnow()


_signer_mod.datetime = _FixedClock


def set_clock(at):
    """Make the SDK signer's utcnow() return `at` (YYYYMMDDTHHMMSSZ); None restores the real clock."""
    _FixedClock.fixed = None if at is None else _FixedClock.strptime(at, BASIC_DATE_FORMAT)


# ---------------------------------------------------------------------------------------------
# Faster EC scalar multiplication (same result as the SDK's affine double-and-add)

_ORIG_POINT_MULTIPLY = P256SigningKey.__dict__["_point_multiply"]


def _jacobian_double(X, Y, Z, p, a):
    """2 * (X, Y, Z) in Jacobian coordinates; (1, 1, 0) is infinity."""
    if Y == 0 or Z == 0:
        return 1, 1, 0
    yy = Y * Y % p
    s = 4 * X * yy % p
    zz = Z * Z % p
    m = (3 * X * X + a * zz * zz) % p
    nx = (m * m - 2 * s) % p
    ny = (m * (s - nx) - 8 * yy * yy) % p
    return nx, ny, 2 * Y * Z % p


def jacobian_multiply(k, point, p, a):
    """k * point on y^2 = x^3 + a x + b over GF(p); affine in, affine out, None = infinity."""
    if k < 0:
        raise ValueError("negative scalar")
    if point is None or k == 0:
        return None
    x2, y2 = point
    X, Y, Z = x2, y2, 1
    for bit in bin(k)[3:]:
        X, Y, Z = _jacobian_double(X, Y, Z, p, a)
        if bit == "1":
            # mixed add (X, Y, Z) + (x2, y2, 1)
            if Z == 0:
                X, Y, Z = x2, y2, 1
                continue
            z1z1 = Z * Z % p
            u2 = x2 * z1z1 % p
            s2 = y2 * Z * z1z1 % p
            h = (u2 - X) % p
            r = (s2 - Y) % p
            if h == 0:
                # The same point: the sum is its double; opposite points: infinity.
                X, Y, Z = _jacobian_double(X, Y, Z, p, a) if r == 0 else (1, 1, 0)
                continue
            hh = h * h % p
            hhh = h * hh % p
            v = X * hh % p
            nx = (r * r - hhh - 2 * v) % p
            ny = (r * (v - nx) - Y * hhh) % p
            Z = Z * h % p
            X, Y = nx, ny
    if Z == 0:
        return None
    zinv = pow(Z, p - 2, p)
    zinv2 = zinv * zinv % p
    return (X * zinv2 % p, Y * zinv2 * zinv % p)


@classmethod
def _fast_point_multiply(cls, k, point):
    return jacobian_multiply(k, point, cls.PARAM_p, cls.PARAM_a)


def original_point_multiply(key_cls, k, point):
    """The SDK's own (slow) implementation, for cross-checks."""
    return _ORIG_POINT_MULTIPLY.__get__(None, key_cls)(k, point)


if os.environ.get("ORACLE_PURE_EC") != "1":
    P256SigningKey._point_multiply = _fast_point_multiply
    # SM2SigningKey inherits _point_multiply from P256SigningKey and reads cls.PARAM_*.

# ---------------------------------------------------------------------------------------------
# Capturing transport


class Transport:
    """Replaces HTTPAdapter.send: records each prepared request, answers with a canned response."""

    def __init__(self):
        self.sent = []
        self.status = 200
        self.headers = {"Content-Type": "application/json"}
        self.body = b"{}"
        self._orig = None

    def respond(self, status=200, headers=None, body=b"{}"):
        self.status = status
        self.headers = dict(headers or {})
        self.body = body.encode("utf-8") if isinstance(body, str) else body

    def install(self):
        transport = self
        self._orig = requests.adapters.HTTPAdapter.send

        def send(adapter, request, **kwargs):
            transport.sent.append(request)
            resp = requests.Response()
            resp.status_code = transport.status
            resp.reason = "canned"
            resp.headers = CaseInsensitiveDict(transport.headers)
            resp._content = transport.body
            resp.encoding = "utf-8"
            resp.url = request.url
            resp.request = request
            resp.connection = adapter
            return resp

        requests.adapters.HTTPAdapter.send = send
        return self

    def last(self):
        return self.sent[-1]


# ---------------------------------------------------------------------------------------------
# Operations, as the SDK defines them


def _pascal_from_request_class(name):
    assert name.endswith("Request"), name
    return name[: -len("Request")]


def sdk_operations():
    """{OpName: {"python_method", "request_class", "body_class"|None, "method", "resource_path",
    "path", [names], "query": [names]}} read from the SDK's client and request models."""
    ops = {}
    for attr in dir(CsmsClient):
        m = re.match(r"^_(\w+)_http_info$", attr)
        if not m:
            continue
        py_method = m.group(1)
        # find the request class: <Pascal>Request where snake(Pascal) == py_method
        pascal = "".join(part.capitalize() for part in py_method.split("_"))
        req_cls = None
        for cand in dir(csms_model):
            if cand.lower() == (pascal + "Request").lower():
                req_cls = getattr(csms_model, cand)
                break
        assert req_cls is not None, py_method
        name = _pascal_from_request_class(req_cls.__name__)
        # Probe the http_info with a request whose fields are all set to marker values.
        kwargs = {}
        for a in req_cls.openapi_types:
            if a != "body":
                kwargs[a] = "@@%s@@" % a
        info = getattr(CsmsClient, attr)(req_cls(**kwargs))
        path_members = [k for k in info["path_params"]]
        query_members = [k for k, _ in info["query_params"]]
        body_cls = None
        if "body" in req_cls.openapi_types:
            body_cls = getattr(csms_model, req_cls.openapi_types["body"])
        ops[name] = {
            "python_method": py_method,
            "request_class": req_cls,
            "body_class": body_cls,
            "method": info["method"],
            "resource_path": info["resource_path"],
            "path": path_members,
            "query": query_members,
            "content_type_header": info["header_params"].get("Content-Type"),
            "response_type": info["response_type"],
        }
    return ops


# ---------------------------------------------------------------------------------------------
# JSON (wire names) <-> SDK models


def _model_class(type_name):
    return getattr(csms_model, type_name, None)


def to_sdk(type_str, value):
    """Turn a JSON value written with wire names into what the SDK model expects."""
    if value is None:
        return None
    m = re.match(r"^list\[(.*)\]$", type_str)
    if m:
        return [to_sdk(m.group(1), v) for v in value]
    if type_str == "date":
        return _dt.date.fromisoformat(value)
    if type_str in ("str", "int", "bool", "float", "object"):
        return value
    klass = _model_class(type_str)
    if klass is None:
        raise ValueError("unknown type %s" % type_str)
    wire_to_attr = {w: a for a, w in klass.attribute_map.items()}
    kwargs = {}
    for k, v in value.items():
        if k not in wire_to_attr:
            raise ValueError("%s has no member %r" % (type_str, k))
        attr = wire_to_attr[k]
        kwargs[attr] = to_sdk(klass.openapi_types[attr], v)
    return klass(**kwargs)


def from_sdk(obj, shape):
    """The value of an SDK model under wire names, restricted to the keys present in `shape`
    (the JSON the model was parsed from). Lists are compared item by item against shape's items."""
    if hasattr(obj, "openapi_types"):
        out = {}
        if not isinstance(shape, dict):
            return out
        for attr in obj.openapi_types:
            wire = obj.attribute_map[attr]
            if wire in shape:
                out[wire] = from_sdk(getattr(obj, attr), shape[wire])
        return out
    if isinstance(obj, list):
        items = shape if isinstance(shape, list) else [None] * len(obj)
        return [from_sdk(o, s) for o, s in zip(obj, items)]
    if isinstance(obj, (_dt.date, _dt.datetime)):
        return obj.isoformat()
    return obj


def build_request(op_meta, inp):
    """An SDK request object for a FLAT input (wire names): path/query members become request
    attributes, everything else goes to the body model. The body model is always created for
    operations that have one (an empty model serialises as `{}`)."""
    req_cls = op_meta["request_class"]
    body_cls = op_meta["body_class"]
    kwargs = {}
    body_kwargs = {}
    body_wire_to_attr = {w: a for a, w in body_cls.attribute_map.items()} if body_cls else {}
    req_members = set(op_meta["path"]) | set(op_meta["query"])
    for k, v in inp.items():
        used = False
        if k in req_members:
            kwargs[k] = to_sdk(req_cls.openapi_types[k], v)
            used = True
        if k in body_wire_to_attr:
            attr = body_wire_to_attr[k]
            body_kwargs[attr] = to_sdk(body_cls.openapi_types[attr], v)
            used = True
        if not used:
            raise ValueError("%s has no member %r" % (req_cls.__name__, k))
    if "resource_instances" in req_members:
        kwargs["resource_instances"] = "resource_instances"
    if body_cls is not None:
        kwargs["body"] = body_cls(**body_kwargs)
    return req_cls(**kwargs)


def make_client(endpoint, ak, sk, project_id, security_token=None, algorithm="SDK-HMAC-SHA256",
                user_agent="csms-oracle/1.0"):
    cred = BasicCredentials(ak, sk, project_id)
    if security_token is not None:
        cred = cred.with_security_token(security_token)
    config = HttpConfig.get_default_config()
    config.user_agent = user_agent
    config.signing_algorithm = ALGORITHMS[algorithm]
    config.retry_times = 0
    return CsmsClient.new_builder().with_http_config(config).with_credentials(cred) \
        .with_endpoint(endpoint).build()


def wire_headers(prepared):
    """Headers of a prepared request as text (values back from latin-1 transport form to UTF-8)."""
    out = {}
    for k, v in prepared.headers.items():
        if isinstance(v, bytes):
            v = v.decode("utf-8")
        else:
            try:
                v = v.encode("latin-1").decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                pass
        out[k] = v
    return out


def eprint(*a):
    print(*a, file=sys.stderr)
