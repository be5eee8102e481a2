# coding: utf-8
"""Generates tests/vectors/official_build.json (kind `build`) from the official Python client,
without network, and tests/vectors/validation.json (kind `build`, expected validation errors,
hand-written from the documented constraints; no SDK involved).

Each build vector: a CsmsClient (BasicCredentials(ak, sk, project_id) [+ security token],
with_endpoint, HttpConfig.user_agent fixed) calls the operation; the prepared request is
captured at requests' HTTPAdapter.send (what would go on the wire) and a canned 200 `{}` is
returned. The signer's clock is fixed to the vector's `at`.

Run: tests/oracle/.venv/bin/python tests/oracle/gen_build_vectors.py
"""

import base64
import json
import os
import random
import sys
from collections import OrderedDict
from urllib.parse import unquote, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402

OUT_BUILD = os.path.join(HERE, "..", "vectors", "official_build.json")
OUT_VALIDATION = os.path.join(HERE, "..", "vectors", "validation.json")

# ---------------------------------------------------------------------------------------------
# Configurations

AK = "HPUAEXAMPLEAK0000001"
SK = "ExampleSecretKey0000000000000000000000001"
AK2 = "QTWAOYTTINDUT2QVKYUC"
SK2 = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"
TOKEN = ("gQpjbi1ub3J0aC00JCx7ImFjY2Vzcy1rZXkiOiJITFNQUzdUUkpQWFhCNkFGIn0+AbC/dEf"
         "0xLzI3MDk4NzY1NDMyMTAxMjM0NTY3ODkwYWJjZGVm=")

ENDPOINTS = ["https://kms.cn-north-4.myhuaweicloud.com",
             "https://kms.ap-southeast-1.myhuaweicloud.com",
             "http://127.0.0.1:8443"]
PROJECTS = ["0f1e2d3c4b5a69788796a5b4c3d2e1f0",
            "5c1f0b1a2e3d4c5b6a79880796a5b4c3",
            "0123456789abcdef0123456789abcdef"]


def config_for(kind, op_index):
    """minimal: cn-north-4, no token; full: ap-southeast-1 with a security token;
    edge: 127.0.0.1:8443 (http, with port), token on every other op, SM3 on every third op."""
    if kind == "minimal":
        cfg = {"endpoint": ENDPOINTS[0], "project_id": PROJECTS[0],
               "credentials": {"ak": AK, "sk": SK}, "algorithm": "SDK-HMAC-SHA256"}
    elif kind == "full":
        cfg = {"endpoint": ENDPOINTS[1], "project_id": PROJECTS[1],
               "credentials": {"ak": AK2, "sk": SK2, "security_token": TOKEN},
               "algorithm": "SDK-HMAC-SHA256"}
    else:
        creds = {"ak": AK, "sk": SK}
        if op_index % 2 == 0:
            creds["security_token"] = TOKEN
        cfg = {"endpoint": ENDPOINTS[2], "project_id": PROJECTS[2], "credentials": creds,
               "algorithm": "SDK-HMAC-SM3" if op_index % 3 == 0 else "SDK-HMAC-SHA256"}
    return cfg


# ---------------------------------------------------------------------------------------------
# Values

EDGE = "a b/c%2F+?&=#~*'\u4e2d\u00e9"          # space / % + ? & = # ~ * ' 中 é
EDGE2 = "\u4e2d\u6587 \u00e9t\u00e9/100%+x?y"   # 中文 été/100%+x?y
NAME64 = ("Secret_Name-0123456789" * 3)[:64]
EVENT64 = ("event-Name_9876543210" * 4)[:64]
STAGE64 = ("Stage_64-abcdefghij" * 4)[:64]
SEQ = "919c82d4-8046-4722-9094-35c3c6524cff"
DESC_2048 = "\u4e2d" * 682 + "ab"                # 2046 + 2 = 2048 UTF-8 bytes (684 characters)
assert len(DESC_2048.encode("utf-8")) == 2048
SECRET_32K = ("0123456789abcdef" * 2048)           # 32768 bytes exactly
assert len(SECRET_32K.encode("utf-8")) == 32768
BIN_ALL = base64.b64encode(bytes(range(256))).decode("ascii")   # contains + and /
BIN_SMALL = base64.b64encode(b"\x00\xfb\xff\xfe binary \xe4\xb8\xad").decode("ascii")
TAG_KEY_128 = ("k\u00e9y_.:=+-@" * 13)[:128]
TAG_VAL_255 = ("v/al:=+-@_. \u4e2d" * 20)[:254] + "z"
KMS_KEY = "b168fe00ff56492495a7d22974df2d0b"
URN = "urn:fss:cn-north-4:0f1e2d3c4b5a69788796a5b4c3d2e1f0:function:default:rds-rotation:latest"
RDS_CFG = '{"InstanceId":"c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6in01","SecretSubType":"SingleUser"}'
GAUSS_CFG = '{"InstanceId":"3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8cin14","SecretSubType":"MultiUser"}'
NOTIF = {"target_type": "SMN", "target_id": "urn:smn:cn-north-4:0f1e2d3c:csms-topic",
         "target_name": "csms-topic"}
