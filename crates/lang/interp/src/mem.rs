//! A message's linear memory and the language's layout of values in it (docs/ir.md "The
//! model"): a static aggregate is one word per leaf, in order; `Bytes`/`String` a length
//! word and the bytes; `Vec<T>` an element count and the elements (a static element in
//! place, a dynamic one as a pointer word); a dynamic part of an aggregate is a pointer word.

use crate::abi::Val;
use alloy_primitives::U256;
use tandem_lang_ir::ValTy;

/// Memory beyond this many bytes is out of gas on any chain.
const LIMIT: usize = 32 << 20;

/// Where the bump allocator starts (below it nothing is stored: the IR's pointers are only
/// ever ones `Alloc` returned).
const HEAP: usize = 0x80;

/// Memory ran past [`LIMIT`]: the message fails as if out of gas.
#[derive(Debug)]
pub struct OutOfMemory;

pub struct Memory {
    bytes: Vec<u8>,
    free: usize,
}

fn addr(p: U256, len: usize) -> Result<usize, OutOfMemory> {
    if p > U256::from(LIMIT) {
        return Err(OutOfMemory);
    }
    let p = p.to::<usize>();
    match p.checked_add(len) {
        Some(end) if end <= LIMIT => Ok(p),
        _ => Err(OutOfMemory),
    }
}

/// A value's bytes in place in a parent: its words, or a pointer word when dynamic.
pub fn inline_size(t: &ValTy) -> usize {
    if t.is_dynamic() {
        32
    } else {
        t.head_size() as usize
    }
}

impl Memory {
    pub fn new() -> Memory {
        Memory {
            bytes: Vec::new(),
            free: HEAP,
        }
    }

    fn grow(&mut self, end: usize) {
        if self.bytes.len() < end {
            self.bytes.resize(end.div_ceil(32) * 32, 0);
        }
    }

    /// Reserves `size` bytes (fresh memory is zero) and yields their address.
    pub fn alloc(&mut self, size: U256) -> Result<U256, OutOfMemory> {
        let at = self.free;
        let size = addr(size, at)?;
        let end = at + size.div_ceil(32) * 32;
        if end > LIMIT {
            return Err(OutOfMemory);
        }
        self.free = end;
        Ok(U256::from(at))
    }

    pub fn load(&mut self, p: U256) -> Result<U256, OutOfMemory> {
        let p = addr(p, 32)?;
        self.grow(p + 32);
        Ok(U256::from_be_slice(&self.bytes[p..p + 32]))
    }

    pub fn store(&mut self, p: U256, v: U256) -> Result<(), OutOfMemory> {
        let p = addr(p, 32)?;
        self.grow(p + 32);
        self.bytes[p..p + 32].copy_from_slice(&v.to_be_bytes::<32>());
        Ok(())
    }

    pub fn read(&mut self, p: U256, len: U256) -> Result<Vec<u8>, OutOfMemory> {
        let len = addr(len, 0)?;
        if len == 0 {
            return Ok(Vec::new());
        }
        let p = addr(p, len)?;
        self.grow(p + len);
        Ok(self.bytes[p..p + len].to_vec())
    }

    pub fn write(&mut self, p: U256, data: &[u8]) -> Result<(), OutOfMemory> {
        if data.is_empty() {
            return Ok(());
        }
        let p = addr(p, data.len())?;
        self.grow(p + data.len());
        self.bytes[p..p + data.len()].copy_from_slice(data);
        Ok(())
    }

    /// `MCopy(dst, src, len)`: overlapping ranges copy as if through a buffer.
    pub fn copy(&mut self, dst: U256, src: U256, len: U256) -> Result<(), OutOfMemory> {
        let data = self.read(src, len)?;
        self.write(dst, &data)
    }

    /// Fresh `Bytes`/`String`: a length word and the bytes; yields the pointer.
    pub fn new_bytes(&mut self, b: &[u8]) -> Result<U256, OutOfMemory> {
        let p = self.alloc(U256::from(32 + b.len()))?;
        self.store(p, U256::from(b.len()))?;
        self.write(p + U256::from(32), b)?;
        Ok(p)
    }

    /// The bytes of a `Bytes`/`String` value at `p`.
    pub fn bytes_at(&mut self, p: U256) -> Result<Vec<u8>, OutOfMemory> {
        let len = self.load(p)?;
        self.read(p + U256::from(32), len)
    }

    /// A value as a local holds it: the word itself, or a pointer to its layout.
    pub fn get(&mut self, v: U256, t: &ValTy) -> Result<Val, OutOfMemory> {
        match t {
            ValTy::Word(_) => Ok(Val::Word(v)),
            _ => self.read_at(v, t),
        }
    }

