//! `tandem state root` and `tandem state actor ADDR`.

use anyhow::anyhow;
use clap::Subcommand;
use serde_json::json;
use tandem_chain::DataDir;
use tandem_state::StateTree;
use tandem_state::links::dag_size;
use tandem_vm::builtin::BuiltinCode;
use tandem_vm::eth::EthAddress;
use tandem_vm::store::VmStore;

use crate::Ctx;
use crate::output::{parse_address, print_json};

#[derive(Subcommand)]
pub enum StateCommand {
    /// Print the head state root.
    Root,
    /// Print an actor: code, head, nonce, balance, delegated address and state size.
    Actor {
        /// f0…/f1…/f2…/f4… or 0x… address.
        address: String,
    },
}

pub fn run(ctx: &Ctx, cmd: StateCommand) -> anyhow::Result<()> {
    let dir = DataDir::open(&ctx.data_dir)?;
    match cmd {
        StateCommand::Root => {
            let root = dir.head()?;
            if ctx.json {
                print_json(&json!({ "state_root": root.to_string() }));
            } else {
                println!("{root}");
            }
            Ok(())
        }
        StateCommand::Actor { address } => actor(ctx, &dir, &address),
    }
}

fn actor(ctx: &Ctx, dir: &DataDir, address: &str) -> anyhow::Result<()> {
    let addr = parse_address(address)?;
    let store = VmStore::new(dir.store.clone());
    let mut state = StateTree::load(store.clone(), &dir.head()?)?;
    let id = state
        .lookup_id(&addr)?
        .ok_or_else(|| anyhow!("no actor at {addr}"))?;
    let record = state
        .get_actor(id)?
        .ok_or_else(|| anyhow!("no actor at {addr}"))?;
    let state_size = dag_size(&store, &record.state)?;
    let slots_size = match &record.kv_root {
        Some(root) => dag_size(&store, root)?,
        None => Default::default(),
    };
    let code_name = BuiltinCode::from_cid(&record.code).map(|c| c.name().to_string());
    let eth = record
        .delegated_address
        .as_ref()
        .and_then(EthAddress::from_delegated)
        .unwrap_or_else(|| EthAddress::from_id(id));
    if ctx.json {
        print_json(&json!({
            "id": format!("f0{id}"),
            "code": record.code.to_string(),
            "code_name": code_name,
            "head": record.state.to_string(),
            "slot_storage_root": record.kv_root.map(|c| c.to_string()),
            "nonce": record.sequence,
            "balance": record.balance.atto().to_string(),
            "delegated_address": record.delegated_address.map(|a| a.to_string()),
            "eth_address": eth.to_string(),
            "state_size": { "blocks": state_size.blocks + slots_size.blocks, "bytes": state_size.bytes + slots_size.bytes },
        }));
    } else {
        println!("actor        f0{id}");
        println!(
            "code         {}{}",
            record.code,
            code_name.map(|n| format!(" ({n})")).unwrap_or_default()
        );
        println!("head         {}", record.state);
        if let Some(kv) = record.kv_root {
            println!("slots        {kv}");
        }
        println!("nonce        {}", record.sequence);
        println!("balance      {} attoFIL", record.balance.atto());
        if let Some(d) = record.delegated_address {
            println!("delegated    {d}");
        }
        println!("eth address  {eth}");
        println!(
            "state size   {} blocks, {} bytes",
            state_size.blocks + slots_size.blocks,
            state_size.bytes + slots_size.bytes
        );
    }
    Ok(())
}
