#!/usr/bin/env bash
# Side-by-side gas: Tandem vs solc (via-IR + optimizer) for the Coin, on revm.
# Installs solc-js from npm (the compiler ships inside the package) into bench/lang/node_modules.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
[ -d node_modules/solc ] || npm install --no-save --silent solc@0.8.30
node compile_sol.js > sol_out.json
cd ../..
SOL_OUT="$here/sol_out.json" cargo test -p tandem-lang-harness --test gas -- --nocapture coin_gas_report 2>&1 | grep -E "tandem coin|solc coin"
