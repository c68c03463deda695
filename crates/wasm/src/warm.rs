//! Warm instances: a finished instance of a resettable module, put back into the state it had
//! before its first instruction and kept for the next call of the same code.
//!
//! A fresh instance per call costs a `Store`, an instance and a pool slot, and their teardown:
//! about 1.5 µs of an empty native call on the reference machine, twice what the EVM spends on
//! an empty call (docs/gas.md). A warm instance costs a reset instead: its memory compared with
//! the image and what differs written back, its mutable globals restored.
//!
//! **Invariant: a call on a warm instance is indistinguishable from a call on a fresh one**,
//! in its effects, its reply and its gas. That holds because:
//! - only resettable modules are kept (`validate.rs`: no start function, no table mutation, no
//!   segment drops), so the only state a call can change is the memory's contents and size
//!   and the mutable globals;
//! - the reset restores the contents and globals from an [`Image`] captured from the instance
//!   right after its instantiation, and refuses (the instance is dropped) when the memory or
//!   the table has a different size than then; the globals are restored by one call of the
//!   module's reset function (`rewrite.rs`: each global's own initialiser, which is what the
//!   image holds), or one `Global::set` each where the module has none;
//! - the runtime charges the same gas on both paths, and replays the limiter's calls that
//!   instantiation makes (initial memory, then initial table) in the same order
//!   (`runtime.rs`).
//!
//! Which calls find a warm instance depends on this node's history; nothing else does.

use std::sync::{Arc, Mutex};

use cid::Cid;
use rustc_hash::FxHashMap;
use wasmtime::{Global, Memory, Store, Table, TypedFunc, Val};

use crate::host::Host;

/// Warm instances kept at most, across codes. Each holds a pool slot, so the instance pool
/// is sized for them on top of the frames it must always have room for (`config.rs`).
pub const MAX_WARM: usize = 64;
/// Warm instances kept per code: nested calls of one code need one each.
pub const MAX_WARM_PER_CODE: usize = 4;

/// Fuel for the reset function: two operators per global, and `config::MAX_GLOBALS` of them.
const RESET_FUEL: u64 = 1 << 20;

/// What a fresh instance of one module holds before its first instruction.
pub struct Image {
    memory_bytes: usize,
    /// The non-zero parts of the initial memory (its data segments), by offset.
    runs: Vec<(usize, Vec<u8>)>,
    globals: Vec<Val>,
    table_size: Option<u64>,
    /// Fuel that instantiation spent.
    instantiate_fuel: u64,
}

impl Image {
    /// Initial memory, in bytes.
    pub fn memory_bytes(&self) -> usize {
        self.memory_bytes
    }

    /// Initial table elements (`None` without a table).
    pub fn table_size(&self) -> Option<u64> {
        self.table_size
    }

    pub fn instantiate_fuel(&self) -> u64 {
        self.instantiate_fuel
    }
}

/// A finished instance and the handles the host calls it through.
pub struct Warm {
    pub store: Store<Host>,
    pub entry: TypedFunc<u32, u32>,
    pub memory: Memory,
    globals: Vec<Global>,
    table: Option<Table>,
    reset_fn: Option<TypedFunc<(), ()>>,
    pub image: Arc<Image>,
}

impl Image {
    /// The image of an instance that has just been instantiated, before its entry point
    /// runs. Found here once, the data runs are what every reset compares the memory with.
    pub fn capture(
        store: &mut Store<Host>,
        memory: Memory,
        globals: &[Global],
        table: Option<Table>,
        instantiate_fuel: u64,
    ) -> Self {
        const CHUNK: usize = 64;
        let global_values = globals.iter().map(|g| g.get(&mut *store)).collect();
        let table_size = table.map(|t| t.size(&*store));
        let data = memory.data(&*store);
        let mut runs: Vec<(usize, Vec<u8>)> = Vec::new();
        for (i, chunk) in data.chunks(CHUNK).enumerate() {
            if chunk.iter().all(|b| *b == 0) {
                continue;
            }
            let at = i * CHUNK;
            match runs.last_mut() {
                Some((start, bytes)) if *start + bytes.len() == at => {
                    bytes.extend_from_slice(chunk)
                }
                _ => runs.push((at, chunk.to_vec())),
            }
        }
        Self {
            memory_bytes: data.len(),
            runs,
            globals: global_values,
            table_size,
            instantiate_fuel,
        }
    }
}

