#!/usr/bin/env bash
# Checks of deploy/ for CI (`bash deploy/ci-checks.sh` from any directory; runs as root in CI).
#
# 1. systemd unit: `systemd-analyze verify` (installs the distribution's systemd package when it
#    is missing). verify refuses a unit whose ExecStart binary does not exist, so it checks a
#    temporary copy that differs from deploy/systemd/zorgsignaal.service only in the ExecStart
#    path, which points at the binary cargo built. Any message from verify fails the check.
# 2. Configurations: the demo configuration and the container's environment defaults pass
#    `zorgsignaal check-config`; the install script and this script parse (bash -n, shellcheck
#    when installed).
# 3. Container image: tries `podman build`, then `buildah bud` (installing podman from the
#    distribution when no engine is present), first probing that the engine can build at all (a
#    scratch image with a RUN step; default isolation, else chroot isolation). When no engine can run here, or the base images cannot be fetched, it says
#    so and does NOT claim a build; the Containerfile and compose
#    file then get a structural lint instead. A build that starts and fails is a failure.
#
# Environment: ZORGSIGNAAL_BIN (default: target/release/zorgsignaal, else target/debug/zorgsignaal,
# else `cargo build --bin zorgsignaal`), DEPLOY_SKIP_IMAGE=1 to skip step 3 entirely.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== deploy: %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }
die() { echo "DEPLOY CHECK FAILED: $*" >&2; exit 1; }
note() { echo "NOTE: $*"; }

