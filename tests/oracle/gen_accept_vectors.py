# coding: utf-8
"""Generates tests/vectors/official_accept.json (kind `build`): inputs the official Python client
takes and sends although they are not of the member's documented JSON type, captured as
gen_build_vectors.py captures (no network), plus the validation errors for the values of those
forms that the API reference forbids (hand-written, no SDK involved).

- `ListResourceInstances` with its path member `resource_instances` given (its one value);
- an integer member given as a numeric string, a text member holding a number given as a
  number: sent as given, in the query (as text) and in JSON bodies (as the JSON value given);
- `null` fields of nested models: left out of the body.

Run: tests/oracle/.venv/bin/python tests/oracle/gen_accept_vectors.py
"""

import os
import sys
from collections import OrderedDict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402
import gen_build_vectors as g  # noqa: E402

OUT = os.path.join(HERE, "..", "vectors", "official_accept.json")

# (suffix, operation, input, expected body without the nulls the SDK leaves out, or None to
# expect the input's body members as given)
CASES = [
    ("ListResourceInstances-path-member", "ListResourceInstances",
     {"resource_instances": "resource_instances", "action": "count"}, None),
    ("ListResourceInstances-limit-offset-numbers", "ListResourceInstances",
     {"action": "filter", "limit": 10, "offset": 0}, None),
    ("ListResourceInstances-limit-offset-strings", "ListResourceInstances",
     {"resource_instances": "resource_instances", "action": "filter", "limit": "1000", "offset": "20"}, None),
    ("DeleteSecretForSchedule-days-string", "DeleteSecretForSchedule",
     {"secret_name": "demo-secret", "recovery_window_in_days": "7"}, None),
    ("CreateSecretVersion-expire-time-string", "CreateSecretVersion",
     {"secret_name": "demo-secret", "secret_string": "v", "expire_time": "1893456000000"}, None),
    ("GenerateRandomPassword-length-string", "GenerateRandomPassword",
     {"length": "32", "exclude_punctuation": True}, None),
    ("ListUsers-limit-offset-strings", "ListUsers", {"limit": "20", "offset": "0"}, None),
    ("ListSecretVersions-limit-string", "ListSecretVersions", {"secret_name": "demo-secret", "limit": "5"}, None),
    ("ListSecrets-limit-number", "ListSecrets", {"limit": 50, "marker": "m1"}, None),
    ("BatchImportSecrets-null-fields", "BatchImportSecrets",
     {"secrets": [{"name": "a", "secret_string": "v", "description": None, "auto_rotation": None},
                  {"name": "b", "secret_binary": "dg==", "secret_string": None}]},
     {"secrets": [{"name": "a", "secret_string": "v"}, {"name": "b", "secret_binary": "dg=="}]}),
    ("ListResourceInstances-matches-null-value", "ListResourceInstances",
     {"action": "count", "tags": [{"key": "env", "values": None}], "matches": [{"key": "resource_name", "value": None}]},
     {"action": "count", "tags": [{"key": "env"}], "matches": [{"key": "resource_name"}]}),
    ("BatchCreateOrDeleteTags-tag-null-value", "BatchCreateOrDeleteTags",
     {"secret_id": "bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e", "action": "create",
      "tags": [{"key": "env", "value": None}, {"key": "team", "value": "db"}]},
     {"action": "create", "tags": [{"key": "env"}, {"key": "team", "value": "db"}]}),
]

# Forms the official client would send but the API reference forbids.
REFUSED = [
    ("ListResourceInstances-path-member-other", "ListResourceInstances",
     {"resource_instances": "resource_instance", "action": "count"}, "resource_instances"),
    ("DeleteSecretForSchedule-days-string-6", "DeleteSecretForSchedule",
     {"secret_name": "demo-secret", "recovery_window_in_days": "6"}, "recovery_window_in_days"),
    ("DeleteSecretForSchedule-days-string-not-a-number", "DeleteSecretForSchedule",
     {"secret_name": "demo-secret", "recovery_window_in_days": "seven"}, "recovery_window_in_days"),
    ("ListResourceInstances-limit-number-1001", "ListResourceInstances",
     {"action": "filter", "limit": 1001}, "limit"),
    ("ListUsers-limit-string-101", "ListUsers", {"limit": "101", "offset": "0"}, "limit"),
]


def main():
    ops = common.sdk_operations()
    transport = common.Transport().install()
    import oracle
    times = g.at_times(len(CASES), seed=20261203)
    vectors = []
    for i, (suffix, op, inp, want_body) in enumerate(CASES):
        cfg = g.config_for("minimal" if i % 2 == 0 else "full", i)
        at = times[i]
        expect, all_headers, raw_body = g.capture(transport, ops, op, cfg, inp, at)
        if want_body is None and ops[op]["body_class"] is not None:
            members = set(ops[op]["body_class"].attribute_map.values())
            want_body = {k: v for k, v in inp.items() if k in members}
        assert expect["body_json"] == want_body, (op, expect["body_json"], want_body)
        g.oracle_cross_check(oracle, cfg, at, expect, all_headers, raw_body)
        vectors.append(OrderedDict([
            ("id", "official-accept-%s" % suffix), ("kind", "build"), ("config", cfg), ("operation", op),
            ("input", inp), ("at", at), ("expect", expect)]))
    cfg = g.config_for("minimal", 0)
    for suffix, op, inp, field in REFUSED:
        vectors.append(OrderedDict([
            ("id", "validation-accept-%s" % suffix), ("kind", "build"), ("config", cfg), ("operation", op),
            ("input", inp), ("at", "20240806T101010Z"),
            ("expect", {"error": {"kind": "validation", "field": field}})]))
    g.write(OUT, vectors)
    print("%d vectors -> %s" % (len(vectors), os.path.normpath(OUT)))


if __name__ == "__main__":
    main()
