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
    /// Report every actor's state size (its own state plus slot storage), largest first.
    Sizes {
        /// Show only the largest N actors.
        #[arg(long)]
        top: Option<usize>,
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
        StateCommand::Sizes { top } => sizes(ctx, &dir, top),
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

fn sizes(ctx: &Ctx, dir: &DataDir, top: Option<usize>) -> anyhow::Result<()> {
    let store = VmStore::new(dir.store.clone());
    let state = StateTree::load(store.clone(), &dir.head()?)?;
    let mut rows = Vec::new();
    state.for_each_actor(|id, record| {
        let own = dag_size(&store, &record.state)?;
        let slots = match &record.kv_root {
            Some(root) => dag_size(&store, root)?,
            None => Default::default(),
        };
        rows.push((id, own.blocks + slots.blocks, own.bytes + slots.bytes));
        Ok(())
    })?;
    // Largest first; ties by ID so the report is stable.
    rows.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    rows.truncate(top.unwrap_or(usize::MAX));
    if ctx.json {
        print_json(&json!(
            rows.iter()
                .map(|(id, blocks, bytes)| json!({
                    "id": format!("f0{id}"), "blocks": blocks, "bytes": bytes,
                }))
                .collect::<Vec<_>>()
        ));
    } else {
        println!("{:<12} {:>8} {:>12}", "actor", "blocks", "bytes");
        for (id, blocks, bytes) in rows {
            println!("{:<12} {blocks:>8} {bytes:>12}", format!("f0{id}"));
        }
    }
    Ok(())
}
