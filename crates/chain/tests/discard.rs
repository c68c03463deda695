//! A chain that could not commit goes back to its last committed head and keeps working.

use fvm_ipld_encoding::RawBytes;
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::ExitCode;
use tandem_actors::genesis::{Genesis, GenesisAccount};
use tandem_chain::keys::dev_key;
use tandem_chain::{Chain, ChainConfig, DataDir};
use tandem_vm::message::{Message, SignedMessage, secp256k1_address};

#[test]
fn uncommitted_messages_can_be_discarded_and_the_chain_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let key = dev_key(0);
    let from = secp256k1_address(&key);
    let to = secp256k1_address(&dev_key(1));
    let genesis = Genesis {
        network_name: "tandem-dev".into(),
        accounts: vec![GenesisAccount {
            address: from,
            balance: TokenAmount::from_whole(10),
        }],
    };
    let (dir, head) =
        DataDir::init(&tmp.path().join("chain"), ChainConfig::default(), &genesis).unwrap();
    let mut chain = Chain::load(dir).unwrap();
    let transfer = SignedMessage::sign_secp256k1(
        Message {
            version: 0,
            from,
            to,
            sequence: 0,
            value: TokenAmount::from_whole(1),
            method_num: 0,
            params: RawBytes::default(),
            gas_limit: 1_000_000,
            gas_fee_cap: TokenAmount::from_atto(2_000_000_000u64),
            gas_premium: TokenAmount::from_atto(1_000_000_000u64),
        },
        &key,
    )
    .unwrap();
    let ret = chain.apply(&transfer).unwrap();
    assert_eq!(ret.receipt.exit_code, ExitCode::OK);
    assert_ne!(chain.exec.flush().unwrap(), head);

    chain.discard_uncommitted().unwrap();
    assert_eq!(
        chain.exec.flush().unwrap(),
        head,
        "the applied message survived"
    );
    // The same message (same nonce) applies again, and this time commits.
    let ret = chain.apply(&transfer).unwrap();
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    let (root, _) = chain.commit().unwrap();
    assert_eq!(chain.head().unwrap(), root);
}

/// A data dir that another handle holds (a running node) is refused with that reason, not
/// called "not a Tandem data dir"; once it is released it opens.
#[test]
fn a_data_dir_in_use_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let genesis = Genesis {
        network_name: "tandem-dev".into(),
        accounts: vec![],
    };
    let path = tmp.path().join("chain");
    let (held, _) = DataDir::init(&path, ChainConfig::default(), &genesis).unwrap();
    let err = format!(
        "{:#}",
        DataDir::open(&path).err().expect("refused while held")
    );
    assert!(err.contains("in use by another process"), "{err}");
    assert!(!err.contains("not a Tandem data dir"), "{err}");
    drop(held);
    DataDir::open(&path).unwrap();
}
