//! `WasmRuntime`: installs, caches and runs native WASM actors behind the VM's `Runtime`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::IPLD_RAW;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_shared::error::{ErrorNumber, ExitCode};
use multihash_codetable::{Code, MultihashDigest};
use rustc_hash::FxHashMap;
use tandem_vm::gas::PRICE_LIST;
use tandem_vm::kernel::{ExecutionError, KResult, Kernel, syscall_error};
use tandem_vm::runtime::{InvokeReturn, Runtime};
use wasmtime::{Engine, Extern, Linker, ResourceLimiter, Store, Trap, TypedFunc, ValType};

use crate::cache::{CacheSnapshot, Linked, ModuleCache, ResetPlan};
use crate::config::{self, prices};
use crate::host::{Block, Host, Stop, fuel_for};
use crate::warm::{Handles, Image, Warm, WarmPool};
use crate::{rewrite, validate};

/// Stack left below which a frame runs on a fresh segment, and that segment's size: a WASM
/// frame may use `MAX_WASM_STACK` plus the host frames of its syscalls.
const STACK_RED_ZONE: usize = 1024 * 1024;
const STACK_SEGMENT: usize = 4 * 1024 * 1024;

/// The code CID of a WASM module: raw bytes, blake2b-256.
pub fn code_cid(wasm: &[u8]) -> Cid {
    Cid::new_v1(IPLD_RAW, Code::Blake2b256.digest(wasm))
}

pub struct WasmRuntime {
    engine: Engine,
    linker: Linker<Host>,
    cache: ModuleCache,
    config_hash: String,
    /// Per code CID, what an instantiation costs beyond the base (data segments), computed
    /// from the module's bytes (never from the module cache, so gas does not depend on it).
    instantiate_prices: Mutex<FxHashMap<Cid, tandem_vm::gas::Gas>>,
    /// Finished instances kept for the next call of their code (`warm.rs`).
    warm: WarmPool,
    /// Whether instances are reused at all (off only to measure the fresh path, which is
    /// what instantiation prices cover: `tandem bench --calibrate`).
    reuse_instances: bool,
}

impl WasmRuntime {
    /// A runtime with an in-memory module cache, plus a disk cache in `cache_dir` if given.
    pub fn new(cache_dir: Option<PathBuf>) -> anyhow::Result<Self> {
        let engine = config::engine()?;
        let linker = crate::syscalls::linker(&engine)?;
        let config_hash = config::engine_config_hash(&engine);
        let cache = ModuleCache::new(cache_dir, &config_hash);
        Ok(Self {
            engine,
            linker,
            cache,
            config_hash,
            instantiate_prices: Mutex::new(FxHashMap::default()),
            warm: WarmPool::default(),
            reuse_instances: true,
        })
    }

    /// A runtime caching compiled modules under `<data_dir>/wasm-cache/`.
    /// This runtime with instance reuse off: every call instantiates afresh. Gas is the
    /// same either way (`warm.rs`); only the time differs, so the calibration measures
    /// instantiation prices on this path, the worst case anyone can force.
    pub fn fresh_instances_only(mut self) -> Self {
        self.reuse_instances = false;
        self
    }

    pub fn with_data_dir(data_dir: &Path) -> anyhow::Result<Self> {
        Self::new(Some(data_dir.join("wasm-cache")))
    }

    pub fn cache_stats(&self) -> CacheSnapshot {
        self.cache.snapshot()
    }

    /// Finished instances kept for reuse now (`warm.rs`).
    pub fn warm_instances(&self) -> usize {
        self.warm.len()
    }

    pub fn config_hash(&self) -> &str {
        &self.config_hash
    }

    /// Compiles, checks the entry point and links a validated module. A compiler failure is
    /// this node's (a validated module compiles; running out of memory or mappings is the
    /// process's limit), so it is fatal; a bad entry point or import signature is the
    /// module's.
    fn compile_and_link(
        &self,
        code: Cid,
        wasm: &[u8],
        info: &validate::ModuleInfo,
    ) -> KResult<Linked> {
        // The host's exports for resetting a reused instance (`rewrite.rs`). A validated
        // module always parses, so a failure here is this node's.
        let prepared = rewrite::prepare(wasm, info).map_err(|e| {
            ExecutionError::Fatal(anyhow::anyhow!("preparing validated code {code}: {e}"))
        })?;
        let module = self.cache.compile(&self.engine, &prepared).map_err(|e| {
            ExecutionError::Fatal(anyhow::anyhow!("compiling validated code {code}: {e:#}"))
        })?;
        self.check_and_link(code, module)
            .map_err(|msg| ExecutionError::Syscall(ErrorNumber::IllegalArgument, msg))
    }

