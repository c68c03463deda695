//! The cheat actor of language tests: a Rust runtime the test runner installs at [`ADDRESS`]
//! on its own in-memory VM (never on a chain or node). A test contract calls it with the
//! typed messages of the `cheats` module ([`prelude`]); it changes the block context, balances,
//! the next caller, or arms a revert expectation through the VM's test hooks
//! (`tandem_vm::cheats`).

use std::collections::HashMap;
use std::sync::Arc;

use alloy_dyn_abi::{DynSolType, DynSolValue};
use alloy_primitives::{Address, U256};
use cid::Cid;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_shared::error::ExitCode;
use multihash_codetable::Multihash;
use tandem_evm::address::u256_to_tokens;
use tandem_lang_ir::{ValTy, WordTy};
use tandem_vm::cheats::{ExpectRevert, Prank};
use tandem_vm::eth::EthAddress;
use tandem_vm::frc42::INVOKE_EVM;
use tandem_vm::kernel::{KResult, Kernel};
use tandem_vm::runtime::{InvokeReturn, Runtime};

use crate::native::cbor;

/// Where the cheat actor lives: `0x7e57…c4ea7` ("test cheat").
pub const ADDRESS: Address = Address::new([
    0x7e, 0x57, 0xc4, 0xea, 0x70, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0c, 0x4e, 0xa7,
]);

/// The module every test file may `use` (`use cheats::{Cheat, CHEATS}`), compiled with it.
pub fn prelude() -> String {
    format!(
        "/// The test runner's cheat actor (tests only; see docs/testing.md).\nconst CHEATS: Address = {:#x}\n\n{MESSAGE}",
        ADDRESS
    )
}

const MESSAGE: &str = r#"
message Cheat {
    /// Sets the block timestamp (`ctx.timestamp()`) from now on.
    Warp { timestamp: u64 },
    /// Sets the block number (`ctx.block_number()`) from now on.
    Roll { number: u64 },
    /// The test's next call is made as `sender`.
    Prank { sender: Address },
    /// Every call of the test is made as `sender`, until `StopPrank`.
    StartPrank { sender: Address },
    StopPrank,
    /// Sets the balance of `who` (creating an account there when there is none).
    Deal { who: Address, amount: u256 },
    /// The next event the test emits itself is expected from the test's next call after it
    /// (same topics and data, from any contract it reaches).
    ExpectEmit,
    /// The test's next call must revert (with anything).
    ExpectRevert,
    /// The test's next call must revert with this error: a name of the package's errors
    /// (`"NotOwner"`), a signature (`"NotOwner(address)"`), `"Panic"` or `"Error"`.
    ExpectRevertWith { error: String },
}
"#;

/// The code CID the cheat actor runs (an identity CID of its name, like the built-ins').
pub fn code_cid() -> Cid {
    let mh = Multihash::wrap(0x00, b"tandem/test-cheats").expect("a short name");
    Cid::new_v1(fvm_ipld_encoding::IPLD_RAW, mh)
}

/// The runtime: knows the package's errors by name, to resolve `ExpectRevertWith`.
pub struct CheatRuntime {
    /// Error name (and full signature) → selector.
    errors: HashMap<String, Vec<[u8; 4]>>,
}

impl CheatRuntime {
    pub fn new(errors: &[(String, String)]) -> Arc<CheatRuntime> {
        let mut map: HashMap<String, Vec<[u8; 4]>> = HashMap::new();
        for (name, sig) in errors {
            let sel = tandem_lang_ir::meta::selector(sig);
            // Every contract that reverts with an error lists it in its ABI: the same error
            // twice is one selector, and its name stays unambiguous.
            let selectors = map.entry(name.clone()).or_default();
            if !selectors.contains(&sel) {
                selectors.push(sel);
            }
        }
        Arc::new(CheatRuntime { errors: map })
    }

    fn resolve(&self, error: &str) -> Result<Vec<u8>, String> {
        if error.is_empty() {
            return Ok(Vec::new());
        }
        if error.contains('(') {
            return Ok(tandem_lang_ir::meta::selector(error).to_vec());
        }
        match error {
            "Panic" => return Ok(tandem_lang_ir::meta::selector("Panic(uint256)").to_vec()),
            "Error" => return Ok(tandem_lang_ir::meta::selector("Error(string)").to_vec()),
            _ => {}
        }
        match self.errors.get(error).map(Vec::as_slice) {
            Some([one]) => Ok(one.to_vec()),
            Some(_) => Err(format!(
                "expect_revert: several errors are named `{error}`; write its signature"
            )),
            None => Err(format!(
                "expect_revert: no error named `{error}` in the package (or write a signature)"
            )),
        }
    }
}

