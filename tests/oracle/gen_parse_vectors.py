# coding: utf-8
"""Generates tests/vectors/official_parse.json (kind `parse`) from the official Python client,
without network: the client's HTTP adapter answers with a canned response and we record what
the SDK makes of it.

* success vectors: for every operation a realistic body holding every field of the response
  model (plus unknown fields that must be ignored); `expect.ok` = the SDK response model's
  `to_dict()`, renamed to wire names and restricted to the fields the body had. Every body is
  checked to round-trip exactly (so no expectation relies on the SDK's type coercion).
  Response-less operations: 204 with an empty body and 200 with `{}` -> `{"ok": {}}`.
* error vectors: expected values = the SDK's ClientRequestException/ServerResponseException
  fields, except where the SDK is documented as buggy (pipeline.md §8):
    - 429 on GET/PUT/DELETE: the SDK (urllib3 Retry) loses the body and request id; we expect
      the body's code/message and the X-Request-Id header;
    - a gateway error with `request_id` only in the body: the SDK reports no request id; we
      expect the body's `request_id`.
* decode vectors: 2xx bodies that are not JSON, or not an object, where the SDK silently
  returns an empty model; we expect {"error": {"kind": "decode"}}.
* coerce vectors: 2xx bodies with one field of an unexpected type; the rest must survive,
  the field coerced as documented in core/src/operations/decode.rs or left out.

Run: tests/oracle/.venv/bin/python tests/oracle/gen_parse_vectors.py
"""

import json
import os
import re
import sys
from collections import OrderedDict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402
import gen_build_vectors as gb  # noqa: E402
import huaweicloudsdkcsms.v1.model as M  # noqa: E402
from huaweicloudsdkcore.exceptions.exceptions import ServiceResponseException  # noqa: E402

OUT = os.path.join(HERE, "..", "vectors", "official_parse.json")

UNKNOWN = "x_unknown_field"   # keys with this prefix are ignored by the SDK models

# ---------------------------------------------------------------------------------------------
# Realistic model values (wire names)

URN = gb.URN


def secret(**over):
    s = OrderedDict([
        ("id", "bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e"),
        ("name", "test"),
        ("state", "ENABLED"),
        ("kms_key_id", "b168fe00ff56492495a7d22974df2d0b"),
        ("description", "description \u4e2d\u6587 \u00e9"),
        ("create_time", 1581507580000),
        ("update_time", 1581507580000),
        ("scheduled_delete_time", 1581507580000),
        ("secret_type", "RDS-FG"),
        ("auto_rotation", True),
        ("rotation_config", "{\"InstanceId\":\"c1d2e3f4a5b6in01\",\"SecretSubType\":\"MultiUser\"}"),
        ("rotation_period", "1d"),
        ("rotation_time", 1668567940000),
        ("next_rotation_time", 1668629140000),
        ("event_subscriptions", ["pocEvent"]),
        ("enterprise_project_id", "0"),
        ("rotation_func_urn", URN),
        (UNKNOWN + "_in_secret", {"ignored": True}),
    ])
    s.update(over)
    return s


def version_metadata(**over):
    v = OrderedDict([
        ("id", "v2"),
        ("create_time", 1581507580000),
        ("expire_time", 1893456000),
        ("kms_key_id", "b168fe00ff56492495a7d22974df2d0b"),
        ("secret_name", "test"),
        ("version_stages", ["SYSCURRENT", "blue"]),
    ])
    v.update(over)
    return v


def notification():
    return OrderedDict([("target_type", "SMN"), ("target_id", "urn:smn:cn-north-4:0f1e2d3c:csms-topic"),
                        ("target_name", "csms-topic")])


def event(**over):
    e = OrderedDict([
        ("name", "rotation-events"),
        ("event_id", "7c0d2f6a-8b1e-4d3c-9a5f-0e1d2c3b4a59"),
        ("event_types", ["SECRET_ROTATED", "SECRET_ROTATED_FAILED"]),
        ("state", "ENABLED"),
        ("create_time", 1581507580000),
        ("update_time", 1581507590000),
        ("notification", notification()),
    ])
    e.update(over)
    return e


def page_info(nxt="secret-0050", prev="secret-0001", count=2):
    return OrderedDict([("next_marker", nxt), ("previous_marker", prev), ("current_count", count)])


def stage():
    return OrderedDict([("name", "SYSCURRENT"), ("update_time", 1581507580000), ("secret_name", "test"),
                        ("version_id", "v2")])


def grant_data():
    return OrderedDict([("uuid", "5f0e1d2c-3b4a-4958-8776-6a5b4c3d2e1f"),
                        ("resourceId", "bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e"), ("type", "SECRET"),
                        ("granteeUser", "u-1024"), ("createTime", 1700000000000), ("updateTime", 1700000100000),
                        ("validityTime", 1893456000000), ("state", 1),
                        ("signature", "MEUCIQDk5J2Rk4w0m1lq8zY1pQ==")])


