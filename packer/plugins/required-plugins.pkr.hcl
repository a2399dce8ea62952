# Packer >= 1.7 only: the amazon builder is a plugin there. `ami bake` adds this file next to
# ami.pkr.hcl and runs `packer init` when the installed Packer is 1.7 or newer; Packer 1.6.6 (Debian)
# has the builder built in and rejects this block, so it must stay out of the file 1.6.6 reads.
packer {
  required_version = ">= 1.7.0"
  required_plugins {
    amazon = {
      version = ">= 1.2.0, < 2.0.0"
      source  = "github.com/hashicorp/amazon"
    }
  }
}