/// The cheats' ABI signatures (the `Cheat` message's variants as Solidity names them).
pub const SIGNATURES: [&str; 9] = [
    "expectEmit()",
    "warp(uint64)",
    "roll(uint64)",
    "prank(address)",
    "startPrank(address)",
    "stopPrank()",
    "deal(address,uint256)",
    "expectRevert()",
    "expectRevertWith(string)",
];

/// The cheat a call's calldata names, with its arguments shown.
pub fn describe(data: &[u8]) -> Option<String> {
    let sel = data.get(..4)?;
    let s = SIGNATURES.iter().find(|s| sig(s) == sel)?;
    let (name, types) = s.split_once('(')?;
    let args = decode(&format!("({types}"), &data[4..]).ok()?;
    let shown: Vec<String> = args.iter().map(crate::fixture::show).collect();
    Some(format!("{name}({})", shown.join(", ")))
}

/// The `Cheat` variants' names, in [`SIGNATURES`]' order: a native build sends a variant's
/// FRC-0042 number with a DAG-CBOR array of its fields (docs/wasm-target.md, "Sends").
const VARIANTS: [&str; 9] = [
    "ExpectEmit",
    "Warp",
    "Roll",
    "Prank",
    "StartPrank",
    "StopPrank",
    "Deal",
    "ExpectRevert",
    "ExpectRevertWith",
];

/// The field types of a cheat's signature, as the language types them.
fn field_types(signature: &str) -> Vec<ValTy> {
    let inner = signature
        .split_once('(')
        .map(|(_, t)| t.trim_end_matches(')'))
        .unwrap_or_default();
    inner
        .split(',')
        .filter(|t| !t.is_empty())
        .map(|t| match t {
            "uint64" => ValTy::Word(WordTy::Uint(64)),
            "uint256" => ValTy::Word(WordTy::Uint(256)),
            "address" => ValTy::Word(WordTy::Address),
            _ => ValTy::String,
        })
        .collect()
}

/// A native send to the cheat actor (method number, DAG-CBOR params) as the Solidity
/// calldata an EVM caller sends; `None` when the number is no cheat's.
pub fn native_calldata(method: u64, params: &[u8]) -> Option<Result<Vec<u8>, String>> {
    let i = VARIANTS
        .iter()
        .position(|v| tandem_vm::frc42::method_number(v).ok() == Some(method))?;
    let signature = SIGNATURES[i];
    let vals = match cbor::params_values(&SameWords, params, &field_types(signature)) {
        Ok(v) => v,
        Err(e) => return Some(Err(format!("cheats: {}: bad params: {e}", VARIANTS[i]))),
    };
    let mut data = sig(signature).to_vec();
    data.extend(DynSolValue::Tuple(vals).abi_encode_params());
    Some(Ok(data))
}

/// Addresses read as they are written (the cheat actor and the runner's traces see the
/// words the contracts use).
pub struct SameWords;

impl cbor::AddressMap for SameWords {
    fn native_word(&self, a: Address) -> Address {
        a
    }
    fn harness_word(&self, a: Address) -> Address {
        a
    }
}

fn sig(s: &str) -> [u8; 4] {
    tandem_lang_ir::meta::selector(s)
}

/// `Error(string)` revert data, as the EVM caller sees a failed cheat.
fn refuse(msg: String) -> KResult<InvokeReturn> {
    let mut data = sig("Error(string)").to_vec();
    data.extend(DynSolValue::Tuple(vec![DynSolValue::String(msg)]).abi_encode_params());
    Ok(InvokeReturn::exit(
        ExitCode::USR_ILLEGAL_ARGUMENT,
        Some(IpldBlock {
            codec: fvm_ipld_encoding::IPLD_RAW,
            data,
        }),
    ))
}

fn decode(types: &str, data: &[u8]) -> Result<Vec<DynSolValue>, String> {
    let ty = DynSolType::parse(types).map_err(|e| e.to_string())?;
    match ty.abi_decode_params(data).map_err(|e| e.to_string())? {
        DynSolValue::Tuple(v) => Ok(v),
        v => Ok(vec![v]),
    }
}

fn word(v: &DynSolValue) -> U256 {
    match v {
        DynSolValue::Uint(u, _) => *u,
        _ => U256::ZERO,
    }
}

fn address(v: &DynSolValue) -> Address {
    match v {
        DynSolValue::Address(a) => *a,
        _ => Address::ZERO,
    }
}