def user_detail_fields():
    return OrderedDict([
        ("user_id", "6f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"), ("org_id", "org-42"), ("user_name", "alice"),
        ("name", "Alice \u00c9lise \u674e"), ("mobile", "+86-13800000000"), ("email", "alice@example.com"),
    ])


BODIES = OrderedDict()


def ok(op, body, suffix="ok", status=200, ascii_json=False, expect_override=None):
    BODIES.setdefault(op, []).append((suffix, status, body, ascii_json, expect_override))


ok("CreateSecret", {"secret": secret(name="demo-secret", secret_type="COMMON", auto_rotation=False),
                    UNKNOWN: "ignored"})
ok("ShowSecret", {"secret": secret(), UNKNOWN: 1}, ascii_json=True)
ok("UpdateSecret", {"secret": secret(description="update description"), UNKNOWN: [1, 2]})
ok("ListSecrets", {"secrets": [secret(name="secret-0001"), secret(name="secret-0002", secret_type="GaussDB-FG",
                                                                  auto_rotation=False)],
                   "page_info": page_info(), UNKNOWN: None})
ok("ListSecrets", {"secrets": [], "page_info": {"next_marker": "", "current_count": 0}}, suffix="ok-empty")
ok("DeleteSecretForSchedule", {"secret": secret(state="PENDING_DELETE"), UNKNOWN: {}})
ok("RestoreSecret", {"secret": secret(state="ENABLED"), UNKNOWN: "x"})
ok("RotateSecret", {"version_id": "v3", "secret_name": "test",
                    "rotation_task_id": "a71a4b47-6cac-4f11-92c1-21a165bb6401", UNKNOWN: 0}, suffix="ok-flat")
ok("RotateSecret", {"rotate": {"version_id": "v3", "secret_name": "test",
                               "rotation_task_id": "a71a4b47-6cac-4f11-92c1-21a165bb6401"}},
   suffix="ok-nested", expect_override={"version_id": "v3", "secret_name": "test",
                                        "rotation_task_id": "a71a4b47-6cac-4f11-92c1-21a165bb6401"})
ok("DownloadSecretBlob", {"secret_blob": "Q1NNUy1CQUNLVVAtdjEuLi4rLz0=", UNKNOWN: True})
ok("UploadSecretBlob", {"secret": secret(name="restored"), UNKNOWN: "x"})
ok("BatchImportSecrets", {"error_list": [{"name": "imp-2", "error_msg": "The secret already exists."}],
                          "total": 3, "success": 2, "failed": 1, UNKNOWN: "x"})
ok("GenerateRandomPassword", {"password": "x8#Lq!2vZ@rT9w$e", UNKNOWN: "x"})
ok("CreateSecretVersion", {"version_metadata": version_metadata(), UNKNOWN: "x"})
ok("ListSecretVersions", {"version_metadatas": [version_metadata(id="v1", version_stages=["SYSPREVIOUS"]),
                                                version_metadata()],
                          "page_info": page_info("v2", "v1", 2), UNKNOWN: "x"})
ok("ShowSecretVersion", {"version": OrderedDict([("version_metadata", version_metadata()),
                                                 ("secret_binary", "AAEC/+8="),
                                                 ("secret_string", "{\"password\":\"p@ss \u00e9\u4e2d\"}")]),
                         UNKNOWN: "x"}, ascii_json=True)
ok("UpdateVersion", {"version_metadata": version_metadata(expire_time=4102444800), UNKNOWN: "x"})
ok("ShowSecretStage", {"stage": stage(), UNKNOWN: "x"})
ok("UpdateSecretStage", {"stage": stage(), UNKNOWN: "x"})
ok("ListSecretTags", {"tags": [{"key": "env", "value": "prod"}, {"key": "\u73af\u5883", "value": "\u751f\u4ea7"}],
                      "sys_tags": [{"key": "_sys_enterprise_project_id", "value": "0"}], UNKNOWN: "x"})
ok("ListProjectSecretsTags", {"tags": [{"key": "env", "values": ["prod", "test"]},
                                       {"key": "owner", "values": ["team-a"]}], UNKNOWN: "x"})
ok("ListResourceInstances", {"resources": [OrderedDict([
    ("resource_id", "bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e"),
    ("resource_detail", secret()),
    ("resource_name", "test"),
    ("tags", [{"key": "env", "value": "prod"}]),
    ("sys_tags", [{"key": "_sys_enterprise_project_id", "value": "0"}])])],
    "total_count": 1, UNKNOWN: "x"})
