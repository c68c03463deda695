//! Assembles a contract's module: the `tandem_v1` imports, the runtime helpers, `invoke`
//! (context, params block, dispatch by method number), one function per entry point and one
//! per internal function (`ir::Function`).

use crate::func::FnGen;
use crate::layout::{I32, I64, IMPORTS, N_IMPORTS, exit, global, mem, sys};
use crate::rt::{self, Rt, m};
use tandem_lang_ir::Contract;
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, DataCountSection, DataSection, EntityType, ExportKind,
    ExportSection, Function, FunctionSection, GlobalSection, GlobalType, ImportSection,
    MemorySection, MemoryType, Module, TypeSection, ValType,
};

/// `[] -> [i64; 4]`: the block type of a word-valued conditional.
pub const TY_WORD_BLOCK: u32 = 0;
const TY_ENTRY: u32 = 1;
const TY_INVOKE: u32 = 2;

/// Locals above every id sema hands out, for the backend's own temporaries.
const FIRST_BACKEND_LOCAL: u32 = 0x4000_0000;

/// Params up to this size are read with one syscall (no stat first).
const PARAMS_READ: i32 = 2048;

#[derive(Default)]
struct Types(Vec<(Vec<ValType>, Vec<ValType>)>);

impl Types {
    fn intern(&mut self, p: &[ValType], r: &[ValType]) -> u32 {
        if let Some(i) = self.0.iter().position(|(a, b)| a == p && b == r) {
            return i as u32;
        }
        self.0.push((p.to_vec(), r.to_vec()));
        (self.0.len() - 1) as u32
    }
}