    fn check_and_link(&self, code: Cid, module: wasmtime::Module) -> Result<Linked, String> {
        match module
            .get_export(config::ENTRY_POINT)
            .and_then(|e| e.func().cloned())
        {
            Some(f)
                if f.params().map(|p| matches!(p, ValType::I32)).eq([true])
                    && f.results().map(|p| matches!(p, ValType::I32)).eq([true]) => {}
            _ => {
                return Err(format!(
                    "`{}` must have type (i32) -> i32",
                    config::ENTRY_POINT
                ));
            }
        }
        self.cache
            .insert(&self.linker, code, module, true)
            .map_err(|e| format!("link error: {e:#}"))
    }

    /// The linked module for `code`: from memory, from disk, or compiled from the store.
    fn module(&self, kernel: &dyn Kernel, code: &Cid) -> KResult<Linked> {
        if let Some(linked) = self.cache.get(code) {
            return Ok(linked);
        }
        if let Some(module) = self.cache.load_from_disk(&self.engine, code) {
            return self
                .cache
                .insert(&self.linker, *code, module, false)
                .map_err(ExecutionError::Fatal);
        }
        let wasm = kernel.store().get(code)?.ok_or_else(|| {
            ExecutionError::Fatal(anyhow::anyhow!("code {code} is not in the store"))
        })?;
        // Code installed under older limits may fail today's: that is the same on every node,
        // so it is the actor's failure (the frame aborts), not the chain's.
        let info = validate::validate(&wasm).map_err(|e| {
            ExecutionError::Syscall(
                ErrorNumber::IllegalOperation,
                format!("installed code {code} no longer loads: {e}"),
            )
        })?;
        self.compile_and_link(*code, &wasm, &info)
    }

    /// The instantiation price of `code` beyond the base (see `validate::instantiate_cost`).
    fn instantiate_price(&self, kernel: &dyn Kernel, code: &Cid) -> KResult<tandem_vm::gas::Gas> {
        if let Some(p) = self
            .instantiate_prices
            .lock()
            .ok()
            .and_then(|m| m.get(code).copied())
        {
            return Ok(p);
        }
        let wasm = kernel.store().get(code)?.ok_or_else(|| {
            ExecutionError::Fatal(anyhow::anyhow!("code {code} is not in the store"))
        })?;
        let info = validate::validate(&wasm)
            .map_err(|e| ExecutionError::Fatal(anyhow::anyhow!("installed code {code}: {e}")))?;
        let price = validate::instantiate_cost(&info);
        if let Ok(mut m) = self.instantiate_prices.lock() {
            // A node's memory must not grow with the number of codes ever called.
            crate::cache::insert_bounded(&mut m, *code, price);
        }
        Ok(price)
    }

    fn invoke_frame(&self, kernel: &mut dyn Kernel) -> KResult<InvokeReturn> {
        kernel.charge_gas("invoke", PRICE_LIST.method_invocation)?;
        kernel.charge_gas("instantiate", prices::INSTANTIATE_BASE)?;
        let code = kernel.context().code;
        // A warm instance of `code` exists only if its module loaded, linked and was
        // resettable, which it still is (it is this code's module): the warm path skips the
        // module cache's lookup (a lock and a clone of the linked module per call).
        let warm = if self.reuse_instances {
            self.warm.take(&code)
        } else {
            None
        };
        let linked = match warm {
            Some(_) => {
                // The module is in memory (the warm instance holds it): a cache hit.
                self.cache
                    .stats
                    .memory_hits
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                None
            }
            None => Some(self.module(kernel, &code)?),
        };
        let data = match self.instantiate_price(kernel, &code) {
            Ok(data) => data,
            Err(e) => {
                if let Some(warm) = warm {
                    self.warm.put_back(code, warm);
                }
                return Err(e);
            }
        };
        if let Err(e) = kernel.charge_gas("instantiate", data) {
            if let Some(warm) = warm {
                self.warm.put_back(code, warm);
            }
            return Err(e);
        }
        let params = kernel.take_params();
        if let Some(warm) = warm {
            // A fresh instance would first take the params block, then its initial memory,
            // from the stack's memory budget (`Host::add_block`, then the limiter): if both
            // fit, neither can fail on the warm path either, and the two paths agree.
            let params_len = params.as_ref().map_or(0, |p| p.data.len() as u64);
            let needed = params_len.saturating_add(warm.image.memory_bytes() as u64);
            if kernel.limiter().fits(needed, config::MAX_STACK_MEMORY) {
                return self.run_warm(kernel, code, warm, params);
            }
            self.warm.put_back(code, warm);
        }
        let linked = match linked {
            Some(linked) => linked,
            None => self.module(kernel, &code)?,
        };
        self.run_cold(kernel, code, &linked, params)
    }

