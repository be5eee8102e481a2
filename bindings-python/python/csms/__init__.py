"""Huawei Cloud CSMS (secret management) client: a typed Python API over the csms-core Rust core.

    import csms
    client = csms.Client(region="cn-north-4", project_id="...", ak="...", sk="...")
    client.update_secret(secret_name="db-password", description="primary database")

See README.md (or help(csms.Client)) for the low-level calls, errors, transports and async.
"""

from . import _native
from ._errors import (
    ApiError,
    CredentialsError,
    CsmsError,
    DecodeError,
    RotationError,
    TransportError,
    ValidationError,
)

_native.set_error_classes(CsmsError, ValidationError, ApiError, DecodeError, TransportError, CredentialsError,
                          RotationError)

from ._client import (  # noqa: E402
    AsyncClient,
    AsyncPages,
    Client,
    Pages,
    Request,
    Response,
    Signer,
    operation_names,
    sdk_date,
    verify_signature,
)
from ._credentials import (  # noqa: E402
    CredentialProvider,
    EnvCredentials,
    FunctionCredentials,
    MetadataCredentials,
    ProfileCredentials,
    default_credentials,
)
from ._model import Model  # noqa: E402
from ._native import Credentials  # noqa: E402
from ._models import *  # noqa: E402,F401,F403
from ._models import __all__ as _model_names  # noqa: E402

__version__ = _native.__version__
USER_AGENT = _native.USER_AGENT

#: The type aliases of the stubs, defined at run time on first use (csms/_types.py: they need
#: `typing`, which `import csms` does not load).
_TYPES = ("AsyncTransport", "At", "Headers", "OperationName", "PagedOperationName", "Transport", "TransportResult")

#: The secret cache and rotation, imported on first use (the cache needs `threading`).
_LAZY = {"AsyncSecretCache": "_cache", "SecretCache": "_cache", "SecretChange": "_cache",
         "RotationResult": "_rotation", "rotate": "_rotation", "rotate_async": "_rotation"}

__all__ = [
    "ApiError",
    "AsyncClient",
    "AsyncPages",
    "AsyncSecretCache",
    "AsyncTransport",
    "At",
    "Client",
    "CredentialProvider",
    "Credentials",
    "CredentialsError",
    "CsmsError",
    "DecodeError",
    "EnvCredentials",
    "FunctionCredentials",
    "Headers",
    "MetadataCredentials",
    "Model",
    "OperationName",
    "Pages",
    "PagedOperationName",
    "ProfileCredentials",
    "Request",
    "Response",
    "RotationError",
    "RotationResult",
    "SecretCache",
    "SecretChange",
    "Signer",
    "Transport",
    "TransportError",
    "TransportResult",
    "USER_AGENT",
    "ValidationError",
    "default_credentials",
    "operation_names",
    "rotate",
    "rotate_async",
    "sdk_date",
    "verify_signature",
    *_model_names,
]


def __getattr__(name):
    # `csms.transports` without importing it (and http.client) up front.
    if name == "transports":
        import importlib

        return importlib.import_module(".transports", __name__)
    # The type aliases, likewise (and kept once made).
    if name in _TYPES:
        from . import _types

        value = globals()[name] = getattr(_types, name)
        return value
    if name in _LAZY:
        import importlib

        value = globals()[name] = getattr(importlib.import_module("." + _LAZY[name], __name__), name)
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), "transports", *_TYPES, *_LAZY})
