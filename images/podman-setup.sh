#!/usr/bin/env bash
# Makes podman usable for Tandem's container runtime on a Debian machine, from nothing:
# installs podman, runc, mmdebstrap and uidmap when missing, and writes the engine settings
# this kind of machine needs. Safe to run again: it changes nothing when all is in place.
#
# Why these settings:
# - runc: crun (podman's default) refuses hybrid cgroup setups like these CI machines'.
# - default_ulimits: podman asks for nofile=1048576 by default, which fails where the caller
#   lacks CAP_SYS_RESOURCE; the machine's own hard limit always works.
set -euo pipefail

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

PACKAGES=(podman runc mmdebstrap uidmap fuse-overlayfs slirp4netns containernetworking-plugins catatonit iptables)
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

nofile="$(ulimit -Hn)"
if [ "$nofile" = unlimited ]; then nofile=1048576; fi
conf="$(cat <<CONF
# Written by Tandem's images/podman-setup.sh.
[containers]
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=32768:32768"]

[engine]
runtime = "runc"
CONF
)"
if [ "$(cat /etc/containers/containers.conf 2>/dev/null)" != "$conf" ]; then
  $SUDO mkdir -p /etc/containers
  printf '%s\n' "$conf" | $SUDO tee /etc/containers/containers.conf >/dev/null
fi
