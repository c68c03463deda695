//! A native receipt's events root is computed on demand: the executor leaves
//! `receipt.events_root` empty (nothing committed holds it), and `ApplyRet::events_root` gives
//! the root the receipt used to carry: the AMT of the message's events, as `fvm_ipld_amt`
//! builds it. The same whichever way a message is applied (paid, unpaid, through a chain).

use crate::common;

use cid::Cid;
use common::*;
use fvm_ipld_amt::Amt;
use fvm_ipld_blockstore::MemoryBlockstore;
use fvm_ipld_encoding::RawBytes;
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::ExitCode;
use fvm_shared::event::StampedEvent;
use tandem_vm::frc42::method_number;
use tandem_vm::message::{ApplyRet, Message};

fn cbor<T: serde::Serialize>(v: &T) -> Vec<u8> {
    fvm_ipld_encoding::to_vec(v).unwrap()
}

/// The events AMT built and flushed by the library, as a receipt committed to it eagerly.
fn library_root(events: &[StampedEvent]) -> Cid {
    let store = MemoryBlockstore::new();
    let mut amt = Amt::new_with_bit_width(&store, 5);
    for (i, e) in events.iter().enumerate() {
        amt.set(i as u64, e.clone()).unwrap();
    }
    amt.flush().unwrap()
}

/// The receipt has no root; asked for, it is the library's; filled in, the receipt carries it.
fn assert_root_on_demand(ret: &ApplyRet) -> Option<Cid> {
    assert_eq!(ret.receipt.events_root, None, "computed only on demand");
    let on_demand = ret.events_root().unwrap();
    let expected = (!ret.events.is_empty()).then(|| library_root(&ret.events));
    assert_eq!(on_demand, expected);
    let filled = ret.clone().with_events_root().unwrap();
    assert_eq!(filled.receipt.events_root, on_demand);
    on_demand
}

#[test]
fn a_native_receipts_events_root_is_the_same_computed_either_way() {
    let mut c = chain();
    let supply = TokenAmount::from_atto(1_000_000u64);
    let token = c.deploy(&actors::wasm("token"), cbor(&("Root", "RT", supply)));
    let transfer = method_number("Transfer").unwrap();
    let bob = c.addr(1);
    let params = |n: u64| cbor(&(RawBytes::new(bob.to_bytes()), TokenAmount::from_atto(n)));

    // Paid (`apply_signed`): one Transfer event.
    let ret = c.call(token, transfer, params(250));
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    assert_eq!(ret.events.len(), 1);
    let paid = assert_root_on_demand(&ret).expect("one event");

    // The same transfer again: the same event (sender, receiver, amount), so the same root.
    let again = c.call(token, transfer, params(250));
    assert_eq!(assert_root_on_demand(&again), Some(paid));

    // Refused: its frame's events are dropped, and there is no root.
    let refused = c.call(token, transfer, params(u64::MAX));
    assert_eq!(refused.receipt.exit_code, ExitCode::USR_INSUFFICIENT_FUNDS);
    assert_eq!(assert_root_on_demand(&refused), None);

    // Unpaid (`apply_implicit`, the system lane's path): the same transfer, the same root.
    let from = c.addr(0);
    let implicit = c
        .exec
        .apply_implicit(&Message {
            version: 0,
            from,
            to: token,
            sequence: 0,
            value: TokenAmount::default(),
            method_num: transfer,
            params: RawBytes::new(params(250)),
            gas_limit: GAS_LIMIT,
            gas_fee_cap: TokenAmount::default(),
            gas_premium: TokenAmount::default(),
        })
        .unwrap();
    assert_eq!(
        implicit.receipt.exit_code,
        ExitCode::OK,
        "{:?}",
        implicit.failure
    );
    assert_eq!(assert_root_on_demand(&implicit), Some(paid));
}

/// `Chain::apply` (the CLI's one message, shown whole) hands the receipt back filled in.
#[test]
fn a_chains_receipt_carries_its_events_root() {
    use tandem_actors::genesis::{Genesis, GenesisAccount};
    use tandem_actors::init::{ExecParams, ExecReturn, InstallCodeParams, InstallCodeReturn};
    use tandem_chain::keys::dev_key;
    use tandem_chain::{Chain, ChainConfig, DataDir};
    use tandem_vm::message::{SignedMessage, secp256k1_address};

    let tmp = tempfile::tempdir().unwrap();
    let key = dev_key(0);
    let from = secp256k1_address(&key);
    let bob = secp256k1_address(&dev_key(1));
    let accounts = [from, bob].map(|address| GenesisAccount {
        address,
        balance: TokenAmount::from_whole(1_000),
    });
    let genesis = Genesis {
        network_name: "tandem-dev".into(),
        accounts: accounts.to_vec(),
    };
    let (dir, _) = DataDir::init(tmp.path(), ChainConfig::default(), &genesis).unwrap();
    let mut chain = Chain::load(dir).unwrap();
    let mut nonce = 0;
    let mut send = |chain: &mut Chain, to, method, params: Vec<u8>| {
        let msg = Message {
            version: 0,
            from,
            to,
            sequence: nonce,
            value: TokenAmount::default(),
            method_num: method,
            params: RawBytes::new(params),
            gas_limit: GAS_LIMIT,
            gas_fee_cap: TokenAmount::from_atto(2_000_000_000u64),
            gas_premium: TokenAmount::from_atto(1_000_000_000u64),
        };
        nonce += 1;
        let ret = chain
            .apply(&SignedMessage::sign_secp256k1(msg, &key).unwrap())
            .unwrap();
        assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
        ret
    };
    let init = fvm_shared::address::Address::new_id(1);
    let install = cbor(&InstallCodeParams {
        code: RawBytes::new(actors::wasm("token")),
    });
    let installed = send(
        &mut chain,
        init,
        tandem_actors::init::install_code_method(),
        install,
    );
    let code: InstallCodeReturn = installed.receipt.return_data.deserialize().unwrap();
    let supply = TokenAmount::from_atto(1_000u64);
    let exec = cbor(&ExecParams {
        code_cid: code.code_cid,
        constructor_params: RawBytes::new(cbor(&("Root", "RT", supply))),
    });
    let created = send(&mut chain, init, 2, exec);
    let token: ExecReturn = created.receipt.return_data.deserialize().unwrap();
    let params = cbor(&(RawBytes::new(bob.to_bytes()), TokenAmount::from_atto(7u64)));
    let ret = send(
        &mut chain,
        token.id_address,
        method_number("Transfer").unwrap(),
        params,
    );
    assert_eq!(ret.events.len(), 1);
    assert_eq!(ret.receipt.events_root, Some(library_root(&ret.events)));
}
