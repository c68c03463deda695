//! Tandem's built-in actors, written in Rust and run in process by [`BuiltinRuntime`].
//!
//! | ID  | actor        | methods |
//! |-----|--------------|---------|
//! | 0   | system       | constructor |
//! | 1   | init         | Exec (2), Exec4 (3), InstallCode (FRC-42) |
//! | 2   | reward       | receives the gas premium on the dev chain |
//! | 3   | cron         | its entries run in every block's system lane (docs/async.md) |
//! | 11  | async queue  | holds queued async messages; replies come from it |
//! | 10  | EAM          | Create (2), Create2 (3), CreateExternal (4) |
//! | 99  | burnt funds  | receives burnt base fees |
//! | —   | account, Ethereum account, placeholder | receive value; methods ≥ 2^24 are no-ops |
//!
//! IDs and method numbers follow Filecoin's builtin-actors where one exists.

pub mod account;
pub mod eam;
pub mod genesis;
pub mod init;
mod util;

use tandem_vm::builtin::BuiltinCode;
use tandem_vm::kernel::{KResult, Kernel};
use tandem_vm::runtime::{InvokeReturn, Runtime};

/// Runs every built-in actor.
#[derive(Debug, Default, Clone, Copy)]
pub struct BuiltinRuntime;

impl Runtime for BuiltinRuntime {
    fn trusted(&self) -> bool {
        true
    }

    fn name(&self) -> &'static str {
        "builtin"
    }

    fn runs(&self, code: &cid::Cid) -> bool {
        BuiltinCode::from_cid(code).is_some_and(|c| c != BuiltinCode::Evm)
    }

    fn invoke(&self, kernel: &mut dyn Kernel) -> KResult<InvokeReturn> {
        let code = kernel.context().code;
        match BuiltinCode::from_cid(&code) {
            Some(BuiltinCode::Init) => init::invoke(kernel),
            Some(BuiltinCode::Eam) => eam::invoke(kernel),
            Some(BuiltinCode::Account) => account::invoke_account(kernel),
            Some(BuiltinCode::EthAccount | BuiltinCode::Placeholder) => {
                account::invoke_universal_receiver(kernel)
            }
            Some(
                BuiltinCode::System
                | BuiltinCode::Reward
                | BuiltinCode::BurntFunds
                | BuiltinCode::Cron
                | BuiltinCode::AsyncQueue,
            ) => account::invoke_sink(kernel),
            Some(BuiltinCode::Evm) | None => Ok(util::exit(
                fvm_shared::error::ExitCode::SYS_ASSERTION_FAILED,
                "not a built-in actor",
            )),
        }
    }
}
