//! The IPLD schema of every contract against what its WASM build really reads and writes:
//! for every feature fixture and corpus contract that builds for WASM, each constructor and
//! handler is sent arguments of its types (two sets), encoded by the fixture harness
//! (`native::cbor::params`, what `tandem test` sends), on Tandem's VM; the params and every
//! successful reply must validate against the contract's schema (`ipld_validate`, a reader
//! and checker of its own). A schema that does not describe the codegen's wire format fails.

use alloy_dyn_abi::DynSolValue;
use alloy_primitives::{Address, I256, U256};
use std::path::{Path, PathBuf};
use tandem_lang_driver::ipld_schema::{Ty, schema};
use tandem_lang_harness::native::{NativeChain, cbor, masked};
use tandem_lang_ir::{ValTy, WordTy};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../harness/fixtures")
}

/// A value of type `t`: `k` = 0 small/first, 1 large/other.
fn sample(t: &ValTy, k: usize, me: Address) -> DynSolValue {
    match t {
        // A unit enum is a `u8` here: its "other" value is 0 (every enum's first variant), not
        // 255, which no enum has and the contract rightly refuses. Wider integers cover the
        // multi-byte encodings.
        ValTy::Word(WordTy::Uint(8)) => DynSolValue::Uint(U256::from(1 - k.min(1)), 8),
        ValTy::Word(WordTy::Uint(b)) => {
            let v = if k == 0 {
                U256::from(1)
            } else {
                U256::MAX >> (256 - usize::from(*b))
            };
            DynSolValue::Uint(v, usize::from(*b))
        }
        ValTy::Word(WordTy::Int(b)) => {
            let v = if k == 0 {
                I256::try_from(-1).unwrap_or_default()
            } else {
                I256::try_from(3).unwrap_or_default()
            };
            DynSolValue::Int(v, usize::from(*b))
        }
        ValTy::Word(WordTy::Bool) => DynSolValue::Bool(k == 0),
        ValTy::Word(WordTy::Address) => DynSolValue::Address(if k == 0 {
            Address::repeat_byte(0x11)
        } else {
            me
        }),
        ValTy::Word(WordTy::FixedBytes(n)) => {
            let mut w = [0u8; 32];
            w[..usize::from(*n)].fill(0xab);
            DynSolValue::FixedBytes(w.into(), usize::from(*n))
        }
        ValTy::Bytes => DynSolValue::Bytes(vec![1, 2, 3][..k + 2].to_vec()),
        ValTy::String => DynSolValue::String(["hi", "héllo"][k].into()),
        ValTy::Array(e, n) => DynSolValue::FixedArray((0..*n).map(|_| sample(e, k, me)).collect()),
        ValTy::DynArray(e) => DynSolValue::Array((0..k + 1).map(|_| sample(e, k, me)).collect()),
        ValTy::Tuple(ts) => DynSolValue::Tuple(ts.iter().map(|t| sample(t, k, me)).collect()),
    }
}

fn opt(b: &[u8]) -> Option<&[u8]> {
    if b.is_empty() { None } else { Some(b) }
}

#[derive(Default)]
struct Tally {
    contracts: usize,
    refused: Vec<String>,
    params: usize,
    replies: usize,
    failures: Vec<String>,
}

fn sources_of(p: &Path) -> Vec<(String, String)> {
    if p.join("Tandem.toml").exists() {
        return tandem_lang_driver::read_package(p)
            .map(|x| x.1)
            .unwrap_or_default();
    }
    let files: Vec<PathBuf> = if p.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(p)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        v.retain(|f| f.extension().is_some_and(|e| e == "tdm"));
        v.sort();
        v
    } else {
        vec![p.to_path_buf()]
    };
    files
        .iter()
        .filter_map(|f| {
            let name = f.file_name()?.to_str()?.to_string();
            Some((name, std::fs::read_to_string(f).ok()?))
        })
        .collect()
}

