#!/usr/bin/env bash
# Installs what pipelab's build and tests need, idempotently, from the package
# registries only (Debian, crates.io, npm). Fast when everything is present.
#   scripts/setup.sh          everything (browser tests included)
#   scripts/setup.sh --app    only what building and serving the app needs
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14   # trunk 0.22 needs rustc 1.96
export PATH="$HOME/.cargo/bin:$PATH"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
say() { printf '==> %s\n' "$*" >&2; }

if [ "${1:-}" != "--app" ]; then
  pkgs=()
  command -v chromium     >/dev/null || pkgs+=(chromium)
  command -v chromedriver >/dev/null || pkgs+=(chromium-driver)
  if [ "${#pkgs[@]}" -gt 0 ]; then
    say "installing ${pkgs[*]} (Debian)"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${pkgs[@]}"
  fi
fi

rustup target list --installed | grep -qx wasm32-unknown-unknown || { say "adding the wasm32 target"; rustup target add wasm32-unknown-unknown; }

trunk --version 2>/dev/null | grep -qx "trunk $TRUNK_VERSION" \
  || { say "installing trunk $TRUNK_VERSION (about 15 minutes on 2 cores)"; cargo install trunk --version "$TRUNK_VERSION" --locked; }

# The CLI must equal the wasm-bindgen crate in Cargo.lock exactly.
WB_VERSION=$(awk '$0=="name = \"wasm-bindgen\"" {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $WB_VERSION" \
  || { say "installing wasm-bindgen-cli $WB_VERSION"; cargo install wasm-bindgen-cli --version "$WB_VERSION"; }
# (no --locked: its lockfile pins a crate version the registry no longer serves)

# npm (www/package.json, exact versions): binaryen's wasm-opt 132, which the
# app build runs (Debian's binaryen 108 cannot read this wasm), and the e2e
# tests' playwright-core (no browser download: the tests use Debian's chromium)
# and mermaid (its browser bundle renders exported Mermaid in an e2e test).
# scripts/serve.sh and scripts/test.sh put www/node_modules/.bin first on PATH.
if [ ! -d www/node_modules/playwright-core ] || [ ! -d www/node_modules/binaryen ] \
   || [ ! -d www/node_modules/mermaid ] \
   || [ www/package-lock.json -nt www/node_modules/.package-lock.json ]; then
  say "installing the npm packages (wasm-opt, playwright-core, mermaid)"
  (cd www && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi
cargo fetch --locked >/dev/null 2>&1 || cargo fetch --locked