ok("ListResourceInstances", {"total_count": 42}, suffix="ok-count")
ok("CreateSecretEvent", {"event": event(), UNKNOWN: "x"})
ok("ShowSecretEvent", {"event": event(state="DISABLED"), UNKNOWN: "x"})
ok("UpdateSecretEvent", {"event": event(event_types=["SECRET_VERSION_CREATED", "SECRET_VERSION_EXPIRED",
                                                     "SECRET_DELETED"]), UNKNOWN: "x"})
ok("ListSecretEvents", {"events": [event(), event(name="all-events", state="DISABLED")],
                        "page_info": page_info("all-events", "rotation-events", 2), UNKNOWN: "x"})
ok("ListNotificationRecords", {"records": [OrderedDict([
    ("event_name", "rotation-events"), ("trigger_event_type", "SECRET_ROTATED"), ("create_time", 1581507580000),
    ("secret_name", "test"), ("secret_type", "COMMON"), ("notification_target_name", "csms-topic"),
    ("notification_target_id", "urn:smn:cn-north-4:0f1e2d3c:csms-topic"),
    ("notification_content", "The secret test was rotated. \u51ed\u636e\u5df2\u8f6e\u8f6c"),
    ("notification_status", "SUCCESS")])], "page_info": page_info("rec-2", "rec-1", 1), UNKNOWN: "x"})
ok("ListSecretTask", {"total": 1, "tasks": [OrderedDict([
    ("task_id", "3b1f9d2c-0a4e-4c6b-8d7e-1f2a3b4c5d6e"), ("secret_name", "test"), ("rotation_func_urn", URN),
    ("task_status", "FAILED"), ("operate_type", "AUTOMATIC"), ("task_time", 1668567940000),
    ("attempt_nums", 3), ("task_error_code", "CSMS.0904"), ("task_error_msg", "FunctionGraph invocation failed")])],
    "next_marker": "3b1f9d2c-0a4e-4c6b-8d7e-1f2a3b4c5d6e", UNKNOWN: "x"})
ok("ShowSecretFunctionTemplates", {"function_templates": "[{\"engine\":\"mysql\",\"template\":\"rds-mysql-rotation\"}]",
                                   UNKNOWN: "x"})
ok("CreateAgency", {"agencies": [{"agency_name": "csms_rds_rotation_agency", "agency_id": "8e7d6c5b4a39281706f5e4d3c2b1a090",
                                  "error_msg": ""},
                                 {"agency_name": "csms_fg_agency", "agency_id": "",
                                  "error_msg": "Policy quota exceeded."}], UNKNOWN: "x"})
ok("ShowAgency", {"agency_granted": "true", UNKNOWN: "x"})
ok("CreateGrants", {"data": grant_data(), UNKNOWN: "x"})
ok("UpdateGrant", {"data": grant_data(), UNKNOWN: "x"})
ok("ListGrants", {"data": OrderedDict([
    ("id", "5f0e1d2c-3b4a-4958-8776-6a5b4c3d2e1f"), ("name", "grant-to-alice"), ("type", "SECRET"),
    ("grantee_user", [OrderedDict([("user_id", "u-1024"), ("user_name", "alice"), ("create_time", 1700000000000),
                                   ("validity_time", 1893456000000)])]),
    ("create_time", 1700000000000), ("update_time", 1700000100000)]), UNKNOWN: "x"})
users = user_detail_fields()
users.update(OrderedDict([("pwd_must_modify", False), ("pwd_change_at", "2024-08-06 10:10:10"),
                          ("created_at", "2024-01-02 03:04:05"), ("updated_at", "2024-08-06 10:10:10"),
                          ("disabled", "false"), ("grade", "3"), ("locked", "false"), ("extension", "{\"dept\":\"ops\"}"),
                          ("user_org_relation_list", [{"org_id": "org-42", "relation_type": "MEMBER"}])]))
ok("ListUsers", {"total": 1, "users": [users], UNKNOWN: "x"})
detail = user_detail_fields()
detail.update(OrderedDict([("pwd_must_modify", True), ("pwd_change_at", "2024-08-06 10:10:10"),
                           ("created_at", "2024-01-02 03:04:05"), ("updated_at", "2024-08-06 10:10:10"),
                           ("disabled", False), ("grade", 3), ("locked", "false"),
                           ("extension", {"dept": "ops", "level": 2, "tags": ["a", "b"], "x": None}),
                           ("user_org_relation_list", [{"org_id": "org-42", "relation_type": "MEMBER"}]),
                           ("domain_id", "d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f"), (UNKNOWN, "x")]))
ok("ShowUserDetail", detail)
ok("UpdateUserPassword", {"user_id": "6f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e", UNKNOWN: "x"})
ok("CheckSecrets", {"type": "password", "data": {"strength": "WEAK", "score": 2, "hints": ["too short"], "ok": False},
                    UNKNOWN: "x"})
