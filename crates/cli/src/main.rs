//! `tandem`: the command-line tool.

mod commands;
mod output;
mod values;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// jemalloc rather than the system allocator: glibc's malloc/free were ~10% of a native
/// message's instructions, and the node's blocks allocate as much (docs/node.md, "Allocator").
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "tandem",
    version,
    about = "A multi-runtime actor VM: native WASM actors and EVM contracts on one IPLD state"
)]
struct Cli {
    /// The chain's data directory.
    #[arg(
        long,
        global = true,
        default_value = "./.tandem",
        env = "TANDEM_DATA_DIR"
    )]
    data_dir: PathBuf,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// More logging (-v: debug, -vv: trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the dev chain with an Ethereum JSON-RPC endpoint (HTTP and WebSocket).
    Node(commands::node::NodeArgs),
    /// Create or inspect the chain.
    #[command(subcommand)]
    Chain(commands::chain::ChainCommand),
    /// Sign a message with a dev key, apply it and commit (exits non-zero if it fails).
    Send(commands::send::SendArgs),
    /// Run a message read-only on the head state (no signature, fee or commit) and print
    /// its decoded return.
    Call(commands::call::CallArgs),
    /// Read the state.
    #[command(subcommand)]
    State(commands::state::StateCommand),
    /// Export or import CAR files.
    #[command(subcommand)]
    Car(commands::car::CarCommand),
    /// Delete blocks that the head state does not reach.
    Gc(commands::gc::GcArgs),
    /// Compile the Tandem package in a folder (writes Foundry-style artifacts to out/).
    Build(commands::lang::BuildArgs),
    /// Explain a compiler diagnostic code (`tandem explain E0400`; `--list` for all).
    Explain(commands::explain::ExplainArgs),
    /// Format Tandem sources in the canonical style (`--check`: list unformatted files, fail).
    Fmt(commands::fmt::FmtArgs),
    /// Run the Tandem language server on stdin/stdout (for editors).
    Lsp(commands::lsp::LspArgs),
    /// Print the IPLD Schema of a package's messages (the WASM build's DAG-CBOR).
    Schema(commands::schema::SchemaArgs),
    /// Generate Rust SDK bindings (`--rust`) for calling a package's contract.
    Bindgen(commands::schema::BindgenArgs),
    /// Scaffold a new Tandem package with the Coin example.
    Init(commands::lang::InitArgs),
    /// Scaffold a native WASM actor crate (`tandem new --actor NAME`).
    New(commands::new::NewArgs),
    /// Run the package's call-DSL tests (test/<Name>.calls) on revm and on the Tandem VM.
    Test(commands::test::TestArgs),
    /// Install native WASM actor code and create actors of it.
    #[command(subcommand)]
    Actor(commands::actor::ActorCommand),
    /// Encode and decode values by an actor's schema (its module's tandem:schema section).
    #[command(subcommand)]
    Abi(commands::abi::AbiCommand),
    /// Deploy, call and send to EVM contracts with Solidity signatures (`tandem evm call 0x…
    /// "balanceOf(address)(uint256)" 0x…`).
    #[command(subcommand)]
    Evm(commands::evm::EvmCommand),
    /// Run Ethereum GeneralStateTests through Tandem's executor and state.
    Statetest(commands::statetest::StatetestArgs),
    /// Time fixed workloads on an in-memory chain against their peers (plain revm, the EVM).
    Bench(commands::bench::BenchArgs),
}

pub struct Ctx {
    pub data_dir: PathBuf,
    pub json: bool,
}

fn main() {
    let cli = Cli::parse();
    // The node logs one line per block and per transaction at info level.
    let is_node = matches!(cli.command, Command::Node(_));
    let debug = match &cli.command {
        Command::Send(a) => a.msg.debug,
        Command::Call(a) => a.msg.debug,
        Command::Evm(c) => commands::evm::debug(c),
        _ => false,
    };
    init_tracing(cli.verbose, is_node, debug);
    let verbose = cli.verbose;
    let ctx = Ctx {
        data_dir: cli.data_dir,
        json: cli.json,
    };
    let result = match cli.command {
        Command::Build(args) => commands::lang::run_build(args),
        Command::Init(args) => commands::lang::run_init(args),
        Command::Explain(args) => commands::explain::run(args),
        Command::Fmt(args) => commands::fmt::run(args),
        Command::Lsp(args) => commands::lsp::run(args),
        Command::Schema(args) => commands::schema::run_schema(ctx.json, args),
        Command::Bindgen(args) => commands::schema::run_bindgen(args),
        Command::New(args) => commands::new::run(ctx.json, args),
        Command::Test(mut args) => {
            args.verbose = verbose > 0;
            commands::test::run(args)
        }
        Command::Node(args) => commands::node::run(&ctx.data_dir, args),
        Command::Actor(cmd) => commands::actor::run(&ctx.data_dir, ctx.json, cmd),
        Command::Chain(cmd) => commands::chain::run(&ctx, cmd),
        Command::Abi(cmd) => commands::abi::run(&ctx, cmd),
        Command::Send(args) => commands::send::run(&ctx, args),
        Command::Call(args) => commands::call::run(&ctx, args),
        Command::State(cmd) => commands::state::run(&ctx, cmd),
        Command::Car(cmd) => commands::car::run(&ctx, cmd),
        Command::Gc(args) => commands::gc::run(&ctx, args),
        Command::Evm(cmd) => commands::evm::run(&ctx, cmd),
        Command::Statetest(args) => commands::statetest::run(args),
        Command::Bench(args) => commands::bench::run(ctx.json, args),
    };
    if let Err(e) = result {
        // Compiler diagnostics are already rendered (`error[E…]: …`).
        match e.downcast_ref::<tandem_lang_driver::check::Rendered>() {
            Some(r) => eprintln!("{r}"),
            None => eprintln!("error: {e:#}"),
        }
        std::process::exit(1);
    }
}

/// `debug`: actors' `debug_log` lines (target `tandem::actor`, info) are shown.
fn init_tracing(verbose: u8, is_node: bool, debug: bool) {
    let default = match verbose {
        0 if is_node => "warn,tandem::node=info",
        0 => "warn",
        1 => "info,tandem=debug",
        _ => "debug,tandem=trace",
    };
    let default = if debug {
        format!("{default},tandem::actor=info")
    } else {
        default.to_string()
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // `anvil_setLoggingEnabled(false)` silences the node's own lines.
    let node_logging = tracing_subscriber::filter::filter_fn(|meta| {
        let node_target = ["tandem::node", "tandem::rpc"]
            .iter()
            .any(|t| meta.target().starts_with(t));
        !node_target || tandem_node::logging_enabled()
    });
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .finish()
        .with(node_logging)
        .try_init();
}