    /// Runs the frame on a fresh instance; keeps it warm afterwards if the module allows it
    /// and the pool wants one.
    fn run_cold(
        &self,
        kernel: &mut dyn Kernel,
        code: Cid,
        linked: &Linked,
        params: Option<IpldBlock>,
    ) -> KResult<InvokeReturn> {
        // SAFETY: the host is detached (or dropped with the store) before this returns, and
        // `kernel` is only used through it until then.
        let host = unsafe { Host::new(kernel)? };
        let mut store = Store::new(&self.engine, host);
        store.limiter(|h| h);
        let params_id = add_params(&mut store, params)?;
        let fuel = fuel_for(store.data_mut().kernel().gas_available());
        set_fuel(&mut store, fuel)?;
        let keep = linked
            .reset
            .as_ref()
            .filter(|_| self.reuse_instances && self.warm.wants(&code));
        let mut kept = None;
        let result = linked.pre.instantiate(&mut store).and_then(|instance| {
            let memory = linked
                .memory
                .as_ref()
                .and_then(|export| instance.get_module_export(&mut store, export))
                .and_then(Extern::into_memory);
            store.data_mut().memory = memory;
            let entry = match &linked.entry {
                Some(export) => match instance
                    .get_module_export(&mut store, export)
                    .and_then(Extern::into_func)
                {
                    // SAFETY: `Linked` keeps `entry` only when the export's type is
                    // `(i32) -> i32`, which is `TypedFunc<u32, u32>`.
                    Some(f) => unsafe { TypedFunc::<u32, u32>::new_unchecked(&store, f) },
                    None => instance.get_typed_func(&mut store, config::ENTRY_POINT)?,
                },
                // A mistyped entry point: the same error as always, from wasmtime.
                None => instance.get_typed_func(&mut store, config::ENTRY_POINT)?,
            };
            if let (Some(plan), Some(memory)) = (keep, memory) {
                kept = warm_handles(&mut store, &instance, plan, entry.clone(), memory).map(
                    |handles| {
                        // One image per code: every instance of a module starts the same.
                        let image = self.warm.image(&code).unwrap_or_else(|| {
                            // Instantiation itself spends a little fuel (constant per module).
                            let spent = fuel.saturating_sub(store.get_fuel().unwrap_or(fuel));
                            let image = Arc::new(Image::capture(
                                &mut store,
                                memory,
                                &handles.globals,
                                handles.table,
                                spent,
                            ));
                            self.warm.remember_image(code, image.clone());
                            image
                        });
                        (handles, image)
                    },
                );
            }
            entry.call(&mut store, params_id)
        });
        let ret = finish(&mut store, result);
        store.data_mut().detach();
        if let Some((handles, image)) = kept
            && reusable_after(&ret)
        {
            self.warm.park(code, Warm::new(store, handles, image));
        }
        ret
    }

