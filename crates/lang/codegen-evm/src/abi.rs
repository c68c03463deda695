//! ABI encoding of returns, reverts, logs and calls; decoding of calldata; the dispatcher;
//! init code and runtime code assembly.

use crate::asm::op;
use crate::emit::Gen;
use tandem_lang_ir::{Contract, Expr, HashAlg, LExpr, LocalId, Param, U256, ValTy, WordTy};

impl Gen<'_> {
    /// Evaluates, into temps, the values whose evaluation may allocate memory (a `Seq` that
    /// builds a vector, a nested encoding, a call). The encoder writes at the free pointer
    /// without bumping it, so such a value must be computed before the destination is
    /// chosen or its memory would overlap the output. Returns the values to encode and the
    /// number of temps pushed.
    pub fn pre_evaluate(&mut self, vals: &[(Expr, ValTy)]) -> (Vec<(Expr, ValTy)>, usize) {
        let mut pushed = 0;
        let out = vals
            .iter()
            .map(|(e, t)| {
                // Without a heap the encoding is written from memory 0, the scratch space a
                // mapping slot's keccak uses: a value that hashes is computed first, or it
                // would overwrite the fields already stored (found by fuzz lang-diff).
                if may_allocate(e) || (!self.uses_heap && uses_scratch(e)) {
                    self.expr(e);
                    pushed += 1;
                    (Expr::Local(self.temp()), t.clone())
                } else {
                    (e.clone(), t.clone())
                }
            })
            .collect();
        (out, pushed)
    }

    /// Drops the `n` pre-evaluated temps that sit beneath the `keep` top stack items.
    pub fn drop_beneath(&mut self, vals: &[(Expr, ValTy)], keep: usize) {
        for (e, _) in vals.iter().rev() {
            let Expr::Local(l) = e else { continue };
            if !self.is_temp(*l) {
                continue;
            }
            // [.., temp, k1..keep] -> [.., k1..keep]
            self.op(op::SWAP1 + keep as u8 - 1, 0, 0);
            self.pop();
            if keep == 2 {
                self.op(op::SWAP1, 0, 0);
            }
            self.locals.remove(l);
        }
    }

    /// Encodes values for a RETURN or REVERT (`max_words: None`, the call ends so any memory
    /// may be overwritten) or a LOG (`Some(2)`: data that fits the scratch space at 0..64).
    /// Word values are computed onto the stack first (one may hash through the scratch
    /// space), then stored from memory 0, the selector in the low bytes of word 0; other
    /// encodings, or when the values would not fit the reachable stack, take `encode`.
    /// Leaves `[size, offset]`.
    pub fn encode_scratch(
        &mut self,
        selector: Option<[u8; 4]>,
        vals: &[(Expr, ValTy)],
        max_words: Option<usize>,
    ) {
        let words = vals.iter().all(|(_, t)| matches!(t, ValTy::Word(_)));
        let fits = max_words.is_none_or(|m| vals.len() <= m && selector.is_none());
        if !words || !fits || vals.len() > 8 {
            return self.encode(selector, vals);
        }
        let saved = (
            self.asm.items.len(),
            self.height,
            self.locals.clone(),
            self.error.clone(),
        );
        for (v, _) in vals.iter().rev() {
            self.expr(v);
        }
        if self.error.is_some() && saved.3.is_none() {
            // Too deep with every value on the stack: encode one value at a time instead.
            self.asm.items.truncate(saved.0);
            self.height = saved.1;
            self.locals = saved.2;
            self.error = saved.3;
            return self.encode(selector, vals);
        }
        let data: u64 = if selector.is_some() { 32 } else { 0 };
        for k in 0..vals.len() as u64 {
            self.push_u(data + 32 * k);
            self.op(op::MSTORE, 2, 0);
        }
        if let Some(sel) = selector {
            self.push_u(u32::from_be_bytes(sel) as u64);
            self.push_u(0);
            self.op(op::MSTORE, 2, 0);
            self.push_u(4 + 32 * vals.len() as u64);
            self.push_u(28);
        } else {
            self.push_u(32 * vals.len() as u64);
            self.push_u(0);
        }
    }

    /// Encodes values; leaves `[size, dst]` (dst on top) for RETURN/REVERT/LOG.
    pub fn encode(&mut self, selector: Option<[u8; 4]>, vals: &[(Expr, ValTy)]) {
        let (vals, _) = self.pre_evaluate(vals);
        self.encode_dst(selector, &vals);
        self.drop_beneath(&vals, 2);
    }

    fn encode_dst(&mut self, selector: Option<[u8; 4]>, vals: &[(Expr, ValTy)]) {
        if !self.uses_heap {
            self.push_u(0);
        } else {
            self.push_u(0x40);
            self.op(op::MLOAD, 1, 1);
        }
        let dst = self.temp();
        self.encode_at(selector, vals, Some(dst));
        // [dst, size, dst] -> [size, dst]
        self.pop();
        self.op(op::SWAP1, 0, 0);
        self.locals.remove(&dst);
    }

    /// With `dst` (a temp holding the destination, or the length word of a buffer when used by
    /// `AbiEncode`), writes the selector and the head/tail encoding. Pushes `[size, dst]`.
    pub fn encode_at(
        &mut self,
        selector: Option<[u8; 4]>,
        vals: &[(Expr, ValTy)],
        base: Option<LocalId>,
    ) {
        let Some(base) = base else { return };
        // In an `AbiEncode` buffer the data starts after the length word.
        let is_buffer = self.locals.contains_key(&base) && self.buffer_mode(base);
        let start: u64 = if is_buffer { 32 } else { 0 };
        let sel_len: u64 = if selector.is_some() { 4 } else { 0 };
        if let Some(sel) = selector {
            self.push_u(u32::from_be_bytes(sel) as u64);
            self.push_u(224);
            self.op(op::SHL, 2, 1);
            self.store_at(base, start);
        }
        let head: u64 = vals.iter().map(|(_, t)| t.head_size() as u64).sum();
        let dynamic = vals.iter().any(|(_, t)| t.is_dynamic());
        let data = start + sel_len;
        // The running tail offset (relative to the start of the arguments).
        let tail = if dynamic {
            self.push_u(head);
            Some(self.temp())
        } else {
            None
        };
        let mut off = 0u64;
        for (v, t) in vals {
            match t {
                ValTy::Word(_) => {
                    self.expr(v);
                    self.store_at(base, data + off);
                }
                ValTy::Bytes | ValTy::String | ValTy::DynArray(_) if byte_like(t) => {
                    let tail = tail.unwrap_or(0);
                    self.expr(v);
                    let p = self.temp();
                    // head: the tail offset
                    self.dup_local(tail);
                    self.store_at(base, data + off);
                    // copy length word and data to base + data + tail
                    self.dup_local(p);
                    self.op(op::MLOAD, 1, 1);
                    if let ValTy::DynArray(elem) = t {
                        // `len` counts bytes below; a vector's length word counts elements.
                        self.push_u(elem.head_size() as u64);
                        self.op(op::MUL, 2, 1);
                    }
                    let len = self.temp();
                    // zero the last word first so padding is clean
                    self.push_u(0);
                    self.dup_local(len);
                    self.push_u(31);
                    self.op(op::ADD, 2, 1);
                    self.push(!U256::from(31));
                    self.op(op::AND, 2, 1);
                    self.dup_local(tail);
                    self.op(op::ADD, 2, 1);
                    self.dup_local(base);
                    self.op(op::ADD, 2, 1);
                    self.push_u(data);
                    self.op(op::ADD, 2, 1);
                    self.op(op::MSTORE, 2, 0);
                    self.dup_local(len);
                    self.push_u(32);
                    self.op(op::ADD, 2, 1);
                    self.dup_local(p);
                    self.dup_local(tail);
                    self.dup_local(base);
                    self.op(op::ADD, 2, 1);
                    self.push_u(data);
                    self.op(op::ADD, 2, 1);
                    self.op(op::MCOPY, 3, 0);
                    // tail += 32 + roundup(len)
                    self.dup_local(len);
                    self.push_u(63);
                    self.op(op::ADD, 2, 1);
                    self.push(!U256::from(31));
                    self.op(op::AND, 2, 1);
                    self.dup_local(tail);
                    self.op(op::ADD, 2, 1);
                    let tpos = self.locals[&tail];
                    let depth = self.height - 1 - tpos;
                    self.op(op::SWAP1 + depth as u8 - 1, 0, 0);
                    self.pop();
                    self.pop();
                    self.pop();
                    self.locals.remove(&len);
                    self.locals.remove(&p);
                }
                t if !t.is_dynamic() => {
                    // A static aggregate is laid out in memory as its encoding.
                    self.push_u(t.head_size() as u64);
                    self.expr(v);
                    self.dup_local(base);
                    self.push_u(data + off);
                    self.op(op::ADD, 2, 1);
                    self.op(op::MCOPY, 3, 0);
                }
                _ => match tail {
                    Some(tail) => self.encode_nested(t, v, base, data, off, tail),
                    None => self.fail("internal: a dynamic value without a tail"),
                },
            }
            off += t.head_size() as u64;
        }
        match tail {
            Some(t) => {
                // size = sel + tail; the tail temp is on top
                let _ = t;
                if sel_len > 0 {
                    self.push_u(sel_len);
                    self.op(op::ADD, 2, 1);
                }
                self.locals.remove(&t);
            }
            None => self.push_u(sel_len + head),
        }
        self.dup_local(base);
        if start > 0 {
            self.push_u(start);
            self.op(op::ADD, 2, 1);
        }
    }

    fn buffer_mode(&self, base: LocalId) -> bool {
        self.buffers.contains(&base)
    }

    fn store_at(&mut self, base: LocalId, off: u64) {
        self.dup_local(base);
        if off > 0 {
            self.push_u(off);
            self.op(op::ADD, 2, 1);
        }
        self.op(op::MSTORE, 2, 0);
    }

    /// Decodes parameters from calldata (at `offset`, past the selector) into locals.
    pub fn decode_params(&mut self, params: &[Param], from_code: bool) {
        let mut off = 0u64;
        let base: u64 = if from_code { 0 } else { 4 };
        let load = if from_code {
            op::MLOAD
        } else {
            op::CALLDATALOAD
        };
        for p in params {
            match &p.ty {
                ValTy::Word(w) => {
                    self.push_u(base + off);
                    self.op(load, 1, 1);
                    self.validate(*w);
                }
                t @ (ValTy::Bytes | ValTy::String | ValTy::DynArray(_))
                    if !from_code && decodes_in_place(t) =>
                {
                    // offset, length, then copy into fresh memory
                    self.push_u(base + off);
                    self.op(op::CALLDATALOAD, 1, 1);
                    self.push_u(4);
                    self.op(op::ADD, 2, 1);
                    let at = self.temp();
                    self.dup_local(at);
                    self.op(op::CALLDATALOAD, 1, 1);
                    if let ValTy::DynArray(_) = t {
                        // 32-byte elements: the byte length of the data.
                        self.push_u(32);
                        self.op(op::MUL, 2, 1);
                    }
                    let len = self.temp();
                    self.dup_local(len);
                    self.push_u(63);
                    self.op(op::ADD, 2, 1);
                    self.push(!U256::from(31));
                    self.op(op::AND, 2, 1);
                    self.expr(&Expr::Alloc(Box::new(Expr::c(0))));
                    self.op(op::SWAP1, 0, 0);
                    self.op(op::DUP1 + 1, 0, 1);
                    self.op(op::ADD, 2, 1);
                    self.push_u(0x40);
                    self.op(op::MSTORE, 2, 0);
                    // [at, len, ptr]: calldatacopy(ptr, at, len + 32)
                    self.dup_local(len);
                    self.push_u(32);
                    self.op(op::ADD, 2, 1);
                    self.dup_local(at);
                    self.op(op::DUP1 + 2, 0, 1);
                    self.op(op::CALLDATACOPY, 3, 0);
                    self.op(op::SWAP1 + 1, 0, 0);
                    self.pop();
                    self.pop();
                    self.locals.remove(&at);
                    self.locals.remove(&len);
                    if let ValTy::DynArray(e) = t
                        && let ValTy::Word(w) = **e
                    {
                        self.validate_elements(w);
                    }
                }
                t if !t.is_dynamic() && !from_code => {
                    let size = t.head_size() as u64;
                    self.expr(&Expr::Alloc(Box::new(Expr::c(size))));
                    self.push_u(size);
                    self.push_u(base + off);
                    self.op(op::DUP1 + 2, 0, 1);
                    self.op(op::CALLDATACOPY, 3, 0);
                    // Each narrow word of the aggregate must be clean, as at the top level.
                    let mut words = Vec::new();
                    static_leaves(t, 0, &mut words);
                    for (at, w) in words {
                        self.op(op::DUP1, 0, 1);
                        self.push_u(at);
                        self.op(op::ADD, 2, 1);
                        self.op(op::MLOAD, 1, 1);
                        self.validate(w);
                        self.pop();
                    }
                }
                t if !from_code => self.decode_nested_param(t, off),
                _ => {
                    self.fail("this parameter type cannot be decoded yet (constructor aggregates or nested dynamic types)");
                    self.push_u(0);
                }
            }
            self.locals.insert(p.local, self.height - 1);
            off += p.ty.head_size() as u64;
        }
    }

    /// Reverts unless the word on top of the stack (left there) is clean for its type, as
    /// Solidity's ABI decoder requires.
    fn validate(&mut self, w: WordTy) {
        let t = self.temp();
        if let Some(bad) = crate::validate::dirty(Expr::Local(t), w) {
            let rev = self.revert_label();
            self.expr(&bad);
            self.asm.jumpi(rev);
            self.height -= 1;
        }
        self.locals.remove(&t);
    }
}

