//! Calls EVM contracts and is called by them.
//!
//! - `CallEvm([to, calldata]) -> return data`: sends Solidity-ABI calldata to an EVM
//!   contract (method InvokeEVM, IPLD_RAW) and returns its ABI return data; a failed call
//!   aborts with the callee's exit code, rolling everything back.
//! - `InvokeEVM` (raw calldata from a Solidity `call`): counts the call in slot storage and
//!   answers with the ABI word `count`. Calldata starting with 0xdeadbeef makes it call
//!   back into the EVM address in the next 20 bytes with the rest as calldata first
//!   (for reentrancy tests).
//! - `Count() -> count`.
#![cfg_attr(target_arch = "wasm32", no_std)]

#[cfg(target_arch = "wasm32")]
mod actor {
    extern crate alloc;

    use alloc::vec::Vec;
    use tandem_sdk::cbor::Bytes;
    use tandem_sdk::*;

    const COUNT: SlotMap<'static> = SlotMap(b"count");

    fn constructor(_: ()) -> Result<(), ActorError> {
        Ok(())
    }

    fn call_evm_method(p: (Bytes, Bytes)) -> Result<Bytes, ActorError> {
        let out = call_evm(&p.0.0, &p.1.0, 0)?;
        if out.exit_code != 0 {
            return Err(ActorError::new(out.exit_code.max(16), "EVM call failed"));
        }
        Ok(Bytes(out.ret.map(|(_, d)| d).unwrap_or_default()))
    }

    /// An f410 (EAM namespace 10) address from a 20-byte Ethereum address.
    fn eth_address(addr: &[u8]) -> Vec<u8> {
        let mut a = Vec::with_capacity(22);
        a.extend_from_slice(&[4, 10]);
        a.extend_from_slice(addr);
        a
    }

    fn invoke_evm(calldata: Raw) -> Result<Raw, ActorError> {
        let count = COUNT.get(b"")? + 1;
        COUNT.set(b"", count)?;
        if calldata.0.len() >= 24 && calldata.0[..4] == [0xde, 0xad, 0xbe, 0xef] {
            let to = eth_address(&calldata.0[4..24]);
            let out = call_evm(&to, &calldata.0[24..], 0)?;
            if out.exit_code != 0 {
                return Err(ActorError::new(out.exit_code.max(16), "callback failed"));
            }
        }
        let mut word = [0u8; 32];
        word[16..].copy_from_slice(&count.to_be_bytes());
        Ok(Raw(word.to_vec()))
    }

    fn count(_: ()) -> Result<u128, ActorError> {
        Ok(COUNT.get(b"")?)
    }

    tandem_sdk::dispatch! {
        "Constructor" => constructor,
        "CallEvm" => call_evm_method,
        "InvokeEVM" => invoke_evm,
        "Count" => count,
    }
}
