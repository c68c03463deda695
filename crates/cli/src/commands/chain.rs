//! `tandem chain init`: a genesis with funded dev accounts.

use clap::Subcommand;
use fvm_shared::econ::TokenAmount;
use serde_json::json;
use tandem_actors::genesis::{Genesis, GenesisAccount};
use tandem_chain::keys::{KeyFile, dev_key};
use tandem_chain::{ChainConfig, DataDir};
use tandem_vm::message::secp256k1_address;

use crate::Ctx;
use crate::output::print_json;

/// Each dev account starts with 10,000 FIL.
const DEV_BALANCE_ATTO: u128 = 10_000 * 1_000_000_000_000_000_000;

#[derive(Subcommand)]
pub enum ChainCommand {
    /// Create a chain in the data dir with N funded dev accounts.
    Init {
        /// How many dev accounts to fund.
        #[arg(long, default_value_t = 4)]
        accounts: u32,
        /// The chain ID (Ethereum's CHAINID).
        #[arg(long, default_value_t = 31337)]
        chain_id: u64,
    },
}

pub fn run(ctx: &Ctx, cmd: ChainCommand) -> anyhow::Result<()> {
    match cmd {
        ChainCommand::Init { accounts, chain_id } => init(ctx, accounts, chain_id),
    }
}

fn init(ctx: &Ctx, accounts: u32, chain_id: u64) -> anyhow::Result<()> {
    let keys: Vec<_> = (0..accounts).map(dev_key).collect();
    let genesis = Genesis {
        network_name: "tandem-dev".into(),
        accounts: keys
            .iter()
            .map(|k| GenesisAccount {
                address: secp256k1_address(k),
                balance: TokenAmount::from_atto(DEV_BALANCE_ATTO),
            })
            .collect(),
    };
    let config = ChainConfig {
        chain_id,
        ..ChainConfig::default()
    };
    let (dir, root) = DataDir::init(&ctx.data_dir, config, &genesis)?;
    let key_file = KeyFile::from_keys(&keys);
    key_file.save(&dir.keys_path())?;
    if ctx.json {
        print_json(&json!({
            "data_dir": dir.path,
            "state_root": root.to_string(),
            "chain_id": chain_id,
            "accounts": key_file.keys.iter().map(|k| json!({
                "address": k.address, "private_key": k.private_key, "balance": DEV_BALANCE_ATTO.to_string(),
            })).collect::<Vec<_>>(),
        }));
    } else {
        println!(
            "Created a chain in {} (chain id {chain_id})",
            dir.path.display()
        );
        println!("State root: {root}");
        println!();
        println!(
            "Dev accounts (10000 FIL each; keys kept in {}):",
            dir.keys_path().display()
        );
        for (i, k) in key_file.keys.iter().enumerate() {
            println!("  ({i}) {}  key 0x{}", k.address, k.private_key);
        }
    }
    Ok(())
}