NOTIF_UNI = {"target_type": "SMN", "target_id": "urn:smn:ap-southeast-1:5c1f0b1a:\u4e3b\u9898-1",
             "target_name": "\u4e3b\u9898 topic/\u00e9+%?"}
ALL_EVENTS = ["SECRET_VERSION_CREATED", "SECRET_VERSION_EXPIRED", "SECRET_ROTATED",
              "SECRET_DELETED", "SECRET_ROTATED_FAILED"]

# ---------------------------------------------------------------------------------------------
# Cases: op -> list of (suffix, kind, input). kind picks the configuration.

CASES = OrderedDict()


def case(op, suffix, kind, inp):
    CASES.setdefault(op, []).append((suffix, kind, inp))


# --- secrets
case("CreateSecret", "minimal", "minimal", {"name": "demo-secret", "secret_string": "s3cr3t"})
case("CreateSecret", "full", "full", {
    "name": "rds_secret-01", "kms_key_id": KMS_KEY, "description": "RDS account of the order service",
    "secret_string": '{"username":"svc","password":"P@ssw0rd!"}', "secret_type": "RDS-FG",
    "auto_rotation": True, "rotation_period": "30d", "rotation_config": RDS_CFG,
    "event_subscriptions": ["rotation-events"], "enterprise_project_id": "0",
    "rotation_func_urn": URN})
case("CreateSecret", "full-binary", "full", {
    "name": "binary-secret", "kms_key_id": KMS_KEY, "description": "binary",
    "secret_binary": BIN_ALL, "secret_type": "COMMON", "auto_rotation": False,
    "rotation_period": "6h", "rotation_config": GAUSS_CFG, "event_subscriptions": [],
    "enterprise_project_id": "b6a1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d", "rotation_func_urn": URN})
case("CreateSecret", "edge", "edge", {
    "name": NAME64, "description": DESC_2048,
    "secret_string": "p@ss w0rd \u00e9\u4e2d \"quoted\" \\ / \n\t\u2028 \U0001F511",
    "secret_type": "GaussDB-FG", "auto_rotation": True, "rotation_period": "8760h",
    "rotation_config": GAUSS_CFG, "event_subscriptions": []})
case("CreateSecret", "max-secret", "minimal", {"name": "a", "secret_string": SECRET_32K})

case("ShowSecret", "minimal", "minimal", {"secret_name": "demo-secret"})
case("ShowSecret", "full", "full", {"secret_name": "rds_secret-01"})
case("ShowSecret", "edge", "edge", {"secret_name": EDGE})

case("UpdateSecret", "minimal", "minimal", {"secret_name": "demo-secret"})
case("UpdateSecret", "full", "full", {
    "secret_name": "rds_secret-01", "kms_key_id": KMS_KEY, "description": "new description",
    "auto_rotation": True, "rotation_period": "365d", "event_subscriptions": ["pocEvent2"],
    "rotation_func_urn": URN})
case("UpdateSecret", "edge", "edge", {
    "secret_name": EDGE2, "description": DESC_2048, "auto_rotation": False,
    "rotation_period": "6h", "event_subscriptions": []})
case("UpdateSecret", "description-empty", "minimal", {"secret_name": "demo-secret", "description": ""})

case("DeleteSecret", "minimal", "minimal", {"secret_name": "demo-secret"})
case("DeleteSecret", "full", "full", {"secret_name": "old_secret-2019"})
case("DeleteSecret", "edge", "edge", {"secret_name": EDGE})

case("ListSecrets", "minimal", "minimal", {})
case("ListSecrets", "full", "full", {"limit": "50", "marker": "secret-0049", "event_name": "rotation-events"})
case("ListSecrets", "edge", "edge", {"limit": "1", "marker": EDGE, "event_name": EDGE2})

case("DeleteSecretForSchedule", "minimal", "minimal", {"secret_name": "demo-secret", "recovery_window_in_days": 30})
case("DeleteSecretForSchedule", "full", "full", {"secret_name": "rds_secret-01", "recovery_window_in_days": 7})
case("DeleteSecretForSchedule", "edge", "edge", {"secret_name": EDGE, "recovery_window_in_days": 30})

case("RestoreSecret", "minimal", "minimal", {"secret_name": "demo-secret"})
case("RestoreSecret", "full", "full", {"secret_name": "rds_secret-01"})
case("RestoreSecret", "edge", "edge", {"secret_name": EDGE2})

case("RotateSecret", "minimal", "minimal", {"secret_name": "demo-secret"})
case("RotateSecret", "full", "full", {"secret_name": "rds_secret-01"})
case("RotateSecret", "edge", "edge", {"secret_name": EDGE})

case("DownloadSecretBlob", "minimal", "minimal", {"secret_name": "demo-secret"})
case("DownloadSecretBlob", "full", "full", {"secret_name": "rds_secret-01"})
case("DownloadSecretBlob", "edge", "edge", {"secret_name": EDGE})

