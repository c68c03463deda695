//! Tests written in the language (`tandem test`, docs/testing.md): a package's `test/*.tdm`
//! hold test contracts whose handlers marked `#[test]` are tests. Each test runs on its own
//! fresh in-memory Tandem VM: the test contract is deployed (its `init` is the set-up), then
//! the test's handler is called from `alice`; it passes when that call succeeds and every
//! expectation it armed held. Tests deploy and call the package's contracts with `ctx.create`
//! and `ctx.call`/`ctx.try_call`, assert with `assert!`/`assert_eq!`/`assert_ne!`, and use the
//! cheat actor ([`cheats::prelude`]) to move time and the block number, set the next caller, set
//! balances and expect reverts. The VM's call tracer records every frame: the runner turns it
//! into a gas report per handler of the package's contracts and, for `-v`, the call trace of a
//! failing test.

pub mod cheats;
mod native;
mod report;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use alloy_primitives::{Address, U256};
use tandem_lang_ir::meta::AbiItem;
use tandem_lang_syntax::ast::ItemKind;
use tandem_vm::eth::EthAddress;
use tandem_vm::trace::Tracer;

use crate::fixture::{ALICE, BOB, CAROL};
use crate::tandem::TandemChain;
use crate::{Backend, Compiled};

pub use report::{decode_revert, format_trace};

/// Which build of the test contract and the package's contracts a test runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// The EVM build (bytecode on the VM's EVM runtime).
    Evm,
    /// The WASM build: every contract, the test contract included, as a native actor.
    Wasm,
}

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::Evm => "evm",
            Target::Wasm => "wasm",
        }
    }
}

/// One test's result.
#[derive(Debug, Clone)]
pub struct TestOutcome {
    /// The test contract and the `#[test]` variant.
    pub contract: String,
    pub name: String,
    pub passed: bool,
    /// Why it failed (a decoded revert, an unmet expectation).
    pub reason: Option<String>,
    /// Gas of the test's call (intrinsic cost included).
    pub gas: u64,
    /// The call trace of the test's call, one line per frame.
    pub trace: String,
}

impl TestOutcome {
    /// Test `hi` of `contract`, before it runs: not passed, no reason, no gas, no trace.
    fn not_run(contract: &tandem_lang_ir::Contract, hi: usize) -> Self {
        Self {
            contract: contract.name.clone(),
            name: contract.handlers[hi].variant.clone(),
            passed: false,
            reason: None,
            gas: 0,
            trace: String::new(),
        }
    }
}

/// Gas of one handler of a package contract, over every call the tests made to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GasRow {
    pub calls: u64,
    pub min: u64,
    pub max: u64,
    pub total: u64,
}

impl GasRow {
    /// Adds one call that spent `gas`.
    pub fn record(&mut self, gas: u64) {
        self.merge(&GasRow {
            calls: 1,
            min: gas,
            max: gas,
            total: gas,
        });
    }

    /// Adds another row's calls (an empty row changes nothing).
    pub fn merge(&mut self, other: &GasRow) {
        if other.calls == 0 {
            return;
        }
        self.min = if self.calls == 0 {
            other.min
        } else {
            self.min.min(other.min)
        };
        self.max = self.max.max(other.max);
        self.total += other.total;
        self.calls += other.calls;
    }
}

/// The tests of one file and the gas its tests spent per handler (`Contract.handler`).
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    pub tests: Vec<TestOutcome>,
    pub gas: BTreeMap<String, GasRow>,
}

/// The `.tdm` test files of a folder, sorted (none when it does not exist).
pub fn test_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("reading {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "tdm"))
        .collect();
    out.sort();
    Ok(out)
}

/// What the runner knows of the compiled program.
struct Program {
    /// The EVM builds (empty on the WASM target).
    contracts: Vec<Compiled>,
    /// The WASM builds, one per contract of `module` in order (empty on the EVM target).
    natives: Vec<tandem_lang_wasm::Output>,
    /// The module the builds came from (sema's target-neutral module on the WASM target).
    module: tandem_lang_ir::Module,
    cheats: Arc<cheats::CheatRuntime>,
}

/// Compiles the package's sources with one test file and the `cheats` module, and runs
/// every `#[test]` of the file on the EVM build. `Err` when it does not compile or holds no
/// test.
pub fn run_file(test: &Path, package: &[(String, String)]) -> Result<FileReport, String> {
    run_file_on(test, package, Target::Evm)
}

/// [`run_file`] on one target.
pub fn run_file_on(
    test: &Path,
    package: &[(String, String)],
    target: Target,
) -> Result<FileReport, String> {
    let text = std::fs::read_to_string(test)
        .map_err(|e| format!("{}: cannot read: {e}", test.display()))?;
    let stem = test.file_stem().and_then(|s| s.to_str()).unwrap_or("test");
    let test_name = format!("test/{stem}.tdm");
    run_source_on(&test_name, &text, package, target)
}

