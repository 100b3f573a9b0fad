#!/usr/bin/env bash
# Runs every test: formatting and lints (native and wasm32), native unit and
# integration tests, the core's tests in headless Chromium (wasm-bindgen-test),
# a release build of the app, and end-to-end tests driving it in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/www/node_modules/.bin:$HOME/.cargo/bin:$PATH" TRUNK_SKIP_VERSION_CHECK=true CARGO_TERM_COLOR=never
step() { printf '\n==> %s (%s)\n' "$*" "$(date +%T)"; }

step "rustfmt"
cargo fmt --all -- --check

step "clippy (native)"
cargo clippy --locked --all-targets -- -D warnings

step "clippy (wasm32)"
cargo clippy --locked --target wasm32-unknown-unknown --lib --bins --tests -- -D warnings

step "native tests"
cargo test --locked

step "browser tests (wasm-bindgen-test in headless Chromium)"
# The runner gives the whole suite 20 s by default, and every built-in's run
# blocks the page: on a loaded 2-core machine that took 27 s.
WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-300}" CHROMEDRIVER=/usr/bin/chromedriver \
  cargo test --locked --target wasm32-unknown-unknown --test web

step "app build (trunk --release)"
trunk build --release --locked

step "end-to-end tests (playwright-core + node --test)"
(cd www && DIST_DIR=../dist npm run e2e)

step "all tests passed"
