#!/usr/bin/env bash
# Checks that are slower than the unit suite and talk to real third-party programs:
# the real Salesforce CLI (`sf`, installed from npm into .tmp/sf-cli) against @kicksaw/sf-emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
packages/sf-emulator/test/sf-cli/run.sh