/// [`run_file`] on a test file's text (`name` is how diagnostics name it).
pub fn run_source(
    name: &str,
    text: &str,
    package: &[(String, String)],
) -> Result<FileReport, String> {
    run_source_on(name, text, package, Target::Evm)
}

/// [`run_source`] on one target. On the WASM target a construct the backend refuses is an
/// `Err` naming it (the tests do not run), never a pass.
pub fn run_source_on(
    name: &str,
    text: &str,
    package: &[(String, String)],
    target: Target,
) -> Result<FileReport, String> {
    if package.iter().any(|(n, _)| module_of(n) == "cheats") {
        return Err("a package source is named `cheats`, the module tests use for cheats".into());
    }
    let mut sources: Vec<(&str, &str)> = package
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    sources.push((name, text));
    let prelude = cheats::prelude();
    sources.push(("cheats.tdm", &prelude));
    let (contracts, natives, module) = match target {
        Target::Evm => {
            let (contracts, module) = crate::compile(&sources)?;
            (contracts, Vec::new(), module)
        }
        Target::Wasm => {
            let (_, _, neutral) = crate::compile_neutral(&sources)?;
            let natives = tandem_lang_wasm::generate(&neutral).map_err(|e| {
                format!("the WASM target cannot build the tests and the package: {e}")
            })?;
            (Vec::new(), natives, neutral)
        }
    };
    let tests = find_tests(name, text, &module)?;
    if tests.is_empty() {
        return Err(format!(
            "{name}: no tests (mark handlers of a test contract with #[test])"
        ));
    }
    let errors: Vec<(String, String)> = module
        .contracts
        .iter()
        .flat_map(|c| &c.meta.abi)
        .filter_map(|item| match item {
            AbiItem::Error { name, inputs } => Some((
                name.clone(),
                tandem_lang_ir::meta::signature(name, inputs.iter().map(|p| &p.ty)),
            )),
            _ => None,
        })
        .collect();
    let program = Program {
        contracts,
        natives,
        module,
        cheats: cheats::CheatRuntime::new(&errors),
    };
    let mut report = FileReport::default();
    for (ci, hi) in tests {
        let outcome = match target {
            Target::Evm => run_one(&program, ci, hi, &mut report.gas)?,
            Target::Wasm => native::run_one(&program, ci, hi, &mut report.gas)?,
        };
        report.tests.push(outcome);
    }
    Ok(report)
}

fn module_of(name: &str) -> &str {
    name.trim_end_matches(".tdm")
        .rsplit('/')
        .next()
        .unwrap_or(name)
}

/// The `#[test]` handlers of the test file's contracts: (contract index, handler index).
fn find_tests(
    name: &str,
    text: &str,
    module: &tandem_lang_ir::Module,
) -> Result<Vec<(usize, usize)>, String> {
    let (ast, _) = tandem_lang_syntax::parse_file(0, text);
    let mut out = Vec::new();
    for item in &ast.items {
        let ItemKind::Contract(c) = &item.kind else {
            continue;
        };
        let Some(ci) = module
            .contracts
            .iter()
            .position(|m| m.name == c.name.name && module_of(&m.file) == module_of(name))
        else {
            continue;
        };
        for arm in c.recvs.iter().flat_map(|r| &r.arms) {
            if !arm.attrs.iter().any(|a| a.name.name == "test") {
                continue;
            }
            let variant = arm.variant.segments.last().map(|s| s.name.as_str());
            let hi = module.contracts[ci]
                .handlers
                .iter()
                .position(|h| Some(h.variant.as_str()) == variant)
                .ok_or_else(|| format!("{name}: no handler for test {variant:?}"))?;
            if !module.contracts[ci].handlers[hi].params.is_empty() {
                return Err(format!(
                    "{name}: test `{}` takes parameters; a test takes none",
                    variant.unwrap_or_default()
                ));
            }
            out.push((ci, hi));
        }
    }
    Ok(out)
}

const THOUSAND_ETHER: u128 = 1_000_000_000_000_000_000_000;

/// A fresh VM: funded accounts, the cheat actor, its hooks and a tracer.
fn fresh_chain(program: &Program) -> Result<TandemChain, String> {
    let rt: Arc<dyn tandem_vm::runtime::Runtime> = program.cheats.clone();
    let mut chain = TandemChain::with_runtimes(&[rt])?;
    let rich = U256::from(1_000u64) * U256::from(THOUSAND_ETHER);
    for who in [ALICE, BOB, CAROL] {
        chain.fund(crate::addr(who), rich)?;
    }
    let machine = &mut chain.executor_mut().machine;
    install_cheats(machine)?;
    // A test contract holds every test of its file, so it may outgrow EIP-170: the runner
    // lifts the code size limits, as anvil's `--disable-code-size-limit` does. That covers
    // the contracts a test creates too; `tandem build` is what warns of an undeployable one.
    machine.network.unlimited_code_size = true;
    Ok(chain)
}