/// The handles through which a kept instance is called and reset.
pub struct Handles {
    pub entry: TypedFunc<u32, u32>,
    pub memory: Memory,
    pub globals: Vec<Global>,
    pub table: Option<Table>,
    /// The module's reset function (`rewrite::RESET_EXPORT`), if it has one.
    pub reset_fn: Option<TypedFunc<(), ()>>,
}

impl Warm {
    pub fn new(store: Store<Host>, handles: Handles, image: Arc<Image>) -> Self {
        Self {
            store,
            entry: handles.entry,
            memory: handles.memory,
            globals: handles.globals,
            table: handles.table,
            reset_fn: handles.reset_fn,
            image,
        }
    }

    /// Puts the instance back into its image. `false` when it cannot be (its memory grew, or
    /// a size differs): the caller drops it.
    pub fn reset(&mut self) -> bool {
        let store = &mut self.store;
        if self.table.map(|t| t.size(&*store)) != self.image.table_size {
            return false;
        }
        let data = self.memory.data_mut(&mut *store);
        if data.len() != self.image.memory_bytes {
            return false;
        }
        // Every byte is compared with the image and only blocks that differ are written: the
        // gaps between the data runs zeroed, the runs copied. So the memory is the image
        // afterwards whatever the call wrote, and a call that wrote little costs a read of
        // the memory, not a write of all of it.
        let mut zero_from = 0;
        for (at, bytes) in &self.image.runs {
            // Runs are captured in order and apart, so `at >= zero_from`.
            match (
                data.get_mut(zero_from..*at + bytes.len()),
                at.checked_sub(zero_from),
            ) {
                (Some(dst), Some(gap_len)) => {
                    let (gap, run) = dst.split_at_mut(gap_len);
                    zero_changed(gap);
                    copy_changed(run, bytes);
                }
                _ => return false,
            }
            zero_from = *at + bytes.len();
        }
        zero_changed(&mut data[zero_from..]);
        if let Some(reset) = &self.reset_fn {
            // One call sets every mutable global to its initialiser, which is the value the
            // image holds (no start function ran before the capture). The fuel it spends is
            // nobody's: the next call sets the fuel afresh.
            return store.set_fuel(RESET_FUEL).is_ok() && reset.call(&mut *store, ()).is_ok();
        }
        for (global, value) in self.globals.iter().zip(&self.image.globals) {
            if global.set(&mut *store, *value).is_err() {
                return false;
            }
        }
        true
    }
}

/// Bytes compared (and, if they differ, written) at a time by the reset. Reading a block
/// costs less than writing it, and a call leaves most of a 64 KiB memory as it found it.
const RESET_BLOCK: usize = 256;

/// Zeroes `dst`, writing only the blocks that are not all zero already.
fn zero_changed(dst: &mut [u8]) {
    // The reset reads a whole memory per call: on x86-64 CPUs with AVX2, twice as many bytes
    // per load as the SSE2 baseline the crate is compiled for.
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `zero_changed_avx2` needs AVX2, which this CPU was just found to have.
        unsafe { zero_changed_avx2(dst) };
        return;
    }
    zero_changed_portable(dst);
}

/// [`zero_changed_portable`] compiled for AVX2 (the same code; the compiler vectorises it
/// with 256-bit loads).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn zero_changed_avx2(dst: &mut [u8]) {
    zero_changed_portable(dst);
}

#[inline(always)]
fn zero_changed_portable(dst: &mut [u8]) {
    let mut blocks = dst.chunks_exact_mut(RESET_BLOCK);
    for block in &mut blocks {
        if !is_zero(block) {
            block.fill(0);
        }
    }
    blocks.into_remainder().fill(0);
}

/// Copies `src` into `dst` (the same length), writing only the blocks that differ.
fn copy_changed(dst: &mut [u8], src: &[u8]) {
    for (d, s) in dst.chunks_mut(RESET_BLOCK).zip(src.chunks(RESET_BLOCK)) {
        if d != s {
            d.copy_from_slice(s);
        }
    }
}

/// Whether a block is all zero: the OR of its words, which the compiler vectorises (a
/// byte-by-byte test with an early exit does not).
#[inline(always)]
fn is_zero(block: &[u8]) -> bool {
    let mut words = block.chunks_exact(8);
    let mut any = 0u64;
    for w in &mut words {
        any |= u64::from_ne_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
    }
    any == 0 && words.remainder().iter().all(|b| *b == 0)
}