/// Why runtime code could not be generated, and (for "stack too deep") the handler index and
/// local to move to memory.
pub type RuntimeFailure = (String, Option<(usize, LocalId)>);

/// The contract's runtime code: dispatcher, handlers, stubs and embedded child init code.
/// The heap starts at `heap_start` (after the spill words). On failure, also returns the
/// local whose spilling may help.
pub fn runtime(
    c: &Contract,
    children: &[Vec<u8>],
    heap_start: u64,
) -> Result<Vec<u8>, RuntimeFailure> {
    let mut g = Gen::new(c.uses_heap, children);
    // Runtime constants stay literal pushes: a computed form would be smaller but cost gas
    // on every call.
    g.asm.consts = crate::asm::Consts::Literal;
    g.funcs = &c.functions;
    g.errors.plan = crate::revert_stub::plan(
        c.handlers
            .iter()
            .map(|h| h.body.as_slice())
            .chain(c.specials().map(|s| s.body.as_slice()))
            .chain(c.functions.iter().map(|f| f.body.as_slice())),
    );
    let rev = g.revert_label();
    // Solidity's routing: empty calldata runs `receive`, else `fallback`; calldata no
    // selector matches (or shorter than a selector) runs `fallback`; without them, revert.
    let receive_label = c.receive.as_ref().map(|_| g.asm.label());
    let fallback_label = c.fallback.as_ref().map(|_| g.asm.label());
    let no_match = fallback_label.unwrap_or(rev);
    let all_nonpayable = c
        .handlers
        .iter()
        .all(|h| h.mutability != tandem_lang_ir::Mutability::Payable)
        && c.specials().all(|s| !s.payable);
    if all_nonpayable && (!c.handlers.is_empty() || c.fallback.is_some()) {
        g.asm.op(op::CALLVALUE);
        g.asm.jumpi(rev);
    }
    // The free pointer is set once, before the dispatch, for every entry point.
    if c.uses_heap {
        g.asm.push_u(heap_start);
        g.asm.push_u(0x40);
        g.asm.op(op::MSTORE);
    }
    if let Some(l) = receive_label {
        g.asm.op(op::CALLDATASIZE);
        g.asm.op(op::ISZERO);
        g.asm.jumpi(l);
    }
    if !c.handlers.is_empty() || c.specials().next().is_some() {
        g.asm.push_u(4);
        g.asm.op(op::CALLDATASIZE);
        g.asm.op(op::LT);
        g.asm.jumpi(no_match);
        g.asm.push_u(0);
        g.asm.op(op::CALLDATALOAD);
        g.asm.push_u(224);
        g.asm.op(op::SHR);
    }
    let mut order: Vec<usize> = (0..c.handlers.len()).collect();
    let selector = |i: usize| {
        c.meta
            .handlers
            .get(i)
            .map(|m| m.selector)
            .unwrap_or_default()
    };
    order.sort_by_key(|i| selector(*i));
    let labels: Vec<_> = order.iter().map(|_| g.asm.label()).collect();
    for (k, i) in order.iter().enumerate() {
        if k + 1 < order.len() {
            g.asm.op(op::DUP1);
        }
        g.asm.push_u(u32::from_be_bytes(selector(*i)) as u64);
        g.asm.op(op::EQ);
        g.asm.jumpi(labels[k]);
    }
    // The last comparison consumed the selector; with no handlers it is still there.
    if order.is_empty() && c.fallback.is_some() {
        g.asm.op(op::POP);
    }
    g.asm.jump(no_match);
    for (k, i) in order.iter().enumerate() {
        let h = &c.handlers[*i];
        g.asm.place(labels[k]);
        // Every comparison but the last left the selector on the stack: it stays beneath
        // the handler's locals (the handler ends the call), which saves a POP a handler.
        g.height = usize::from(k + 1 < order.len());
        g.locals.clear();
        g.labels.clear();
        g.handler = Some(*i);
        g.handler_names = c.handlers.iter().map(|h| h.variant.clone()).collect();
        if !all_nonpayable && h.mutability != tandem_lang_ir::Mutability::Payable {
            g.asm.op(op::CALLVALUE);
            g.asm.jumpi(rev);
        }
        let head: u64 = h.params.iter().map(|p| p.ty.head_size() as u64).sum();
        if head > 0 {
            g.asm.op(op::CALLDATASIZE);
            g.asm.push_u(4 + head);
            g.asm.op(op::GT);
            g.asm.jumpi(rev);
        }
        g.decode_params(&h.params, false);
        g.stmts(&h.body);
        g.asm.op(op::STOP);
    }
    for (label, s) in [(receive_label, &c.receive), (fallback_label, &c.fallback)] {
        let (Some(label), Some(s)) = (label, s) else {
            continue;
        };
        g.asm.place(label);
        g.height = 0;
        g.locals.clear();
        g.labels.clear();
        g.handler = None;
        if !all_nonpayable && !s.payable {
            g.asm.op(op::CALLVALUE);
            g.asm.jumpi(rev);
        }
        g.stmts(&s.body);
        g.asm.op(op::STOP);
    }
    g.stubs();
    match g.error {
        Some(e) => Err((e, g.too_deep)),
        None => Ok(g.asm.assemble()),
    }
}