BLOB = base64.b64encode(b"CSMS-BACKUP\x00\x01" + bytes(range(200, 256)) * 3).decode("ascii")
case("UploadSecretBlob", "minimal", "minimal", {"secret_blob": "YmxvYg=="})
case("UploadSecretBlob", "full", "full", {"secret_blob": BLOB})
case("UploadSecretBlob", "edge", "edge", {"secret_blob": BIN_ALL + "\u4e2d\u00e9 /?%+"})

case("BatchImportSecrets", "minimal", "minimal", {"secrets": [{"name": "imp-1", "secret_string": "v1"}]})
case("BatchImportSecrets", "full", "full", {"secrets": [
    {"name": "imp_rds-1", "kms_key_id": KMS_KEY, "description": "imported", "secret_string": "pw",
     "secret_type": "RDS-FG", "auto_rotation": True, "rotation_period": "24h", "rotation_config": RDS_CFG,
     "event_subscriptions": ["rotation-events"], "enterprise_project_id": "0", "rotation_func_urn": URN},
    {"name": "imp-bin-2", "secret_binary": BIN_SMALL}]})
case("BatchImportSecrets", "edge", "edge", {"secrets": [
    {"name": NAME64, "description": DESC_2048, "secret_string": "\u4e2d\u00e9 \"q\" / ? % +"},
    {"name": "x", "secret_binary": BIN_ALL, "auto_rotation": False, "event_subscriptions": []}]})

case("GenerateRandomPassword", "minimal", "minimal", {})
case("GenerateRandomPassword", "full", "full", {
    "password_policy_name": "default", "length": 32, "exclude_characters": "\"'\\/`",
    "exclude_lowercase": False, "exclude_uppercase": True, "exclude_numbers": False,
    "exclude_punctuation": True, "include_space": False, "require_each_included_type": True})
case("GenerateRandomPassword", "edge", "edge", {
    "password_policy_name": "\u7b56\u7565 policy", "length": 8, "exclude_characters": "\u00e9\u4e2d %+?/",
    "exclude_lowercase": False, "exclude_uppercase": False, "exclude_numbers": False,
    "exclude_punctuation": False, "include_space": True, "require_each_included_type": False})

# --- versions
case("CreateSecretVersion", "minimal", "minimal", {"secret_name": "demo-secret", "secret_string": "v2"})
case("CreateSecretVersion", "full", "full", {
    "secret_name": "rds_secret-01", "secret_binary": BIN_SMALL,
    "version_stages": ["SYSCURRENT", "blue"], "expire_time": 1893456000})
case("CreateSecretVersion", "full-string", "full", {
    "secret_name": "rds_secret-01", "secret_string": '{"password":"n\u00e9w"}',
    "version_stages": ["green"], "expire_time": 1767225600})
case("CreateSecretVersion", "edge", "edge", {
    "secret_name": EDGE, "secret_binary": BIN_ALL,
    "version_stages": ["S" * 64] + ["stage-%02d" % i for i in range(1, 11)] + ["\u4e2d"],
    "expire_time": 0})
case("CreateSecretVersion", "max-secret", "minimal", {"secret_name": "demo-secret", "secret_string": SECRET_32K})

case("ListSecretVersions", "minimal", "minimal", {"secret_name": "demo-secret"})
case("ListSecretVersions", "full", "full", {"secret_name": "rds_secret-01", "marker": "v5", "limit": 50})
case("ListSecretVersions", "edge", "edge", {"secret_name": EDGE, "marker": EDGE2, "limit": 1})

case("ShowSecretVersion", "minimal", "minimal", {"secret_name": "demo-secret", "version_id": "v1"})
case("ShowSecretVersion", "full", "full", {"secret_name": "rds_secret-01", "version_id": "latest"})
case("ShowSecretVersion", "edge", "edge", {"secret_name": EDGE, "version_id": EDGE2})

case("UpdateVersion", "minimal", "minimal", {"secret_name": "demo-secret", "version_id": "v1", "expire_time": 1893456000})
case("UpdateVersion", "full", "full", {"secret_name": "rds_secret-01", "version_id": "v7", "expire_time": 4102444800})
case("UpdateVersion", "edge", "edge", {"secret_name": EDGE, "version_id": EDGE2, "expire_time": 0})

# --- stages
case("ShowSecretStage", "minimal", "minimal", {"secret_name": "demo-secret", "stage_name": "SYSCURRENT"})
case("ShowSecretStage", "full", "full", {"secret_name": "rds_secret-01", "stage_name": "SYSPREVIOUS"})
case("ShowSecretStage", "edge", "edge", {"secret_name": EDGE, "stage_name": EDGE2})

