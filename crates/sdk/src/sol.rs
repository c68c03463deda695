//! Typed Solidity-ABI calls from native actors to EVM contracts (feature `sol`).
//!
//! Declare the contract's interface with [`sol!`](crate::sol!) (alloy's `sol!`, `no_std`,
//! pointed at the copy of `alloy-sol-types` the SDK re-exports, so the actor needs no alloy
//! dependency of its own) and call it:
//!
//! ```ignore
//! use tandem_sdk::sol::{self, CallError};
//! tandem_sdk::sol! {
//!     interface IERC20 {
//!         error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed);
//!         function transfer(address to, uint256 amount) external returns (bool);
//!         function balanceOf(address owner) external view returns (uint256);
//!     }
//! }
//! let ok: bool = sol::call(&token, IERC20::transferCall { to, amount }, TokenAmount(0))?;
//! let bal = sol::view(&token, IERC20::balanceOfCall { owner })?;
//! // custom errors decoded as the interface's error enum:
//! match sol::call_with_errors::<_, IERC20::IERC20Errors>(&token, call, TokenAmount(0)) { … }
//! ```
//!
//! A call is one send of method `InvokeEVM` with the ABI calldata as an IPLD_RAW block (the
//! route of `call_evm`, docs/syscalls.md "Native → EVM"); the return data is decoded as the
//! function's return type, and revert data as `Error(string)`, `Panic(uint256)` or one of
//! the custom errors. `CallError` converts to an [`ActorError`] with the callee's exit code
//! (33 for a revert) and the decoded reason, so `?` aborts the actor with it.

use alloc::string::String;
use alloc::vec::Vec;
use core::convert::Infallible;
use core::fmt::{self, Write};

pub use alloy_primitives::{self, Address as EthAddress, B256, Bytes, FixedBytes, I256, U256};
pub use alloy_sol_types::{
    self, ContractError, GenericContractError, Panic, Revert, SolCall, SolError, SolInterface,
    SolType, SolValue,
};

use crate::{ActorError, Address};

/// The exit code of an EVM contract that ran REVERT.
pub const EVM_CONTRACT_REVERTED: u32 = 33;

/// alloy's `sol!`, its expansion pointed at the SDK's re-exported `alloy-sol-types`.
///
/// ```ignore
/// tandem_sdk::sol! {
///     function add(uint256 a, uint256 b) external returns (uint256);
/// }
/// ```
#[macro_export]
macro_rules! sol {
    ($($body:tt)*) => {
        $crate::sol::alloy_sol_types::sol! {
            #![sol(alloy_sol_types = $crate::sol::alloy_sol_types)]
            $($body)*
        }
    };
}

/// Why a typed call did not return a value. `E` is the contract's custom errors (a `sol!`
/// interface's `…Errors` enum), `Infallible` when none are expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError<E = Infallible> {
    /// The send was refused before the contract ran: the syscall's error number
    /// (fvm_shared `ErrorNumber`, e.g. 6 = not found, 13 = read-only).
    Refused(u32),
    /// The contract exited non-zero (33: it reverted). `error` is the revert data decoded,
    /// `None` when it is none of `Error(string)`, `Panic(uint256)` and `E` (then see `data`).
    Reverted {
        exit_code: u32,
        error: Option<ContractError<E>>,
        data: Vec<u8>,
    },
    /// The contract succeeded, but its return data is not the function's return type.
    BadReturn(Vec<u8>),
}

impl<E> CallError<E> {
    /// The revert's `Error(string)` message, if that is what it reverted with.
    pub fn reason(&self) -> Option<&str> {
        match self {
            CallError::Reverted {
                error: Some(ContractError::Revert(r)),
                ..
            } => Some(r.reason()),
            _ => None,
        }
    }

    /// The custom error, if the revert data decoded as one of `E`.
    pub fn custom(&self) -> Option<&E> {
        match self {
            CallError::Reverted {
                error: Some(ContractError::CustomError(e)),
                ..
            } => Some(e),
            _ => None,
        }
    }
}

fn write_hex(f: &mut impl Write, bytes: &[u8]) -> fmt::Result {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    f.write_str("0x")?;
    for b in bytes {
        f.write_char(DIGITS[usize::from(b >> 4)] as char)?;
        f.write_char(DIGITS[usize::from(b & 15)] as char)?;
    }
    Ok(())
}

