"""Every line marked `# error:` must be reported by mypy with that code (tests/test_typing.py)."""

import csms
from csms import transports

client = csms.Client(region="cn-north-4", project_id="p", ak="a", sk="s")
client.update_secret(description="d")  # error: call-arg
client.update_secret(secret_name="x", colour="red")  # error: call-arg
client.update_secret(secret_name="x", auto_rotation="yes")  # error: arg-type
client.rotate_secret(secret_name="x").secret  # error: attr-defined
client.create_secret(name="n", secret_string=b"bytes")  # error: arg-type
client.batch_create_or_delete_tags(secret_id="i", action="create", tags=[1])  # error: list-item
client.build_request("UpdateSecret", {}, at=b"20240806T101010Z")  # error: arg-type
client.parse_response("RotateSecret", 200, {}, b"{}").version  # error: attr-defined
csms.Client(region=4)  # error: arg-type
client.paginate("ShowSecret")  # error: call-overload
client.parse_response("UpdateSecrets", 200, {}, b"{}")  # error: call-overload
csms.Client(region="cn-north-4", transport=transports.httpx_async_transport())  # error: arg-type


async def async_transport(request: csms.Request) -> csms.TransportResult:
    return (200, {}, b"{}")


csms.Client(region="cn-north-4", transport=async_transport)  # error: arg-type
csms.TransportError("x", True, None, None, True)  # error: call-arg
csms.TransportError("x", timed_out="yes")  # error: arg-type
client.with_options(timeout="2")  # error: arg-type
client.with_options(2.0)  # error: call-arg
client.paginate("ListSecrets").items().version_id  # error: attr-defined
client.create_secret(name="x", secret_string="y", secret_type="common")  # error: arg-type
client.create_secret_event(name="e", event_types=["SECRET_GONE"], state="ENABLED", notification={})  # error: list-item
