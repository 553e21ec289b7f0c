#!/usr/bin/env bash
# Builds the local test cluster's binaries from the Go module proxy, once per machine, into a
# cache directory per component version; a binary already there is not rebuilt. Prints the cache
# directories as shell assignments (K8S_BIN=..., ETCD_BIN=..., KWOK_BIN=..., KWOK_STAGES=...,
# REGISTRY_BIN=..., PAUSE_BIN=...).
#   kube-apiserver, kube-scheduler, kubelet: a scratch module requiring k8s.io/kubernetes, whose
#     own go.mod maps its staging modules to local folders; we map each to its published v0.x.
#   etcd: a scratch module requiring go.etcd.io/etcd/server/v3 (Debian's 3.4 fails watches).
#   kwok: go install, plus its stage files, which ship inside its module.
#   registry: the image registry (distribution) that kernel images are pushed to and pulled from.
#   pause: the pods' pause process (k8s/pause), a static binary (tier 2).
# `--paths` only prints where things are (or would be), building nothing.
set -euo pipefail

K8S_VERSION="v1.37.2"
STAGING_VERSION="v0.37.2"
ETCD_VERSION="v3.6.17"
KWOK_VERSION="v0.8.0"
REGISTRY_VERSION="v3.1.2"
# Published under k8s.io/kubernetes/staging but never released as modules.
UNPUBLISHED="k8s.io/sample-cli-plugin k8s.io/sample-controller"

ROOT="${TANDEM_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tandem}"
K8S_DIR="$ROOT/k8s-$K8S_VERSION"
ETCD_DIR="$ROOT/etcd-$ETCD_VERSION"
KWOK_DIR="$ROOT/kwok-$KWOK_VERSION"
REGISTRY_DIR="$ROOT/registry-$REGISTRY_VERSION"
# The pause binary's cache is named after a hash of its source.
PAUSE_DIR="$ROOT/pause-$(sha256sum "$(dirname "$0")/pause/main.go" | cut -c1-12)"

print_paths() {
  echo "K8S_BIN=$K8S_DIR/bin"
  echo "ETCD_BIN=$ETCD_DIR/bin"
  echo "KWOK_BIN=$KWOK_DIR/bin"
  echo "KWOK_STAGES=$KWOK_DIR/stage"
  echo "REGISTRY_BIN=$REGISTRY_DIR/bin"
  echo "PAUSE_BIN=$PAUSE_DIR/bin"
}
if [ "${1:-}" = "--paths" ]; then
  print_paths
  exit 0
fi

# Go 1.21 and later fetch the newer toolchain a module asks for (GOTOOLCHAIN=auto); a machine
# without Go, or with an older one, gets one from go.dev into the cache.
GO_FALLBACK="go1.26.0"
minor="$(command -v go >/dev/null && go env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p' || true)"
if [ -z "$minor" ] || [ "$minor" -lt 21 ]; then
  if [ ! -x "$ROOT/$GO_FALLBACK/go/bin/go" ]; then
    mkdir -p "$ROOT/$GO_FALLBACK"
    arch="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
    curl -fsSL "https://go.dev/dl/$GO_FALLBACK.linux-$arch.tar.gz" | tar -xz -C "$ROOT/$GO_FALLBACK"
  fi
  export PATH="$ROOT/$GO_FALLBACK/go/bin:$PATH"
fi
export GOTOOLCHAIN=auto GOFLAGS=-mod=mod

build_kubernetes() {
  local missing=()
  for cmd in kube-apiserver kube-scheduler kubelet; do
    [ -x "$K8S_DIR/bin/$cmd" ] || missing+=("$cmd")
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  local src="$K8S_DIR/src"
  mkdir -p "$src" "$K8S_DIR/bin"
  if [ ! -f "$src/go.mod" ]; then
    local upstream
    upstream="$(cd "$src" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^\s*"GoMod": "\(.*\)",\?$/\1/p')"
    {
      echo "module tandem.local/k8s-build"
      echo
      grep -E '^go [0-9.]+$' "$upstream"
      echo
      echo "require k8s.io/kubernetes $K8S_VERSION"
      echo
      echo "replace ("
      sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$upstream" | while read -r mod; do
        case " $UNPUBLISHED " in *" $mod "*) continue ;; esac
        echo "	$mod => $mod $STAGING_VERSION"
      done
      echo ")"
    } >"$src/go.mod.tmp"
    mv "$src/go.mod.tmp" "$src/go.mod"
  fi
  for cmd in "${missing[@]}"; do
    echo "k8s/build.sh: building $cmd $K8S_VERSION" >&2
    (cd "$src" && go build -trimpath -o "$K8S_DIR/bin/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd")
    mv "$K8S_DIR/bin/$cmd.tmp" "$K8S_DIR/bin/$cmd"
  done
}

build_etcd() {
  [ -x "$ETCD_DIR/bin/etcd" ] && return 0
  local src="$ETCD_DIR/src"
  mkdir -p "$src" "$ETCD_DIR/bin"
  printf 'module tandem.local/etcd-build\n\ngo 1.24\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" >"$src/go.mod"
  echo "k8s/build.sh: building etcd $ETCD_VERSION" >&2
  (cd "$src" && go build -trimpath -o "$ETCD_DIR/bin/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv "$ETCD_DIR/bin/etcd.tmp" "$ETCD_DIR/bin/etcd"
}

build_kwok() {
  if [ ! -x "$KWOK_DIR/bin/kwok" ]; then
    echo "k8s/build.sh: building kwok $KWOK_VERSION" >&2
    mkdir -p "$KWOK_DIR/bin"
    GOBIN="$KWOK_DIR/bin" go install -trimpath "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  fi
  if [ ! -d "$KWOK_DIR/stage" ]; then
    local module
    module="$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",\?$/\1/p')"
    rm -rf "$KWOK_DIR/stage.tmp"
    cp -r "$module/kustomize/stage" "$KWOK_DIR/stage.tmp"
    chmod -R u+w "$KWOK_DIR/stage.tmp"
    mv "$KWOK_DIR/stage.tmp" "$KWOK_DIR/stage"
  fi
}

build_registry() {
  [ -x "$REGISTRY_DIR/bin/registry" ] && return 0
  echo "k8s/build.sh: building the image registry $REGISTRY_VERSION" >&2
  mkdir -p "$REGISTRY_DIR/bin"
  GOBIN="$REGISTRY_DIR/bin" go install -trimpath "github.com/distribution/distribution/v3/cmd/registry@$REGISTRY_VERSION"
}

build_pause() {
  [ -x "$PAUSE_DIR/bin/pause" ] && return 0
  mkdir -p "$PAUSE_DIR/bin"
  (cd "$(dirname "$0")/pause" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$PAUSE_DIR/bin/pause" .)
}

build_etcd
build_kwok
build_registry
build_pause
build_kubernetes
print_paths