    /// A value in place at `p` inside a parent.
    fn read_inline(&mut self, p: U256, t: &ValTy) -> Result<Val, OutOfMemory> {
        if t.is_dynamic() {
            let ptr = self.load(p)?;
            self.read_at(ptr, t)
        } else {
            self.read_at(p, t)
        }
    }

    /// The value whose layout starts at `p`.
    fn read_at(&mut self, p: U256, t: &ValTy) -> Result<Val, OutOfMemory> {
        match t {
            ValTy::Word(_) => Ok(Val::Word(self.load(p)?)),
            ValTy::Bytes | ValTy::String => Ok(Val::Bytes(self.bytes_at(p)?)),
            ValTy::Array(e, n) => self.read_list(p, e, *n as usize),
            ValTy::DynArray(e) => {
                let n = self.load(p)?;
                let n = addr(n, 0)?;
                if n.saturating_mul(inline_size(e)) > LIMIT {
                    return Err(OutOfMemory);
                }
                self.read_list(p + U256::from(32), e, n)
            }
            ValTy::Tuple(ts) => {
                let mut parts = Vec::with_capacity(ts.len());
                let mut off = p;
                for t in ts {
                    parts.push(self.read_inline(off, t)?);
                    off += U256::from(inline_size(t));
                }
                Ok(Val::List(parts))
            }
        }
    }

    fn read_list(&mut self, p: U256, e: &ValTy, n: usize) -> Result<Val, OutOfMemory> {
        let step = U256::from(inline_size(e));
        let mut xs = Vec::with_capacity(n.min(1024));
        for i in 0..n {
            xs.push(self.read_inline(p + step * U256::from(i), e)?);
        }
        Ok(Val::List(xs))
    }

    /// Places a value as a local holds it: a word, or a pointer to fresh memory.
    pub fn put(&mut self, v: &Val, t: &ValTy) -> Result<U256, OutOfMemory> {
        match (t, v) {
            (ValTy::Word(_), Val::Word(w)) => Ok(*w),
            (ValTy::Bytes | ValTy::String, Val::Bytes(b)) => self.new_bytes(b),
            _ => {
                let size = match (t, v) {
                    (ValTy::DynArray(e), Val::List(xs)) => 32 + xs.len() * inline_size(e),
                    _ => inline_size_of_layout(t),
                };
                let p = self.alloc(U256::from(size))?;
                self.write_at(p, v, t)?;
                Ok(p)
            }
        }
    }

    fn write_inline(&mut self, p: U256, v: &Val, t: &ValTy) -> Result<(), OutOfMemory> {
        if t.is_dynamic() {
            let ptr = self.put(v, t)?;
            self.store(p, ptr)
        } else {
            self.write_at(p, v, t)
        }
    }

    fn write_at(&mut self, p: U256, v: &Val, t: &ValTy) -> Result<(), OutOfMemory> {
        match (t, v) {
            (ValTy::Word(_), Val::Word(w)) => self.store(p, *w),
            (ValTy::Array(e, _), Val::List(xs)) => self.write_list(p, xs, e),
            (ValTy::DynArray(e), Val::List(xs)) => {
                self.store(p, U256::from(xs.len()))?;
                self.write_list(p + U256::from(32), xs, e)
            }
            (ValTy::Tuple(ts), Val::List(xs)) => {
                let mut off = p;
                for (t, x) in ts.iter().zip(xs) {
                    self.write_inline(off, x, t)?;
                    off += U256::from(inline_size(t));
                }
                Ok(())
            }
            (ValTy::Bytes | ValTy::String, Val::Bytes(b)) => {
                self.store(p, U256::from(b.len()))?;
                self.write(p + U256::from(32), b)
            }
            // Shapes always match their types: values come from the decoder or memory.
            _ => Ok(()),
        }
    }

    fn write_list(&mut self, p: U256, xs: &[Val], e: &ValTy) -> Result<(), OutOfMemory> {
        let step = U256::from(inline_size(e));
        for (i, x) in xs.iter().enumerate() {
            self.write_inline(p + step * U256::from(i), x, e)?;
        }
        Ok(())
    }
}

/// The bytes of a static aggregate's layout, or of a dynamic tuple's fixed part.
fn inline_size_of_layout(t: &ValTy) -> usize {
    match t {
        ValTy::Tuple(ts) => ts.iter().map(inline_size).sum(),
        ValTy::Array(e, n) => inline_size(e) * *n as usize,
        _ => 32,
    }
}
