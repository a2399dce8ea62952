# shellcheck shell=bash
# Shared helpers for scripts/*: sourced, never run.

# The repository root, whatever the caller's working directory.
AMI_ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export AMI_ROOT_DIR

log() {
  printf '%s %s\n' "[$(date -u +%H:%M:%S)]" "$*" >&2
}

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Installs Debian packages whose command is missing: ensure_commands packer:packer jq:jq ...
ensure_commands() {
  local missing=() pair cmd pkg
  for pair in "$@"; do
    cmd="${pair%%:*}"
    pkg="${pair##*:}"
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing ${missing[*]} (apt-get)"
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "need root or sudo to install: ${missing[*]}"
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >&2
}

# What ami bake --local-root and ami launch --local need on the host besides root. Installing
# systemd-container may upgrade this machine's systemd.
ensure_local_instance_tools() {
  ensure_commands systemd-nspawn:systemd-container debootstrap:debootstrap zstd:zstd \
    dpkg-scanpackages:dpkg-dev ssh-keygen:openssh-client unshare:util-linux curl:curl
}

# A free TCP port on 127.0.0.1 (free when asked; bind it soon).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# The AWS API emulator comes with Python (moto); it cannot be installed from here without PyPI.
ensure_moto() {
  command -v moto_server >/dev/null 2>&1 && return 0
  python3 -c 'import moto.server' 2>/dev/null && return 0
  die "moto_server not found: install moto (pip install 'moto[server]==5.2.1')"
}

# Builds target/ami.jar when it is missing or older than the sources.
ensure_jar() {
  local jar="$AMI_ROOT_DIR/target/ami.jar"
  if [[ ! -f "$jar" ]] || [[ -n "$(find "$AMI_ROOT_DIR/src/main" "$AMI_ROOT_DIR/pom.xml" -newer "$jar" -print -quit)" ]]; then
    log "building target/ami.jar"
    # Its output only on failure: even quiet, some Maven builds print bare terminal codes.
    local out
    if ! out="$(mvn -B -q -f "$AMI_ROOT_DIR/pom.xml" -DskipTests package 2>&1)"; then
      printf '%s\n' "$out" >&2
      die "building target/ami.jar failed (output above)"
    fi
  fi
}

# Installs the GitHub workflow validator (npm @action-validator/cli, pinned) into a per-user cache
# and prints its path.
ensure_action_validator() {
  local dir="${XDG_CACHE_HOME:-$HOME/.cache}/ami-pipeline/action-validator-0.6.0"
  local bin="$dir/node_modules/.bin/action-validator"
  if [[ ! -x "$bin" ]]; then
    command -v npm >/dev/null 2>&1 || ensure_commands npm:npm
    log "installing @action-validator/cli 0.6.0 (npm)"
    npm install --silent --no-audit --no-fund --prefix "$dir" @action-validator/cli@0.6.0 @action-validator/core@0.6.0 >&2
  fi
  echo "$bin"
}
