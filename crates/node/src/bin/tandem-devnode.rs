//! A bare runner of the dev node, for tests and benchmarks that need it in its own process
//! (to kill it, or to measure it apart from the load generator). People use `tandem node`.
//!
//! Usage: `tandem-devnode --data-dir DIR [--host H] [--port P] [--chain-id N]
//! [--block-time SECONDS]`. Prints `listening on ADDR` once it serves.

use std::path::PathBuf;

/// The allocator `tandem node` runs with, so benchmarks of this runner measure that node.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::time::Duration;

use anyhow::{Context, bail};
use tandem_node::RunOptions;

fn main() {
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = run() {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> anyhow::Result<()> {
    let mut data_dir: Option<PathBuf> = None;
    let mut opts = RunOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--data-dir" => data_dir = Some(PathBuf::from(value()?)),
            "--host" => opts.host = value()?,
            "--port" => opts.port = value()?.parse().context("--port")?,
            "--chain-id" => opts.chain_id = Some(value()?.parse().context("--chain-id")?),
            "--block-time" => {
                opts.block_time = Some(Duration::from_secs_f64(
                    value()?.parse().context("--block-time")?,
                ))
            }
            other => bail!("unknown argument {other}"),
        }
    }
    let data_dir = data_dir.context("--data-dir is required")?;
    tandem_node::run_blocking(&data_dir, opts, |s| {
        println!("listening on {}", s.endpoint);
    })
}