/// Init code: checks value, decodes constructor arguments appended to the code, runs the
/// constructor and returns the runtime code. `spills` words at `SPILL_BASE` hold the
/// constructor's spilled locals (see `spill`), so its arguments are copied after them. On failure, also returns the body and
/// local whose spilling may help (`emit::INIT_BODY` for the constructor's own).
pub fn init_code(
    c: &Contract,
    runtime: &[u8],
    children: &[Vec<u8>],
    spills: usize,
) -> Result<Vec<u8>, RuntimeFailure> {
    let mut g = Gen::new(true, children);
    g.funcs = &c.functions;
    g.in_init = true;
    g.args_base = crate::spill::SPILL_BASE + 32 * spills as u64;
    if !c.init.payable {
        let rev = g.revert_label();
        g.asm.op(op::CALLVALUE);
        g.asm.jumpi(rev);
    }
    let runtime_label = g.asm.label();
    let end_label = g.asm.label();
    // Constructor arguments follow the init code and runtime: copy them to memory at
    // `args_base` (0x80 unless locals were spilled below them).
    let head: u64 = c.init.params.iter().map(|p| p.ty.head_size() as u64).sum();
    let base = g.args_base;
    g.asm.push_u(base);
    g.asm.push_u(0x40);
    g.asm.op(op::MSTORE);
    if head > 0 {
        let rev = g.revert_label();
        // size = codesize - end; require size >= head; codecopy(0x80, end, size)
        g.asm.push_label(end_label);
        g.asm.op(op::CODESIZE);
        g.asm.op(op::SUB);
        g.asm.op(op::DUP1);
        g.asm.push_u(head);
        g.asm.op(op::GT);
        g.asm.jumpi(rev);
        g.asm.op(op::DUP1);
        g.asm.push_label(end_label);
        g.asm.push_u(base);
        g.asm.op(op::CODECOPY);
        // bump the free pointer past the arguments
        g.asm.push_u(base);
        g.asm.op(op::ADD);
        g.asm.push_u(0x40);
        g.asm.op(op::MSTORE);
        let params: Vec<Param> = c.init.params.to_vec();
        g.height = 0;
        let shifted: Vec<Param> = params;
        g.decode_init(&shifted);
    }
    g.stmts(&c.init.body);
    g.end_scope(0);
    g.asm.push_u(runtime.len() as u64);
    g.asm.op(op::DUP1);
    g.asm.push_label(runtime_label);
    g.asm.push_u(0);
    g.asm.op(op::CODECOPY);
    crate::immutables::patch(&mut g, c, runtime);
    g.asm.push_u(0);
    g.asm.op(op::RETURN);
    g.stubs();
    g.asm.items.push(crate::asm::Item::Mark(runtime_label));
    g.asm.items.push(crate::asm::Item::Data(runtime.to_vec()));
    g.asm.items.push(crate::asm::Item::Mark(end_label));
    match g.error {
        Some(e) => Err((format!("{e} (in `init`)"), g.too_deep)),
        None => Ok(g.asm.assemble()),
    }
}

