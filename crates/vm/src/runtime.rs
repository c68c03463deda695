//! The `Runtime` trait: how an actor's code runs. Built-in Rust actors, the EVM and native
//! WASM each implement it; the call manager picks one by the actor's code CID.

use std::sync::Arc;

use cid::Cid;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_shared::error::ExitCode;

use crate::kernel::{KResult, Kernel};

/// What an invocation returned. A non-zero exit code rolls the frame back; the return data
/// still reaches the caller (EVM revert data, an abort message).
#[derive(Debug, Clone)]
pub struct InvokeReturn {
    pub exit_code: ExitCode,
    pub data: Option<IpldBlock>,
}

impl InvokeReturn {
    pub fn ok(data: Option<IpldBlock>) -> Self {
        Self {
            exit_code: ExitCode::OK,
            data,
        }
    }

    pub fn exit(exit_code: ExitCode, data: Option<IpldBlock>) -> Self {
        Self { exit_code, data }
    }
}

pub trait Runtime: Send + Sync {
    /// A short name for logs.
    fn name(&self) -> &'static str;

    /// Whether this runtime runs actors with this code.
    fn runs(&self, code: &Cid) -> bool;

    /// Trusted runtimes are Tandem's own Rust code (built-ins, the EVM). They write blocks
    /// through `IpldOps::store` and may set any stored block as their state root; untrusted
    /// ones (user WASM) are held to the reachability rule.
    fn trusted(&self) -> bool {
        false
    }

    /// Runs one invocation. The kernel carries the method, parameters and caller.
    ///
    /// `Err(OutOfGas)` and `Err(Fatal)` abort the frame; a refused syscall that the runtime
    /// does not handle becomes an exit code chosen by the call manager.
    fn invoke(&self, kernel: &mut dyn Kernel) -> KResult<InvokeReturn>;

    /// Validates, prices and stores user code, returning its code CID; `Ok(None)` when this
    /// runtime does not install code (the default). Reached through
    /// [`ActorOps::install_code`](crate::kernel::ActorOps::install_code), which only the Init
    /// actor may call; the runtime charges the install gas on `kernel` itself.
    fn install(&self, kernel: &mut dyn Kernel, code: &[u8]) -> KResult<Option<Cid>> {
        let _ = (kernel, code);
        Ok(None)
    }
}

/// The runtimes a VM knows, tried in order.
#[derive(Clone, Default)]
pub struct Runtimes {
    runtimes: Vec<Arc<dyn Runtime>>,
    /// Fork mode's source of remote accounts and slots, installed on every machine's state
    /// tree (`tandem_state::fork`); `None` off fork mode.
    fork: Option<Arc<dyn tandem_state::ForkSource<crate::store::VmStore>>>,
}

impl Runtimes {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, runtime: Arc<dyn Runtime>) -> Self {
        self.runtimes.push(runtime);
        self
    }

    pub fn push(&mut self, runtime: Arc<dyn Runtime>) {
        self.runtimes.push(runtime);
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Runtime>> {
        self.runtimes.iter()
    }

    /// Sets the fork source machines built with these runtimes install on their state.
    pub fn with_fork(
        mut self,
        fork: Option<Arc<dyn tandem_state::ForkSource<crate::store::VmStore>>>,
    ) -> Self {
        self.fork = fork;
        self
    }

    pub fn fork(&self) -> Option<&Arc<dyn tandem_state::ForkSource<crate::store::VmStore>>> {
        self.fork.as_ref()
    }

    pub fn find(&self, code: &Cid) -> Option<Arc<dyn Runtime>> {
        self.runtimes.iter().find(|r| r.runs(code)).cloned()
    }
}