case("UpdateSecretStage", "minimal", "minimal", {"secret_name": "demo-secret", "stage_name": "blue", "version_id": "v2"})
case("UpdateSecretStage", "full", "full", {"secret_name": "rds_secret-01", "stage_name": "SYSCURRENT", "version_id": "v7"})
case("UpdateSecretStage", "edge", "edge", {"secret_name": EDGE, "stage_name": STAGE64, "version_id": "v/\u4e2d %+?"})

case("DeleteSecretStage", "minimal", "minimal", {"secret_name": "demo-secret", "stage_name": "blue"})
case("DeleteSecretStage", "full", "full", {"secret_name": "rds_secret-01", "stage_name": "green"})
case("DeleteSecretStage", "edge", "edge", {"secret_name": EDGE, "stage_name": EDGE2})

# --- tags
case("CreateSecretTag", "minimal", "minimal", {"secret_id": "bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e", "tag": {"key": "env"}})
case("CreateSecretTag", "full", "full", {"secret_id": "bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e",
                                          "tag": {"key": "env", "value": "prod"}})
case("CreateSecretTag", "edge", "edge", {"secret_id": EDGE, "tag": {"key": TAG_KEY_128, "value": TAG_VAL_255}})
case("CreateSecretTag", "edge-unicode", "edge", {"secret_id": "id-1", "tag": {"key": "\u73af\u5883 env_.:=+-@\u00e9",
                                                                              "value": "\u751f\u4ea7/prod: a=b+c-d@e_f.\u00e9"}})

case("DeleteSecretTag", "minimal", "minimal", {"secret_id": "bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e", "key": "env"})
case("DeleteSecretTag", "full", "full", {"secret_id": "bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e", "key": "cost-center"})
case("DeleteSecretTag", "edge", "edge", {"secret_id": EDGE2, "key": EDGE})
case("DeleteSecretTag", "edge-doc", "minimal", {"secret_id": "sid", "key": "k y/\u00fc~+"})

case("ListSecretTags", "minimal", "minimal", {"secret_id": "bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e"})
case("ListSecretTags", "full", "full", {"secret_id": "0d5f3c2a-1b4e-4f6a-9c8d-7e6f5a4b3c2d"})
case("ListSecretTags", "edge", "edge", {"secret_id": EDGE})

case("BatchCreateOrDeleteTags", "minimal", "minimal", {"secret_id": "bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e",
                                                        "tags": [{"key": "env"}], "action": "create"})
case("BatchCreateOrDeleteTags", "full", "full", {"secret_id": "bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e",
                                                  "tags": [{"key": "env", "value": "prod"},
                                                           {"key": "owner", "value": "team-a"}],
                                                  "action": "delete", "sequence": SEQ})
case("BatchCreateOrDeleteTags", "edge", "edge", {"secret_id": EDGE,
                                                  "tags": [{"key": TAG_KEY_128, "value": TAG_VAL_255},
                                                           {"key": "\u73af\u5883", "value": ""},
                                                           {"key": "k:=+-@_.", "value": "\u751f\u4ea7/a=b"}],
                                                  "action": "create", "sequence": SEQ})

case("ListProjectSecretsTags", "minimal", "minimal", {})
case("ListProjectSecretsTags", "full", "full", {})
case("ListProjectSecretsTags", "edge", "edge", {})

case("ListResourceInstances", "minimal", "minimal", {"action": "count"})
case("ListResourceInstances", "full", "full", {
    "limit": "10", "offset": "0", "action": "filter",
    "tags": [{"key": "env", "values": ["prod", "test"]}],
    "matches": [{"key": "resource_name", "value": "secret"}], "sequence": SEQ})
case("ListResourceInstances", "edge", "edge", {
    "limit": "1000", "offset": "20", "action": "filter",
    "tags": [{"key": "k%d" % i, "values": []} for i in range(9)]
    + [{"key": "\u73af\u5883 \u00e9", "values": ["v%d" % i for i in range(9)] + ["\u4e2d/%+?"]}],
    "matches": [{"key": "resource_name", "value": ("abcdefghij" * 26)[:255]},
                {"key": "resource_name", "value": "\u4e2d\u00e9 /%+?"}],
    "sequence": SEQ})
case("ListResourceInstances", "limit-1", "minimal", {"limit": "1", "action": "filter"})

# --- events
case("CreateSecretEvent", "minimal", "minimal", {"name": "rotation-events", "event_types": ["SECRET_ROTATED"],
                                                  "state": "ENABLED", "notification": NOTIF})
case("CreateSecretEvent", "full", "full", {"name": "all_events-1", "event_types": ALL_EVENTS,
                                            "state": "DISABLED", "notification": NOTIF})
case("CreateSecretEvent", "edge", "edge", {"name": EVENT64, "event_types": ["SECRET_VERSION_EXPIRED", "SECRET_DELETED"],
                                            "state": "ENABLED", "notification": NOTIF_UNI})

case("ShowSecretEvent", "minimal", "minimal", {"event_name": "rotation-events"})
case("ShowSecretEvent", "full", "full", {"event_name": "all_events-1"})
case("ShowSecretEvent", "edge", "edge", {"event_name": EDGE})

