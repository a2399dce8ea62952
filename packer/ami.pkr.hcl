# The ami-pipeline image: one amazon-ebs build that installs git, the JDK, the GPU driver, the AWS
# CLI and the first-boot unit (packer/provisioners/, one script per concern), then records the AMI
# ids in a manifest that `ami bake` reads.
#
# Every knob is a variable; `ami bake` sets them from packer/projects/<name>.json. Works with Packer
# 1.6.6 (HCL2, amazon builder built in). With Packer >= 1.7 the driver adds
# plugins/required-plugins.pkr.hcl and runs `packer init` first. What 1.6.6 cannot set (IMDSv2 on the
# AMI, deprecation time) the driver sets through the EC2 API after the build.
#
#   packer build -var project=demo -var ssm_prefix=/ami-pipeline packer/ami.pkr.hcl

# ---- where and from what -------------------------------------------------------------------------

variable "region" {
  type        = string
  default     = "us-east-1"
  description = "Region the builder instance runs in; the AMI is made here first."
}

variable "ami_regions" {
  type        = list(string)
  default     = []
  description = "Further regions that receive a copy of the AMI."
}

variable "source_ami" {
  type        = string
  default     = ""
  description = "The base image id. When set, the source_ami_* filter below is not used."
}

variable "source_ami_owners" {
  type        = list(string)
  default     = ["099720109477"]
  description = "Filter (only when source_ami is empty): accounts that own the base image (Canonical)."
}

variable "source_ami_name" {
  type        = string
  default     = "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*"
  description = "Filter (only when source_ami is empty): image name pattern."
}

variable "source_ami_architecture" {
  type        = string
  default     = "x86_64"
  description = "Filter (only when source_ami is empty): x86_64 or arm64."
}

variable "source_ami_most_recent" {
  type        = bool
  default     = true
  description = "Filter (only when source_ami is empty): take the newest match."
}

variable "instance_type" {
  type    = string
  default = "t3.medium"
}

variable "root_device_name" {
  type        = string
  default     = "/dev/sda1"
  description = "The base image's root device (Ubuntu: /dev/sda1, Amazon Linux: /dev/xvda)."
}

variable "root_volume_size" {
  type        = number
  default     = 0
  description = "Root volume size in GiB; 0 keeps the base image's size and type."
}

variable "root_volume_type" {
  type    = string
  default = "gp3"
}

variable "root_volume_iops" {
  type        = number
  default     = 0
  description = "0 = the volume type's baseline (3000 for gp3, io1 and io2)."
}

variable "root_volume_throughput" {
  type        = number
  default     = 0
  description = "MiB/s, gp3 only; 0 = the baseline 125."
}

variable "encrypt_boot" {
  type    = bool
  default = true
}

variable "custom_endpoint_ec2" {
  type        = string
  default     = ""
  description = "Send EC2 calls here instead of AWS (a local emulator); empty = AWS."
}

# Packer's SDK retries a throttled call 3 times by default, waiting 0.5-1 s, then twice as long each
# time; 6 retries ride out heavy throttling and still give up within about a minute.
variable "max_retries" {
  type        = number
  default     = 6
  description = "Retries of a throttled or failed EC2 call before Packer gives up."
}

# ---- how Packer reaches the builder --------------------------------------------------------------

variable "communicator" {
  type        = string
  default     = "ssh"
  description = "ssh, or none: nothing to connect to (local emulator), so no provisioner runs."
}

variable "ssh_username" {
  type    = string
  default = "ubuntu"
}

variable "ssh_host" {
  type        = string
  default     = ""
  description = "Connect here instead of the builder's address (a bastion, a local sshd); empty = the builder."
}

variable "ssh_port" {
  type    = number
  default = 22
}

variable "ssh_private_key_file" {
  type        = string
  default     = ""
  description = "A key the base image already trusts; empty = a temporary key pair."
}

variable "ssh_keypair_name" {
  type        = string
  default     = ""
  description = "The EC2 key pair of ssh_private_key_file, if the image does not trust it already."
}

variable "ssh_timeout" {
  type    = string
  default = "15m"
}

# ---- what the image is called and tagged ---------------------------------------------------------

variable "ami_name" {
  type        = string
  default     = ""
  description = "Must be unique in the account and region; empty = ami-pipeline-<UTC stamp>."
}

variable "ami_description" {
  type    = string
  default = "ami-pipeline image"
}

variable "tags" {
  type        = map(string)
  default     = {}
  description = "Tags on the AMI (in every region)."
}

variable "snapshot_tags" {
  type        = map(string)
  default     = {}
  description = "Tags on the AMI's EBS snapshots."
}

variable "run_tags" {
  type        = map(string)
  default     = {}
  description = "Tags on the temporary builder instance."
}

variable "manifest_path" {
  type        = string
  default     = "packer-manifest.json"
  description = "Where the manifest post-processor writes the AMI ids per region."
}

# ---- what the provisioners install (the environment of every script) ----------------------------

variable "project" {
  type    = string
  default = ""
}

variable "ssm_prefix" {
  type    = string
  default = "/ami-pipeline"
}

variable "install_git" {
  type    = bool
  default = true
}

variable "jdk_version" {
  type        = number
  default     = 17
  description = "JDK feature release to install; 0 = none."
}

variable "nvidia_driver" {
  type    = bool
  default = false
}

