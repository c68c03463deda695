#!/usr/bin/env bash
# Side-by-side gas: Tandem vs solc (via-IR + optimizer) on revm, for the brief's Coin and the
# corpus ERC-20 (crates/lang/harness/fixtures/corpus/erc20 vs Token.sol): deploy, transfer to a
# new and to an existing holder, approve, transferFrom, runtime size, with the ratio per row.
# Installs solc-js from npm (the compiler ships inside the package) into bench/lang/node_modules.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
[ -d node_modules/solc ] || npm install --no-save --silent solc@0.8.30
node compile_sol.js > sol_out.json
cd ../..
SOL_OUT="$here/sol_out.json" cargo test -p tandem-lang-harness --test corpus -- --nocapture gas_table 2>&1 | grep -E "^\|"
