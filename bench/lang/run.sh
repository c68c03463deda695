#!/usr/bin/env bash
# Side-by-side gas: Tandem vs solc 0.8.30 (via-IR + optimizer) on revm, for the brief's Coin and
# the corpus ERC-20 (crates/lang/harness/fixtures/corpus/erc20 vs Token.sol): deploy, transfer
# to a new and to an existing holder, approve, transferFrom, runtime size, with the ratio per
# row. The table is the test crates/lang/harness/tests/gas_vs_solc.rs, which installs solc-js
# from npm into target/tmp, compiles the twins with compile_sol.js and fails on any row above
# 1.0x solc.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo test -p tandem-lang-harness --test gas_vs_solc -- --nocapture 2>&1 | grep -E "^\||^test |panicked|above"
