#!/usr/bin/env bash
# Builds what local bakes start from, once per machine; the only step of local mode that needs the
# network (a Debian mirror). ami bake --local-root runs it when a piece is missing:
#
#   root-cache.sh base TARBALL SUITE MIRROR REPO_PATH INCLUDE
#       A minimal Debian root (debootstrap --variant=minbase, plus the comma-separated INCLUDE
#       packages) whose APT knows only the local package repository at REPO_PATH, packed as a zstd
#       tarball.
#   root-cache.sh packages BASE_TARBALL DIR SUITE MIRROR REPO_PATH PACKAGE...
#       The .deb files the PACKAGEs need on top of that root, dependencies included, indexed as a
#       flat APT repository (DIR/Packages). Bake containers see DIR read-only at REPO_PATH, so the
#       provisioners' own apt-get update and install run for real and offline.
#
# Each result is built beside its final name and renamed when complete; a failed or interrupted run
# leaves nothing behind.
set -euo pipefail

log() { printf '%s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

tar_create() { tar -C "$1" --numeric-owner --xattrs --xattrs-include='*' -I 'zstd -T0 -3 -q' -cf "$2" .; }
tar_extract() { tar -C "$2" --numeric-owner --xattrs --xattrs-include='*' -I zstd -xpf "$1"; }

base() {
  local tarball="$1" suite="$2" mirror="$3" repo_path="$4" include="$5"
  work="$(mktemp -d "$tarball.XXXXXX.tmp")"
  log "debootstrap $suite from $mirror (minbase + $include)"
  debootstrap --variant=minbase --include="$include" "$suite" "$work/root" "$mirror"
  # A machine takes its hostname from systemd-nspawn; nss-myhostname resolves it.
  rm -f "$work/root/etc/hostname"
  printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$work/root/etc/hosts"
  printf 'deb [trusted=yes] file:%s ./\n' "$repo_path" >"$work/root/etc/apt/sources.list"
  install -d -m 0755 "$work/root$repo_path"
  chroot "$work/root" apt-get clean
  rm -rf "$work/root"/var/lib/apt/lists/*
  log "packing $tarball"
  tar_create "$work/root" "$work/root.tar.zst"
  mv "$work/root.tar.zst" "$tarball"
}

# in_copy WORK REPO_PATH COMMAND...: runs COMMAND in WORK/root with WORK/debs at REPO_PATH.
in_copy() {
  local work="$1" repo_path="$2"
  shift 2
  systemd-nspawn --quiet --register=no --keep-unit --directory="$work/root" --machine="ami-root-cache-$$" \
    --timezone=off --link-journal=no --bind="$work/debs:$repo_path" --setenv=DEBIAN_FRONTEND=noninteractive \
    "$@" </dev/null
}

packages() {
  local base_tarball="$1" dir="$2" suite="$3" mirror="$4" repo_path="$5"
  shift 5
  work="$(mktemp -d "$dir.XXXXXX.tmp")"
  mkdir "$work/root" "$work/debs"
  tar_extract "$base_tarball" "$work/root"
  printf 'deb %s %s main\n' "$mirror" "$suite" >"$work/root/etc/apt/download.list"
  log "downloading $* and their dependencies from $mirror"
  # In a throwaway copy of the base, so that APT resolves against exactly what the root has. One -q:
  # a line per download (ami counts them), no progress bars.
  local apt=(apt-get -q -o Dir::Etc::SourceList=/etc/apt/download.list -o Dir::Etc::SourceParts=-
    -o Dir::Cache::Archives="$repo_path" -o APT::Sandbox::User=root)
  in_copy "$work" "$repo_path" "${apt[@]}" update --error-on=any
  in_copy "$work" "$repo_path" "${apt[@]}" install -y --download-only --no-install-recommends "$@"
  rm -rf "$work/debs/partial" "$work/debs/lock"
  (cd "$work/debs" && dpkg-scanpackages --multiversion . /dev/null >Packages 2>/dev/null)
  log "$(grep -c '^Package:' "$work/debs/Packages") packages in the local repository"
  mv "$work/debs" "$dir"
}

cleanup() {
  [[ -n "${work:-}" ]] && rm -rf "$work"
}
work=""
trap cleanup EXIT
trap 'exit 130' INT TERM

case "${1:-}" in
  base)
    (($# == 6)) || die "usage: $0 base TARBALL SUITE MIRROR REPO_PATH INCLUDE"
    base "${@:2}"
    ;;
  packages)
    (($# >= 7)) || die "usage: $0 packages BASE_TARBALL DIR SUITE MIRROR REPO_PATH PACKAGE..."
    packages "${@:2}"
    ;;
  *) die "usage: $0 base|packages ..." ;;
esac
