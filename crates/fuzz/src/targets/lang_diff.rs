//! Language differential: a random well-typed program (`lang_gen`) compiled by both backends,
//! the EVM build deployed by an Ethereum transaction and the WASM build created as a native
//! actor on one Tandem VM, then the same random calls sent to both. Per call they must agree
//! on success, the reply (the ABI words against the DAG-CBOR values), revert data and events;
//! at the end every storage slot of the two actors must be equal (same layout by design,
//! docs/wasm-target.md). The backends are independent, so this finds miscompiles that
//! running one bytecode on two VMs cannot.
//!
//! The reference interpreter (`tandem-lang-interp`, docs/interp.md) is the third party: it
//! runs sema's neutral IR for the same deployment and calls and must agree with the EVM
//! build on success, reply, revert data, events and every storage slot (a construct it does
//! not run is counted, "interpreter: unsupported ...", and that program is not compared).
//!
//! A program that does not compile is a generator bug: counted ("generator: ..."), not a
//! failure. A disagreement panics with the program, the calls and what each build did.

use std::collections::BTreeMap;
use std::sync::Arc;

use alloy_dyn_abi::DynSolValue;
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use fvm_ipld_encoding::RawBytes;
use fvm_shared::econ::TokenAmount;
use rand::rngs::StdRng;
use tandem_actors::BuiltinRuntime;
use tandem_actors::init::{ExecParams, ExecReturn, InstallCodeParams, InstallCodeReturn};
use tandem_evm::EvmRuntime;
use tandem_evm::tx::{EthTx, apply_tx};
use tandem_evm::world;
use tandem_vm::eth::EthAddress;
use tandem_vm::executor::Executor;
use tandem_vm::kernel::NetworkContext;
use tandem_vm::message::Message;
use tandem_vm::store::VmStore;
use tandem_wasm::WasmRuntime;

use tandem_lang_harness::native::cbor::{self, AddressMap};

use super::lang_gen::{self, Call, Program};
use crate::{Stats, Target};

const ALICE: u64 = 0xa11ce;

/// The gas limit of every transaction and message.
const GAS_LIMIT: u64 = 16_000_000;

/// What installing a module costs before it runs (docs/gas.md: the up-front price, the
/// compile price and storing the bytes), in gas; None if it does not validate.
fn install_price(wasm: &[u8]) -> Option<u64> {
    use tandem_wasm::validate;
    let info = validate::validate(wasm).ok()?;
    let gas = validate::upfront_cost(wasm.len())
        + validate::compile_cost(&info)
        + tandem_vm::gas::PRICE_LIST.block_link(wasm.len());
    Some(gas.round_up())
}

fn alice() -> Address {
    Address::from_word(U256::from(ALICE).into())
}

/// Logs or events as (topics, data).
type Logs = Vec<(Vec<B256>, Vec<u8>)>;

/// What one call did on one build, in comparable terms.
#[derive(Debug, PartialEq)]
struct Outcome {
    success: bool,
    /// The reply as ABI return data (the EVM's as returned, the native DAG-CBOR reply through
    /// the harness's mapping); None when it does not decode.
    reply: Option<Vec<u8>>,
    revert: Vec<u8>,
    logs: Logs,
}

pub struct LangDiffTarget {
    wasm: Arc<WasmRuntime>,
    evm: Arc<EvmRuntime>,
    /// What the interpreter did with the last program (a counter's name).
    interp_note: std::cell::RefCell<Option<String>>,
}

impl Default for LangDiffTarget {
    fn default() -> Self {
        Self::new()
    }
}

impl LangDiffTarget {
    pub fn new() -> Self {
        Self {
            wasm: Arc::new(WasmRuntime::new(None).expect("a WASM runtime")),
            evm: Arc::new(EvmRuntime::new()),
            interp_note: std::cell::RefCell::new(None),
        }
    }

    fn executor(&self) -> Executor {
        let mut state = world::singleton_state(VmStore::memory()).expect("state");
        let rich = U256::from(1_000_000u64) * U256::from(10u64).pow(U256::from(18u64));
        world::add_eth_account(&mut state, alice().into_array(), rich, 0).expect("account");
        state.end_message().expect("end");
        let network = NetworkContext {
            chain_id: 31337,
            epoch: 7,
            timestamp: 1_700_000_000,
            base_fee: TokenAmount::from_atto(0u64),
            ..NetworkContext::default()
        };
        let extra: Vec<Arc<dyn tandem_vm::runtime::Runtime>> =
            vec![Arc::new(BuiltinRuntime), self.wasm.clone()];
        world::executor(state, network, self.evm.clone(), &extra).expect("executor")
    }
}