/// The module of one contract, and the method number of each handler (same order).
/// `children` are the modules of the contracts `c` creates (`Expr::Create::child`), embedded
/// as passive data segments in that order.
pub fn contract(c: &Contract, children: &[Vec<u8>]) -> Result<Vec<u8>, String> {
    let kid_sizes: Vec<u32> = children.iter().map(|k| k.len() as u32).collect();
    let mut types = Types::default();
    types.intern(&[], &[I64; 4]);
    types.intern(&[], &[I32]);
    types.intern(&[I32], &[I32]);
    let mut imports = ImportSection::new();
    for (name, p, r) in IMPORTS {
        let t = types.intern(p, r);
        imports.import("tandem_v1", name, EntityType::Function(t));
    }
    let mut funcs = FunctionSection::new();
    let mut code = CodeSection::new();
    for h in rt::ALL {
        let (p, r) = h.sig();
        funcs.function(types.intern(&p, &r));
        code.function(&h.body());
    }
    let invoke_index = N_IMPORTS + rt::ALL.len() as u32;
    funcs.function(TY_INVOKE);
    code.function(&invoke(c, invoke_index + 1));
    // the constructor, the handlers, `receive`/`fallback`, then the internal functions
    let fn_base = invoke_index + 2 + c.handlers.len() as u32 + c.specials().count() as u32;
    let n_functions = c.functions.len() as u32;
    // the shared codec functions (codecs.rs) come after the internal functions
    let codecs: crate::codecs::Registry = Default::default();
    let codec_base = fn_base + n_functions;
    let new_gen = || {
        let mut g = FnGen::new(&c.name, FIRST_BACKEND_LOCAL);
        g.children = kid_sizes.clone();
        g.fn_base = fn_base;
        g.n_functions = n_functions;
        g.codecs = codecs.clone();
        g.codec_base = codec_base;
        g
    };
    let mut g = new_gen();
    g.in_ctor = true;
    g.prologue(&c.init.params, c.init.payable);
    g.stmts(&c.init.body);
    funcs.function(TY_ENTRY);
    code.function(&g.finish()?);
    for h in &c.handlers {
        let mut g = new_gen();
        let payable = h.mutability == tandem_lang_ir::Mutability::Payable;
        g.prologue(&h.params, payable);
        g.stmts(&h.body);
        funcs.function(TY_ENTRY);
        code.function(
            &g.finish()
                .map_err(|e| format!("{e} (in `{}`)", h.variant))?,
        );
    }
    // `receive` then `fallback` (abi_dispatch::special_indices): the value check, no params.
    for (what, s) in [("receive", &c.receive), ("fallback", &c.fallback)] {
        let Some(s) = s else { continue };
        let mut g = new_gen();
        g.value_check(s.payable);
        g.stmts(&s.body);
        funcs.function(TY_ENTRY);
        code.function(&g.finish().map_err(|e| format!("{e} (in `{what}`)"))?);
    }
    // Internal functions: a word per parameter (four i64) in, one word out. Recursion is
    // bounded by the VM's stack limit: running past it traps, and the message fails.
    for f in &c.functions {
        let mut g = FnGen::for_function(&c.name, FIRST_BACKEND_LOCAL, &f.params);
        g.children = kid_sizes.clone();
        g.fn_base = fn_base;
        g.n_functions = n_functions;
        g.codecs = codecs.clone();
        g.codec_base = codec_base;
        g.stmts(&f.body);
        let params = vec![I64; 4 * f.params.len()];
        funcs.function(types.intern(&params, &[I64; 4]));
        code.function(
            &g.finish_function(f.result)
                .map_err(|e| format!("{e} (in `fn {}`)", f.name))?,
        );
    }
    // Codecs, in the order they were first asked for; one may ask for another (a vector's
    // element), which joins the end of the list.
    let mut k = 0;
    loop {
        let Some(codec) = codecs.borrow().get(k).cloned() else {
            break;
        };
        let f = crate::codecs::body(&c.name, &codec, FIRST_BACKEND_LOCAL, &codecs, codec_base)?;
        let params = vec![I64; 4 * codec.n_params()];
        funcs.function(types.intern(&params, &[I64; 4]));
        code.function(&f);
        k += 1;
    }
    let mut type_section = TypeSection::new();
    for (p, r) in &types.0 {
        type_section
            .ty()
            .function(p.iter().copied(), r.iter().copied());
    }
    let mut memory = MemorySection::new();
    memory.memory(MemoryType {
        minimum: 1,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    let mut globals = GlobalSection::new();
    let g32 = |v: i32| {
        (
            GlobalType {
                val_type: I32,
                mutable: true,
                shared: false,
            },
            ConstExpr::i32_const(v),
        )
    };
    for (ty, init) in [g32(mem::HEAP_START as i32), g32(0), g32(0), g32(0), g32(0)] {
        globals.global(ty, &init);
    }
    i64_zeros(&mut globals, 4);
    for (ty, init) in [g32(0), g32(0), g32(0), g32(0), g32(0), g32(0), g32(0)] {
        globals.global(ty, &init);
    }
    // the mapping-slot memo's key, base and hash (global::MS_IN, MS_OUT)
    i64_zeros(&mut globals, 12);
    // whether the memo's limbs are filled in (global::MS_LIMBS), whether its second entry
    // is set (MS2_SET), that entry's key and base (MS2_IN)
    for (ty, init) in [g32(0), g32(0)] {
        globals.global(ty, &init);
    }
    i64_zeros(&mut globals, 8);
    let mut exports = ExportSection::new();
    exports.export("memory", ExportKind::Memory, 0);
    exports.export("invoke", ExportKind::Func, invoke_index);
    let mut module = Module::new();
    module
        .section(&type_section)
        .section(&imports)
        .section(&funcs)
        .section(&memory)
        .section(&globals)
        .section(&exports);
    if !children.is_empty() {
        module.section(&DataCountSection {
            count: children.len() as u32,
        });
    }
    module.section(&code);
    if !children.is_empty() {
        let mut data = DataSection::new();
        for k in children {
            data.passive(k.iter().copied());
        }
        module.section(&data);
    }
    Ok(module.finish())
}

/// Whether any entry point reads the network context (chain ID, block number, timestamp):
/// only then does `invoke` ask for it.
fn uses_network_context(c: &Contract) -> bool {
    use tandem_lang_ir::{Env, Expr};
    let mut found = false;
    let bodies = std::iter::once(&c.init.body)
        .chain(c.handlers.iter().map(|h| &h.body))
        .chain(c.specials().map(|s| &s.body))
        .chain(c.functions.iter().map(|f| &f.body));
    for body in bodies {
        tandem_lang_ir::opt::util::visit_stmts(body, &mut |_| {}, &mut |e| {
            found |= matches!(e, Expr::Env(Env::Number | Env::Timestamp | Env::ChainId));
        });
    }
    found
}

/// `invoke(params_id) -> return_id`: reads the message and network context, copies the
/// params block into memory for the CBOR reader (`global::RD`..`RD_END`), dispatches on the
/// method number (1 is the constructor), then `InvokeEVM` on the calldata's selector
/// (`abi_dispatch.rs`).
fn invoke(c: &Contract, init_index: u32) -> Function {
    // param 0: params id; i32 size 1, p 2; i64 method 3, codec 4; i32 selector 5
    let mut f = Function::new([(2, I32), (2, I64), (1, I32)]);
    let s = &mut f.instructions();
    s.i32_const(mem::MSGCTX as i32)
        .call(sys::MSG_CONTEXT)
        .call(Rt::Chk.index());
    if uses_network_context(c) {
        s.i32_const(mem::NETCTX as i32)
            .call(sys::NETWORK_CONTEXT)
            .call(Rt::Chk.index());
    }
    // The params in one read at the free pointer when they fit `PARAMS_READ` bytes (inside
    // the first page, so reserving them grows nothing), else a stat for the size and a second
    // read of the rest. The codec is only asked under `InvokeEVM` (abi_dispatch.rs).
    s.local_get(0).if_(BlockType::Empty);
    s.global_get(global::HEAP)
        .local_tee(2)
        .i32_const(PARAMS_READ)
        .i32_add()
        .call(Rt::GrowTo.index());
    s.local_get(0)
        .i32_const(0)
        .local_get(2)
        .i32_const(PARAMS_READ)
        .i32_const(mem::OUT as i32);
    s.call(sys::BLOCK_READ).call(Rt::Chk.index());
    s.i32_const(mem::OUT as i32)
        .i32_load(m(0, 0))
        .local_tee(1)
        .i32_const(PARAMS_READ)
        .i32_eq()
        .if_(BlockType::Empty);
    s.local_get(0)
        .i32_const(mem::OUT as i32)
        .call(sys::BLOCK_STAT)
        .call(Rt::Chk.index());
    s.i32_const(mem::OUT as i32).i32_load(m(4, 0)).local_set(1);
    s.local_get(2)
        .local_get(1)
        .i32_add()
        .call(Rt::GrowTo.index());
    s.local_get(0)
        .i32_const(PARAMS_READ)
        .local_get(2)
        .i32_const(PARAMS_READ)
        .i32_add()
        .local_get(1)
        .i32_const(PARAMS_READ)
        .i32_sub()
        .i32_const(mem::OUT as i32);
    s.call(sys::BLOCK_READ).call(Rt::Chk.index());
    s.end();
    // claims the bytes read (the free pointer is at them)
    s.local_get(1).call(Rt::Alloc.index()).drop();
    s.local_get(2).global_set(global::RD);
    s.local_get(2)
        .local_get(1)
        .i32_add()
        .global_set(global::RD_END);
    s.end();
    s.i32_const(mem::MSGCTX as i32)
        .i64_load(m(24, 0))
        .local_set(3);
    s.local_get(3).i64_const(1).i64_eq().if_(BlockType::Empty);
    s.call(init_index).return_().end();
    for (i, h) in c.meta.handlers.iter().enumerate() {
        s.local_get(3)
            .i64_const(h.method_number as i64)
            .i64_eq()
            .if_(BlockType::Empty);
        s.call(init_index + 1 + i as u32).return_().end();
        // a reply handler decoding a value: a reply from an EVM callee (async_send.rs)
        let decodes = c.handlers.get(i).is_some_and(|h| {
            let mut found = false;
            tandem_lang_ir::opt::util::visit_stmts(&h.body, &mut |_| {}, &mut |e| {
                found |= matches!(e, tandem_lang_ir::Expr::AsyncReturn(..));
            });
            found
        });
        if decodes {
            s.local_get(3)
                .i64_const((h.method_number | crate::async_send::EVM_REPLY_BIT) as i64)
                .i64_eq()
                .if_(BlockType::Empty);
            s.i32_const(1).global_set(global::ASYNC_EVM);
            s.call(init_index + 1 + i as u32).return_().end();
        }
    }
    crate::abi_dispatch::dispatch(s, c, init_index + 1, [0, 3, 4, 5]);
    // Another method number (0, a plain value send, runs no code: a VM rule): the fallback.
    if let (_, Some(f)) = crate::abi_dispatch::special_indices(c, init_index + 1) {
        s.call(f).return_();
    }
    s.i32_const(exit::UNHANDLED)
        .call(Rt::Abort.index())
        .unreachable()
        .end();
    f
}

/// `n` mutable i64 globals, each starting at zero.
fn i64_zeros(globals: &mut GlobalSection, n: usize) {
    let ty = GlobalType {
        val_type: I64,
        mutable: true,
        shared: false,
    };
    for _ in 0..n {
        globals.global(ty, &ConstExpr::i64_const(0));
    }
}