/// The warm instances of a runtime, by code.
///
/// The frame that finished with an instance resets it. (Handing the reset to a background
/// thread was measured slower: the wake-up costs more than the memset it moves.)
#[derive(Default)]
pub struct WarmPool {
    parked: Mutex<Parked>,
    /// The image of each kept code, captured once.
    images: Mutex<FxHashMap<Cid, Arc<Image>>>,
}

#[derive(Default)]
struct Parked {
    by_code: FxHashMap<Cid, Vec<Warm>>,
    count: usize,
}

impl WarmPool {
    /// A warm instance of `code`, taken out of the pool (the caller owns it for the call).
    pub fn take(&self, code: &Cid) -> Option<Warm> {
        let mut parked = self.parked.lock().ok()?;
        let warm = parked.by_code.get_mut(code)?.pop()?;
        parked.count -= 1;
        Some(warm)
    }

    /// Whether an instance of `code` would be kept if parked now (so capturing its image is
    /// worth it).
    pub fn wants(&self, code: &Cid) -> bool {
        self.parked.lock().is_ok_and(|p| {
            p.by_code
                .get(code)
                .is_none_or(|v| v.len() < MAX_WARM_PER_CODE)
        })
    }

    /// The image captured from an earlier instance of `code`.
    pub fn image(&self, code: &Cid) -> Option<Arc<Image>> {
        self.images.lock().ok()?.get(code).cloned()
    }

    pub fn remember_image(&self, code: Cid, image: Arc<Image>) {
        if let Ok(mut images) = self.images.lock() {
            // Forgetting an image only costs a capture.
            crate::cache::insert_bounded(&mut images, code, image);
        }
    }

    /// Resets a finished instance and keeps it, unless it cannot be reset or `code` has
    /// enough warm instances already.
    pub fn park(&self, code: Cid, mut warm: Warm) {
        if warm.reset() {
            self.put_back(code, warm);
        }
    }

    /// Keeps an instance that is in its initial state already (see [`WarmPool::park`]).
    /// When the pool is full, an instance of another code makes room (which one only changes
    /// which later calls are warm).
    pub fn put_back(&self, code: Cid, warm: Warm) {
        let Ok(mut parked) = self.parked.lock() else {
            return;
        };
        if parked
            .by_code
            .get(&code)
            .is_some_and(|v| v.len() >= MAX_WARM_PER_CODE)
        {
            return;
        }
        let mut evicted = None;
        if parked.count >= MAX_WARM {
            let victim = parked
                .by_code
                .iter_mut()
                .filter(|(c, _)| **c != code)
                .find_map(|(_, v)| v.pop());
            match victim {
                Some(v) => {
                    parked.count -= 1;
                    evicted = Some(v);
                }
                None => return,
            }
            parked.by_code.retain(|_, v| !v.is_empty());
        }
        parked.by_code.entry(code).or_default().push(warm);
        parked.count += 1;
        drop(parked);
        // Tearing an instance down takes a while: not under the lock.
        drop(evicted);
    }

    /// Warm instances held now.
    pub fn len(&self) -> usize {
        self.parked.lock().map(|p| p.count).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever a block held, and wherever in it (every byte position of the first blocks,
    /// the partial tail), the reset leaves exactly the image.
    #[test]
    fn the_reset_writes_back_every_changed_byte() {
        for len in [0, 1, 7, 8, 255, 256, 257, 1000, 4096 + 13] {
            let image: Vec<u8> = (0..len).map(|i| (i * 7 + 1) as u8).collect();
            for dirty in (0..len).step_by(1 + len / 97) {
                // Both the CPU's path and the portable one.
                for zero in [zero_changed, zero_changed_portable] {
                    let mut zeroed = vec![0u8; len];
                    zeroed[dirty] = 0x80;
                    zero(&mut zeroed);
                    assert!(zeroed.iter().all(|b| *b == 0), "{len} bytes, {dirty}");
                }

                let mut copied = image.clone();
                copied[dirty] ^= 1;
                copy_changed(&mut copied, &image);
                assert_eq!(copied, image, "{len} bytes, {dirty}");
            }
            let mut noise: Vec<u8> = (0..len).map(|i| (i % 251) as u8 | 1).collect();
            zero_changed(&mut noise);
            assert!(noise.iter().all(|b| *b == 0));
        }
    }
}