    /// Runs the frame on a warm instance (see `warm.rs` for why this is indistinguishable
    /// from a fresh one) and keeps it warm again.
    fn run_warm(
        &self,
        kernel: &mut dyn Kernel,
        code: Cid,
        mut warm: Warm,
        params: Option<IpldBlock>,
    ) -> KResult<InvokeReturn> {
        // SAFETY: as in `run_cold`: detached before this returns (or dropped with `warm`).
        if let Err(e) = unsafe { warm.store.data_mut().attach(kernel) } {
            self.warm.put_back(code, warm);
            return Err(e);
        }
        warm.store.data_mut().memory = Some(warm.memory);
        let params_id = add_params(&mut warm.store, params)?;
        let fuel = fuel_for(warm.store.data_mut().kernel().gas_available());
        set_fuel(&mut warm.store, fuel)?;
        let result = admit_initial(&mut warm.store, &warm.image)
            .and_then(|()| warm.entry.call(&mut warm.store, params_id));
        let ret = finish(&mut warm.store, result);
        warm.store.data_mut().detach();
        if reusable_after(&ret) {
            self.warm.park(code, warm);
        }
        ret
    }

    fn install_code(&self, kernel: &mut dyn Kernel, wasm: &[u8]) -> KResult<Cid> {
        kernel.charge_gas("install", validate::upfront_cost(wasm.len()))?;
        let info = match validate::validate(wasm) {
            Ok(info) => info,
            Err(msg) => return syscall_error(ErrorNumber::IllegalArgument, msg),
        };
        kernel.charge_gas("install", validate::compile_cost(&info))?;
        kernel.charge_gas("install", PRICE_LIST.block_link(wasm.len()))?;
        let code = code_cid(wasm);
        let cached = self.cache.get(&code).is_some()
            || self
                .cache
                .load_from_disk(&self.engine, &code)
                .and_then(|m| self.cache.insert(&self.linker, code, m, false).ok())
                .is_some();
        if !cached {
            self.compile_and_link(code, wasm, &info)?;
        }
        let stored = kernel.block_put(IPLD_RAW, wasm)?;
        debug_assert_eq!(stored, code);
        Ok(code)
    }
}

fn add_params(store: &mut Store<Host>, params: Option<IpldBlock>) -> KResult<u32> {
    match params {
        Some(p) => store
            .data_mut()
            .add_block(Block {
                codec: p.codec,
                data: p.data,
            })
            .map_err(|n| ExecutionError::Syscall(n, "too many blocks".into())),
        None => Ok(0),
    }
}

/// The handles a kept instance is called and reset through; `None` if an export the plan
/// names is missing (the instance is then not kept).
fn warm_handles(
    store: &mut Store<Host>,
    instance: &wasmtime::Instance,
    plan: &ResetPlan,
    entry: TypedFunc<u32, u32>,
    memory: wasmtime::Memory,
) -> Option<Handles> {
    let globals = plan
        .globals
        .iter()
        .map(|e| {
            instance
                .get_module_export(&mut *store, e)
                .and_then(Extern::into_global)
        })
        .collect::<Option<Vec<_>>>()?;
    let table = match &plan.table {
        Some(e) => Some(
            instance
                .get_module_export(&mut *store, e)
                .and_then(Extern::into_table)?,
        ),
        None => None,
    };
    let reset_fn = match &plan.reset_fn {
        Some(e) => {
            let f = instance
                .get_module_export(&mut *store, e)
                .and_then(Extern::into_func)?;
            // SAFETY: `ResetPlan` keeps `reset_fn` only when its type is `() -> ()`.
            Some(unsafe { TypedFunc::<(), ()>::new_unchecked(&*store, f) })
        }
        None => None,
    };
    Some(Handles {
        entry,
        memory,
        globals,
        table,
        reset_fn,
    })
}

/// What instantiation asks of the limiter, replayed for a warm instance in the same order
/// (memory, then table) and with the same arguments, and the fuel it spends, so a warm
/// instance is charged the same gas.
fn admit_initial(store: &mut Store<Host>, image: &Image) -> wasmtime::Result<()> {
    let host = store.data_mut();
    let pages = image.memory_bytes() as u64 / config::WASM_PAGE;
    if !host.memory_growing(0, image.memory_bytes(), None)? {
        // Unreachable after `invoke_frame`'s check; worded as wasmtime words it.
        return Err(wasmtime::Error::msg(format!(
            "memory minimum size of {pages} pages exceeds memory limits"
        )));
    }
    if let Some(elements) = image.table_size()
        && !host.table_growing(0, elements as usize, None)?
    {
        return Err(wasmtime::Error::msg(format!(
            "table minimum size of {elements} elements exceeds table limits"
        )));
    }
    // Then the fuel instantiation spends, after the limiter's calls as in wasmtime.
    let fuel = store.get_fuel()?;
    match fuel.checked_sub(image.instantiate_fuel()) {
        Some(left) => store.set_fuel(left),
        None => {
            store.set_fuel(0)?;
            Err(Trap::OutOfFuel.into())
        }
    }
}

