//! Messages per second and bytes written per message on the redb store:
//! - plain value transfers (signature check, nonce, balances, fees);
//! - a state-heavy message: an actor that writes 100 HAMT entries per call.
//!
//! Each iteration applies a block of messages and commits it (one redb transaction).

use std::sync::Arc;

use cid::Cid;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fvm_ipld_encoding::RawBytes;
use fvm_ipld_hamt::{BytesKey, Hamt};
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use k256::ecdsa::SigningKey;
use tandem_actors::genesis::{Genesis, GenesisAccount};
use tandem_chain::keys::dev_key;
use tandem_chain::{Chain, ChainConfig, DataDir, runtimes};
use tandem_state::ActorRecord;
use tandem_state::state_tree::put_cbor;
use tandem_vm::gas::{Gas, PRICE_LIST};
use tandem_vm::kernel::{KResult, Kernel};
use tandem_vm::message::{Message, SignedMessage, secp256k1_address};
use tandem_vm::runtime::{InvokeReturn, Runtime};

const BLOCK: usize = 100;
const WRITES_PER_MESSAGE: u64 = 100;

/// Writes `WRITES_PER_MESSAGE` new entries into a HAMT in its state on every call.
struct HamtWriter;

fn writer_code() -> Cid {
    Cid::new_v1(
        0x55,
        multihash_codetable::Multihash::wrap(0, b"bench/hamt-writer").unwrap(),
    )
}

impl Runtime for HamtWriter {
    fn name(&self) -> &'static str {
        "hamt-writer"
    }
    fn runs(&self, code: &Cid) -> bool {
        *code == writer_code()
    }
    fn invoke(&self, k: &mut dyn Kernel) -> KResult<InvokeReturn> {
        let root = k.root()?;
        let store = k.store().clone();
        let mut map: Hamt<_, u64, BytesKey> =
            Hamt::load_with_bit_width(&root, &store, 5).map_err(anyhow::Error::from)?;
        let nonce = k.context().nonce;
        for i in 0..WRITES_PER_MESSAGE {
            k.charge_gas("write", PRICE_LIST.block_link(40))?;
            let key = format!("{nonce}/{i}");
            map.set(BytesKey(key.into_bytes()), i)
                .map_err(anyhow::Error::from)?;
        }
        let new_root = map.flush().map_err(anyhow::Error::from)?;
        k.set_root(new_root)?;
        Ok(InvokeReturn::ok(None))
    }
}

struct Setup {
    _tmp: tempfile::TempDir,
    chain: Chain,
    key: SigningKey,
    from: Address,
    to: Address,
    nonce: u64,
}

fn setup(with_writer: bool) -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let key = dev_key(0);
    let from = secp256k1_address(&key);
    let to = secp256k1_address(&dev_key(1));
    let genesis = Genesis {
        network_name: "bench".into(),
        accounts: [from, to]
            .into_iter()
            .map(|address| GenesisAccount {
                address,
                balance: TokenAmount::from_whole(1_000_000),
            })
            .collect(),
    };
    let (dir, _) =
        DataDir::init(&tmp.path().join("chain"), ChainConfig::default(), &genesis).unwrap();
    let mut chain = Chain::load_with(dir, runtimes().with(Arc::new(HamtWriter))).unwrap();
    let to = if with_writer {
        let state = &mut chain.exec.machine.state;
        let addr = Address::new_actor(b"bench-writer");
        let id = state.register_new_address(&addr).unwrap();
        let store = state.store().clone();
        let mut empty: Hamt<_, u64, BytesKey> = Hamt::new_with_bit_width(&store, 5);
        let head = empty.flush().unwrap();
        let _ = put_cbor(&store, &head);
        state.set_actor(id, ActorRecord::new(writer_code(), head, None));
        chain.commit().unwrap();
        Address::new_id(id)
    } else {
        to
    };
    Setup {
        _tmp: tmp,
        chain,
        key,
        from,
        to,
        nonce: 0,
    }
}

fn block(s: &mut Setup, method: u64, value: u64) -> Vec<SignedMessage> {
    (0..BLOCK)
        .map(|_| {
            let msg = Message {
                version: 0,
                from: s.from,
                to: s.to,
                sequence: s.nonce,
                value: TokenAmount::from_atto(value),
                method_num: method,
                params: RawBytes::default(),
                gas_limit: 50_000_000,
                gas_fee_cap: TokenAmount::from_atto(2_000_000_000u64),
                gas_premium: TokenAmount::from_atto(1_000_000_000u64),
            };
            s.nonce += 1;
            SignedMessage::sign_secp256k1(msg, &s.key).unwrap()
        })
        .collect()
}

fn run_block(s: &mut Setup, msgs: Vec<SignedMessage>) -> u64 {
    for m in &msgs {
        let ret = s.chain.apply(m).unwrap();
        assert!(ret.receipt.exit_code.is_success(), "{:?}", ret.failure);
    }
    s.chain.commit().unwrap().1.bytes_written
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("messages_redb");
    group.throughput(Throughput::Elements(BLOCK as u64));
    group.sample_size(20);

    for (name, with_writer, method, value) in [
        ("value_transfer", false, 0, 1),
        ("hamt_100_writes", true, 2, 0),
    ] {
        let mut s = setup(with_writer);
        let mut bytes = Vec::new();
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = std::time::Duration::ZERO;
                for _ in 0..iters {
                    // Signing is the client's work: done outside the measurement.
                    let msgs = block(&mut s, method, value);
                    let start = std::time::Instant::now();
                    bytes.push(run_block(&mut s, msgs));
                    total += start.elapsed();
                }
                total
            })
        });
        let per_msg = bytes.iter().sum::<u64>() as f64 / (bytes.len() * BLOCK) as f64;
        println!(
            "{name}: {per_msg:.0} bytes written per message (block of {BLOCK}, {} blocks)",
            bytes.len()
        );
    }
    let _ = Gas::ZERO;
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
