#!/bin/sh
# Creates (idempotently) the oracle virtualenv at tests/oracle/.venv with the official
# Huawei Cloud Python SDK (core + CSMS, pinned) and `cryptography`, then prints the path
# of the venv's python. Fast when already done.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
VENV="$HERE/.venv"
PY="$VENV/bin/python"
PKGS="huaweicloudsdkcore==3.1.219 huaweicloudsdkcsms==3.1.219 cryptography"
STAMP="$VENV/.oracle-installed"
WANT="$PKGS"

# Already set up with the same package list and importable: nothing to do.
if [ -x "$PY" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] \
   && "$PY" -c "import huaweicloudsdkcore, huaweicloudsdkcsms, cryptography" >/dev/null 2>&1; then
    echo "$PY"
    exit 0
fi

command -v python3 >/dev/null 2>&1 || { echo "setup.sh: python3 is required (apt-get install -y python3)" >&2; exit 1; }

# `python3 -m venv` needs ensurepip (Debian ships it separately in python3-venv).
if ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
    PYVER=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    echo "setup.sh: python3 lacks ensurepip/venv; on Debian/Ubuntu: apt-get update && apt-get install -y python3-venv (or python$PYVER-venv)" >&2
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup.sh: running as root, installing python3-venv" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update >&2
        apt-get install -y python3-venv >&2 || apt-get install -y "python$PYVER-venv" >&2
    else
        exit 1
    fi
fi

if [ ! -x "$PY" ]; then
    rm -rf "$VENV"
    python3 -m venv "$VENV" >&2
fi

"$PY" -m pip install --disable-pip-version-check -q $PKGS >&2
"$PY" -c "import huaweicloudsdkcore, huaweicloudsdkcsms, cryptography" >&2
printf '%s' "$WANT" > "$STAMP"
echo "$PY"