impl Gen<'_> {
    /// A `Bytes`, `String` or `Vec<u256>` constructor argument: the arguments were copied to
    /// `args_base`.. (the free pointer is just past them), and the ABI tail there — a length word,
    /// then the data — is already the value's memory form, so the value is a pointer into
    /// it, once the offset and length are checked against the arguments' size.
    fn constructor_tail(&mut self, head_at: u64, t: &ValTy) {
        self.push_u(head_at);
        self.op(op::MLOAD, 1, 1);
        // [o]: o <= size, then o + 32 <= size (checked apart, so nothing wraps)
        self.op(op::DUP1, 0, 1);
        self.revert_if_past_arguments();
        self.op(op::DUP1, 0, 1);
        self.push_u(32);
        self.op(op::ADD, 2, 1);
        self.revert_if_past_arguments();
        // [o] -> [p] with p = args_base + o; its length word: len <= size
        self.push_u(self.args_base);
        self.op(op::ADD, 2, 1);
        self.op(op::DUP1, 0, 1);
        self.op(op::MLOAD, 1, 1);
        self.op(op::DUP1, 0, 1);
        self.revert_if_past_arguments();
        if let ValTy::DynArray(_) = t {
            self.push_u(32);
            self.op(op::MUL, 2, 1);
        }
        // [p, bytes]: p + 32 + bytes - args_base <= size
        self.op(op::DUP1 + 1, 0, 1);
        self.op(op::ADD, 2, 1);
        self.push_u(32);
        self.op(op::ADD, 2, 1);
        self.push_u(self.args_base);
        self.op(op::SWAP1, 0, 0);
        self.op(op::SUB, 2, 1);
        self.revert_if_past_arguments();
    }

    /// Pops `x` and reverts if it exceeds the size of the constructor arguments (copied to
    /// `args_base`, the free pointer just past them).
    fn revert_if_past_arguments(&mut self) {
        let rev = self.revert_label();
        self.push_u(self.args_base);
        self.push_u(0x40);
        self.op(op::MLOAD, 1, 1);
        self.op(op::SUB, 2, 1);
        self.op(op::LT, 2, 1);
        self.asm.jumpi(rev);
        self.height -= 1;
    }

    fn decode_init(&mut self, params: &[Param]) {
        let mut off = self.args_base;
        for p in params {
            match &p.ty {
                ValTy::Word(w) => {
                    self.push_u(off);
                    self.op(op::MLOAD, 1, 1);
                    self.validate(*w);
                }
                t if !t.is_dynamic() => self.push_u(off),
                t if decodes_in_place(t) => {
                    self.constructor_tail(off, t);
                    if let ValTy::DynArray(e) = t
                        && let ValTy::Word(w) = **e
                    {
                        self.validate_elements(w);
                    }
                }
                // nested dynamic shapes: the strict decoder over the copied arguments,
                // which end at the free pointer (read once, before it allocates)
                t => {
                    let (stmts, v) = crate::abi_nested::decode_in_memory(
                        self,
                        t,
                        Expr::c(self.args_base),
                        Expr::MLoad(Box::new(Expr::c(0x40))),
                        Expr::c(off),
                    );
                    self.expr(&Expr::Seq(stmts, Box::new(v)));
                }
            }
            self.locals.insert(p.local, self.height - 1);
            off += p.ty.head_size() as u64;
        }
    }
}