case("UpdateSecretEvent", "minimal", "minimal", {"event_name": "rotation-events"})
case("UpdateSecretEvent", "full", "full", {"event_name": "rotation-events", "state": "DISABLED",
                                            "event_types": ["SECRET_ROTATED", "SECRET_ROTATED_FAILED"],
                                            "notification": NOTIF})
case("UpdateSecretEvent", "edge", "edge", {"event_name": EDGE, "state": "ENABLED", "event_types": ALL_EVENTS,
                                            "notification": NOTIF_UNI})

case("DeleteSecretEvent", "minimal", "minimal", {"event_name": "rotation-events"})
case("DeleteSecretEvent", "full", "full", {"event_name": "all_events-1"})
case("DeleteSecretEvent", "edge", "edge", {"event_name": EDGE2})

case("ListSecretEvents", "minimal", "minimal", {})
case("ListSecretEvents", "full", "full", {"limit": "50", "marker": "event-0049"})
case("ListSecretEvents", "edge", "edge", {"limit": "1", "marker": EDGE})

case("ListNotificationRecords", "minimal", "minimal", {})
case("ListNotificationRecords", "full", "full", {})
case("ListNotificationRecords", "edge", "edge", {})

# --- rotation tasks and function templates
case("ListSecretTask", "minimal", "minimal", {})
case("ListSecretTask", "full", "full", {"secret_name": "rds_secret-01", "status": "FAILED", "limit": 50,
                                         "marker": "3b1f9d2c-0a4e-4c6b-8d7e-1f2a3b4c5d6e"})
case("ListSecretTask", "task-id", "full", {"task_id": "3b1f9d2c-0a4e-4c6b-8d7e-1f2a3b4c5d6e"})
case("ListSecretTask", "edge", "edge", {"secret_name": EDGE, "status": "SUCCESS", "limit": 1, "marker": EDGE2})

case("ShowSecretFunctionTemplates", "minimal", "minimal", {"secret_type": "GaussDB-FG", "secret_sub_type": "SingleUser"})
case("ShowSecretFunctionTemplates", "full", "full", {"secret_type": "RDS-FG", "secret_sub_type": "MultiUser",
                                                      "engine": "mysql"})
case("ShowSecretFunctionTemplates", "edge", "edge", {"secret_type": "RDS-FG", "secret_sub_type": "SingleUser",
                                                      "engine": "sqlserver"})
case("ShowSecretFunctionTemplates", "postgresql", "minimal", {"secret_type": "RDS-FG", "secret_sub_type": "SingleUser",
                                                               "engine": "postgresql"})

# --- agency
case("CreateAgency", "minimal", "minimal", {"secret_type": "RDS-FG"})
case("CreateAgency", "full", "full", {"secret_type": "GaussDB-FG"})
case("CreateAgency", "edge", "edge", {"secret_type": "RDS-FG"})

case("ShowAgency", "minimal", "minimal", {"secret_type": "RDS-FG"})
case("ShowAgency", "full", "full", {"secret_type": "GaussDB-FG"})
case("ShowAgency", "edge", "edge", {"secret_type": "GaussDB-FG"})

# --- grants
case("CreateGrants", "minimal", "minimal", {"resource_id": "bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e", "type": "SECRET",
                                             "grantee_type": "0", "grantee_target_id": "u-1024"})
case("CreateGrants", "full", "full", {"resource_id": "bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e", "type": "GROUP",
                                       "grantee_type": "2", "grantee_target_id": "g-7", "validity_time": "2030-01-02"})
case("CreateGrants", "edge", "edge", {"resource_id": EDGE, "type": "SECRET", "grantee_type": "0",
                                       "grantee_target_id": EDGE2, "validity_time": "2099-12-31"})

case("ListGrants", "minimal", "minimal", {"resource_id": "bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e"})
case("ListGrants", "full", "full", {"resource_id": "grp-0001"})
case("ListGrants", "edge", "edge", {"resource_id": EDGE})

case("UpdateGrant", "minimal", "minimal", {"resource_id": "bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e", "type": "SECRET",
                                            "grantee_type": "0", "grantee_target_id": "u-1024"})
case("UpdateGrant", "full", "full", {"resource_id": "grp-0001", "type": "GROUP", "grantee_type": "2",
                                      "grantee_target_id": "g-7", "validity_time": "2031-12-31"})
case("UpdateGrant", "edge", "edge", {"resource_id": EDGE, "type": "SECRET", "grantee_type": "0",
                                      "grantee_target_id": EDGE2, "validity_time": "2000-02-29"})

case("DeleteGrant", "minimal", "minimal", {"resource_id": "bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e"})
case("DeleteGrant", "full", "full", {"grantee_user": "u-1024", "resource_id": "bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e"})
case("DeleteGrant", "edge", "edge", {"grantee_user": EDGE2, "resource_id": EDGE})