ok("ShowSecretsConfig", {"checking_secret_strength": True, UNKNOWN: "x"})
ok("ShowSecretsConfig", {"checking_secret_strength": False}, suffix="ok-false")
ok("UpdateSecretsConfig", {"checking_secret_strength": False, UNKNOWN: "x"})

# Response-less operations: 204 empty and 200 {}
for _op in ["BatchCreateOrDeleteTags", "CreateSecretTag", "DeleteGrant", "DeleteSecret", "DeleteSecretEvent",
            "DeleteSecretStage", "DeleteSecretTag"]:
    ok(_op, "", suffix="ok-204", status=204)
    ok(_op, {}, suffix="ok-200-empty-object")
ok("DeleteSecret", "", suffix="ok-200-empty-body", status=200)

# ---------------------------------------------------------------------------------------------
# Error vectors: (op, suffix, status, headers, body, override)

J = "application/json;charset=UTF-8"
ERRORS = [
    ("ShowSecret", "404-nested", 404, {"Content-Type": J, "X-Request-Id": "req-404-nested"},
     {"error": {"error_code": "CSMS.0404", "error_msg": "The secret does not exist."}}, None),
    ("CreateSecret", "400-flat", 400, {"Content-Type": J, "x-request-id": "req-400-flat"},
     {"error_code": "CSMS.0401", "error_msg": "Invalid parameter: name."}, None),
    ("UpdateSecret", "400-camel", 400, {"Content-Type": J, "X-REQUEST-ID": "req-400-camel"},
     {"errorCode": "CSMS.1001", "errorMsg": "The rotation period is invalid."}, None),
    ("DeleteSecret", "403-code-message", 403, {"Content-Type": J, "X-Request-Id": "req-403-cm"},
     {"code": "CSMS.0403", "message": "Access denied."}, None),
    ("ListSecrets", "401-nested-code-message", 401, {"Content-Type": J, "x-request-id": "req-401-ncm"},
     {"error": {"code": "APIGW.0301", "message": "Incorrect IAM authentication information: verify aksk signature fail"}},
     None),
    ("RotateSecret", "401-gateway-body-request-id", 401, {"Content-Type": J},
     {"error_msg": "Incorrect IAM authentication information: signature expired, signature time:20230527T000431Z,"
                   "server time:20230527T020608Z", "error_code": "APIGW.0301",
      "request_id": "fd6530a01c09807640189e65e837b8ad"},
     {"request_id": "fd6530a01c09807640189e65e837b8ad"}),
    ("ShowSecretVersion", "401-gateway-header-and-body", 401,
     {"Content-Type": J, "X-Request-Id": "0a1b2c3d4e5f60718293a4b5c6d7e8f9"},
     {"error_msg": "Incorrect app authentication information: app not found", "error_code": "APIG.0101",
      "request_id": "0a1b2c3d4e5f60718293a4b5c6d7e8f9"}, None),
    ("GenerateRandomPassword", "500-text", 500, {"Content-Type": "text/plain", "X-Request-Id": "req-500-text"},
     "Internal Server Error", None),
    ("ListSecretVersions", "502-html", 502, {"Content-Type": "text/html", "X-Request-Id": "req-502-html"},
     "<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>", None),
    ("ListSecrets", "429-get", 429, {"Content-Type": J, "X-Request-Id": "req-429-get"},
     {"error_code": "CSMS.0429", "error_msg": "Too many requests."}, None),
    ("ShowSecret", "429-get-nested", 429, {"Content-Type": J, "x-request-id": "req-429-get-nested"},
     {"error": {"error_code": "APIGW.0308", "error_msg": "The throttling threshold has been reached."}}, None),
    ("DeleteSecret", "429-delete", 429, {"Content-Type": J, "X-Request-Id": "req-429-delete"},
     {"error_code": "CSMS.0429", "error_msg": "Too many requests."}, None),
    ("UpdateSecret", "429-put", 429, {"Content-Type": J, "X-Request-Id": "req-429-put"},
     {"error_code": "CSMS.0429", "error_msg": "Too many requests."}, None),
    ("CreateSecret", "429-post", 429, {"Content-Type": J, "X-Request-Id": "req-429-post"},
     {"error_code": "CSMS.0429", "error_msg": "too many"}, None),
    ("ShowSecretsConfig", "503-empty", 503, {"X-Request-Id": "req-503-empty"}, "", None),
    ("DeleteSecretForSchedule", "409-nested", 409, {"Content-Type": J, "X-Request-Id": "req-409"},
     {"error": {"error_code": "CSMS.0409", "error_msg": "The secret is already scheduled for deletion."}}, None),
    ("CreateSecretTag", "400-tag-quota", 400, {"Content-Type": J, "X-Request-Id": "req-tag-quota"},
     {"error": {"error_code": "CSMS.0602", "error_msg": "A secret can have at most 20 tags."}}, None),
    ("BatchCreateOrDeleteTags", "400-flat", 400, {"Content-Type": J, "X-Request-Id": "req-batch-tags"},
     {"error_code": "CSMS.0401", "error_msg": "Invalid action."}, None),
    ("ListResourceInstances", "400-nested", 400, {"Content-Type": J, "X-Request-Id": "req-res-inst"},
     {"error": {"error_code": "CSMS.0401", "error_msg": "limit must be between 1 and 1000."}}, None),
    ("CreateSecretEvent", "400-exists", 400, {"Content-Type": J, "X-Request-Id": "req-event-exists"},
     {"error": {"error_code": "CSMS.0703", "error_msg": "The event already exists."}}, None),
    ("ShowSecretEvent", "404", 404, {"Content-Type": J, "X-Request-Id": "req-event-404"},
     {"error": {"error_code": "CSMS.0704", "error_msg": "The event does not exist."}}, None),
    ("UpdateSecretEvent", "404-flat", 404, {"Content-Type": J, "X-Request-Id": "req-event-upd-404"},
     {"error_code": "CSMS.0704", "error_msg": "The event does not exist."}, None),
    ("DeleteSecretEvent", "409-in-use", 409, {"Content-Type": J, "X-Request-Id": "req-event-in-use"},
     {"error": {"error_code": "CSMS.0705", "error_msg": "The event is subscribed by secrets."}}, None),
    ("ListSecretTask", "400-camel", 400, {"Content-Type": J, "x-request-id": "req-task-400"},
     {"errorCode": "CSMS.0401", "errorMsg": "task_id cannot be used with other parameters."}, None),
    ("CreateAgency", "403-code-message", 403, {"Content-Type": J, "X-Request-Id": "req-agency-403"},
     {"code": "CSMS.0403", "message": "Insufficient permissions to create the agency."}, None),
    ("ShowAgency", "500-nested-code-message", 500, {"Content-Type": J, "X-Request-Id": "req-agency-500"},
     {"error": {"code": "CSMS.0500", "message": "Internal error. \u5185\u90e8\u9519\u8bef"}}, None),
    ("CreateGrants", "400-flat", 400, {"Content-Type": J, "X-Request-Id": "req-grant-400"},
     {"error_code": "CSMS.0801", "error_msg": "The grantee does not exist."}, None),
    ("ListGrants", "404-nested", 404, {"Content-Type": J, "X-Request-Id": "req-grant-404"},
     {"error": {"error_code": "CSMS.0802", "error_msg": "The grant does not exist."}}, None),
    ("UpdateGrant", "400-camel", 400, {"Content-Type": J, "X-Request-Id": "req-grant-upd"},
     {"errorCode": "CSMS.0803", "errorMsg": "validity_time is in the past."}, None),
    ("DeleteGrant", "404-flat", 404, {"Content-Type": J, "X-Request-Id": "req-grant-del"},
     {"error_code": "CSMS.0802", "error_msg": "The grant does not exist."}, None),
    ("ListUsers", "401-nested", 401, {"Content-Type": J, "X-Request-Id": "req-users-401"},
     {"error": {"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication information"}}, None),
    ("ShowUserDetail", "404-flat", 404, {"Content-Type": J, "X-Request-Id": "req-user-404"},
     {"error_code": "CSMS.0901", "error_msg": "The user does not exist."}, None),
    ("UpdateUserPassword", "400-nested", 400, {"Content-Type": J, "X-Request-Id": "req-pwd-400"},
     {"error": {"error_code": "CSMS.0902", "error_msg": "The old password is incorrect. \u65e7\u5bc6\u7801\u9519\u8bef"}},
     None),
    ("CheckSecrets", "400-code-message", 400, {"Content-Type": J, "X-Request-Id": "req-check-400"},
     {"code": "CSMS.0401", "message": "Unsupported check type."}, None),
    ("UpdateSecretsConfig", "500-text", 500, {"Content-Type": "text/plain;charset=utf-8", "X-Request-Id": "req-cfg-500"},
     "upstream connect error or disconnect/reset before headers", None),
    ("UploadSecretBlob", "400-flat", 400, {"Content-Type": J, "X-Request-Id": "req-blob-400"},
     {"error_code": "CSMS.0406", "error_msg": "The backup blob is invalid."}, None),
    ("DownloadSecretBlob", "404-nested", 404, {"Content-Type": J, "X-Request-Id": "req-blob-404"},
     {"error": {"error_code": "CSMS.0404", "error_msg": "The secret does not exist."}}, None),
    ("RestoreSecret", "400-nested", 400, {"Content-Type": J, "X-Request-Id": "req-restore-400"},
     {"error": {"error_code": "CSMS.0410", "error_msg": "The secret is not scheduled for deletion."}}, None),
    ("ShowSecretFunctionTemplates", "400-flat", 400, {"Content-Type": J, "X-Request-Id": "req-fn-400"},
     {"error_code": "CSMS.0401", "error_msg": "engine is required for RDS-FG."}, None),
    ("CreateSecretVersion", "400-nested", 400, {"Content-Type": J, "X-Request-Id": "req-ver-400"},
     {"error": {"error_code": "CSMS.0401", "error_msg": "Only one of secret_string and secret_binary may be set."}},
     None),
    ("UpdateVersion", "404-flat", 404, {"Content-Type": J, "X-Request-Id": "req-upd-ver-404"},
     {"error_code": "CSMS.0405", "error_msg": "The version does not exist."}, None),
    ("UpdateSecretStage", "400-flat", 400, {"Content-Type": J, "X-Request-Id": "req-stage-400"},
     {"error_code": "CSMS.0401", "error_msg": "Invalid stage name."}, None),
    ("ShowSecretStage", "404-nested", 404, {"Content-Type": J, "X-Request-Id": "req-stage-404"},
     {"error": {"error_code": "CSMS.0407", "error_msg": "The stage does not exist."}}, None),
    ("DeleteSecretStage", "400-sys-stage", 400, {"Content-Type": J, "X-Request-Id": "req-stage-del"},
     {"error": {"error_code": "CSMS.0408", "error_msg": "SYSCURRENT cannot be deleted."}}, None),
    ("ListSecretTags", "404-flat", 404, {"Content-Type": J, "X-Request-Id": "req-tags-404"},
     {"error_code": "CSMS.0404", "error_msg": "The secret does not exist."}, None),
    ("DeleteSecretTag", "404-nested", 404, {"Content-Type": J, "X-Request-Id": "req-tag-404"},
     {"error": {"error_code": "CSMS.0603", "error_msg": "The tag does not exist."}}, None),
    ("ListProjectSecretsTags", "500-html", 500, {"Content-Type": "text/html", "X-Request-Id": "req-tags-500"},
     "<html><body><h1>500 Internal Server Error</h1></body></html>", None),
    ("ListSecretEvents", "400-flat", 400, {"Content-Type": J, "X-Request-Id": "req-events-400"},
     {"error_code": "CSMS.0401", "error_msg": "limit is invalid."}, None),
    ("ListNotificationRecords", "403-encoded-authorization", 403, {"Content-Type": J, "X-Request-Id": "req-rec-403"},
     {"error_code": "CSMS.0403", "error_msg": "Forbidden by policy.",
      "encoded_authorization_message": "Zm9yYmlkZGVuLWJ5LXBvbGljeQ=="}, None),
    ("BatchImportSecrets", "400-json-array", 400, {"Content-Type": J, "X-Request-Id": "req-import-400"},
     ["not", "an", "object"], None),
    ("GenerateRandomPassword", "400-unrecognised-keys", 400, {"Content-Type": J, "X-Request-Id": "req-pw-400"},
     {"message": "length must be between 8 and 128"}, None),
]