struct Vm {
    exec: Executor,
    nonce: u64,
}

impl Vm {
    fn eth(
        &mut self,
        to: Option<Address>,
        data: Vec<u8>,
        value: U256,
    ) -> (bool, Vec<u8>, Logs, Option<Address>) {
        let tx = EthTx {
            tx_type: 2,
            chain_id: Some(31337),
            nonce: self.nonce,
            gas_limit: GAS_LIMIT,
            to: to.map(Address::into_array),
            input: Bytes::from(data),
            value,
            sender: alice().into_array(),
            ..EthTx::default()
        };
        self.nonce += 1;
        let r = apply_tx(&mut self.exec, &tx).expect("transaction applied");
        let logs = r
            .logs
            .iter()
            .map(|l| (l.topics.clone(), l.data.to_vec()))
            .collect();
        (
            r.success,
            r.output.to_vec(),
            logs,
            r.contract_address.map(Address::from),
        )
    }

    /// (exit code, return bytes, events as logs).
    fn native(
        &mut self,
        to: u64,
        method: u64,
        params: Vec<u8>,
        value: U256,
    ) -> (u32, Vec<u8>, Logs) {
        let msg = Message {
            version: 0,
            from: EthAddress(alice().into_array()).to_filecoin(),
            to: fvm_shared::address::Address::new_id(to),
            sequence: self.nonce,
            value: TokenAmount::from_atto(value.to::<u128>()),
            method_num: method,
            params: RawBytes::new(params),
            gas_limit: GAS_LIMIT,
            gas_fee_cap: TokenAmount::from_atto(0u64),
            gas_premium: TokenAmount::default(),
        };
        self.nonce += 1;
        let ret = self.exec.apply_message(&msg).expect("message applied");
        assert!(ret.applied, "message not applied: {:?}", ret.failure);
        let events = ret
            .events
            .iter()
            .filter_map(|e| tandem_evm::host::event_to_log(&e.event))
            .map(|(t, d)| (t, d.to_vec()))
            .collect();
        (
            ret.receipt.exit_code.value(),
            ret.receipt.return_data.to_vec(),
            events,
        )
    }

    /// Installs the module and creates the actor with these constructor params: its ID or
    /// the exit (of the install message when it is the install that failed).
    fn deploy_native(&mut self, wasm: &[u8], ctor: Vec<u8>) -> Result<u64, DeployExit> {
        let install = fvm_ipld_encoding::to_vec(&InstallCodeParams {
            code: RawBytes::new(wasm.to_vec()),
        })
        .expect("cbor");
        let m = tandem_actors::init::install_code_method();
        let (exit, ret, _) = self.native(1, m, install, U256::ZERO);
        if exit != 0 {
            return Err(DeployExit::Install(exit));
        }
        let code: InstallCodeReturn =
            fvm_ipld_encoding::from_slice(&ret).map_err(|_| DeployExit::Exec(0))?;
        let exec = fvm_ipld_encoding::to_vec(&ExecParams {
            code_cid: code.code_cid,
            constructor_params: RawBytes::new(ctor),
        })
        .expect("cbor");
        let (exit, ret, _) = self.native(1, 2, exec, U256::ZERO);
        if exit != 0 {
            return Err(DeployExit::Exec(exit));
        }
        let out: ExecReturn =
            fvm_ipld_encoding::from_slice(&ret).map_err(|_| DeployExit::Exec(0))?;
        out.id_address.id().map_err(|_| DeployExit::Exec(0))
    }

    /// Every non-zero storage slot of an actor.
    fn storage(&mut self, id: u64) -> BTreeMap<U256, U256> {
        let state = &mut self.exec.machine.state;
        state.flush().expect("flush");
        let root = state.get_actor(id).ok().flatten().and_then(|a| a.kv_root);
        let mut out = BTreeMap::new();
        let map = tandem_state::slots::open_slot_map(state.store(), root.as_ref()).expect("slots");
        map.for_each(|k, v| {
            out.insert(U256::from_be_bytes(k.0), U256::from_be_bytes(v.0));
            Ok(())
        })
        .expect("slot map");
        out
    }
}

/// A native deployment's failure: the install message's exit, or the constructor's.
#[derive(Debug)]
enum DeployExit {
    Install(u32),
    Exec(u32),
}