/// Creates the cheat actor at [`cheats::ADDRESS`] and installs the VM's test hooks.
fn install_cheats(machine: &mut tandem_vm::machine::Machine) -> Result<(), String> {
    let f4 = EthAddress(cheats::ADDRESS.into_array()).to_filecoin();
    let state = &mut machine.state;
    let id = state
        .register_new_address(&f4)
        .map_err(|e| format!("{e:#}"))?;
    let record = tandem_state::ActorRecord::new(cheats::code_cid(), machine.empty_object, Some(f4));
    state.set_actor(id, record);
    state.end_message().map_err(|e| format!("{e:#}"))?;
    machine.cheats = Some(Box::new(tandem_vm::cheats::Cheats {
        actor: Some(f4),
        ..Default::default()
    }));
    Ok(())
}

/// Judges a test's call once it ran: the call's own failure (`failed`, already decoded),
/// then the expectations the cheats recorded and the `ExpectEmit`s checked from the trace;
/// adds the call's frames to the gas rows and keeps the trace.
fn conclude(
    machine: &mut tandem_vm::machine::Machine,
    program: &Program,
    test: Address,
    failed: Option<String>,
    out: &mut TestOutcome,
    gas: &mut BTreeMap<String, GasRow>,
) {
    let mut failures = machine
        .cheats
        .take()
        .map(|c| c.failures)
        .unwrap_or_default();
    if let Some(t) = machine.tracer.as_deref() {
        failures.extend(report::check_emits(t));
    }
    // The VM's hook shows other revert data as hex: decode it against the package's errors.
    for f in &mut failures {
        if let Some((head, hex)) = f.split_once("but it reverted with 0x")
            && let Ok(data) = alloy_primitives::hex::decode(hex)
        {
            *f = format!("{head}but it {}", decode_revert(&data, &program.module));
        }
    }
    if let Some(why) = failed {
        // What the expectations found too (a failed call may also have broken one).
        let all: Vec<String> = std::iter::once(why).chain(failures).collect();
        out.reason = Some(all.join("; "));
    } else if !failures.is_empty() {
        out.reason = Some(failures.join("; "));
    } else {
        out.passed = true;
    }
    if let Some(tracer) = machine.tracer.take() {
        report::gas_rows(&tracer, program, test, gas);
        out.trace = format_trace(&tracer, &names(program, test, &out.contract));
    }
}

fn run_one(
    program: &Program,
    ci: usize,
    hi: usize,
    gas: &mut BTreeMap<String, GasRow>,
) -> Result<TestOutcome, String> {
    let contract = &program.module.contracts[ci];
    let meta = &contract.meta.handlers[hi];
    let mut out = TestOutcome::not_run(contract, hi);
    let code = program
        .contracts
        .iter()
        .find(|c| c.name == contract.name)
        .ok_or_else(|| format!("no code for {}", contract.name))?;
    let mut chain = fresh_chain(program)?;
    chain.executor_mut().machine.tracer = Some(Box::new(Tracer::new(None)));
    let alice = crate::addr(ALICE);
    let deployed = chain.deploy(alice, &code.init_code, &[]);
    let Some(at) = deployed.created.filter(|_| deployed.success) else {
        out.reason = Some(format!(
            "set-up (`init` of {}) failed: {}",
            contract.name,
            decode_revert(&deployed.output, &program.module)
        ));
        out.trace = trace_of(&mut chain.executor_mut().machine, program);
        return Ok(out);
    };
    chain.executor_mut().machine.tracer = Some(Box::new(Tracer::new(None)));
    let call = chain.call(alice, at, meta.selector.to_vec());
    out.gas = call.gas;
    let failed = (!call.success).then(|| decode_revert(&call.output, &program.module));
    conclude(
        &mut chain.executor_mut().machine,
        program,
        at,
        failed,
        &mut out,
        gas,
    );
    Ok(out)
}

fn trace_of(machine: &mut tandem_vm::machine::Machine, program: &Program) -> String {
    match machine.tracer.take() {
        Some(t) => format_trace(&t, &names(program, Address::ZERO, "")),
        None => String::new(),
    }
}

/// How the trace names things: contracts by selector, the test contract and the cheats.
pub struct Names<'a> {
    pub module: &'a tandem_lang_ir::Module,
    pub test: Address,
    pub test_name: String,
    pub codes: &'a [Compiled],
    /// The WASM builds' code CIDs and contract names (the WASM target).
    pub natives: Vec<(cid::Cid, String)>,
}

fn names<'a>(program: &'a Program, test: Address, test_name: &str) -> Names<'a> {
    Names {
        module: &program.module,
        test,
        test_name: test_name.to_string(),
        codes: &program.contracts,
        natives: program
            .natives
            .iter()
            .map(|b| {
                (
                    tandem_actors::init::native_code_cid(&b.wasm),
                    b.name.clone(),
                )
            })
            .collect(),
    }
}