# ---------------------------------------------------------------------------------------------
# Decode vectors: (op, suffix, status, headers, body text)

DECODES = [
    ("ShowSecret", "html", 200, {"Content-Type": "text/html"}, "<html><body>Service maintenance</body></html>"),
    ("ListSecrets", "html", 200, {"Content-Type": "text/html"}, "<html>\n<body>ok</body>\n</html>"),
    ("CreateSecret", "not-json", 200, {"Content-Type": J}, "secret created"),
    ("RotateSecret", "truncated-json", 200, {"Content-Type": J}, "{\"version_id\": \"v3\", \"secret_na"),
    ("ShowSecret", "array-body", 200, {"Content-Type": J}, "[]"),
]

# 2xx bodies with one field of an unexpected type: the rest of the result must survive. The
# field is coerced where the official SDK coerces it and its meaning is not in doubt, else
# left out (core/src/operations/decode.rs). `sdk` says whether the SDK's own model, restricted
# to the expected keys, is the same (checked); where it is not, what it does is printed.
COERCED = [
    ("ShowSecretVersion", "int-as-string",
     {"version": {"secret_string": "s3cr3t", "version_metadata": {"id": "v1", "create_time": "1700000000000"}}},
     {"version": {"secret_string": "s3cr3t", "version_metadata": {"id": "v1", "create_time": 1700000000000}}}, True),
    ("ShowSecret", "secret-not-object", {"secret": "not-an-object"}, {}, True),
    ("ShowSecret", "bool-as-string", {"secret": {"name": "test", "auto_rotation": "false"}},
     {"secret": {"name": "test", "auto_rotation": False}}, False),
    ("ListSecrets", "secrets-not-list", {"secrets": {"name": "test"}}, {"secrets": [{"name": "test"}]}, True),
    ("CreateSecretVersion", "int-not-a-number", {"version_metadata": {"id": "v2", "create_time": "yesterday"}},
     {"version_metadata": {"id": "v2"}}, False),
    ("ListSecretTask", "total-not-a-number", {"total": "many", "tasks": []}, {"tasks": []}, False),
    ("ShowSecretsConfig", "bool-as-string", {"checking_secret_strength": "false"},
     {"checking_secret_strength": False}, False),
    ("GenerateRandomPassword", "number-as-string", {"password": 12345678}, {"password": "12345678"}, True),
    ("ListSecretVersions", "list-item-not-string",
     {"version_metadatas": [{"id": "v1", "version_stages": ["SYSCURRENT", 5]}]},
     {"version_metadatas": [{"id": "v1", "version_stages": ["SYSCURRENT", "5"]}]}, True),
]

