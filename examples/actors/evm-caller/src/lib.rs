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
//! - `Add([to, a, b]) -> a + b`: calls `add(uint256,uint256)` on the EVM contract `to`
//!   through the SDK's typed helper (`tandem_sdk::sol`, feature `sol`): the arguments
//!   encoded and the return decoded by `sol!` types. A revert with the interface's custom
//!   error `Overflow(uint256,uint256)` is matched as a typed value (exit 16, "overflow: a +
//!   b"); any other revert aborts with the callee's exit code and the decoded reason
//!   (`Error(string)`, `Panic(uint256)`).
#![cfg_attr(target_arch = "wasm32", no_std)]

#[cfg(target_arch = "wasm32")]
mod actor {
    extern crate alloc;

    use alloc::format;
    use tandem_sdk::cbor::Bytes;
    use tandem_sdk::sol::{self, EthAddress, U256};
    use tandem_sdk::*;

    tandem_sdk::sol! {
        interface IAdder {
            error Overflow(uint256 a, uint256 b);
            function add(uint256 a, uint256 b) external returns (uint256);
        }
    }

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

    fn add(p: (Address, u64, u64)) -> Result<u128, ActorError> {
        let call = IAdder::addCall {
            a: U256::from(p.1),
            b: U256::from(p.2),
        };
        match sol::call_with_errors::<_, IAdder::IAdderErrors>(&p.0, call, TokenAmount(0)) {
            Ok(sum) => u128::try_from(sum)
                .map_err(|_| ActorError::new(USR_ILLEGAL_STATE, "sum above u128")),
            Err(e) => match e.custom() {
                // The error's fields are typed values (here `U256`s).
                Some(IAdder::IAdderErrors::Overflow(o)) if o.a == U256::from(p.1) => {
                    Err(ActorError::new(
                        USR_ILLEGAL_ARGUMENT,
                        &format!("overflow: {} + {}", p.1, p.2),
                    ))
                }
                _ => Err(e.into()),
            },
        }
    }

    fn invoke_evm(calldata: Raw) -> Result<Raw, ActorError> {
        let count = COUNT.get(b"")? + 1;
        COUNT.set(b"", count)?;
        if calldata.0.len() >= 24 && calldata.0[..4] == [0xde, 0xad, 0xbe, 0xef] {
            let to = sol::address(EthAddress::from_slice(&calldata.0[4..24]));
            let out = call_evm(to.as_bytes(), &calldata.0[24..], 0)?;
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
        "Add" => add,
    }
}
