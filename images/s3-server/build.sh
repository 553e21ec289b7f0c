#!/usr/bin/env bash
# Builds versitygw, the S3-compatible server the S3 storage tests run against, once into a cache
# directory. Prints the binary's path. Skips the build when the binary is already there;
# `--path` only prints where the binary is (or would be), building nothing.
set -euo pipefail

VERSION="v1.8.0"
# Used only when this machine has no Go, or one too old to fetch the toolchain versitygw asks for.
GO_FALLBACK="go1.25.0"
CACHE="${TANDEM_S3_SERVER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tandem/versitygw-$VERSION}"
BIN="$CACHE/bin/versitygw"

if [ "${1:-}" = "--path" ] || [ -x "$BIN" ]; then
  echo "$BIN"
  exit 0
fi

mkdir -p "$CACHE"
GO="$(command -v go || true)"
# Go 1.21 and later download the newer toolchain a module requires (GOTOOLCHAIN=auto).
minor="$([ -n "$GO" ] && "$GO" env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p' || true)"
if [ -z "$minor" ] || [ "$minor" -lt 21 ]; then
  arch="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
  if [ ! -x "$CACHE/go/bin/go" ]; then
    curl -fsSL "https://go.dev/dl/$GO_FALLBACK.linux-$arch.tar.gz" | tar -xz -C "$CACHE"
  fi
  GO="$CACHE/go/bin/go"
fi
# -mod=mod lets go resolve the module's dependencies itself when installing by version.
GOFLAGS=-mod=mod GOTOOLCHAIN=auto GOBIN="$CACHE/bin" "$GO" install "github.com/versity/versitygw/cmd/versitygw@$VERSION" >&2
echo "$BIN"
