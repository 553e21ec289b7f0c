#!/usr/bin/env bash
# Builds a stand-in for the python:3.11-slim-bookworm base image from Debian packages, for
# machines that reach no public container registry (as in Tandem's CI), and prints its tag as
# its last line. Debian's python3 with venv and pip, and this machine's CA bundle, so that pip
# inside image builds trusts whatever proxy this machine's own traffic goes through.
#
# Cached: the tag is a hash of this script and the CA bundle, and an existing tag is reused.
#   npm run images:local-base            # prints e.g. localhost/tandem-local-base:bookworm-1a2b3c4d5e6f
set -euo pipefail
cd "$(dirname "$0")/../.."

CA_BUNDLE="${TANDEM_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
SUITE=bookworm
MIRROR="${TANDEM_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
hash="$(cat "$0" "$CA_BUNDLE" | sha256sum | cut -c1-12)"
tag="localhost/tandem-local-base:${SUITE}-${hash}"

if podman image exists "$tag"; then
  echo "$tag"
  exit 0
fi

images/podman-setup.sh >&2
in_image=/etc/ssl/certs/tandem-host-ca.crt
# Like the python:slim images, pip installs into the image's Python: the base is ours alone,
# so Debian's guard against mixing pip and apt (EXTERNALLY-MANAGED) has nothing to protect.
mmdebstrap --variant=minbase --quiet \
  --include=python3,python3-venv,python3-pip,python-is-python3,ca-certificates \
  --customize-hook="cp '$CA_BUNDLE' \"\$1$in_image\" && chmod 644 \"\$1$in_image\"" \
  --customize-hook='rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
  "$SUITE" - "$MIRROR" |
  podman import \
    --change "ENV SSL_CERT_FILE=$in_image" \
    --change "ENV PIP_CERT=$in_image" \
    --change "ENV REQUESTS_CA_BUNDLE=$in_image" \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' \
    - "$tag" >&2
echo "$tag"
