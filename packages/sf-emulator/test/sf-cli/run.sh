#!/usr/bin/env bash
# Runs the real Salesforce CLI (`sf`) against the emulator: login, query, bulk import / upsert / delete /
# export, checking what sf prints and what the org then holds. Exits non-zero on any mismatch.
# Installs @salesforce/cli with npm into .tmp/sf-cli (gitignored) the first time; sf needs Node 22, the
# one the repo pins. Usage from the repo root: packages/sf-emulator/test/sf-cli/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../../.."
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY || true

NODE22="$(pnpm exec node -p process.execPath)"
export PATH="$(dirname "$NODE22"):$PATH"
CACHE="$PWD/.tmp/sf-cli"
if [ ! -f "$CACHE/node_modules/@salesforce/cli/bin/run.js" ]; then
  echo "Installing @salesforce/cli into $CACHE (first run only)..."
  mkdir -p "$CACHE"
  [ -f "$CACHE/package.json" ] || echo '{ "name": "sf-cli-cache", "private": true }' > "$CACHE/package.json"
  (cd "$CACHE" && npm install --no-audit --no-fund --loglevel=error "@salesforce/cli@^2")
fi

PKG=packages/sf-emulator
if [ ! -f "$PKG/dist/index.js" ] || [ -n "$(find "$PKG/src" -newer "$PKG/dist/index.js" -name '*.ts' -print -quit)" ]; then
  echo "Building @kicksaw/sf-emulator..."
  pnpm --filter @kicksaw/sf-emulator build >/dev/null
fi

SF_CLI_DIR="$CACHE" exec "$NODE22" "$PKG/test/sf-cli/run.mjs"