apt_install() {
    if [ -z "${APT_UPDATED:-}" ]; then
        apt-get update -qq || return 1
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

UNIT=deploy/systemd/zorgsignaal.service
CONTAINERFILE=deploy/container/Containerfile
COMPOSE=deploy/compose.yaml
UNIT_BIN=/usr/local/bin/zorgsignaal
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- the binary -------------------------------------------------------------------------------
step "binary"
BIN=${ZORGSIGNAAL_BIN:-}
if [ -z "$BIN" ]; then
    for candidate in target/release/zorgsignaal target/debug/zorgsignaal; do
        if [ -x "$candidate" ]; then BIN=$candidate; break; fi
    done
fi
if [ -z "$BIN" ]; then
    cargo build --quiet --bin zorgsignaal
    BIN=target/debug/zorgsignaal
fi
BIN=$(realpath "$BIN")
echo "using $BIN"

# --- 1. systemd unit ----------------------------------------------------------------------------
step "systemd-analyze verify $UNIT"
if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "systemd-analyze missing: installing the distribution's systemd package"
    apt_install systemd || die "cannot install systemd"
fi
command -v curl >/dev/null 2>&1 || apt_install curl || die "cannot install curl (ExecStartPost uses it)"
systemd-analyze --version | head -n 1
grep -q "^ExecStart=$UNIT_BIN " "$UNIT" || die "ExecStart of $UNIT does not start with $UNIT_BIN"
sed "s#^ExecStart=$UNIT_BIN #ExecStart=$BIN #" "$UNIT" >"$tmp/zorgsignaal.service"
# The copy differs in exactly one line, the ExecStart path.
changed=$(diff "$UNIT" "$tmp/zorgsignaal.service" | grep -c '^>' || true)
[ "$changed" -eq 1 ] || die "the verified copy differs from $UNIT in $changed lines, expected 1"
verify_out=$(systemd-analyze verify --man=no "$tmp/zorgsignaal.service" 2>&1) \
    || die "systemd-analyze verify failed:
$verify_out"
[ -z "$verify_out" ] || die "systemd-analyze verify printed warnings:
$verify_out"
echo "systemd-analyze verify: ok (unit as shipped, ExecStart path -> $BIN)"
if systemd-analyze security --help >/dev/null 2>&1 \
    && out=$(systemd-analyze security --offline=true "$tmp/zorgsignaal.service" 2>&1); then
    echo "$out" | tail -n 1
fi

# --- 2. configurations and scripts --------------------------------------------------------------
step "configurations and scripts"
"$BIN" --config deploy/demo/zorgsignaal.toml check-config >/dev/null \
    || die "deploy/demo/zorgsignaal.toml does not pass check-config"
echo "deploy/demo/zorgsignaal.toml: check-config ok"
# The Containerfile's ENV defaults on top of the shipped configuration.
container_env=()
while IFS= read -r kv; do container_env+=("$kv"); done < <(
    awk '/^ENV /{f=1; sub(/^ENV /,"")} f{line=$0; cont=sub(/\\$/,"",line); n=split(line,a," ");
         for(i=1;i<=n;i++) if (a[i] ~ /=/) print a[i]; if(!cont) f=0}' "$CONTAINERFILE")
[ "${#container_env[@]}" -gt 0 ] || die "no ENV found in $CONTAINERFILE"
# The data dir of the image does not exist here: put it in the temp dir.
mapped=()
for kv in "${container_env[@]}"; do mapped+=("${kv//\/var\/lib\/zorgsignaal/$tmp}"); done
env -i PATH="$PATH" "${mapped[@]}" "$BIN" --config config/zorgsignaal.toml check-config >/dev/null \
    || die "the Containerfile's ENV defaults do not pass check-config"
echo "Containerfile ENV defaults over config/zorgsignaal.toml: check-config ok"
for script in deploy/systemd/install.sh deploy/ci-checks.sh; do
    bash -n "$script" || die "$script does not parse"
done
if command -v shellcheck >/dev/null 2>&1; then
    shellcheck deploy/systemd/install.sh deploy/ci-checks.sh || die "shellcheck"
    echo "shellcheck: ok"
else
    note "shellcheck not installed: scripts checked with bash -n only"
fi
# Secrets stay out of git: the env files compose and systemd read are ignored, the example
# holds names only.
for f in deploy/.env deploy/zorgsignaal.env deploy/zorgsignaal.toml; do
    git check-ignore -q "$f" || die "$f is not git-ignored"
done
if grep -Ev '^\s*(#|$)' deploy/env.example | grep -Ev '^[A-Z0-9_]+=$'; then
    die "deploy/env.example must list names with empty values only"
fi
echo "secrets: env files git-ignored, env.example holds names only"

# --- 3. container image -------------------------------------------------------------------------
lint_containerfile() {
    local f=$CONTAINERFILE problems=()
    local froms stages final_from final_user
    froms=$(grep -cE '^FROM ' "$f")
    [ "$froms" -ge 2 ] || problems+=("not multi-stage ($froms FROM lines)")
    stages=$(grep -E '^FROM ' "$f" | sed -nE 's/.* AS ([a-z0-9_-]+)$/\1/p')
    grep -E '^FROM ' "$f" | grep -qE ':latest( |$)' && problems+=("a base image uses :latest")
    grep -E '^FROM ' "$f" | grep -vqE ':[^ ]+' && problems+=("a base image has no tag")
    while read -r from; do
        echo "$stages" | grep -qx "$from" || problems+=("COPY --from=$from names no stage")
    done < <(sed -nE 's/^COPY --from=([a-z0-9_-]+).*/\1/p' "$f")
    # The final stage: everything after the last FROM.
    local final
    final=$(awk '/^FROM /{buf=""} {buf=buf $0 "\n"} END{printf "%s", buf}' "$f")
    final_from=$(echo "$final" | head -n 1)
    echo "$final_from" | grep -qi 'rust:' && problems+=("the runtime stage is the Rust build image")
    final_user=$(echo "$final" | sed -nE 's/^USER ([^ ]+).*/\1/p' | tail -n 1)
    case "${final_user%%:*}" in
        "") problems+=("no USER in the runtime stage") ;;
        root|0) problems+=("runtime USER is root") ;;
    esac
    echo "$final" | grep -qE '^HEALTHCHECK .*' || problems+=("no HEALTHCHECK in the runtime stage")
    echo "$final" | grep -A2 -E '^HEALTHCHECK' | grep -q '/healthz' || problems+=("HEALTHCHECK does not probe /healthz")
    echo "$final" | grep -qE '^VOLUME .*/var/lib/zorgsignaal' || problems+=("data dir is not a VOLUME")
    echo "$final" | grep -qE '^ENTRYPOINT \[' || problems+=("ENTRYPOINT not in exec form")
    echo "$final" | grep -qE '^EXPOSE 8080' || problems+=("EXPOSE 8080 missing")
    grep -qE '^ADD +https?://' "$f" && problems+=("ADD of a remote URL")
    # Each `--bin NAME` of the builder's cargo command is a binary of a package it selects (-p).
    local cargo_line packages bins bin
    cargo_line=$(grep -E '^\s+cargo build ' "$f" | head -n 1)
    packages=$(echo "$cargo_line" | grep -oE -- '-p [a-z0-9_-]+' | awk '{print $2}')
    bins=$(cargo metadata --no-deps --format-version 1 --offline 2>/dev/null | jq -r --arg p "$packages" \
        '.packages[] | select(.name as $n | ($p | split("\n")) | index($n)) | .targets[]
         | select(.kind | index("bin")) | .name')
    for bin in $(echo "$cargo_line" | grep -oE -- '--bin [a-z0-9_-]+' | awk '{print $2}'); do
        echo "$bins" | grep -qx "$bin" || problems+=("cargo build --bin $bin: no such binary in -p ${packages//$'\n'/ -p }")
    done
    echo "$cargo_line" | grep -qE -- '--bin ' || problems+=("no cargo build --bin in the builder")
    if grep -qE 'apt-get install' "$f" && ! grep -q 'rm -rf /var/lib/apt/lists' "$f"; then
        problems+=("apt lists not cleaned")
    fi
    if grep -E '^(ENV|ARG)|^\s+[A-Z0-9_]+=' "$f" | grep -iE '(PASSWORD|SECRET|TOKEN|_KEY)[A-Z0-9_]*=' >/dev/null; then
        problems+=("a secret-looking ENV/ARG has a value")
    fi
    grep -qE '^COPY \. ' "$f" && { [ -f .containerignore ] && grep -qx 'target/' .containerignore \
        || problems+=("COPY . without .containerignore excluding target/"); }
    # compose: secrets only through ${...} from the ignored env file.
    if grep -nE '(PASSWORD|SECRET|_KEY)[A-Z0-9_]*: ' "$COMPOSE" | grep -vE ': \$\{[A-Z0-9_]+(:[?-][^}]*)?\}$' \
        | grep -vE 'postgres://zorgsignaal:\$\{POSTGRES_PASSWORD'; then
        problems+=("compose sets a secret without \${...}")
    fi
    grep -qE '^\s+profiles: \[demo\]' "$COMPOSE" || problems+=("compose has no demo profile")
    if [ ${#problems[@]} -gt 0 ]; then
        printf 'Containerfile lint: %s\n' "${problems[@]}" >&2
        return 1
    fi
    echo "Containerfile lint: ok (multi-stage: $froms FROM; runtime USER $final_user; HEALTHCHECK /healthz;"
    echo "  VOLUME data dir; no secrets in ENV/ARG; compose secrets only via \${...})"
}

step "container image"
command -v jq >/dev/null 2>&1 || apt_install jq || die "cannot install jq (the lint reads cargo metadata with it)"
lint_containerfile || die "Containerfile/compose lint"
if [ "${DEPLOY_SKIP_IMAGE:-}" = 1 ]; then
    note "DEPLOY_SKIP_IMAGE=1: container image NOT built (lint only)"
    exit 0
fi
engine=""
command -v podman >/dev/null 2>&1 && engine=podman
[ -z "$engine" ] && command -v buildah >/dev/null 2>&1 && engine=buildah
if [ -z "$engine" ]; then
    echo "no container engine: installing podman from the distribution"
    if apt_install podman; then engine=podman; else note "cannot install podman"; fi
fi
if [ -z "$engine" ]; then
    note "container image NOT built: no container engine available here; Containerfile linted only"
    exit 0
fi
if ! info=$("$engine" info 2>&1); then
    note "container image NOT built: $engine cannot run in this environment:"
    echo "$info" | tail -n 5 | sed 's/^/    /'
    note "Containerfile linted only"
    exit 0
fi
# Can the engine build at all here (storage, namespaces, running a RUN step)? The probe needs no
# registry: a scratch image holding /bin/true and its libraries, which RUNs it. Sandboxed CI
# machines often cannot start an OCI runtime (no setrlimit, no namespaces); chroot isolation
# then still works, and the real build uses whichever isolation the probe needed.
probe_ctx="$tmp/probe"
for f in /bin/true $(ldd /bin/true | grep -o '/[^ ]*'); do
    install -D -m 0755 "$(realpath "$f")" "$probe_ctx$f"
done
printf 'FROM scratch\nCOPY . /\nRUN ["/bin/true"]\n' >"$probe_ctx/Containerfile"
build_cmd() {
    case $engine in
        podman) echo podman build ;;
        buildah) echo buildah bud ;;
    esac
}
isolation=""
for iso in default chroot; do
    opts=()
    [ "$iso" = chroot ] && opts=(--isolation=chroot)
    # shellcheck disable=SC2046 # the command is two words on purpose
    if probe_out=$($(build_cmd) "${opts[@]}" -q -t localhost/zorgsignaal-probe:ci "$probe_ctx" 2>&1); then
        isolation=$iso
        "$engine" rmi -f localhost/zorgsignaal-probe:ci >/dev/null 2>&1 || true
        break
    fi
    echo "$engine build with $iso isolation cannot run a RUN step here:"
    echo "$probe_out" | tail -n 2 | sed 's/^/    /'
done
if [ -z "$isolation" ]; then
    note "container image NOT built: $engine cannot build an image with a RUN step in this environment"
    note "Containerfile linted only"
    exit 0
fi
echo "$engine can build images here (probe with a RUN step, $isolation isolation)"
build_opts=()
[ "$isolation" = chroot ] && build_opts=(--isolation=chroot)
base=$(sed -nE 's/^ARG RUST_VERSION=(.*)/\1/p' "$CONTAINERFILE")
release=$(sed -nE 's/^ARG DEBIAN_RELEASE=(.*)/\1/p' "$CONTAINERFILE")
if ! pull=$("$engine" pull "docker.io/library/rust:${base}-${release}" 2>&1); then
    note "container image NOT built: $engine runs, but the base image rust:${base}-${release} cannot be fetched:"
    echo "$pull" | tail -n 3 | sed 's/^/    /'
    note "Containerfile linted only"
    exit 0
fi
# shellcheck disable=SC2046 # the command is two words on purpose
$(build_cmd) "${build_opts[@]}" -f "$CONTAINERFILE" -t localhost/zorgsignaal:ci . \
    || die "$(build_cmd) of $CONTAINERFILE failed"
echo "container image built with $engine ($isolation isolation): localhost/zorgsignaal:ci"