# ---------------------------------------------------------------------------------------------


def model_dict_to_wire(d, klass):
    """SDK to_dict() output (python attribute names) -> wire names, recursively."""
    if isinstance(d, list):
        return [model_dict_to_wire(x, klass) for x in d]
    if klass is None or not isinstance(d, dict) or not hasattr(klass, "openapi_types"):
        return d
    out = {}
    for attr, value in d.items():
        t = klass.openapi_types[attr]
        base = re.sub(r"^list\[(.*)\]$", r"\1", t)
        sub = getattr(M, base, None)
        out[klass.attribute_map[attr]] = model_dict_to_wire(value, sub if hasattr(sub, "openapi_types") else None)
    return out


def restrict(value, shape):
    """Keep only the keys present in `shape` (the JSON body), recursively."""
    if isinstance(value, dict) and isinstance(shape, dict):
        return {k: restrict(v, shape[k]) for k, v in value.items() if k in shape}
    if isinstance(value, list) and isinstance(shape, list):
        return [restrict(v, s) for v, s in zip(value, shape)]
    return value


def strip_unknown(value, klass=None):
    """The body without the unknown fields we planted (object-typed values are kept whole)."""
    if isinstance(value, dict):
        return {k: strip_unknown(v) for k, v in value.items() if not k.startswith(UNKNOWN)}
    if isinstance(value, list):
        return [strip_unknown(v) for v in value]
    return value