# --- users
case("ListUsers", "minimal", "minimal", {"offset": 0, "limit": 10})
case("ListUsers", "full", "full", {"org_id": "org-42", "offset": 3, "limit": 100, "user_info": "alice"})
case("ListUsers", "edge", "edge", {"org_id": EDGE, "offset": 1000000, "limit": 55, "user_info": ("\u00e9\u4e2d /%+?" * 8)[:64]})

case("ShowUserDetail", "minimal", "minimal", {"user_id": "u-1024"})
case("ShowUserDetail", "full", "full", {"user_id": "6f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"})
case("ShowUserDetail", "edge", "edge", {"user_id": EDGE})

case("UpdateUserPassword", "minimal", "minimal", {"password": "N3w-P@ssw0rd", "old_password": "0ld-P@ssw0rd"})
case("UpdateUserPassword", "full", "full", {"password": "Str0ng!Pass#2024", "old_password": "Str0ng!Pass#2023"})
case("UpdateUserPassword", "edge", "edge", {"password": "p\u00e9 \"q\" \\ /%+?\u4e2d", "old_password": " lead and trail "})

# --- strength check config
case("CheckSecrets", "minimal", "minimal", {"type": "password", "data": {"password": "P@ssw0rd"}})
case("CheckSecrets", "full", "full", {"type": "secret_string", "data": {"secret_string": "{\"k\":\"v\"}", "level": 3}})
case("CheckSecrets", "edge", "edge", {"type": "\u7c7b\u578b", "data": {"a": None, "b": [1, 2, 3], "t": True, "f": False,
                                                                         "zero": 0, "s": "\u4e2d\u00e9 /%+?",
                                                                         "nested": {"x": [], "y": {}}}})

case("ShowSecretsConfig", "minimal", "minimal", {})
case("ShowSecretsConfig", "full", "full", {})
case("ShowSecretsConfig", "edge", "edge", {})

case("UpdateSecretsConfig", "minimal", "minimal", {})
case("UpdateSecretsConfig", "full", "full", {"checking_secret_strength": True})
case("UpdateSecretsConfig", "edge", "edge", {"checking_secret_strength": False})

# ---------------------------------------------------------------------------------------------


def at_times(n, seed=20240806):
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        out.append("%04d%02d%02dT%02d%02d%02dZ" % (rnd.randint(2024, 2026), rnd.randint(1, 12), rnd.randint(1, 28),
                                                   rnd.randint(0, 23), rnd.randint(0, 59), rnd.randint(0, 59)))
    return out


EXPECT_HEADERS = ["Content-Type", "X-Project-Id", "X-Sdk-Date", "Host", "X-Security-Token"]

# Also record the SdkRequest the SDK hands to its HTTP client, to compare its url with the
# prepared (wire) url.
_SDK_URLS = []


def _install_sdk_request_recorder():
    from huaweicloudsdkcore.http.http_client import HttpClient
    orig = HttpClient.do_request_sync

    def do_request_sync(self, request):
        _SDK_URLS.append(request.url)
        return orig(self, request)

    HttpClient.do_request_sync = do_request_sync


def oracle_cross_check(oracle, cfg, at, expect, all_headers, raw_body):
    """The oracle's `sign` must reproduce the Authorization the client sent."""
    auth = all_headers["Authorization"]
    signed = auth.split("SignedHeaders=", 1)[1].split(",", 1)[0].split(";")
    hdrs = {k: v for k, v in all_headers.items() if k.lower() in signed}
    for k in list(hdrs):
        if k.lower() in ("x-sdk-date", "host", "x-security-token"):
            del hdrs[k]   # the signer adds these itself
    req = {"op": "sign", "algorithm": cfg["algorithm"], "ak": cfg["credentials"]["ak"],
           "sk": cfg["credentials"]["sk"], "at": at, "method": expect["method"], "url": expect["url"],
           "headers": hdrs, "body": raw_body.decode("utf-8") if raw_body else ""}
    if "security_token" in cfg["credentials"]:
        req["security_token"] = cfg["credentials"]["security_token"]
    out = oracle.handle_line(json.dumps(req))
    assert out.get("authorization") == auth, (out, auth)


def capture(transport, ops, op, cfg, inp, at):
    meta = ops[op]
    cred = cfg["credentials"]
    client = common.make_client(cfg["endpoint"], cred["ak"], cred["sk"], cfg["project_id"],
                                security_token=cred.get("security_token"), algorithm=cfg["algorithm"])
    request = common.build_request(meta, inp)
    transport.respond(200, {"Content-Type": "application/json"}, b"{}")
    n_before = len(transport.sent)
    common.set_clock(at)
    try:
        getattr(client, meta["python_method"])(request)
    finally:
        common.set_clock(None)
    assert len(transport.sent) == n_before + 1, "expected exactly one request"
    sent = transport.last()
    headers = common.wire_headers(sent)
    lower = {k.lower(): (k, v) for k, v in headers.items()}
    exp_headers = OrderedDict()
    for h in EXPECT_HEADERS:
        if h.lower() in lower:
            k, v = lower[h.lower()]
            exp_headers[k] = v
    body = sent.body
    if isinstance(body, str):
        body = body.encode("utf-8")
    body_json = json.loads(body.decode("utf-8")) if body else None
    return {"method": sent.method, "url": sent.url, "headers": exp_headers, "body_json": body_json}, headers, body


