//! `tandem node`: a dev chain with an Ethereum JSON-RPC endpoint (HTTP and WebSocket).

use std::path::Path;
use std::time::Duration;

use anyhow::bail;
use clap::Args;
use tandem_node::accounts::DEV_BALANCE_WEI;
use tandem_node::{RunOptions, Startup};

#[derive(Args, Debug)]
pub struct NodeArgs {
    /// Address to listen on (loopback unless told otherwise).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port for HTTP and WebSocket JSON-RPC.
    #[arg(long, default_value_t = 8545)]
    pub port: u16,
    /// Chain id of a new chain [default: 31337]; an existing chain must match.
    #[arg(long)]
    pub chain_id: Option<u64>,
    /// Mine a block every SECONDS instead of one block per transaction.
    #[arg(long, value_name = "SECONDS")]
    pub block_time: Option<f64>,
    /// The EVM's rules: cancun, prague or osaka (a new chain's default: osaka). On an existing
    /// chain it switches the rules from the next block on and is recorded.
    #[arg(long, value_name = "FORK")]
    pub hardfork: Option<tandem_vm::kernel::Hardfork>,
    /// Pin the base fee to WEI in every block (0: no base fee). Without it the base fee
    /// follows EIP-1559 from 1 gwei: up when blocks use more than half their gas limit,
    /// down when they use less.
    #[arg(long, value_name = "WEI")]
    pub base_fee: Option<u64>,
    /// Load a state dump (from `--dump-state` or `anvil_dumpState`) at start-up; it replaces
    /// the chain's blocks and state.
    #[arg(long, value_name = "PATH")]
    pub load_state: Option<std::path::PathBuf>,
    /// Write a state dump (a CAR file: blocks, receipts and state) to PATH on exit.
    #[arg(long, value_name = "PATH")]
    pub dump_state: Option<std::path::PathBuf>,
    /// Fork another node: Ethereum accounts and storage this chain does not know are read
    /// from URL (an http:// or https:// JSON-RPC endpoint) at the fork block, on first use,
    /// and kept.
    #[arg(long, value_name = "URL")]
    pub fork_url: Option<String>,
    /// The remote block to fork at [default: the remote's latest].
    #[arg(long, value_name = "N", requires = "fork_url")]
    pub fork_block_number: Option<u64>,
    /// PEM certificates to trust for an https:// fork URL instead of Mozilla's roots (a
    /// private CA or a self-signed node).
    #[arg(long, value_name = "PATH", requires = "fork_url")]
    pub fork_ca_cert: Option<std::path::PathBuf>,
    /// Lift EIP-170's 24,576-byte limit on deployed code and EIP-3860's on init code, as
    /// anvil's flag does (contracts Ethereum would refuse then deploy). Applies while the
    /// node runs with it; a start without it restores the limits.
    #[arg(long)]
    pub disable_code_size_limit: bool,
}

pub fn run(data_dir: &Path, args: NodeArgs) -> anyhow::Result<()> {
    let block_time = match args.block_time {
        None => None,
        Some(s) if s.is_finite() && s > 0.0 => Some(Duration::from_secs_f64(s)),
        Some(s) => bail!("--block-time must be a positive number of seconds, not {s}"),
    };
    let opts = RunOptions {
        host: args.host,
        port: args.port,
        chain_id: args.chain_id,
        block_time,
        hardfork: args.hardfork,
        base_fee: args.base_fee,
        load_state: args.load_state,
        dump_state: args.dump_state,
        fork: args.fork_url.map(|url| tandem_node::fork::ForkConfig {
            url,
            block_number: args.fork_block_number,
            ca_cert: args.fork_ca_cert,
        }),
        unlimited_code_size: args.disable_code_size_limit,
    };
    tandem_node::run_blocking(data_dir, opts, banner)
}

fn banner(s: &Startup<'_>) {
    let node = s.node;
    let eth = DEV_BALANCE_WEI / 1_000_000_000_000_000_000;
    println!("Tandem dev node");
    println!();
    println!("Available accounts ({eth} ETH each)");
    for (i, a) in node.accounts.iter().enumerate() {
        println!("  ({i}) {}", a.address);
    }
    println!();
    println!("Private keys");
    for (i, a) in node.accounts.iter().enumerate() {
        println!("  ({i}) {}", a.private_key_hex());
    }
    println!();
    println!("Mnemonic: {}", tandem_node::accounts::DEV_MNEMONIC);
    println!("Chain id: {}", node.chain_id());
    println!(
        "Data dir: {} ({} at block {})",
        node.path.display(),
        if s.resumed { "resumed" } else { "new chain" },
        node.latest_number()
    );
    match node.mining_interval_ms() {
        0 => println!("Mining:   automine (one block per transaction)"),
        ms => println!("Mining:   every {}s", ms as f64 / 1000.0),
    }
    match node.base_fee_rule {
        tandem_node::base_fee::BaseFeeRule::Pinned(fee) => {
            println!("Base fee: {fee} wei, pinned")
        }
        tandem_node::base_fee::BaseFeeRule::Eip1559 => println!("Base fee: EIP-1559"),
    }
    if let Some(fork) = &node.fork {
        println!("Fork:     {} at block {}", fork.url(), fork.block());
    }
    println!();
    println!("Listening on http://{0} and ws://{0}", s.endpoint);
}