/// Types whose memory form (a length word, then the data) is their ABI tail, so encoding
/// is one copy: `Bytes`, `String`, and vectors of static elements.
fn byte_like(t: &ValTy) -> bool {
    match t {
        ValTy::Bytes | ValTy::String => true,
        ValTy::DynArray(elem) => !elem.is_dynamic(),
        _ => false,
    }
}

/// The words of a static aggregate that need a cleanliness check, with their byte offsets.
fn static_leaves(t: &ValTy, at: u64, out: &mut Vec<(u64, WordTy)>) {
    match t {
        ValTy::Word(WordTy::Uint(256) | WordTy::Int(256) | WordTy::FixedBytes(32)) => {}
        ValTy::Word(w) => out.push((at, *w)),
        ValTy::Array(e, n) => {
            let step = e.head_size() as u64;
            for k in 0..*n as u64 {
                static_leaves(e, at + k * step, out);
            }
        }
        ValTy::Tuple(ts) => {
            let mut off = at;
            for e in ts {
                static_leaves(e, off, out);
                off += e.head_size() as u64;
            }
        }
        _ => {}
    }
}

/// Types decoded by copying the ABI tail as it is (then, for vectors of narrow words, checking
/// each element): `Bytes`, `String` and vectors of words.
fn decodes_in_place(t: &ValTy) -> bool {
    match t {
        ValTy::Bytes | ValTy::String => true,
        ValTy::DynArray(elem) => matches!(**elem, ValTy::Word(_)),
        _ => false,
    }
}