fn run_one(path: &Path, t: &mut Tally) {
    let name = path.display().to_string();
    let sources = sources_of(path);
    let Ok(module) = tandem_lang_driver::compile_module(&sources) else {
        t.failures.push(format!("{name}: does not compile"));
        return;
    };
    let builds = match tandem_lang_wasm::generate(&module) {
        Ok(b) => b,
        Err(e) => {
            t.refused.push(format!("{name}: {e}"));
            return;
        }
    };
    let alice = Address::repeat_byte(0x11);
    for (c, build) in module.contracts.iter().zip(&builds) {
        let s = schema(c);
        let Ok(mut chain) = NativeChain::new() else {
            t.failures.push(format!("{name}: no chain"));
            return;
        };
        let _ = chain.fund(alice, U256::from(10u64).pow(U256::from(24)));
        let tys: Vec<ValTy> = c.init.params.iter().map(|p| p.ty.clone()).collect();
        let vals: Vec<_> = tys.iter().map(|ty| sample(ty, 0, alice)).collect();
        let Ok(ctor) = cbor::params(&chain, &vals, &tys) else {
            continue;
        };
        if let Err(e) = s.check_params(1, opt(&ctor)) {
            t.failures
                .push(format!("{name}/{} constructor params: {e}", c.name));
        }
        t.params += 1;
        let id = match chain.deploy(alice, &build.wasm, ctor, U256::ZERO) {
            Ok(Ok((id, _))) => id,
            _ => continue, // a constructor that refuses these arguments
        };
        t.contracts += 1;
        let me = masked(id);
        for k in 0..2 {
            for (h, m) in c.handlers.iter().zip(&c.meta.handlers) {
                let tys: Vec<ValTy> = h.params.iter().map(|p| p.ty.clone()).collect();
                let vals: Vec<_> = tys.iter().map(|ty| sample(ty, k, me)).collect();
                let Ok(params) = cbor::params(&chain, &vals, &tys) else {
                    continue;
                };
                let m = m.method_number;
                if let Err(e) = s.check_params(m, opt(&params)) {
                    t.failures
                        .push(format!("{name}/{} {} params: {e}", c.name, h.variant));
                }
                t.params += 1;
                let to = fvm_shared::address::Address::new_id(id);
                let Ok(out) = chain.send(alice, to, m, params, U256::ZERO) else {
                    continue;
                };
                if out.exit == 0 {
                    if let Err(e) = s.check_reply(m, opt(&out.ret)) {
                        t.failures.push(format!(
                            "{name}/{} {} reply {:02x?}: {e}",
                            c.name, h.variant, out.ret
                        ));
                    }
                    t.replies += 1;
                }
            }
        }
    }
}

#[test]
fn wasm_builds_conform_to_their_ipld_schemas() {
    let mut t = Tally::default();
    for dir in ["features", "corpus"] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(fixtures().join(dir))
            .expect("fixtures")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "tdm"))
            .collect();
        paths.sort();
        for p in paths {
            run_one(&p, &mut t);
        }
    }
    eprintln!(
        "{} contracts deployed, {} params and {} replies validated; refused by the backend: {:?}",
        t.contracts, t.params, t.replies, t.refused
    );
    assert!(t.failures.is_empty(), "{}", t.failures.join("\n"));
    assert!(t.contracts >= 50, "only {} contracts ran", t.contracts);
    assert!(t.replies >= 400, "only {} replies validated", t.replies);
}

/// The check has teeth: a schema that says `Int` where the build writes a BigInt, or a
/// struct of the wrong arity, is refused.
#[test]
fn a_schema_that_differs_from_the_codegen_fails() {
    let src = tandem_lang_driver::COIN_EXAMPLE;
    let module =
        tandem_lang_driver::compile_module(&[("Coin.tdm".into(), src.into())]).expect("compiles");
    let c = &module.contracts[0];
    let good = schema(c);
    let transfer = c.meta.handlers[1].method_number;
    // [f410 address, BigInt 5]
    let mut params = vec![0x82, 0x56, 4, 10];
    params.extend([0x11; 20]);
    params.extend([0x42, 0, 5]);
    good.check_params(transfer, Some(&params)).expect("valid");
    let mut bad = good.clone();
    for s in &mut bad.structs {
        for f in &mut s.fields {
            if f.ty
                == (Ty::BigInt {
                    signed: false,
                    bits: 256,
                })
            {
                f.ty = Ty::Int {
                    signed: false,
                    bits: 64,
                };
            }
        }
    }
    assert!(bad.check_params(transfer, Some(&params)).is_err());
    // one field too many, a trailing byte, a bad address
    assert!(
        good.check_params(transfer, Some(&[0x83, 0xf5, 0xf5, 0xf5]))
            .is_err()
    );
    let mut trailing = params.clone();
    trailing.push(0);
    assert!(good.check_params(transfer, Some(&trailing)).is_err());
    let mut addr = params.clone();
    addr[2] = 9;
    assert!(good.check_params(transfer, Some(&addr)).is_err());
    // the reply of Transfer is a Bool
    good.check_reply(transfer, Some(&[0xf5])).expect("bool");
    assert!(good.check_reply(transfer, Some(&[0x01])).is_err());
    let text = good.render();
    assert!(
        text.contains("type TransferParams struct {\n  # address\n  to Address\n"),
        "{text}"
    );
    assert!(text.contains("} representation tuple"));
    assert!(text.contains("type TransferReturn Bool"));
    assert!(text.contains("| TransferParams \"80475954\""));
}
