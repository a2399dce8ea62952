#!/usr/bin/env bash
# Removes what makes the builder instance one particular machine, so each instance of the image
# starts as new: cloud-init's state, the machine id, the SSH host keys, logs, shell history, and
# any ami-pipeline run state (a stamp left in an image would stop every instance's job). Runs
# last but one; 90-validate.sh checks the result. lib.sh has what all provisioners share.
set -euo pipefail

PROVISIONER=80-cleanup
# shellcheck source=lib.sh
. "${AMI_PROVISIONER_LIB:-$(dirname "${BASH_SOURCE[0]}")/lib.sh}"

root="${AMI_ROOT:-}"
# Commands that act on the running system only run when the target is the running system.
live() { [[ -z "$root" ]]; }

# cloud-init: every instance of the image runs its first-boot stages afresh (the seed stays, and
# so does its configuration in /etc/cloud, 50-launcher.sh's 99-ami-pipeline.cfg included).
if live && command -v cloud-init >/dev/null; then
  cloud-init clean --logs
fi
if [[ -d "$root/var/lib/cloud" ]]; then
  find "$root/var/lib/cloud" -mindepth 1 -maxdepth 1 ! -name seed -exec rm -rf {} +
fi
rm -f "$root"/var/log/cloud-init*.log
log "cloud-init state removed"

# An empty machine-id (not a missing one) makes systemd generate a new id at first boot everywhere.
if [[ -e "$root/etc/machine-id" ]]; then
  : >"$root/etc/machine-id"
fi
if [[ -f "$root/var/lib/dbus/machine-id" && ! -L "$root/var/lib/dbus/machine-id" ]]; then
  rm -f "$root/var/lib/dbus/machine-id"
fi
log "machine-id emptied"

# Each instance makes its own host keys at first boot (cloud-init; sshd-keygen on Amazon Linux).
rm -f "$root"/etc/ssh/ssh_host_*
log "SSH host keys removed"

# Logs: rotated and compressed ones go, the others are emptied in place (their writers keep them
# open). The journal is rotated and vacuumed by journald itself when it runs.
if [[ -d "$root/var/log" ]]; then
  find "$root/var/log" -type f \( -name '*.gz' -o -name '*.xz' -o -name '*.[0-9]' -o -name '*.old' \
    -o -name '*-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]' \) -delete
  find "$root/var/log" -type f ! -path '*/journal/*' -exec truncate -s 0 {} +
fi
if live && command -v journalctl >/dev/null; then
  journalctl --rotate --vacuum-time=1s >/dev/null 2>&1 || true
elif [[ -d "$root/var/log/journal" ]]; then
  find "$root/var/log/journal" -type f -name '*.journal*' -delete
fi
log "logs emptied"

for home in "$root/root" "$root"/home/*; do
  rm -f "$home"/.bash_history "$home"/.zsh_history "$home"/.python_history "$home"/.lesshst \
    "$home"/.viminfo
done
log "shell history removed"

# ami-pipeline run state, e.g. from a base image that was itself an ami-pipeline image.
rm -rf "$root/var/lib/ami-pipeline" "$root/var/log/ami-pipeline"
# The uploaded launcher sources (installed by 50-launcher.sh).
rm -rf "$root/tmp/ami-pipeline-launcher"
log "run state and launcher sources removed"

if live; then
  if command -v apt-get >/dev/null; then
    apt-get -qq clean
  elif command -v dnf >/dev/null; then
    dnf -q clean all
  fi
  log "package caches cleaned"
fi