def sanity(op, meta, cfg, inp, at, expect, all_headers, raw_body):
    """Cross-checks between the input and what the SDK sent (catches mistakes in the tables)."""
    assert expect["headers"].get("X-Sdk-Date") == at, (op, expect["headers"])
    assert ("X-Security-Token" in expect["headers"]) == ("security_token" in cfg["credentials"]), op
    assert expect["headers"].get("X-Project-Id") == cfg["project_id"], op
    assert all_headers["Authorization"].startswith(cfg["algorithm"] + " Access="), op
    body_members = set()
    if meta["body_class"] is not None:
        body_members = set(meta["body_class"].attribute_map.values())
        want = {k: v for k, v in inp.items() if k in body_members}
        assert expect["body_json"] == want, (op, expect["body_json"], want)
    else:
        assert expect["body_json"] is None and not raw_body, op
    url = urlsplit(expect["url"])
    assert url.scheme + "://" + url.netloc == cfg["endpoint"], op
    segs = [unquote(s) for s in url.path.split("/")]
    for k in meta["path"]:
        if k == "resource_instances":
            assert "resource_instances" in segs
        else:
            assert inp[k] in segs, (op, k, inp[k], segs)
    qs = [tuple(unquote(x) for x in p.split("=", 1)) for p in url.query.split("&")] if url.query else []
    for k in meta["query"]:
        if k in inp:
            v = inp[k]
            v = ("true" if v else "false") if isinstance(v, bool) else str(v)
            assert (k, v) in qs, (op, k, v, qs)
    assert len(qs) == len([k for k in meta["query"] if k in inp]), (op, qs)
    assert set(inp) <= body_members | set(meta["path"]) | set(meta["query"]), (op, inp)
    return True


def build_vectors():
    ops = common.sdk_operations()
    assert len(ops) == 45, len(ops)
    missing = sorted(set(ops) - set(CASES))
    assert not missing, "no cases for %s" % missing
    unknown = sorted(set(CASES) - set(ops))
    assert not unknown, unknown
    transport = common.Transport().install()
    _install_sdk_request_recorder()
    import oracle
    n_total = sum(len(v) for v in CASES.values())
    times = at_times(n_total)
    vectors = []
    summary = OrderedDict()
    idx = 0
    for op_index, op in enumerate(sorted(CASES)):
        meta = ops[op]
        for suffix, kind, inp in CASES[op]:
            cfg = config_for(kind, op_index)
            at = times[idx]
            idx += 1
            expect, all_headers, raw_body = capture(transport, ops, op, cfg, inp, at)
            sanity(op, meta, cfg, inp, at, expect, all_headers, raw_body)
            assert _SDK_URLS[-1] == expect["url"], (op, _SDK_URLS[-1], expect["url"])
            oracle_cross_check(oracle, cfg, at, expect, all_headers, raw_body)
            vectors.append(OrderedDict([
                ("id", "official-build-%s-%s" % (op, suffix)),
                ("kind", "build"),
                ("config", cfg),
                ("operation", op),
                ("input", inp),
                ("at", at),
                ("expect", expect),
            ]))
            s = summary.setdefault(op, {"n": 0, "method": expect["method"],
                                        "content_type": expect["headers"].get("Content-Type"),
                                        "bodies": set()})
            s["n"] += 1
            s["bodies"].add("none" if expect["body_json"] is None else
                            ("{}" if expect["body_json"] == {} else "json"))
    ids = [v["id"] for v in vectors]
    assert len(ids) == len(set(ids))
    return vectors, summary


# ---------------------------------------------------------------------------------------------
# Validation vectors (hand-written from the documented constraints)


