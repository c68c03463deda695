//! The machine: the state tree, the network context and the runtimes, for one chain.

use anyhow::Context;
use cid::Cid;
use fvm_ipld_encoding::CborStore;
use multihash_codetable::Code;
use tandem_state::StateTree;

use crate::kernel::NetworkContext;
use crate::runtime::Runtimes;
use crate::store::VmStore;

pub struct Machine {
    pub state: StateTree<VmStore>,
    pub network: NetworkContext,
    pub runtimes: Runtimes,
    /// Whether actors' debug logs are printed (off by default).
    pub debug: bool,
    /// CID of an empty CBOR array, the state of actors that keep none.
    pub empty_object: Cid,
    /// A call trace being taken (`None` unless someone asked for one; see `trace`).
    pub tracer: Option<Box<crate::trace::Tracer>>,
    /// Test-only hooks (`cheats.rs`): installed by the language's test runner, never by a chain.
    pub cheats: Option<Box<crate::cheats::Cheats>>,
}

impl Machine {
    pub fn new(
        mut state: StateTree<VmStore>,
        network: NetworkContext,
        runtimes: Runtimes,
    ) -> anyhow::Result<Self> {
        let empty_object = state
            .store()
            .put_cbor(&Vec::<u64>::new(), Code::Blake2b256)
            .context("storing the empty object")?;
        if let Some(fork) = runtimes.fork() {
            state.set_fork(Some(fork.clone()));
        }
        Ok(Self {
            state,
            network,
            runtimes,
            debug: false,
            empty_object,
            tracer: None,
            cheats: None,
        })
    }

    pub fn store(&self) -> &VmStore {
        self.state.store()
    }

    /// Flushes the state tree; returns the new state root.
    pub fn flush(&mut self) -> anyhow::Result<Cid> {
        self.state.flush()
    }
}
