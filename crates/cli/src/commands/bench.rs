//! `tandem bench`: fixed workloads on an in-memory chain (see the `tandem-bench` crate), each
//! with its peer in the same run; a table, or JSON with `--json`.

use std::time::Duration;

use clap::Args;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Run only workloads whose name contains this.
    #[arg(long)]
    pub filter: Option<String>,
    /// Milliseconds of measurement per workload (after a warm-up).
    #[arg(long, default_value_t = 2_500)]
    pub ms: u64,
    /// Print the native price list against the clock instead (docs/gas.md's calibration
    /// table, as Markdown); `--ms` is then the time per row.
    #[arg(long)]
    pub calibrate: bool,
}

pub fn run(json: bool, args: BenchArgs) -> anyhow::Result<()> {
    if args.calibrate {
        return calibrate(json, args);
    }
    let opts = tandem_bench::Options {
        filter: args.filter,
        time_per_workload: Duration::from_millis(args.ms),
    };
    let rows = tandem_bench::run(&opts)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        print!("{}", tandem_bench::table(&rows));
    }
    Ok(())
}

fn calibrate(json: bool, args: BenchArgs) -> anyhow::Result<()> {
    // Rows are many and each is a difference of two medians: a second per row by default.
    let ms = if args.ms == 2_500 { 1_000 } else { args.ms };
    let c = tandem_bench::calibrate::run(args.filter.as_deref(), Duration::from_millis(ms))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&c)?);
    } else {
        print!("{}", tandem_bench::calibrate::markdown(&c));
        let outliers = c.outliers();
        if !outliers.is_empty() {
            let names: Vec<&str> = outliers.iter().map(|r| r.name).collect();
            eprintln!("outside 2x of the common rate: {}", names.join(", "));
        }
    }
    Ok(())
}