impl std::fmt::Display for DeployExit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeployExit::Install(e) => write!(f, "the install exited {e}"),
            DeployExit::Exec(e) => write!(f, "the constructor exited {e}"),
        }
    }
}

/// Addresses are the same words on both builds: the calls never name either contract (the
/// two builds live at different addresses).
struct SameWords;

impl AddressMap for SameWords {
    fn native_word(&self, a: Address) -> Address {
        a
    }
    fn harness_word(&self, a: Address) -> Address {
        a
    }
}

/// What revert data says, for the summary.
fn revert_kind(data: &[u8]) -> String {
    match data {
        [] => "no data".into(),
        [0x4e, 0x48, 0x7b, 0x71, rest @ ..] if rest.len() == 32 => {
            format!("Panic(0x{:02x})", rest[31])
        }
        [a, b, c, d, ..]
            if [*a, *b, *c, *d] == keccak256("Oops()".as_bytes())[..4] || data.len() % 32 == 4 =>
        {
            "a custom error".into()
        }
        _ => "other data".into(),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The result of one program: counters for the summary, or the disagreement.
#[derive(Debug)]
pub enum Verdict {
    /// The generator wrote a program a backend refused (its diagnostics).
    GeneratorFailure(&'static str, String),
    /// Both builds deployed and agreed on every call and the storage: the number of calls
    /// and the kind of each revert (`Panic(0x11)`, `Oops`, ...), and the number of
    /// non-zero storage slots compared.
    Agreed(usize, Vec<String>, usize),
    /// Both constructors failed alike.
    DeployFailed,
    /// The native build's install alone costs more than the gas limit (its price, in gas):
    /// a limit of the native target, not a disagreement.
    NativeOverGas(u64),
}

impl LangDiffTarget {
    /// Compiles, deploys and runs the program on both builds; Err describes a disagreement.
    pub fn check(&self, p: &Program, calls: &[Call]) -> Result<Verdict, String> {
        let files = vec![("Fz.tdm".to_string(), p.source.clone())];
        let evm = match tandem_lang_driver::compile_sources(&files) {
            Ok(mut v) if v.len() == 1 => v.remove(0),
            Ok(_) => {
                return Ok(Verdict::GeneratorFailure(
                    "EVM: not one contract",
                    String::new(),
                ));
            }
            Err(e) => return Ok(Verdict::GeneratorFailure("EVM build refused", e)),
        };
        let wasm = match tandem_lang_driver::compile_wasm(&files) {
            Ok(mut v) if v.len() == 1 => v.remove(0).wasm,
            Ok(_) => {
                return Ok(Verdict::GeneratorFailure(
                    "WASM: not one contract",
                    String::new(),
                ));
            }
            Err(e) => return Ok(Verdict::GeneratorFailure("WASM build refused", e)),
        };
        let mut vm = Vm {
            exec: self.executor(),
            nonce: 0,
        };
        let ctor_tys: Vec<_> = p.ctor.iter().map(|t| t.val_ty(&p.defs)).collect();
        let ctor_params = cbor::params(&SameWords, &p.ctor_args, &ctor_tys)
            .map_err(|e| format!("constructor arguments: {e}"))?;
        let mut init = evm.init_code.clone();
        init.extend(DynSolValue::Tuple(p.ctor_args.clone()).abi_encode_params());
        let (ok, out, _, created) = vm.eth(None, init, U256::ZERO);
        let native = vm.deploy_native(&wasm, ctor_params);
        if std::env::var_os("TANDEM_FUZZ_TRACE").is_some() {
            eprintln!(
                "native module: {} bytes, install price {:?} gas; deploy {native:?}",
                wasm.len(),
                install_price(&wasm)
            );
        }
        match (ok, &native, created) {
            (false, Err(_), _) => return Ok(Verdict::DeployFailed),
            (true, Ok(_), Some(_)) => {}
            // The install message out of gas (exit 7): its price (by the module's size and
            // shape) and the message's own bytes are over the limit.
            (_, Err(DeployExit::Install(7)), _) => {
                return Ok(Verdict::NativeOverGas(
                    install_price(&wasm).unwrap_or_default(),
                ));
            }
            _ => {
                return Err(format!(
                    "deploy: EVM success {ok} (0x{}), WASM {} (module of {} bytes, install price {:?} gas, limit {GAS_LIMIT})",
                    hex(&out),
                    match &native {
                        Ok(id) => format!("created {id}"),
                        Err(e) => e.to_string(),
                    },
                    wasm.len(),
                    install_price(&wasm)
                ));
            }
        }
        let (evm_addr, native_id) = (created.unwrap_or_default(), native.unwrap_or_default());
        let ctor_abi = DynSolValue::Tuple(p.ctor_args.clone()).abi_encode_params();
        let mut interp = self.interp_deploy(&files, &ctor_abi, evm_addr)?;
        let mut reverted = Vec::new();
        for (n, c) in calls.iter().enumerate() {
            let h = &p.handlers[c.handler];
            let meta = evm
                .contract
                .meta
                .handlers
                .iter()
                .find(|m| m.signature == h.signature)
                .ok_or_else(|| format!("no handler `{}` in the metadata", h.signature))?;
            let mut data = keccak256(h.signature.as_bytes())[..4].to_vec();
            data.extend(DynSolValue::Tuple(c.args.clone()).abi_encode_params());
            let tys: Vec<_> = h.params.iter().map(|t| t.val_ty(&p.defs)).collect();
            let params = cbor::params(&SameWords, &c.args, &tys)
                .map_err(|e| format!("call {n}: arguments: {e}"))?;
            let reply_tys: Vec<_> = h.reply.iter().map(|t| t.val_ty(&p.defs)).collect();
            let (ok, out, logs, _) = vm.eth(Some(evm_addr), data.clone(), c.value);
            let a = Outcome {
                success: ok,
                reply: ok.then(|| out.clone()),
                revert: if ok { vec![] } else { out.clone() },
                logs,
            };
            let (exit, ret, logs) = vm.native(native_id, meta.method_number, params, c.value);
            let b = Outcome {
                success: exit == 0,
                reply: if exit == 0 {
                    cbor::reply_to_abi(&SameWords, &ret, &reply_tys).ok()
                } else {
                    None
                },
                revert: if exit == 33 { ret.clone() } else { vec![] },
                logs,
            };
            let shape_ok = if ok {
                a.reply.is_some() && b.reply.is_some()
            } else {
                exit == 33
            };
            if a != b || !shape_ok {
                return Err(format!(
                    "call {n} `{}`: the builds differ\n  EVM:  {a:?} (output 0x{})\n  WASM: exit {exit} {b:?} (raw 0x{})",
                    p.show_call(c),
                    hex(&out),
                    hex(&ret)
                ));
            }
            if !ok {
                reverted.push(revert_kind(&out));
            }
            self.interp_call(&mut interp, evm_addr, &data, (n, p, c), &a)?;
        }
        let evm_id = vm
            .exec
            .machine
            .state
            .lookup_id(&EthAddress(evm_addr.into_array()).to_filecoin())
            .ok()
            .flatten()
            .ok_or("the EVM contract has no ID")?;
        let (sa, sb) = (vm.storage(evm_id), vm.storage(native_id));
        if let Some(w) = &interp {
            let si = w
                .account(evm_addr)
                .map(|a| a.storage.clone())
                .unwrap_or_default();
            if si != sa {
                return Err(format!(
                    "storage differs after the calls: EVM {sa:x?}, interpreter {si:x?}"
                ));
            }
            self.interp_note.replace(Some("interpreter agreed".into()));
        }
        if sa != sb {
            let keys: std::collections::BTreeSet<_> = sa.keys().chain(sb.keys()).collect();
            let diff: Vec<String> = keys
                .into_iter()
                .filter(|k| sa.get(k) != sb.get(k))
                .map(|k| format!("  slot {k:#x}: EVM {:?}, WASM {:?}", sa.get(k), sb.get(k)))
                .collect();
            return Err(format!(
                "storage differs after the calls:\n{}",
                diff.join("\n")
            ));
        }
        Ok(Verdict::Agreed(calls.len(), reverted, sa.len()))
    }

    /// Sends a call to the interpreter (while it runs) and compares it with the EVM build's
    /// outcome `a`.
    fn interp_call(
        &self,
        interp: &mut Option<tandem_lang_interp::World>,
        at: Address,
        data: &[u8],
        (n, p, c): (usize, &Program, &Call),
        a: &Outcome,
    ) -> Result<(), String> {
        let Some(w) = interp.as_mut() else {
            return Ok(());
        };
        match w.call(alice(), at, data, c.value) {
            Ok(o) => {
                let i = Outcome {
                    success: o.success,
                    reply: o.success.then(|| o.output.clone()),
                    revert: if o.success { vec![] } else { o.output },
                    logs: o.logs.into_iter().map(|l| (l.topics, l.data)).collect(),
                };
                if i != *a {
                    return Err(format!(
                        "call {n} `{}`: the interpreter differs from the EVM build\n  EVM:         {a:?}\n  interpreter: {i:?}",
                        p.show_call(c)
                    ));
                }
            }
            Err(e) => {
                self.interp_note.replace(Some(format!("interpreter: {e}")));
                *interp = None;
            }
        }
        Ok(())
    }

    /// The interpreter's world for the program, its constructor run at the EVM build's
    /// address; None (and a note) when it does not run the program.
    fn interp_deploy(
        &self,
        files: &[(String, String)],
        ctor_abi: &[u8],
        evm_addr: Address,
    ) -> Result<Option<tandem_lang_interp::World>, String> {
        self.interp_note.replace(None);
        let module = tandem_lang_driver::compile_module(files)
            .map_err(|e| format!("the neutral module: {e}"))?;
        let env = tandem_lang_interp::Env {
            number: U256::from(7),
            timestamp: U256::from(1_700_000_000u64),
            chain_id: U256::from(31337),
            gas_left: U256::from(GAS_LIMIT),
        };
        let mut w = tandem_lang_interp::World::new(module, env).map_err(|e| e.to_string())?;
        let rich = U256::from(1_000_000u64) * U256::from(10u64).pow(U256::from(18u64));
        w.fund(alice(), rich);
        match w.deploy(alice(), 0, ctor_abi, U256::ZERO) {
            Ok(o) if o.success && o.created == Some(evm_addr) => Ok(Some(w)),
            Ok(o) => Err(format!(
                "deploy: the interpreter differs from the EVM build (at {evm_addr}): {o:?}"
            )),
            Err(e) => {
                self.interp_note.replace(Some(format!("interpreter: {e}")));
                Ok(None)
            }
        }
    }

    /// One program and its calls from the RNG.
    pub fn generate(rng: &mut StdRng) -> (Program, Vec<Call>) {
        let p = lang_gen::program(rng);
        let c = lang_gen::calls(rng, &p);
        (p, c)
    }
}

/// The program and calls as text (for reproducers and `lang-diff-show`).
pub fn show(p: &Program, calls: &[Call]) -> String {
    let mut s = p.source.clone();
    s.push_str("\n// ---- calls\n");
    for c in calls {
        s.push_str(&format!("// {}\n", p.show_call(c)));
    }
    s
}

/// What the summary counts programs by (a needle in the source).
const COVERAGE: &[(&str, &str)] = &[
    ("Address", "Address"),
    ("bytesN", ": bytes"),
    ("Bytes", "Bytes"),
    ("String", "String"),
    ("structs", "struct St"),
    ("enums", "enum En"),
    ("match", "(match "),
    ("#[payable]", "#[payable]"),
    ("constructor arguments", "init(c0"),
    ("encode_call", "encode_call(FzMsg"),
    ("enums with payloads in storage", "(match storage.u"),
];

impl Target for LangDiffTarget {
    const NAME: &'static str = "lang-diff";

    fn iteration(&mut self, rng: &mut StdRng, stats: &mut Stats) {
        let (p, calls) = Self::generate(rng);
        for (what, needle) in COVERAGE {
            if p.source.contains(needle) {
                stats.count(&format!("programs with {what}"));
            }
        }
        if calls.iter().any(|c| !c.value.is_zero()) {
            stats.count("programs with calls sending value");
        }
        let verdict = self.check(&p, &calls);
        if let Some(note) = self.interp_note.take() {
            stats.count(&note);
        }
        match verdict {
            Ok(Verdict::Agreed(n, reverted, slots)) => {
                stats.count("programs agreed");
                *stats.counters.entry("calls agreed".into()).or_default() += n as u64;
                *stats
                    .counters
                    .entry("storage slots agreed (non-zero)".into())
                    .or_default() += slots as u64;
                for kind in reverted {
                    stats.count(&format!("calls agreed: both reverted with {kind}"));
                }
            }
            Ok(Verdict::DeployFailed) => stats.count("constructors failed alike"),
            Ok(Verdict::NativeOverGas(_)) => {
                stats.count("native code over the gas limit (its install > 16M gas; not compared)")
            }
            Ok(Verdict::GeneratorFailure(what, diag)) => {
                stats.count(&format!("generator: {what}"));
                if std::env::var_os("TANDEM_FUZZ_TRACE").is_some() {
                    eprintln!("{what}:\n{diag}\n{}", p.source);
                }
            }
            Err(e) => panic!(
                "lang-diff: the EVM and WASM builds disagree: {e}\n---- program and calls\n{}",
                show(&p, &calls)
            ),
        }
    }
}