def validation_vectors():
    cfg = {"endpoint": ENDPOINTS[0], "project_id": PROJECTS[0],
           "credentials": {"ak": AK, "sk": SK}, "algorithm": "SDK-HMAC-SHA256"}
    at = "20240806T101010Z"
    rows = [
        ("UpdateSecret-rotation-period-5h", "UpdateSecret",
         {"secret_name": "demo-secret", "auto_rotation": True, "rotation_period": "5h"}, "rotation_period"),
        ("UpdateSecret-rotation-period-8761h", "UpdateSecret",
         {"secret_name": "demo-secret", "auto_rotation": True, "rotation_period": "8761h"}, "rotation_period"),
        ("UpdateSecret-rotation-period-abc", "UpdateSecret",
         {"secret_name": "demo-secret", "rotation_period": "abc"}, "rotation_period"),
        ("CreateSecret-rotation-period-366d", "CreateSecret",
         {"name": "demo-secret", "secret_string": "v", "auto_rotation": True, "rotation_period": "366d"},
         "rotation_period"),
        ("UpdateSecret-description-2049-bytes", "UpdateSecret",
         {"secret_name": "demo-secret", "description": "\u4e2d" * 683}, "description"),
        ("CreateSecret-description-2049-bytes", "CreateSecret",
         {"name": "demo-secret", "secret_string": "v", "description": "\u4e2d" * 682 + "abc"}, "description"),
        ("UpdateSecret-event-subscriptions-2", "UpdateSecret",
         {"secret_name": "demo-secret", "event_subscriptions": ["ev-1", "ev-2"]}, "event_subscriptions"),
        ("CreateSecret-event-subscriptions-2", "CreateSecret",
         {"name": "demo-secret", "secret_string": "v", "event_subscriptions": ["ev-1", "ev-2"]},
         "event_subscriptions"),
        ("CreateSecret-name-bad-chars", "CreateSecret",
         {"name": "bad name!", "secret_string": "v"}, "name"),
        ("CreateSecret-name-65-chars", "CreateSecret",
         {"name": "a" * 65, "secret_string": "v"}, "name"),
        ("CreateSecret-name-empty", "CreateSecret",
         {"name": "", "secret_string": "v"}, "name"),
        ("CreateSecret-name-missing", "CreateSecret",
         {"secret_string": "v"}, "name"),
        ("CreateSecret-both-string-and-binary", "CreateSecret",
         {"name": "demo-secret", "secret_string": "v", "secret_binary": "dg=="}, "secret_string"),
        ("CreateSecret-neither-string-nor-binary", "CreateSecret",
         {"name": "demo-secret"}, "secret_string"),
        ("CreateSecret-binary-not-base64", "CreateSecret",
         {"name": "demo-secret", "secret_binary": "not base64!"}, "secret_binary"),
        ("CreateSecret-string-32769-bytes", "CreateSecret",
         {"name": "demo-secret", "secret_string": SECRET_32K + "x"}, "secret_string"),
        ("CreateSecretVersion-both-string-and-binary", "CreateSecretVersion",
         {"secret_name": "demo-secret", "secret_string": "v", "secret_binary": "dg=="}, "secret_string"),
        ("CreateSecretVersion-binary-not-base64", "CreateSecretVersion",
         {"secret_name": "demo-secret", "secret_binary": "%%%"}, "secret_binary"),
        ("ShowSecret-secret-name-missing", "ShowSecret", {}, "secret_name"),
        ("DeleteSecretForSchedule-recovery-6", "DeleteSecretForSchedule",
         {"secret_name": "demo-secret", "recovery_window_in_days": 6}, "recovery_window_in_days"),
        ("DeleteSecretForSchedule-recovery-31", "DeleteSecretForSchedule",
         {"secret_name": "demo-secret", "recovery_window_in_days": 31}, "recovery_window_in_days"),
        ("BatchCreateOrDeleteTags-action-update", "BatchCreateOrDeleteTags",
         {"secret_id": "bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e", "tags": [{"key": "env", "value": "prod"}],
          "action": "update"}, "action"),
        ("CreateSecret-secret-type-RDS", "CreateSecret",
         {"name": "demo-secret", "secret_string": "v", "secret_type": "RDS"}, "secret_type"),
        ("CreateSecretEvent-name-bad-chars", "CreateSecretEvent",
         {"name": "bad name!", "event_types": ["SECRET_ROTATED"], "state": "ENABLED", "notification": NOTIF},
         "name"),
        ("ListUsers-limit-101", "ListUsers", {"offset": 0, "limit": 101}, "limit"),
    ]
    out = []
    for suffix, op, inp, field in rows:
        out.append(OrderedDict([
            ("id", "validation-%s" % suffix), ("kind", "build"), ("config", cfg), ("operation", op),
            ("input", inp), ("at", at), ("expect", {"error": {"kind": "validation", "field": field}})]))
    assert len("\u4e2d".encode("utf-8") * 683) == 2049
    return out


def write(path, vectors):
    with open(path, "w", encoding="utf-8") as f:
        f.write('{"vectors": [\n')
        for i, v in enumerate(vectors):
            f.write(json.dumps(v, ensure_ascii=False))
            f.write(",\n" if i + 1 < len(vectors) else "\n")
        f.write("]}\n")
    with open(path, encoding="utf-8") as f:
        assert len(json.load(f)["vectors"]) == len(vectors)


def main():
    vectors, summary = build_vectors()
    write(OUT_BUILD, vectors)
    vals = validation_vectors()
    write(OUT_VALIDATION, vals)
    print("%-30s %3s %-6s %-32s %s" % ("operation", "n", "method", "Content-Type", "body"))
    for op, s in summary.items():
        print("%-30s %3d %-6s %-32s %s" % (op, s["n"], s["method"], s["content_type"], ",".join(sorted(s["bodies"]))))
    print("%d build vectors for %d operations -> %s" % (len(vectors), len(summary), os.path.normpath(OUT_BUILD)))
    print("%d validation vectors -> %s" % (len(vals), os.path.normpath(OUT_VALIDATION)))


if __name__ == "__main__":
    main()
