//! Accounts and value sinks.
//!
//! - Account (f1 secp256k1 keys): signs messages; receives value.
//! - Ethereum account and placeholder (f410): receive value; a placeholder becomes an
//!   Ethereum account on its first signed transaction or is taken over by a contract deployed
//!   at its address.
//! - System, reward and burnt funds: hold value.
//!
//! All of them accept any exported method (≥ 2^24) as a no-op, so that Ethereum calls and
//! FRC-42 hooks to a plain account succeed as they would on Ethereum (FIP-0055's "universal
//! receiver").

use fvm_shared::error::ExitCode;
use tandem_vm::builtin::{FIRST_EXPORTED_METHOD, METHOD_CONSTRUCTOR, SYSTEM_ACTOR_ID};
use tandem_vm::call_manager::AccountStateRef;
use tandem_vm::gas::PRICE_LIST;
use tandem_vm::kernel::{KResult, Kernel};
use tandem_vm::runtime::InvokeReturn;

use crate::util::{exit, params, save_state};

pub fn invoke_account(kernel: &mut dyn Kernel) -> KResult<InvokeReturn> {
    kernel.charge_gas("invoke", PRICE_LIST.method_invocation)?;
    let method = kernel.context().method;
    if method == METHOD_CONSTRUCTOR {
        if kernel.context().caller != SYSTEM_ACTOR_ID {
            return Ok(exit(
                ExitCode::USR_FORBIDDEN,
                "only the system actor constructs accounts",
            ));
        }
        let state: AccountStateRef = match params(kernel) {
            Ok(s) => s,
            Err(ret) => return Ok(ret),
        };
        save_state(kernel, &state)?;
        return Ok(InvokeReturn::ok(None));
    }
    universal(method)
}

pub fn invoke_universal_receiver(kernel: &mut dyn Kernel) -> KResult<InvokeReturn> {
    kernel.charge_gas("invoke", PRICE_LIST.method_invocation)?;
    universal(kernel.context().method)
}

pub fn invoke_sink(kernel: &mut dyn Kernel) -> KResult<InvokeReturn> {
    kernel.charge_gas("invoke", PRICE_LIST.method_invocation)?;
    universal(kernel.context().method)
}

fn universal(method: u64) -> KResult<InvokeReturn> {
    if method >= FIRST_EXPORTED_METHOD {
        Ok(InvokeReturn::ok(None))
    } else {
        Ok(exit(
            ExitCode::USR_UNHANDLED_MESSAGE,
            &format!("method {method} is not handled"),
        ))
    }
}