/// Whether an instance may be kept after a frame ended so: not after a fatal error, whose
/// cause may be the runtime's own.
fn reusable_after(ret: &KResult<InvokeReturn>) -> bool {
    matches!(ret, Ok(_) | Err(ExecutionError::OutOfGas))
}

/// The frame's outcome from the entry point's result: charges the instructions run since the
/// last syscall and classifies stops, traps and failures.
fn finish(store: &mut Store<Host>, result: wasmtime::Result<u32>) -> KResult<InvokeReturn> {
    let left = store.get_fuel().unwrap_or(0);
    let used = store.data().fuel_at_sync.saturating_sub(left);
    let exec =
        tandem_vm::gas::Gas::from_milligas((used as i64).saturating_mul(prices::MILLIGAS_PER_FUEL));
    let host = store.data_mut();
    let charged = host.kernel().charge_gas("wasm_exec", exec);
    let ret = match result {
        Ok(id) => {
            charged?;
            if id == 0 {
                return Ok(InvokeReturn::ok(None));
            }
            return Ok(match host.take_block(id) {
                Ok(b) => InvokeReturn::ok(Some(IpldBlock {
                    codec: b.codec,
                    data: b.data,
                })),
                Err(_) => exit_with(ExitCode::SYS_MISSING_RETURN, "invalid return block"),
            });
        }
        Err(e) => e,
    };
    if ret
        .downcast_ref::<wasmtime::PoolConcurrencyLimitError>()
        .is_some()
    {
        // This node ran out of instance slots: its own resource limit, not the actor's
        // failure, so the message must not be decided by it (the executor rolls it back).
        return Err(ExecutionError::Fatal(anyhow::anyhow!(
            "the WASM instance pool is exhausted: {ret}"
        )));
    }
    if host.out_of_gas || charged.is_err() {
        return Err(ExecutionError::OutOfGas);
    }
    let ret = match ret.downcast::<Stop>() {
        Ok(Stop::Abort {
            code,
            data,
            message,
        }) => {
            let data = match data {
                Some(b) => Some(IpldBlock {
                    codec: b.codec,
                    data: b.data,
                }),
                None => IpldBlock::serialize_cbor(&message).ok().flatten(),
            };
            return Ok(InvokeReturn::exit(code, data));
        }
        Ok(Stop::Kernel(e)) => return Err(e),
        Err(other) => other,
    };
    match ret.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => {
            // All gas is gone: spend the fraction of a fuel unit that is left too.
            let k = host.kernel();
            let rest = k.gas_available();
            let _ = k.charge_gas("wasm_exec", rest);
            Err(ExecutionError::OutOfGas)
        }
        Some(trap) => Ok(exit_with(
            ExitCode::SYS_ILLEGAL_INSTRUCTION,
            &trap.to_string(),
        )),
        None => Ok(exit_with(
            ExitCode::SYS_ILLEGAL_INSTRUCTION,
            &format!("instance failed: {ret}"),
        )),
    }
}

fn set_fuel(store: &mut Store<Host>, fuel: u64) -> KResult<()> {
    store.data_mut().fuel_at_sync = fuel;
    store
        .set_fuel(fuel)
        .map_err(|e| ExecutionError::Fatal(anyhow::anyhow!("{e}")))
}

fn exit_with(code: ExitCode, msg: &str) -> InvokeReturn {
    InvokeReturn::exit(code, IpldBlock::serialize_cbor(&msg).ok().flatten())
}

impl Runtime for WasmRuntime {
    fn name(&self) -> &'static str {
        "wasm"
    }

    fn runs(&self, code: &Cid) -> bool {
        code.codec() == IPLD_RAW && code.hash().code() == u64::from(Code::Blake2b256)
    }

    fn invoke(&self, kernel: &mut dyn Kernel) -> KResult<InvokeReturn> {
        stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, || self.invoke_frame(kernel))
    }

    fn install(&self, kernel: &mut dyn Kernel, code: &[u8]) -> KResult<Option<Cid>> {
        self.install_code(kernel, code).map(Some)
    }
}
