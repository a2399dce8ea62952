#!/usr/bin/env bats
# packer/provisioners/*.sh against a builder-like root under AMI_ROOT.
#
# 50-launcher, 80-cleanup and 90-validate run for real on that root. The package steps cannot:
# installing packages needs the network and would change this machine, so apt-get, dnf, their
# package databases (dpkg-query, rpm), modinfo and update-initramfs are fakes first on PATH that
# record how they were called. What is checked there is the script's own logic: the OS it detects,
# the packages it asks for, and what it skips.

bats_require_minimum_version 1.5.0

setup() {
  repo="$(cd "$BATS_TEST_DIRNAME/../../.." && pwd)"
  prov="$repo/packer/provisioners"
  export AMI_ROOT="$BATS_TEST_TMPDIR/root"
  export CALLS="$BATS_TEST_TMPDIR/calls"
  export FAKE_MODULES="$BATS_TEST_TMPDIR/modules"
  export FAKE_INSTALLED=""
  fakebin="$BATS_TEST_TMPDIR/fakebin"
  mkdir -p "$AMI_ROOT/etc" "$fakebin" "$FAKE_MODULES"
  : >"$CALLS"
  os ubuntu

  # Package managers: record the call; "installing" the NVIDIA driver builds the module for every
  # kernel under $AMI_ROOT/lib/modules, as DKMS does (unless FAKE_DKMS_FAILS is set).
  for manager in apt-get dnf; do
    cat >"$fakebin/$manager" <<'FAKE'
#!/usr/bin/env bash
echo "$(basename "$0") $*" >>"$CALLS"
if [[ "$*" == *nvidia* && -z "${FAKE_DKMS_FAILS:-}" ]]; then
  for k in "$AMI_ROOT"/lib/modules/*/; do touch "$FAKE_MODULES/$(basename "$k")"; done
fi
FAKE
  done
  # Package databases: installed means listed in $FAKE_INSTALLED.
  cat >"$fakebin/dpkg-query" <<'FAKE'
#!/usr/bin/env bash
for p in $FAKE_INSTALLED; do [[ "$p" == "${!#}" ]] && { echo "install ok installed"; exit 0; }; done
exit 1
FAKE
  cat >"$fakebin/rpm" <<'FAKE'
#!/usr/bin/env bash
for p in $FAKE_INSTALLED; do [[ "$p" == "${!#}" ]] && exit 0; done
exit 1
FAKE
  # modinfo -b ROOT -k KERNEL nvidia: found when the fake DKMS built it.
  cat >"$fakebin/modinfo" <<'FAKE'
#!/usr/bin/env bash
[[ -e "$FAKE_MODULES/$4" ]]
FAKE
  cat >"$fakebin/update-initramfs" <<'FAKE'
#!/usr/bin/env bash
echo "update-initramfs $*" >>"$CALLS"
FAKE
  chmod +x "$fakebin"/*
  export PATH="$fakebin:$PATH"
}

os() {
  printf 'ID=%s\nPRETTY_NAME="%s"\n' "$1" "$1 test" >"$AMI_ROOT/etc/os-release"
}

kernels() {
  local k
  for k in "$@"; do mkdir -p "$AMI_ROOT/lib/modules/$k"; done
}

calls() {
  cat "$CALLS"
}

# --- package steps ---

@test "10-git: skipped when the project does not ask for git" {
  AMI_INSTALL_GIT=false run -0 bash "$prov/10-git.sh"
  [[ "$output" == *"skipped: the project does not ask for git"* ]]
  [ -z "$(calls)" ]
}

@test "10-git: an installed git is left alone" {
  FAKE_INSTALLED="git" AMI_INSTALL_GIT=true run -0 bash "$prov/10-git.sh"
  [[ "$output" == *"git is already installed"* ]]
  [ -z "$(calls)" ]
}

@test "10-git: apt on Ubuntu and Debian, dnf on Amazon Linux" {
  for id in ubuntu debian; do
    os "$id"
    AMI_INSTALL_GIT=true run -0 bash "$prov/10-git.sh"
  done
  os amzn
  AMI_INSTALL_GIT=true run -0 bash "$prov/10-git.sh"
  run -0 calls
  [ "${lines[0]}" = "apt-get -qq update" ]
  [ "${lines[1]}" = "apt-get -qq -o DPkg::Lock::Timeout=600 install -y --no-install-recommends git" ]
  [ "${lines[3]}" = "${lines[1]}" ]
  [ "${lines[4]}" = "dnf -q -y install git" ]
  [ "${#lines[@]}" -eq 5 ]
}

@test "10-git: an unsupported OS fails naming the supported ones" {
  os alpine
  AMI_INSTALL_GIT=true run -1 bash "$prov/10-git.sh"
  [[ "$output" == *"unsupported OS 'alpine' (Ubuntu 22.04/24.04, Debian 12, Amazon Linux 2023)"* ]]
}

@test "20-jdk: OpenJDK on Ubuntu, Corretto on Amazon Linux, nothing for 0 or when installed" {
  AMI_JDK_VERSION=17 run -0 bash "$prov/20-jdk.sh"
  os amzn
  AMI_JDK_VERSION=21 run -0 bash "$prov/20-jdk.sh"
  AMI_JDK_VERSION=0 run -0 bash "$prov/20-jdk.sh"
  [[ "$output" == *"skipped: the project asks for no JDK"* ]]
  FAKE_INSTALLED="java-21-amazon-corretto-devel" AMI_JDK_VERSION=21 run -0 bash "$prov/20-jdk.sh"
  [[ "$output" == *"java-21-amazon-corretto-devel is already installed"* ]]
  run -0 calls
  [ "${lines[1]}" = "apt-get -qq -o DPkg::Lock::Timeout=600 install -y --no-install-recommends openjdk-17-jdk-headless" ]
  [ "${lines[2]}" = "dnf -q -y install java-21-amazon-corretto-devel" ]
  [ "${#lines[@]}" -eq 3 ]
}

@test "20-jdk: a version that is not a number fails before any install" {
  AMI_JDK_VERSION=17.0.2 run -1 bash "$prov/20-jdk.sh"
  [[ "$output" == *"AMI_JDK_VERSION '17.0.2' is not a JDK feature version"* ]]
  [ -z "$(calls)" ]
}

@test "30-nvidia: skipped unless the project asks for the driver" {
  kernels 6.8.0-1015-aws
  AMI_NVIDIA_DRIVER=false run -0 bash "$prov/30-nvidia.sh"
  [[ "$output" == *"skipped: the project does not ask for the NVIDIA driver"* ]]
  [ -z "$(calls)" ]
}

@test "30-nvidia: a GPU-less Ubuntu builder gets the driver for every installed kernel, nouveau off" {
  kernels 6.8.0-1015-aws 6.8.0-1021-aws
  AMI_NVIDIA_DRIVER=true run -0 bash "$prov/30-nvidia.sh"
  [[ "$output" == *"no NVIDIA GPU on this builder's PCI bus: installing the driver anyway"* ]]
  [[ "$output" == *"the nvidia module is built for every kernel (6.8.0-1015-aws 6.8.0-1021-aws)"* ]]
  run -0 calls
  [ "${lines[1]}" = "apt-get -qq -o DPkg::Lock::Timeout=600 install -y --no-install-recommends nvidia-headless-535-server nvidia-utils-535-server linux-headers-6.8.0-1015-aws linux-headers-6.8.0-1021-aws" ]
  [ "${lines[2]}" = "update-initramfs -u -k all" ]
  grep -qx 'blacklist nouveau' "$AMI_ROOT/etc/modprobe.d/ami-pipeline-nouveau.conf"

  # A second run (e.g. after a reboot of the builder) finds everything in place.
  : >"$CALLS"
  AMI_NVIDIA_DRIVER=true run -0 bash "$prov/30-nvidia.sh"
  [[ "$output" == *"skipped: the nvidia module is already installed for every kernel"* ]]
  [ -z "$(calls)" ]
}

@test "30-nvidia: Amazon Linux uses NVIDIA's repository and DKMS stream; a GPU is reported" {
  os amzn
  kernels 6.1.112-122.189.amzn2023.x86_64
  mkdir -p "$AMI_ROOT/sys/bus/pci/devices/0000:00:1e.0" "$AMI_ROOT/sys/bus/pci/devices/0000:00:03.0"
  echo 0x1d0f >"$AMI_ROOT/sys/bus/pci/devices/0000:00:03.0/vendor"
  echo 0x10de >"$AMI_ROOT/sys/bus/pci/devices/0000:00:1e.0/vendor"
  mkdir -p "$AMI_ROOT/etc/yum.repos.d"
  echo "[cuda-amzn2023-x86_64]" >"$BATS_TEST_TMPDIR/cuda.repo"
  AMI_NVIDIA_REPO_URL="file://$BATS_TEST_TMPDIR/cuda.repo" AMI_NVIDIA_DRIVER=true run -0 bash "$prov/30-nvidia.sh"
  [[ "$output" == *"an NVIDIA GPU is on the PCI bus"* ]]
  grep -q cuda-amzn2023 "$AMI_ROOT/etc/yum.repos.d/cuda-amzn2023.repo"
  run -0 calls
  [ "${lines[0]}" = "dnf -q -y install dkms kernel-devel-6.1.112-122.189.amzn2023.x86_64 kernel-modules-extra-6.1.112-122.189.amzn2023.x86_64" ]
  [ "${lines[1]}" = "dnf -q -y module install nvidia-driver:latest-dkms" ]
}

@test "30-nvidia: a container builder has no kernel of its own: skipped, saying why" {
  mkdir -p "$AMI_ROOT/run/systemd"
  echo systemd-nspawn >"$AMI_ROOT/run/systemd/container"
  AMI_NVIDIA_DRIVER=true run -0 bash "$prov/30-nvidia.sh"
  [[ "$output" == *"skipped: this builder is a systemd-nspawn container (no GPU); the driver is a kernel module"* ]]
  [ -z "$(calls)" ]
}

@test "30-nvidia: fails the bake when DKMS built no module" {
  kernels 6.8.0-1015-aws
  FAKE_DKMS_FAILS=1 AMI_NVIDIA_DRIVER=true run -1 bash "$prov/30-nvidia.sh"
  [[ "$output" == *"error: no nvidia module for kernel(s) 6.8.0-1015-aws after the install"* ]]
}

@test "40-awscli: an installed AWS CLI is left alone" {
  printf '#!/bin/sh\necho aws-cli/2.99.0\n' >"$fakebin/aws"
  chmod +x "$fakebin/aws"
  run -0 bash "$prov/40-awscli.sh"
  [[ "$output" == *"already installed: aws-cli/2.99.0"* ]]
  [ -z "$(calls)" ]
}

@test "40-awscli: Amazon Linux gets awscli-2, Debian awscli; Ubuntu runs AWS's installer into /usr/local" {
  # A PATH without any aws, and an installer archive shaped like AWS's.
  no_aws_path="$fakebin:/usr/sbin:/usr/bin:/sbin:/bin"
  mkdir -p "$BATS_TEST_TMPDIR/zip/aws"
  cat >"$BATS_TEST_TMPDIR/zip/aws/install" <<'FAKE'
#!/usr/bin/env bash
echo "installer $*" >>"$CALLS"
while (($#)); do case "$1" in --bin-dir) bin="$2"; shift ;; esac; shift; done
mkdir -p "$bin" && printf '#!/bin/sh\necho aws-cli/2.0.0-test\n' >"$bin/aws" && chmod +x "$bin/aws"
FAKE
  chmod +x "$BATS_TEST_TMPDIR/zip/aws/install"
  (cd "$BATS_TEST_TMPDIR/zip" && zip -qr ../awscli.zip aws)

  os amzn
  PATH="$no_aws_path" run -0 bash "$prov/40-awscli.sh"
  os debian
  PATH="$no_aws_path" run -0 bash "$prov/40-awscli.sh"
  os ubuntu
  FAKE_INSTALLED="curl unzip ca-certificates" AMI_AWSCLI_URL="file://$BATS_TEST_TMPDIR/awscli.zip" \
    PATH="$no_aws_path" run -0 bash "$prov/40-awscli.sh"
  [[ "$output" == *"installed aws-cli/2.0.0-test"* ]]
  run -0 calls
  [ "${lines[0]}" = "dnf -q -y install awscli-2" ]
  [ "${lines[1]}" = "apt-get -qq update" ]
  [ "${lines[2]}" = "apt-get -qq -o DPkg::Lock::Timeout=600 install -y --no-install-recommends awscli" ]
  [ "${lines[3]}" = "installer --update --install-dir $AMI_ROOT/usr/local/aws-cli --bin-dir $AMI_ROOT/usr/local/bin" ]
  [ "${#lines[@]}" -eq 4 ]
}

@test "45-packages: installs only what is missing" {
  FAKE_INSTALLED="htop" AMI_EXTRA_PACKAGES="htop tmux python3-venv" run -0 bash "$prov/45-packages.sh"
  AMI_EXTRA_PACKAGES="" run -0 bash "$prov/45-packages.sh"
  [[ "$output" == *"skipped: the project asks for no extra packages"* ]]
  run -0 calls
  [ "${lines[1]}" = "apt-get -qq -o DPkg::Lock::Timeout=600 install -y --no-install-recommends tmux python3-venv" ]
  [ "${#lines[@]}" -eq 2 ]
}

@test "45-packages: a name that could be an option or shell syntax installs nothing" {
  for bad in "-oDebug::pkgProblemResolver=1" 'htop;reboot' '$(id)'; do
    AMI_EXTRA_PACKAGES="tmux $bad" run -1 bash "$prov/45-packages.sh"
    [[ "$output" == *"is not a package name; nothing installed"* ]]
  done
  [ -z "$(calls)" ]
}

# --- the launcher, cleanup and validation, for real on the root ---

# A root as a used builder leaves it.
builder_root() {
  local r="$AMI_ROOT"
  mkdir -p "$r/etc/ssh" "$r/var/lib/cloud/instances/i-0abc" "$r/var/lib/cloud/seed" "$r/var/log/apt" \
    "$r/root" "$r/home/ubuntu" "$r/var/lib/ami-pipeline" "$r/var/lib/dbus" "$r/tmp/ami-pipeline-launcher"
  echo 4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99 >"$r/etc/machine-id"
  echo 4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99 >"$r/var/lib/dbus/machine-id"
  for t in rsa ecdsa ed25519; do
    echo key >"$r/etc/ssh/ssh_host_${t}_key"
    echo pub >"$r/etc/ssh/ssh_host_${t}_key.pub"
  done
  ln -s /var/lib/cloud/instances/i-0abc "$r/var/lib/cloud/instance"
  echo seed >"$r/var/lib/cloud/seed/keep"
  echo "boot" >"$r/var/log/cloud-init.log"
  echo "Nov 22 builder sshd" >"$r/var/log/syslog"
  echo "old" >"$r/var/log/syslog.1"
  echo "older" | gzip >"$r/var/log/auth.log.2.gz"
  echo "Start-Date: 2026" >"$r/var/log/apt/history.log"
  echo "sudo apt-get install" >"$r/root/.bash_history"
  echo "ls" >"$r/home/ubuntu/.bash_history"
  echo "2026-01-01T00:00:00Z exited" >"$r/var/lib/ami-pipeline/done"
  cp "$repo/launcher/first-boot" "$r/tmp/ami-pipeline-launcher/"
}

launcher_env() {
  export AMI_SSM_PREFIX=/ami-pipeline AMI_LAUNCHER_SRC="$repo/launcher"
}

@test "50-launcher installs the script, the unit (enabled) and the SSM prefix" {
  launcher_env
  run -0 bash "$prov/50-launcher.sh"
  [ "$(stat -c %a "$AMI_ROOT/opt/ami-pipeline/first-boot")" = 755 ]
  cmp "$repo/launcher/first-boot" "$AMI_ROOT/opt/ami-pipeline/first-boot"
  cmp "$repo/launcher/ami-first-boot.service" "$AMI_ROOT/etc/systemd/system/ami-first-boot.service"
  [ "$(cat "$AMI_ROOT/etc/ami-pipeline/env")" = "AMI_SSM_PREFIX=/ami-pipeline" ]
  [ "$(readlink "$AMI_ROOT/etc/systemd/system/multi-user.target.wants/ami-first-boot.service")" = \
    /etc/systemd/system/ami-first-boot.service ]
  [ "$(systemctl --root="$AMI_ROOT" is-enabled ami-first-boot.service)" = enabled ]
  [ -z "$(calls)" ] # curl and jq are here: nothing to install
  # No cloud-init on this root yet: its setting is written all the same, for a later install.
  [ "$(stat -c %a "$AMI_ROOT/etc/cloud/cloud.cfg.d/99-ami-pipeline.cfg")" = 644 ]
  grep -qx 'allow_userdata: false' "$AMI_ROOT/etc/cloud/cloud.cfg.d/99-ami-pipeline.cfg"

  # Again, with another prefix: the same files, the new prefix.
  AMI_SSM_PREFIX=/team-a/images run -0 bash "$prov/50-launcher.sh"
  [ "$(cat "$AMI_ROOT/etc/ami-pipeline/env")" = "AMI_SSM_PREFIX=/team-a/images" ]
  [ "$(systemctl --root="$AMI_ROOT" is-enabled ami-first-boot.service)" = enabled ]
}

@test "50-launcher installs lib/ beside first-boot, replaced whole on a second install" {
  launcher_env
  run -0 bash "$prov/50-launcher.sh"
  lib="$AMI_ROOT/opt/ami-pipeline/lib"
  [ "$(cd "$repo/launcher/lib" && echo *.sh)" = "$(cd "$lib" && echo *.sh)" ]
  for file in "$repo"/launcher/lib/*.sh; do
    cmp "$file" "$lib/${file##*/}"
    [ "$(stat -c %a "$lib/${file##*/}")" = 644 ]
  done
  # Installed, first-boot finds them: it gets as far as the stamp check.
  mkdir -p "$AMI_ROOT/var/lib/ami-pipeline"
  echo "2026-01-01T00:00:00Z exited" >"$AMI_ROOT/var/lib/ami-pipeline/done"
  run -0 env -u AMI_LAUNCHER_LIB "$AMI_ROOT/opt/ami-pipeline/first-boot"
  [[ "$output" == *"the job already finished on an earlier boot"* ]]

  echo 'old() { :; }' >"$lib/retired.sh"
  run -0 bash "$prov/50-launcher.sh"
  [ ! -e "$lib/retired.sh" ]
  [ -f "$lib/log.sh" ]
}

@test "50-launcher: a bad SSM prefix or missing sources fail and install nothing" {
  launcher_env
  for bad in "" "ami-pipeline" "/aws/reserved" "/a b"; do
    AMI_SSM_PREFIX="$bad" run -1 bash "$prov/50-launcher.sh"
    [[ "$output" == *"AMI_SSM_PREFIX '$bad' is not a parameter path like /ami-pipeline"* ]]
  done
  AMI_LAUNCHER_SRC="$BATS_TEST_TMPDIR/nowhere" run -1 bash "$prov/50-launcher.sh"
  [[ "$output" == *"$BATS_TEST_TMPDIR/nowhere/first-boot is missing: the template uploads the repository's launcher/ folder"* ]]
  mkdir "$BATS_TEST_TMPDIR/no-lib"
  cp "$repo/launcher/first-boot" "$repo/launcher/ami-first-boot.service" "$BATS_TEST_TMPDIR/no-lib/"
  AMI_LAUNCHER_SRC="$BATS_TEST_TMPDIR/no-lib" run -1 bash "$prov/50-launcher.sh"
  [[ "$output" == *"$BATS_TEST_TMPDIR/no-lib/lib/ has no libraries: the template uploads the repository's launcher/ folder, lib/ included"* ]]
  [ ! -e "$AMI_ROOT/opt" ]
  [ ! -e "$AMI_ROOT/etc/systemd" ]
  [ ! -e "$AMI_ROOT/etc/cloud" ]
}

@test "90-validate fails on a builder's leftovers; after 80-cleanup the image passes, twice" {
  builder_root
  launcher_env
  run -0 bash "$prov/50-launcher.sh"

  run -1 bash "$prov/90-validate.sh"
  [[ "$output" == *"problem: /etc/machine-id is not empty"* ]]
  [[ "$output" == *"problem: SSH host key left: /etc/ssh/ssh_host_ed25519_key"* ]]
  [[ "$output" == *"problem: cloud-init state left: /var/lib/cloud/instances"* ]]
  [[ "$output" == *"problem: rotated log left: /var/log/auth.log.2.gz"* ]]
  [[ "$output" == *"problem: shell history left: /home/ubuntu/.bash_history"* ]]
  [[ "$output" == *"problem: ami-pipeline run state left: /var/lib/ami-pipeline"* ]]
  [[ "$output" == *"the image is not ready"* ]]

  run -0 bash "$prov/80-cleanup.sh"
  [ -f "$AMI_ROOT/etc/machine-id" ]
  [ ! -s "$AMI_ROOT/etc/machine-id" ]
  [ ! -e "$AMI_ROOT/var/lib/dbus/machine-id" ]
  [ -z "$(find "$AMI_ROOT/etc/ssh" -name 'ssh_host_*')" ]
  [ "$(ls "$AMI_ROOT/var/lib/cloud")" = seed ]
  [ ! -e "$AMI_ROOT/var/log/cloud-init.log" ]
  [ -f "$AMI_ROOT/var/log/syslog" ]
  [ ! -s "$AMI_ROOT/var/log/syslog" ]
  [ ! -s "$AMI_ROOT/var/log/apt/history.log" ]
  [ ! -e "$AMI_ROOT/var/log/syslog.1" ]
  [ ! -e "$AMI_ROOT/var/log/auth.log.2.gz" ]
  [ ! -e "$AMI_ROOT/root/.bash_history" ]
  [ ! -e "$AMI_ROOT/home/ubuntu/.bash_history" ]
  [ ! -e "$AMI_ROOT/var/lib/ami-pipeline" ]
  [ ! -e "$AMI_ROOT/tmp/ami-pipeline-launcher" ]
  # The launcher and cloud-init's setting are not part of what cleanup removes.
  [ -x "$AMI_ROOT/opt/ami-pipeline/first-boot" ]
  grep -qx 'allow_userdata: false' "$AMI_ROOT/etc/cloud/cloud.cfg.d/99-ami-pipeline.cfg"

  run -0 bash "$prov/90-validate.sh"
  [[ "$output" == *"the image is ready"* ]]
  [[ "$output" != *problem* ]]

  run -0 bash "$prov/80-cleanup.sh"
  run -0 bash "$prov/50-launcher.sh"
  run -0 bash "$prov/90-validate.sh"
}

@test "90-validate: a missing library of first-boot fails the bake" {
  launcher_env
  run -0 bash "$prov/50-launcher.sh"
  rm "$AMI_ROOT/opt/ami-pipeline/lib/imds.sh"
  run -1 bash "$prov/90-validate.sh"
  [[ "$output" == *"problem: /opt/ami-pipeline/first-boot cannot load its libraries from /opt/ami-pipeline/lib: "*"/opt/ami-pipeline/lib/imds.sh: No such file or directory"* ]]
  [[ "$output" == *"1 problem(s)"* ]]
}

@test "90-validate: a disabled unit, another prefix or a missing tool fail the bake" {
  launcher_env
  run -0 bash "$prov/50-launcher.sh"
  systemctl --root="$AMI_ROOT" --quiet disable ami-first-boot.service
  AMI_SSM_PREFIX=/other run -1 bash "$prov/90-validate.sh"
  [[ "$output" == *"problem: ami-first-boot.service is not enabled (is-enabled: disabled)"* ]]
  [[ "$output" == *"problem: /etc/ami-pipeline/env does not say AMI_SSM_PREFIX=/other"* ]]

  # A PATH with every command of this machine but jq.
  farm="$BATS_TEST_TMPDIR/farm"
  mkdir -p "$farm"
  for dir in /usr/local/bin /usr/bin /bin /usr/sbin /sbin; do
    for cmd in "$dir"/*; do
      [ -e "$farm/${cmd##*/}" ] || ln -s "$cmd" "$farm/${cmd##*/}"
    done
  done
  ln -sf "$(command -v aws)" "$farm/aws"
  rm "$farm/jq"
  run -0 bash "$prov/50-launcher.sh" # enable again
  PATH="$fakebin:$farm" run -1 bash "$prov/90-validate.sh"
  [[ "$output" == *"problem: first-boot needs jq, which the image lacks"* ]]
  [[ "$output" == *"1 problem(s)"* ]]
}

@test "50-launcher keeps cloud-init's own files; 90-validate fails without the setting or when a later file sets it back" {
  launcher_env
  mkdir -p "$AMI_ROOT/etc/cloud/cloud.cfg.d"
  echo "datasource_list: [ Ec2, None ]" >"$AMI_ROOT/etc/cloud/cloud.cfg.d/90_dpkg.cfg"
  run -0 bash "$prov/50-launcher.sh"
  [[ "$output" == *"wrote /etc/cloud/cloud.cfg.d/99-ami-pipeline.cfg: cloud-init leaves the user-data to first-boot"* ]]
  [ "$(cat "$AMI_ROOT/etc/cloud/cloud.cfg.d/90_dpkg.cfg")" = "datasource_list: [ Ec2, None ]" ]
  run -0 bash "$prov/90-validate.sh"

  cfg="$AMI_ROOT/etc/cloud/cloud.cfg.d/99-ami-pipeline.cfg"
  sed -i 's/^allow_userdata: false$/allow_userdata: true/' "$cfg"
  run -1 bash "$prov/90-validate.sh"
  [[ "$output" == *"problem: /etc/cloud/cloud.cfg.d/99-ami-pipeline.cfg does not say allow_userdata: false"* ]]

  rm "$cfg"
  run -1 bash "$prov/90-validate.sh"
  [[ "$output" == *"problem: /etc/cloud/cloud.cfg.d/99-ami-pipeline.cfg is missing: cloud-init would try to run the user-data"* ]]
  [[ "$output" == *"1 problem(s)"* ]]

  # Read in name order: a file after ours wins; one before it does not matter.
  run -0 bash "$prov/50-launcher.sh"
  echo "allow_userdata: true" >"$AMI_ROOT/etc/cloud/cloud.cfg.d/10-vendor.cfg"
  run -0 bash "$prov/90-validate.sh"
  echo "allow_userdata: true" >"$AMI_ROOT/etc/cloud/cloud.cfg.d/99-zz-vendor.cfg"
  run -1 bash "$prov/90-validate.sh"
  [[ "$output" == *"problem: /etc/cloud/cloud.cfg.d/99-zz-vendor.cfg sets allow_userdata after /etc/cloud/cloud.cfg.d/99-ami-pipeline.cfg"* ]]
}
