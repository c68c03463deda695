//! Parsing and printing shared by the commands.

use anyhow::{Context, bail};
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use tandem_vm::eth::EthAddress;

/// Parses an address: `f0…`/`f1…`/`f2…`/`f3…`/`f4…` (or `t…`), or a `0x` Ethereum address.
pub fn parse_address(s: &str) -> anyhow::Result<Address> {
    let s = s.trim();
    if let Some(hex_part) = s.strip_prefix("0x") {
        let bytes = hex::decode(hex_part).with_context(|| format!("{s:?} is not a hex address"))?;
        let arr: [u8; 20] = bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("{s:?} is not 20 bytes"))?;
        return Ok(EthAddress(arr).to_filecoin());
    }
    let normalised = match s.strip_prefix('t') {
        Some(rest) => format!("f{rest}"),
        None => s.to_string(),
    };
    normalised
        .parse::<Address>()
        .map_err(|e| anyhow::anyhow!("{s:?} is not an address: {e}"))
}

/// Parses an amount in attoFIL.
pub fn parse_atto(s: &str) -> anyhow::Result<TokenAmount> {
    let value: u128 = s
        .trim()
        .parse()
        .with_context(|| format!("{s:?} is not an amount in attoFIL"))?;
    Ok(TokenAmount::from_atto(value))
}

pub fn parse_hex(s: &str) -> anyhow::Result<Vec<u8>> {
    let s = s.trim();
    let s = s.strip_prefix("0x").unwrap_or(s);
    if !s.len().is_multiple_of(2) {
        bail!("hex has an odd number of digits");
    }
    hex::decode(s).context("invalid hex")
}

pub fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}