/// Whether evaluating `e` may write the scratch space at 0..64 (a keccak of two words, as a
/// mapping slot is, or anything this does not know).
fn uses_scratch(e: &Expr) -> bool {
    match e {
        Expr::Const(_) | Expr::Local(_) | Expr::Env(_) => false,
        Expr::Hash(..) | Expr::HashWords(..) => true,
        Expr::Bin(_, a, b) | Expr::Checked { a, b, .. } => uses_scratch(a) || uses_scratch(b),
        Expr::Un(_, a) | Expr::Balance(a) | Expr::SLoad(a) | Expr::MLoad(a) => uses_scratch(a),
        Expr::Cond(c, a, b) => uses_scratch(c) || uses_scratch(a) || uses_scratch(b),
        Expr::Lowered(LExpr::ReturnDataSize) => false,
        _ => true,
    }
}

/// Whether evaluating `e` may allocate memory (so it must happen before an encoding picks
/// its destination at the free pointer).
fn may_allocate(e: &Expr) -> bool {
    match e {
        Expr::Const(_) | Expr::Local(_) | Expr::Env(_) => false,
        Expr::Bin(_, a, b) | Expr::Hash(HashAlg::Keccak256, a, b) => {
            may_allocate(a) || may_allocate(b)
        }
        Expr::Checked { a, b, .. } => may_allocate(a) || may_allocate(b),
        Expr::Un(_, a) | Expr::Balance(a) | Expr::SLoad(a) | Expr::MLoad(a) => may_allocate(a),
        Expr::HashWords(_, ws) => ws.iter().any(may_allocate),
        Expr::Cond(c, a, b) => may_allocate(c) || may_allocate(a) || may_allocate(b),
        Expr::Lowered(LExpr::ReturnDataSize) => false,
        _ => true,
    }
}
