"""Type-checks cleanly under mypy --strict against the stubs (tests/test_typing.py)."""

import asyncio
import datetime

import httpx

import csms
from csms import transports

client = csms.Client(region="cn-north-4", project_id="p", ak="a", sk="s", transport=transports.requests_transport())
r = client.update_secret(secret_name="x", description="d")
name: str | None = r.secret.name if r.secret else None
v = client.show_secret_version(secret_name="x", version_id="latest")
if v.version and v.version.version_metadata:
    stages: list[str] | None = v.version.version_metadata.version_stages
req = client.build_request("UpdateSecret", {"secret_name": "x"}, at=datetime.datetime.now())
res = client.parse_response("RotateSecret", 200, {}, b"{}")
vid: str | None = res.version_id
for page in client.paginate("ListSecrets", limit="2"):
    for s in page.secrets or []:
        print(s.name)
for secret in client.paginate("ListSecrets", limit=2).items():
    state: str | None = secret.state
first: csms.ListSecretsResponse = next(client.paginate("ListSecrets"))
client.batch_create_or_delete_tags(secret_id="i", action="create", tags=[csms.TagItem(key="k", value="v"), {"key": "a"}])
client.list_resource_instances(action="filter", limit=10, offset="0", resource_instances="resource_instances")
try:
    pass
except csms.ApiError as e:
    code: str = e.error_code
    why: str | None = e.not_retried
except csms.TransportError as t:
    sent: bool = t.maybe_sent
    timed_out: bool = t.timed_out
    withheld: str | None = t.not_retried
patient = csms.Client(region="cn-north-4", project_id="p", ak="a", sk="s", max_attempts=5, connect_timeout=2.5,
                      timeout=None, backoff_base=0.2, backoff_cap=5.0,
                      transport=transports.StdlibTransport(connect_timeout=1, timeout=30))
offset: int = patient.clock_offset
slow = csms.TransportError("no answer in 5 s", maybe_sent=False, timed_out=True)


quick: csms.Client = client.with_options(timeout=2.0, max_attempts=1)
print(quick.with_options(timeout=None).show_secret(secret_name="db"))


def my_transport(request: csms.Request) -> csms.TransportResult:
    return (200, [("X-Request-Id", "r")], b"{}")


def via_httpx(request: csms.Request) -> httpx.Response:  # status_code, headers, content
    return httpx.request(request.method, request.url, headers=request.headers, content=request.body)


async def my_async_transport(request: csms.Request) -> csms.TransportResult:
    return csms.Response(200, {}, b"{}")


for transport in (my_transport, via_httpx, lambda request: csms.Response(200, {}, b"{}")):
    csms.Client(region="cn-north-4", project_id="p", ak="a", sk="s", transport=transport)
csms.AsyncClient(region="cn-north-4", project_id="p", ak="a", sk="s", transport=my_async_transport)
csms.AsyncClient(region="cn-north-4", project_id="p", ak="a", sk="s", transport=transports.httpx_async_transport())
started: float = transports.now()


def by_name(operation: csms.OperationName, paged: csms.PagedOperationName) -> None:
    """Operation names known only at run time: a union of every overload's result."""
    result: csms.Model = client.parse_response(operation, 200, {}, b"{}")
    print(result.to_dict(), client.build_request(operation, {}))
    for page in client.paginate(paged):
        print(page.to_dict())

async def main() -> None:
    async with csms.AsyncClient(region="cn-north-4", project_id="p", ak="a", sk="s") as ac:
        rr = await ac.rotate_secret(secret_name="x")
        print(rr.version_id)
        async for p in ac.paginate("ListSecretVersions", secret_name="x"):
            print(p.version_metadatas)
        async for meta in ac.paginate("ListSecretVersions", secret_name="x").items():
            stages: list[str] | None = meta.version_stages


if __name__ == "__main__":
    asyncio.run(main())
signed = csms.Signer("a", "s").sign(req)
csms.verify_signature(signed, ak="a", sk="s")


def credentials_use() -> None:
    """Credential providers and from_env (not run: type-checked only)."""
    from datetime import datetime, timedelta, timezone
    from pathlib import Path

    def vault() -> csms.Credentials:
        return csms.Credentials(ak="a", sk="s", security_token="t",
                                expires_at=datetime.now(timezone.utc) + timedelta(hours=1), project_id="p")

    async def async_vault() -> csms.Credentials:
        return csms.Credentials(auth_token="t", expires_at=1_900_000_000)

    providers: list[csms.CredentialProvider] = [
        csms.EnvCredentials(), csms.EnvCredentials(env={"HUAWEICLOUD_SDK_AK": "a"}),
        csms.ProfileCredentials(), csms.ProfileCredentials(Path("/etc/credentials")),
        csms.MetadataCredentials(endpoint="http://127.0.0.1:8080"), csms.FunctionCredentials(vault, name="vault"),
        csms.FunctionCredentials(async_vault), csms.default_credentials(),
    ]
    for provider in providers:
        print(provider.name, csms.Client(region="cn-north-4", project_id="p", credentials=provider).credentials)
    client_from_env: csms.Client = csms.Client.from_env("cn-north-4", env={"CSMS_ENDPOINT": "x"}, max_attempts=2)
    print(client_from_env.endpoint)
    try:
        client_from_env.list_secrets()
    except csms.CredentialsError as e:
        print(e.provider, e.reason)

    async def run() -> None:
        aclient: csms.AsyncClient = await csms.AsyncClient.from_env()
        print(aclient.credentials)

    asyncio.run(run())


def cache_and_rotation_use() -> None:
    client = csms.Client(endpoint="http://127.0.0.1:8089", project_id="p", ak="a", sk="s")
    with csms.SecretCache(client, ttl=60, max_stale=None) as cache:
        version: csms.Version = cache.get("db", stage="SYSCURRENT")
        print(version.version_metadata.id if version.version_metadata else None)
        text: str | None = cache.get_secret_string("db")
        data: bytes | None = cache.get_secret_binary("db", version_id="v1")
        both: list[csms.Version] = cache.accepted("db")
        print(text, data, both, cache.refresh("db"), len(cache))

        @cache.on_change
        def moved(change: csms.SecretChange) -> None:
            print(change.secret_name, change.stage, change.from_version, change.to_version)

    def apply(new_value: str, previous_value: str) -> None:
        print(len(new_value), len(previous_value))

    result: csms.RotationResult = csms.rotate(client, "db", apply, test=lambda v: bool(v),
                                              strategy="alternating-users")
    print(result.version_id, result.previous_version_id, result.resumed, result.steps)
    try:
        csms.rotate(client, "db", apply, generate=lambda: "p4ss")
    except csms.RotationError as e:
        print(e.step, e.reason)

    async def run() -> None:
        aclient = csms.AsyncClient(endpoint="http://127.0.0.1:8089", project_id="p", ak="a", sk="s")
        async with csms.AsyncSecretCache(aclient) as acache:
            value: str | None = await acache.get_secret_string("db")
            print(value, await acache.accepted("db"))

        async def aapply(new_value: str, previous_value: str) -> None:
            print(new_value == previous_value)

        done: csms.RotationResult = await csms.rotate_async(aclient, "db", aapply)
        print(done.steps)

    asyncio.run(run())
