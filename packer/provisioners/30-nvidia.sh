#!/usr/bin/env bash
# Installs the NVIDIA driver when the project asks for it ("bake.nvidiaDriver"; AMI_NVIDIA_DRIVER).
# lib.sh has what all provisioners share.
#
# Decisions:
# - A builder without an NVIDIA GPU still gets the driver when the project asks: DKMS builds the
#   kernel module from the kernel headers, no GPU needed, and baking on a cheap CPU instance is the
#   point. The log says whether a GPU was seen (vendor 0x10de on the PCI bus). A container builder
#   (local bakes) has no kernel of its own: the step says so and skips.
# - Reboot-safe: nothing is loaded during the bake and no reboot is needed; the module is built for
#   every installed kernel (the one that boots next may not be the one running now) and checked;
#   nouveau is kept off in the initramfs. A second run skips what is already in place.
# - The proprietary kernel module, not NVIDIA's open one: the open module does not drive Volta
#   GPUs (p3 instances). Ubuntu: the 535 server branch; Amazon Linux: NVIDIA's latest-dkms stream.
# - An image that already has the module for each kernel (e.g. a Deep Learning base AMI) is left
#   as it is.
set -euo pipefail

PROVISIONER=30-nvidia
# shellcheck source=lib.sh
. "${AMI_PROVISIONER_LIB:-$(dirname "${BASH_SOURCE[0]}")/lib.sh}"

root="${AMI_ROOT:-}"
# The server LTS branch that Ubuntu 22.04 and 24.04 both package.
readonly UBUNTU_BRANCH=535
# NVIDIA's repository for Amazon Linux 2023 (the driver is not in the distribution).
nvidia_repo_url="${AMI_NVIDIA_REPO_URL:-https://developer.download.nvidia.com/compute/cuda/repos/amzn2023/$(uname -m | sed 's/aarch64/sbsa/')/cuda-amzn2023.repo}"

if [[ "${AMI_NVIDIA_DRIVER:-false}" != true ]]; then
  log "skipped: the project does not ask for the NVIDIA driver"
  exit 0
fi

# A container (e.g. a local bake under systemd-nspawn) runs on the host's kernel and has none of
# its own to build a module for.
container="$(cat "$root/run/systemd/container" 2>/dev/null || true)"
if [[ -n "$container" ]]; then
  if grep -qsx 0x10de "$root"/sys/bus/pci/devices/*/vendor; then
    gpu="an NVIDIA GPU is visible, driven by the host's kernel"
  else
    gpu="no GPU"
  fi
  log "skipped: this builder is a $container container ($gpu); the driver is a kernel module, so only a VM builder gets it"
  exit 0
fi

kernels=()
for dir in "$root"/lib/modules/*/; do
  [[ -d "$dir" ]] && kernels+=("$(basename "$dir")")
done
((${#kernels[@]} > 0)) || { log "error: no kernel under $root/lib/modules"; exit 1; }

# Kernels that have no nvidia module yet.
without_module() {
  local k
  for k in "${kernels[@]}"; do
    modinfo -b "${root:-/}" -k "$k" nvidia >/dev/null 2>&1 || echo "$k"
  done
}

mapfile -t todo < <(without_module)
if ((${#todo[@]} == 0)); then
  log "skipped: the nvidia module is already installed for every kernel (${kernels[*]})"
  exit 0
fi
if grep -qsx 0x10de "$root"/sys/bus/pci/devices/*/vendor; then
  log "an NVIDIA GPU is on the PCI bus"
else
  log "no NVIDIA GPU on this builder's PCI bus: installing the driver anyway (DKMS builds the module without one)"
fi

log "installing the NVIDIA driver for kernels ${todo[*]} on $ID"
case "$ID" in
  ubuntu)
    install_packages "nvidia-headless-$UBUNTU_BRANCH-server" "nvidia-utils-$UBUNTU_BRANCH-server" \
      "${todo[@]/#/linux-headers-}"
    ;;
  debian)
    install_packages nvidia-kernel-dkms nvidia-smi libcuda1 "${todo[@]/#/linux-headers-}" || {
      log "error: installing the driver failed: on Debian it is in the non-free component; enable it in the base image's APT sources"
      exit 1
    }
    ;;
  amzn)
    repo_file="$root/etc/yum.repos.d/cuda-amzn2023.repo"
    if [[ ! -f "$repo_file" ]]; then
      log "adding NVIDIA's repository $nvidia_repo_url"
      curl -fsSL --retry 3 -o "$repo_file" "$nvidia_repo_url"
    fi
    install_packages dkms "${todo[@]/#/kernel-devel-}" "${todo[@]/#/kernel-modules-extra-}"
    dnf -q -y module install nvidia-driver:latest-dkms
    ;;
  *)
    install_packages
    ;;
esac

# nouveau would claim the GPU first at boot.
blacklist="$root/etc/modprobe.d/ami-pipeline-nouveau.conf"
if [[ ! -f "$blacklist" ]]; then
  mkdir -p "$(dirname "$blacklist")"
  printf 'blacklist nouveau\noptions nouveau modeset=0\n' >"$blacklist"
  log "nouveau blacklisted in $blacklist; rebuilding the initramfs"
  if command -v update-initramfs >/dev/null; then
    update-initramfs -u -k all
  elif command -v dracut >/dev/null; then
    dracut --regenerate-all --force
  fi
fi

mapfile -t still < <(without_module)
if ((${#still[@]} > 0)); then
  log "error: no nvidia module for kernel(s) ${still[*]} after the install: see /var/lib/dkms/nvidia/*/build/make.log"
  exit 1
fi
log "the nvidia module is built for every kernel (${kernels[*]})"
