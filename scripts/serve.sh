#!/usr/bin/env bash
# Builds the browser app and serves it on http://127.0.0.1:${PORT:-8080}.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --app
export PATH="$PWD/www/node_modules/.bin:$HOME/.cargo/bin:$PATH" TRUNK_SKIP_VERSION_CHECK=true
PORT="${PORT:-8080}"
echo "==> building (first build takes about a minute)"
trunk build --release --locked
echo
echo "    pipelab is at  http://127.0.0.1:$PORT/   (Ctrl-C to stop)"
echo
exec trunk serve --release --locked --address 127.0.0.1 --port "$PORT" --no-autoreload