variable "extra_packages" {
  type    = list(string)
  default = []
}

variable "provisioners_dir" {
  type        = string
  default     = ""
  description = "The provisioner scripts; empty = provisioners/ beside this file."
}

variable "launcher_dir" {
  type        = string
  default     = ""
  description = "The files shipped into the image; empty = launcher/ beside the packer/ folder."
}

locals {
  ami_name         = var.ami_name != "" ? var.ami_name : "ami-pipeline-${formatdate("YYYYMMDDhhmmss", timestamp())}"
  provisioners_dir = var.provisioners_dir != "" ? var.provisioners_dir : "${path.root}/provisioners"
  launcher_dir     = var.launcher_dir != "" ? var.launcher_dir : "${path.root}/../launcher"
  launcher_upload  = "/tmp/ami-pipeline-launcher"
  library_upload   = "/tmp/ami-pipeline-provisioners/lib.sh"

  # With communicator = "none" there is nothing to run commands on, so every provisioner is
  # skipped for this build. Packer 1.6.6 evaluates only/except with variables, and skipped
  # provisioners are not even prepared (their files need not exist).
  skip_provisioning = var.communicator == "none" ? ["amazon-ebs.image"] : []

  provisioner_env = [
    "AMI_PROJECT=${var.project}",
    "AMI_SSM_PREFIX=${var.ssm_prefix}",
    "AMI_INSTALL_GIT=${var.install_git}",
    "AMI_JDK_VERSION=${var.jdk_version}",
    "AMI_NVIDIA_DRIVER=${var.nvidia_driver}",
    "AMI_EXTRA_PACKAGES=${join(" ", var.extra_packages)}",
    "AMI_LAUNCHER_SRC=${local.launcher_upload}",
    "AMI_PROVISIONER_LIB=${local.library_upload}",
  ]
}

source "amazon-ebs" "image" {
  region              = var.region
  ami_regions         = var.ami_regions
  custom_endpoint_ec2 = var.custom_endpoint_ec2
  max_retries         = var.max_retries
  instance_type       = var.instance_type
  source_ami          = var.source_ami

  dynamic "source_ami_filter" {
    for_each = var.source_ami == "" ? [1] : []
    content {
      owners      = var.source_ami_owners
      most_recent = var.source_ami_most_recent
      filters = {
        name                = var.source_ami_name
        architecture        = var.source_ami_architecture
        state               = "available"
        virtualization-type = "hvm"
      }
    }
  }

  dynamic "launch_block_device_mappings" {
    for_each = var.root_volume_size > 0 ? [1] : []
    content {
      device_name           = var.root_device_name
      volume_size           = var.root_volume_size
      volume_type           = var.root_volume_type
      iops                  = contains(["gp3", "io1", "io2"], var.root_volume_type) ? (var.root_volume_iops > 0 ? var.root_volume_iops : 3000) : null
      throughput            = var.root_volume_type == "gp3" ? (var.root_volume_throughput > 0 ? var.root_volume_throughput : 125) : null
      delete_on_termination = true
    }
  }

  encrypt_boot    = var.encrypt_boot
  ami_name        = local.ami_name
  ami_description = var.ami_description
  tags            = var.tags
  snapshot_tags   = var.snapshot_tags
  run_tags        = var.run_tags

  # AMI names are unique per bake, so this never deregisters anything; it skips Packer's AMI name
  # pre-check, the one call Packer makes without retrying it when throttled.
  force_deregister = true

  communicator              = var.communicator
  ssh_username              = var.ssh_username
  ssh_host                  = var.ssh_host
  ssh_port                  = var.ssh_port
  ssh_private_key_file      = var.ssh_private_key_file
  ssh_keypair_name          = var.ssh_keypair_name
  ssh_timeout               = var.ssh_timeout
  ssh_clear_authorized_keys = true
}

build {
  sources = ["source.amazon-ebs.image"]

  # The file provisioner needs its destination folders to exist.
  provisioner "shell" {
    inline = ["mkdir -p ${local.launcher_upload} ${dirname(local.library_upload)}"]
    except = local.skip_provisioning
  }

  # Packer uploads each script alone; what they share travels separately.
  provisioner "file" {
    source      = "${local.provisioners_dir}/lib.sh"
    destination = local.library_upload
    except      = local.skip_provisioning
  }

  provisioner "file" {
    source      = "${local.launcher_dir}/"
    destination = "${local.launcher_upload}/"
    except      = local.skip_provisioning
  }

  provisioner "shell" {
    execute_command  = "sudo -E env {{ .Vars }} bash '{{ .Path }}'"
    environment_vars = local.provisioner_env
    scripts = [
      "${local.provisioners_dir}/10-git.sh",
      "${local.provisioners_dir}/20-jdk.sh",
      "${local.provisioners_dir}/30-nvidia.sh",
      "${local.provisioners_dir}/40-awscli.sh",
      "${local.provisioners_dir}/45-packages.sh",
      "${local.provisioners_dir}/50-launcher.sh",
      "${local.provisioners_dir}/80-cleanup.sh",
      "${local.provisioners_dir}/90-validate.sh",
    ]
    except = local.skip_provisioning
  }

  post-processor "manifest" {
    output     = var.manifest_path
    strip_path = true
    custom_data = {
      project = var.project
    }
  }
}