impl Runtime for CheatRuntime {
    fn name(&self) -> &'static str {
        "test-cheats"
    }

    fn runs(&self, code: &Cid) -> bool {
        *code == code_cid()
    }

    fn trusted(&self) -> bool {
        true
    }

    fn invoke(&self, kernel: &mut dyn Kernel) -> KResult<InvokeReturn> {
        let ctx = kernel.context().clone();
        let params = kernel.params().map(|p| p.data.clone()).unwrap_or_default();
        let data = match ctx.method {
            // a plain value transfer
            0 => return Ok(InvokeReturn::ok(None)),
            INVOKE_EVM => params,
            m => match native_calldata(m, &params) {
                Some(Ok(data)) => data,
                Some(Err(e)) => return refuse(e),
                None => return refuse(format!("cheats: no cheat has method number {m}")),
            },
        };
        if data.len() < 4 {
            return refuse("cheats: calldata too short".into());
        }
        let (sel, args) = (&data[..4], &data[4..]);
        match self.apply(kernel, ctx.caller, sel, args) {
            Ok(()) => Ok(InvokeReturn::ok(None)),
            Err(msg) => refuse(msg),
        }
    }
}

impl CheatRuntime {
    fn apply(
        &self,
        kernel: &mut dyn Kernel,
        by: u64,
        sel: &[u8],
        args: &[u8],
    ) -> Result<(), String> {
        let is = |s: &str| sel == sig(s);
        let find = |k: &mut dyn Kernel, who: Address| -> Result<u64, String> {
            let access = k.cheats().ok_or("cheats are not installed on this VM")?;
            // A native actor without an Ethereum address is its masked ID.
            if let Some(id) = crate::native::unmask(who) {
                return match access.state.get_actor(id).map_err(|e| format!("{e:#}"))? {
                    Some(_) => Ok(id),
                    None => Err(format!("cheats: no actor has ID {id} ({who})")),
                };
            }
            let f4 = EthAddress(who.into_array()).to_filecoin();
            match access.state.lookup_id(&f4).map_err(|e| format!("{e:#}"))? {
                Some(id) => Ok(id),
                None => tandem_evm::world::add_eth_account(
                    access.state,
                    who.into_array(),
                    U256::ZERO,
                    0,
                )
                .map_err(|e| format!("{e:#}")),
            }
        };
        if is("warp(uint64)") {
            let t = word(&decode("(uint64)", args)?[0]);
            let access = kernel.cheats().ok_or("cheats are not installed")?;
            access.network.timestamp = t.to::<u64>();
        } else if is("roll(uint64)") {
            let n = word(&decode("(uint64)", args)?[0]);
            let access = kernel.cheats().ok_or("cheats are not installed")?;
            access.network.epoch = n.to::<u64>() as i64;
        } else if is("prank(address)") || is("startPrank(address)") {
            let who = address(&decode("(address)", args)?[0]);
            let sender = find(kernel, who)?;
            let access = kernel.cheats().ok_or("cheats are not installed")?;
            access.cheats.prank = Some(Prank {
                by,
                sender,
                persistent: is("startPrank(address)"),
            });
        } else if is("expectEmit()") {
            // Checked afterwards from the call trace (`report::check_emits`).
        } else if is("stopPrank()") {
            let access = kernel.cheats().ok_or("cheats are not installed")?;
            access.cheats.prank = None;
        } else if is("deal(address,uint256)") {
            let v = decode("(address,uint256)", args)?;
            let (who, amount) = (address(&v[0]), word(&v[1]));
            let id = find(kernel, who)?;
            let access = kernel.cheats().ok_or("cheats are not installed")?;
            access
                .state
                .mutate_actor(id, |a| {
                    a.balance = u256_to_tokens(amount);
                    Ok(())
                })
                .map_err(|e| format!("{e:#}"))?;
        } else if is("expectRevert()") || is("expectRevertWith(string)") {
            let shown = if is("expectRevert()") {
                String::new()
            } else {
                match &decode("(string)", args)?[0] {
                    DynSolValue::String(s) => s.clone(),
                    _ => String::new(),
                }
            };
            let prefix = self.resolve(&shown)?;
            let access = kernel.cheats().ok_or("cheats are not installed")?;
            access.cheats.expect_revert = Some(ExpectRevert {
                by,
                prefix,
                shown: if shown.is_empty() {
                    "any".into()
                } else {
                    shown
                },
            });
        } else {
            return Err(format!("cheats: unknown cheat 0x{}", crate::hex(sel)));
        }
        Ok(())
    }
}