impl<E: SolInterface> fmt::Display for CallError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Refused(n) => write!(f, "EVM call refused: syscall error {n}"),
            CallError::BadReturn(data) => {
                write!(
                    f,
                    "EVM call returned {} bytes that do not decode",
                    data.len()
                )
            }
            CallError::Reverted {
                exit_code,
                error,
                data,
            } => {
                if *exit_code == EVM_CONTRACT_REVERTED {
                    f.write_str("EVM call reverted")?;
                } else {
                    write!(f, "EVM call failed with exit code {exit_code}")?;
                }
                match error {
                    // Quoted, not escaped: `{:?}` would link Unicode escape tables.
                    Some(ContractError::Revert(r)) => write!(f, ": Error(\"{}\")", r.reason()),
                    // The code as a u64 (U256's formatting would cost the module ~8 KB).
                    Some(ContractError::Panic(p)) => {
                        match u64::try_from(p.code) {
                            Ok(code) => write!(f, ": Panic({code:#x})")?,
                            Err(_) => f.write_str(": Panic(above 2^64)")?,
                        }
                        match p.kind() {
                            Some(kind) => write!(f, ": {}", kind.as_str()),
                            None => Ok(()),
                        }
                    }
                    Some(ContractError::CustomError(e)) => {
                        f.write_str(": custom error ")?;
                        write_hex(f, &e.selector())?;
                        Ok(())
                    }
                    None if data.is_empty() => Ok(()),
                    None => {
                        f.write_str(": ")?;
                        write_hex(f, data)
                    }
                }
            }
        }
    }
}

impl<E: SolInterface> From<CallError<E>> for ActorError {
    /// The callee's exit code (33 for a revert; at least 16, a user code) with the decoded
    /// reason; a refused send is `USR_ILLEGAL_STATE` as other syscall errors.
    fn from(e: CallError<E>) -> Self {
        let code = match &e {
            CallError::Refused(_) => crate::USR_ILLEGAL_STATE,
            CallError::Reverted { exit_code, .. } => (*exit_code).max(crate::USR_ILLEGAL_ARGUMENT),
            CallError::BadReturn(_) => crate::USR_SERIALIZATION,
        };
        let mut message = String::new();
        let _ = write!(message, "{e}");
        ActorError { code, message }
    }
}

/// The ABI calldata of a call (selector and arguments).
pub fn calldata<C: SolCall>(call: &C) -> Vec<u8> {
    call.abi_encode()
}

/// Decodes what a contract answered: on exit 0 its return data as `C`'s return type, else
/// its revert data as `Error(string)`, `Panic(uint256)` or one of `E`.
pub fn decode_result<C: SolCall, E: SolInterface>(
    exit_code: u32,
    data: Vec<u8>,
) -> Result<C::Return, CallError<E>> {
    if exit_code == 0 {
        return C::abi_decode_returns(&data).map_err(|_| CallError::BadReturn(data));
    }
    let error = ContractError::<E>::abi_decode(&data).ok();
    Err(CallError::Reverted {
        exit_code,
        error,
        data,
    })
}

/// The `f410`/`f0` address of an Ethereum address: a masked ID (`0xff`, eleven zero bytes,
/// then the ID) is the actor with that ID, any other address its `f410` form.
pub fn address(eth: EthAddress) -> Address {
    let b = eth.0.0;
    if b[0] == 0xff && b[1..12].iter().all(|x| *x == 0) {
        let mut id = [0u8; 8];
        id.copy_from_slice(&b[12..]);
        return Address::id(u64::from_be_bytes(id));
    }
    Address::eth(b)
}

/// The Ethereum address an EVM contract sees for an actor: the 20 bytes of an `f410`
/// address, the masked ID of an `f0` address; `None` for other addresses (resolve them to
/// an ID first).
pub fn eth_address(addr: &Address) -> Option<EthAddress> {
    if let Some(eth) = addr.as_eth() {
        return Some(EthAddress::new(eth));
    }
    let id = addr.as_id()?;
    let mut b = [0u8; 20];
    b[0] = 0xff;
    b[12..].copy_from_slice(&id.to_be_bytes());
    Some(EthAddress::new(b))
}

#[cfg(target_arch = "wasm32")]
mod calls {
    use super::*;
    use crate::TokenAmount;

    fn send<C: SolCall, E: SolInterface>(
        to: &Address,
        call: &C,
        value: u128,
        read_only: bool,
    ) -> Result<C::Return, CallError<E>> {
        let data = call.abi_encode();
        let out = crate::send(
            to.as_bytes(),
            crate::INVOKE_EVM,
            Some((crate::IPLD_RAW, &data)),
            value,
            0,
            read_only,
        )
        .map_err(|e| CallError::Refused(e.0))?;
        decode_result::<C, E>(out.exit_code, out.ret.map(|(_, d)| d).unwrap_or_default())
    }

