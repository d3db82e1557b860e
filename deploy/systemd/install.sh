#!/usr/bin/env bash
# Install or upgrade Zorgsignaal as a systemd service (docs/OPERATIONS.md, "Install with systemd").
#
#   sudo deploy/systemd/install.sh path/to/zorgsignaal [path/to/zorgsignaal.toml]
#
# Copies the binary to /usr/local/bin, the unit to /etc/systemd/system, creates the system user
# `zorgsignaal`, puts a configuration and an environment file in /etc/zorgsignaal (root:root 0600,
# never overwritten when present), runs `migrate` as the service user, and enables + starts the
# service. Running it again upgrades the binary and the unit and restarts the service.
set -euo pipefail

die() { echo "install.sh: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (sudo)"
[ $# -ge 1 ] || die "usage: install.sh BINARY [CONFIG.toml]"
binary=$1
config=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
[ -x "$binary" ] || die "$binary is not an executable file"
command -v curl >/dev/null || die "curl is needed for the unit's readiness check (apt-get install curl)"

# The service user: no login, no home directory of its own outside the data directory.
if ! id zorgsignaal >/dev/null 2>&1; then
    useradd --system --user-group --home-dir /var/lib/zorgsignaal --no-create-home \
        --shell /usr/sbin/nologin zorgsignaal
fi

install -d -m 0755 -o root -g root /etc/zorgsignaal
install -d -m 0700 -o zorgsignaal -g zorgsignaal /var/lib/zorgsignaal
install -d -m 0755 /usr/local/share/doc/zorgsignaal

# Configuration and secrets: root only. The unit hands the configuration to the service with
# LoadCredential=, so the service user never needs read access to /etc/zorgsignaal.
if [ ! -e /etc/zorgsignaal/zorgsignaal.toml ]; then
    src=${config:-$repo/config/zorgsignaal.toml}
    install -m 0600 -o root -g root "$src" /etc/zorgsignaal/zorgsignaal.toml
    echo "installed $src as /etc/zorgsignaal/zorgsignaal.toml: edit it (schools, keys) before use"
elif [ -n "$config" ]; then
    install -m 0600 -o root -g root "$config" /etc/zorgsignaal/zorgsignaal.toml
fi
if [ ! -e /etc/zorgsignaal/zorgsignaal.env ]; then
    # Every name commented out: an empty value would override the configuration file's value.
    install -m 0600 -o root -g root /dev/null /etc/zorgsignaal/zorgsignaal.env
    sed -E 's/^([A-Z0-9_]+=)/# \1/' "$repo/deploy/env.example" >/etc/zorgsignaal/zorgsignaal.env
    echo "installed /etc/zorgsignaal/zorgsignaal.env: uncomment and fill in the secrets you keep there"
fi
chmod 0600 /etc/zorgsignaal/zorgsignaal.toml /etc/zorgsignaal/zorgsignaal.env

# Refuse to start on a configuration the binary rejects (exit 2 names each bad key).
# The environment file counts too, as it will for the service.
(
    set -a
    # shellcheck disable=SC1091 # the file is created above
    . /etc/zorgsignaal/zorgsignaal.env
    set +a
    "$binary" --config /etc/zorgsignaal/zorgsignaal.toml check-config >/dev/null
) || die "check-config rejected /etc/zorgsignaal/zorgsignaal.toml with /etc/zorgsignaal/zorgsignaal.env (see above)"

was_active=no
systemctl is-active --quiet zorgsignaal.service && was_active=yes
[ "$was_active" = yes ] && systemctl stop zorgsignaal.service

install -m 0755 -o root -g root "$binary" /usr/local/bin/zorgsignaal
install -m 0644 -o root -g root "$here/zorgsignaal.service" /etc/systemd/system/zorgsignaal.service
install -m 0644 -o root -g root "$repo/docs/OPERATIONS.md" /usr/local/share/doc/zorgsignaal/OPERATIONS.md
systemctl daemon-reload

# Schema upgrades run before the new binary serves (running migrate twice changes nothing). It
# runs inside the same sandbox as the service, as the service user, in the data directory.
# shellcheck disable=SC2016 # $CREDENTIALS_DIRECTORY is expanded by the inner shell, on purpose.
systemd-run --quiet --wait --pipe --collect \
    --property=User=zorgsignaal --property=Group=zorgsignaal \
    --property=WorkingDirectory=/var/lib/zorgsignaal \
    --property=LoadCredential=zorgsignaal.toml:/etc/zorgsignaal/zorgsignaal.toml \
    --property=EnvironmentFile=-/etc/zorgsignaal/zorgsignaal.env \
    --property=ProtectSystem=strict --property=ReadWritePaths=/var/lib/zorgsignaal \
    /bin/sh -c 'exec /usr/local/bin/zorgsignaal --config "$CREDENTIALS_DIRECTORY/zorgsignaal.toml" migrate' \
    || die "migrate failed; the service was not (re)started"

systemctl enable --now zorgsignaal.service
systemctl --no-pager --lines=0 status zorgsignaal.service