def coverage(klass, body, path, missing):
    """Every field of the response model (recursively) must occur in the body."""
    for attr, t in klass.openapi_types.items():
        wire = klass.attribute_map[attr]
        if not isinstance(body, dict) or wire not in body:
            missing.append(path + "." + wire)
            continue
        base = re.sub(r"^list\[(.*)\]$", r"\1", t)
        sub = getattr(M, base, None)
        if sub is not None and hasattr(sub, "openapi_types") and sub.openapi_types:
            v = body[wire]
            items = v if isinstance(v, list) else [v]
            # every field must appear in at least one item
            sub_missing = None
            for it in items:
                m = []
                coverage(sub, it, path + "." + wire, m)
                sub_missing = m if sub_missing is None else [x for x in sub_missing if x in m]
            missing.extend(sub_missing or [])


def dumps_body(body, ascii_json):
    if isinstance(body, str):
        return body
    if ascii_json:
        return json.dumps(body, separators=(", ", ": "))
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


class Runner:
    def __init__(self):
        self.ops = common.sdk_operations()
        self.transport = common.Transport().install()
        self.client = common.make_client(gb.ENDPOINTS[0], gb.AK, gb.SK, gb.PROJECTS[0])

    def call(self, op, status, headers, body_text):
        meta = self.ops[op]
        inp = gb.CASES[op][0][2]   # the minimal input of the build vectors
        request = common.build_request(meta, inp)
        self.transport.respond(status, headers, body_text.encode("utf-8"))
        common.set_clock("20240806T101010Z")
        try:
            return getattr(self.client, meta["python_method"])(request), None
        except ServiceResponseException as e:
            return None, e
        finally:
            common.set_clock(None)


def vector(vid, op, status, headers, body_text, expect):
    return OrderedDict([("id", vid), ("kind", "parse"), ("operation", op),
                        ("response", OrderedDict([("status", status), ("headers", headers), ("body", body_text)])),
                        ("expect", expect)])


