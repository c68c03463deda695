//! Running the node as a program: open the chain, serve, mine on a timer if asked, stop on
//! Ctrl-C or SIGTERM.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::node::{Node, NodeConfig};
use crate::rpc::server::serve;

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub host: String,
    pub port: u16,
    /// Chain id of a new chain (default 31337); an existing chain must match.
    pub chain_id: Option<u64>,
    /// Mine every interval instead of once per transaction.
    pub block_time: Option<Duration>,
    /// The EVM's hardfork (`--hardfork`): a new chain's, or the one an existing chain moves to.
    pub hardfork: Option<tandem_vm::kernel::Hardfork>,
    /// A constant base fee in wei (`--base-fee`); otherwise EIP-1559's controller.
    pub base_fee: Option<u64>,
    /// A state dump to load at start-up (`--load-state`), replacing the chain.
    pub load_state: Option<std::path::PathBuf>,
    /// Where to write a state dump on exit (`--dump-state`).
    pub dump_state: Option<std::path::PathBuf>,
    /// Fork mode (`--fork-url`, `--fork-block-number`).
    pub fork: Option<crate::fork::ForkConfig>,
    /// Lift EIP-170 and EIP-3860 (`--disable-code-size-limit`).
    pub unlimited_code_size: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8545,
            chain_id: None,
            block_time: None,
            hardfork: None,
            base_fee: None,
            load_state: None,
            dump_state: None,
            fork: None,
            unlimited_code_size: false,
        }
    }
}

/// What the start-up banner shows.
pub struct Startup<'a> {
    pub node: &'a Arc<Node>,
    pub endpoint: SocketAddr,
    /// Whether an existing chain was resumed (rather than created).
    pub resumed: bool,
}

/// Runs the node until Ctrl-C or SIGTERM; `on_ready` is called once it is serving.
pub fn run_blocking(
    data_dir: &Path,
    opts: RunOptions,
    on_ready: impl FnOnce(&Startup<'_>),
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let addr = (opts.host.as_str(), opts.port)
            .to_socket_addrs()
            .with_context(|| format!("resolving {}:{}", opts.host, opts.port))?
            .next()
            .with_context(|| format!("{} resolves to no address", opts.host))?;
        let resumed = tandem_chain::DataDir::exists(data_dir);
        let node = Node::open(
            data_dir,
            &NodeConfig {
                chain_id: opts.chain_id,
                block_time: opts.block_time,
                hardfork: opts.hardfork,
                base_fee: opts.base_fee,
                fork: opts.fork.clone(),
                unlimited_code_size: opts.unlimited_code_size,
            },
        )?;
        if let Some(path) = &opts.load_state {
            let loaded = crate::dump::load_from_file(&node, path)?;
            node.sync()?;
            tracing::info!(target: "tandem::node", "loaded {}: {} blocks, head {}", path.display(), loaded.blocks, loaded.block);
        }
        let server = serve(node.clone(), addr)
            .await
            .with_context(|| format!("listening on {addr}"))?;
        on_ready(&Startup {
            node: &node,
            endpoint: server.addr,
            resumed,
        });
        tokio::select! {
            _ = shutdown_signal() => {}
            _ = node.health.failed() => {
                // Let the requests that saw the failure have their answers first.
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                server.stop();
                server.stopped().await;
                anyhow::bail!(
                    "the store could not make writes durable ({}); shut down. Start the node \
                     again once the disk has room: the chain resumes at block {} or later",
                    node.health.failure().unwrap_or_default(),
                    node.health.durable_number()
                );
            }
        }
        tracing::info!(target: "tandem::node", "shutting down");
        server.stop();
        server.stopped().await;
        node.sync()?;
        if let Some(path) = &opts.dump_state {
            crate::dump::dump_to_file(&node, path)?;
            tracing::info!(target: "tandem::node", "state dumped to {}", path.display());
        }
        Ok(())
    })
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