    /// Calls an EVM contract (`to`: its `f410` address, see [`address`]) with `value`
    /// attoFIL and decodes its return. Reverts decode as `Error(string)` or `Panic(uint256)`.
    pub fn call<C: SolCall>(
        to: &Address,
        call: C,
        value: TokenAmount,
    ) -> Result<C::Return, CallError> {
        send::<C, Infallible>(to, &call, value.0, false)
    }

    /// [`call`] that also decodes the contract's custom errors as `E`.
    pub fn call_with_errors<C: SolCall, E: SolInterface>(
        to: &Address,
        call: C,
        value: TokenAmount,
    ) -> Result<C::Return, CallError<E>> {
        send::<C, E>(to, &call, value.0, false)
    }

    /// A read-only call (as STATICCALL: any state change in the callee fails it).
    pub fn view<C: SolCall>(to: &Address, call: C) -> Result<C::Return, CallError> {
        send::<C, Infallible>(to, &call, 0, true)
    }
}

#[cfg(target_arch = "wasm32")]
pub use calls::{call, call_with_errors, view};

#[cfg(test)]
mod tests {
    use alloc::string::ToString;
    use alloc::vec;

    use super::*;

    crate::sol! {
        interface IToken {
            error Insufficient(address who, uint256 needed);
            function transfer(address to, uint256 amount) external returns (bool);
            function add(uint256 a, uint256 b) external returns (uint256);
        }
    }

    fn word(n: u64) -> [u8; 32] {
        let mut w = [0u8; 32];
        w[24..].copy_from_slice(&n.to_be_bytes());
        w
    }

    #[test]
    fn encodes_and_decodes_returns() {
        let data = calldata(&IToken::addCall {
            a: U256::from(2),
            b: U256::from(40),
        });
        assert_eq!(data[..4], [0x77, 0x16, 0x02, 0xf7]);
        assert_eq!(data.len(), 68);
        let out = decode_result::<IToken::addCall, Infallible>(0, word(42).to_vec()).unwrap();
        assert_eq!(out, U256::from(42));
        let bad = decode_result::<IToken::addCall, Infallible>(0, vec![1, 2]).unwrap_err();
        assert_eq!(bad, CallError::BadReturn(vec![1, 2]));
    }

    #[test]
    fn decodes_reverts() {
        let data = Revert::from("nope").abi_encode();
        let e = decode_result::<IToken::transferCall, Infallible>(33, data).unwrap_err();
        assert_eq!(e.reason(), Some("nope"));
        assert_eq!(e.to_string(), "EVM call reverted: Error(\"nope\")");
        let a: ActorError = e.into();
        assert_eq!(a.code, 33);

        let data = Panic::from(0x11).abi_encode();
        let e = decode_result::<IToken::transferCall, Infallible>(33, data).unwrap_err();
        assert_eq!(
            e.to_string(),
            "EVM call reverted: Panic(0x11): arithmetic underflow or overflow"
        );

        let err = IToken::Insufficient {
            who: EthAddress::new([7; 20]),
            needed: U256::from(5),
        };
        let data = err.abi_encode();
        let e = decode_result::<IToken::transferCall, IToken::ITokenErrors>(33, data.clone())
            .unwrap_err();
        match e.custom() {
            Some(IToken::ITokenErrors::Insufficient(i)) => assert_eq!(i.needed, U256::from(5)),
            _ => panic!("not decoded: {e}"),
        }
        assert!(
            e.to_string()
                .starts_with("EVM call reverted: custom error 0x")
        );
        // Without the interface's errors: the raw data.
        let e = decode_result::<IToken::transferCall, Infallible>(33, data).unwrap_err();
        assert!(e.to_string().contains(&"0x".to_string()));
        // No revert data, another exit code.
        let e = decode_result::<IToken::transferCall, Infallible>(7, vec![]).unwrap_err();
        assert_eq!(e.to_string(), "EVM call failed with exit code 7");
        let a: ActorError = e.into();
        assert_eq!(a.code, 16);
    }

    #[test]
    fn addresses() {
        let masked = eth_address(&Address::id(1234)).unwrap();
        assert_eq!(masked.0.0[0], 0xff);
        assert_eq!(address(masked), Address::id(1234));
        let eth = EthAddress::new([9; 20]);
        assert_eq!(address(eth), Address::eth([9; 20]));
        assert_eq!(eth_address(&Address::eth([9; 20])), Some(eth));
    }
}
