//! Genesis: the singleton built-in actors and the funded accounts a chain starts with.

use cid::Cid;
use fvm_ipld_hamt::{BytesKey, Hamt};
use fvm_shared::address::{Address, Payload};
use fvm_shared::econ::TokenAmount;
use tandem_state::state_tree::{HAMT_BIT_WIDTH, put_cbor};
use tandem_state::{ActorID, ActorRecord, InitState, StateTree};
use tandem_vm::builtin::{
    BURNT_FUNDS_ACTOR_ID, BuiltinCode, EAM_ACTOR_ID, FIRST_NON_SINGLETON_ID, INIT_ACTOR_ID,
    REWARD_ACTOR_ID, SYSTEM_ACTOR_ID,
};
use tandem_vm::call_manager::AccountStateRef;
use tandem_vm::store::VmStore;

/// A funded account at genesis: an f1 key address or an f410 Ethereum address.
#[derive(Debug, Clone)]
pub struct GenesisAccount {
    pub address: Address,
    pub balance: TokenAmount,
}

#[derive(Debug, Clone)]
pub struct Genesis {
    pub network_name: String,
    pub accounts: Vec<GenesisAccount>,
}

/// A state tree holding only the singleton built-ins (not flushed).
pub fn singleton_state(store: VmStore, network_name: &str) -> anyhow::Result<StateTree<VmStore>> {
    let mut state = StateTree::new(store.clone())?;
    let empty_object = put_cbor(&store, &Vec::<u64>::new())?;
    let empty_map = {
        let mut map: Hamt<&VmStore, u64, BytesKey> =
            Hamt::new_with_bit_width(&store, HAMT_BIT_WIDTH);
        map.flush()?
    };
    let init_state = InitState {
        address_map: empty_map,
        next_id: FIRST_NON_SINGLETON_ID,
        network_name: network_name.to_string(),
        installed_code: empty_map,
    };
    let singletons: [(ActorID, BuiltinCode, Cid); 5] = [
        (SYSTEM_ACTOR_ID, BuiltinCode::System, empty_object),
        (
            INIT_ACTOR_ID,
            BuiltinCode::Init,
            put_cbor(&store, &init_state)?,
        ),
        (REWARD_ACTOR_ID, BuiltinCode::Reward, empty_object),
        (EAM_ACTOR_ID, BuiltinCode::Eam, empty_object),
        (BURNT_FUNDS_ACTOR_ID, BuiltinCode::BurntFunds, empty_object),
    ];
    for (id, code, head) in singletons {
        state.set_actor(id, ActorRecord::new(code.cid(), head, None));
    }
    Ok(state)
}

/// Adds a funded account; returns its ID.
pub fn add_account(
    state: &mut StateTree<VmStore>,
    account: &GenesisAccount,
) -> anyhow::Result<ActorID> {
    let id = state.register_new_address(&account.address)?;
    let store = state.store().clone();
    let record = match account.address.payload() {
        Payload::Secp256k1(_) | Payload::BLS(_) => {
            let head = put_cbor(
                &store,
                &AccountStateRef {
                    address: account.address,
                },
            )?;
            ActorRecord::new(BuiltinCode::Account.cid(), head, None)
        }
        Payload::Delegated(_) => {
            let head = put_cbor(&store, &Vec::<u64>::new())?;
            ActorRecord::new(BuiltinCode::EthAccount.cid(), head, Some(account.address))
        }
        _ => anyhow::bail!(
            "genesis accounts need a key or f410 address, not {}",
            account.address
        ),
    };
    state.set_actor(
        id,
        ActorRecord {
            balance: account.balance.clone(),
            ..record
        },
    );
    Ok(id)
}

/// Builds the genesis state and returns its root.
pub fn build(store: VmStore, genesis: &Genesis) -> anyhow::Result<Cid> {
    let mut state = singleton_state(store, &genesis.network_name)?;
    for account in &genesis.accounts {
        add_account(&mut state, account)?;
    }
    state.flush()
}