def main():
    r = Runner()
    missing_ops = sorted(set(r.ops) - set(BODIES))
    assert not missing_ops, missing_ops
    vectors = []
    counts = OrderedDict()

    # success
    for op in sorted(BODIES):
        klass = getattr(M, r.ops[op]["response_type"])
        for suffix, status, body, ascii_json, override in BODIES[op]:
            text = dumps_body(body, ascii_json)
            headers = {"Content-Type": J, "X-Request-Id": "req-%s-%s" % (op, suffix)} if text else \
                {"X-Request-Id": "req-%s-%s" % (op, suffix)}
            resp, err = r.call(op, status, headers, text)
            assert err is None, (op, err)
            assert resp.status_code == status
            got = model_dict_to_wire(resp.to_dict(), klass)
            # cross-check with our own traversal of the model
            if isinstance(body, dict):
                assert restrict(got, body) == common.from_sdk(resp, body), op
                expect_ok = restrict(got, body)
            else:
                expect_ok = {k: v for k, v in got.items() if v is not None}
            if override is None:
                want = strip_unknown(body) if isinstance(body, dict) else {}
                assert expect_ok == want, (op, suffix, expect_ok, want)
                if suffix == "ok" and klass.openapi_types:
                    miss = []
                    coverage(klass, body, op, miss)
                    assert not miss, (op, miss)
            else:
                assert expect_ok == {} or all(v is None for v in got.values()), (op, got)
                expect_ok = override
            vectors.append(vector("official-parse-%s-%s" % (op, suffix), op, status, headers, text, {"ok": expect_ok}))
            counts.setdefault(op, [0, 0, 0])[0] += 1

    # errors
    for op, suffix, status, headers, body, override in ERRORS:
        text = dumps_body(body, False)
        resp, err = r.call(op, status, headers, text)
        assert err is not None, (op, suffix)
        exp = OrderedDict([("kind", "api"), ("status", err.status_code), ("error_code", err.error_code),
                           ("error_msg", err.error_msg), ("request_id", err.request_id)])
        assert exp["status"] == status
        if override:
            exp.update(override)
        assert exp["request_id"], (op, suffix, "every error vector must name its request id")
        vectors.append(vector("official-parse-%s-error-%s" % (op, suffix), op, status, headers, text, {"error": exp}))
        counts.setdefault(op, [0, 0, 0])[1] += 1

    # decode
    sdk_decode = []
    for op, suffix, status, headers, text in DECODES:
        try:
            resp, err = r.call(op, status, headers, text)
            assert err is None, (op, suffix)
            # the SDK accepts these silently: an empty or coerced model
            sdk_decode.append("%s-%s: SDK returns %s" % (op, suffix, json.dumps(resp.to_dict(), default=str)[:100]))
        except ServiceResponseException:
            raise
        except Exception as e:  # e.g. int("yesterday") escapes as ValueError
            sdk_decode.append("%s-%s: SDK raises %s: %s" % (op, suffix, type(e).__name__, e))
        vectors.append(vector("official-parse-%s-decode-%s" % (op, suffix), op, status,
                              dict(headers, **{"X-Request-Id": "req-decode-%s" % suffix}), text,
                              {"error": {"kind": "decode"}}))
        counts.setdefault(op, [0, 0, 0])[2] += 1

    for op, suffix, body, expect_ok, sdk_agrees in COERCED:
        text = json.dumps(body)
        headers = {"Content-Type": J, "X-Request-Id": "req-coerce-%s" % suffix}
        try:
            resp, err = r.call(op, 200, headers, text)
            assert err is None, (op, suffix)
            got = restrict(model_dict_to_wire(resp.to_dict(), getattr(M, r.ops[op]["response_type"])), expect_ok)
            line = "SDK returns %s" % json.dumps(got, default=str)[:100]
        except ServiceResponseException:
            raise
        except Exception as e:  # e.g. int("yesterday") escapes as ValueError
            got, line = None, "SDK raises %s: %s" % (type(e).__name__, e)
        assert (got == expect_ok) == sdk_agrees, (op, suffix, got, expect_ok)
        sdk_decode.append("%s-%s (coerced): %s" % (op, suffix, line))
        vectors.append(vector("official-parse-%s-coerce-%s" % (op, suffix), op, 200, headers, text,
                              {"ok": expect_ok}))
        counts.setdefault(op, [0, 0, 0])[0] += 1

    ids = [v["id"] for v in vectors]
    assert len(ids) == len(set(ids))
    gb.write(OUT, vectors)
    print("What the official SDK does with the decode vectors:")
    for line in sdk_decode:
        print("  " + line)
    print("%-30s %3s %3s %3s" % ("operation", "ok", "err", "dec"))
    for op in sorted(counts):
        print("%-30s %3d %3d %3d" % (op, *counts[op]))
    n_ok = sum(c[0] for c in counts.values())
    n_err = sum(c[1] for c in counts.values())
    n_dec = sum(c[2] for c in counts.values())
    print("%d parse vectors (%d ok, %d api error, %d decode) for %d operations -> %s"
          % (len(vectors), n_ok, n_err, n_dec, len(counts), os.path.normpath(OUT)))


if __name__ == "__main__":
    main()
