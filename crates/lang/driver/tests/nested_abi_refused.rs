//! Nested dynamic ABI types (`Vec<Bytes>`, `Vec<String>`, `Vec<Vec<u256>>`, structs and
//! tuples with dynamic fields, `[Bytes; N]`, `Vec` of such structs) at the interface. The EVM
//! build takes and returns them as handler parameters, replies, event and error fields, call
//! arguments and call replies (features/nested_abi.tdm); the WASM build refuses them (but a
//! `Vec` of static structs as a parameter); constructor parameters of these shapes are refused
//! on both. Each refusal is a compile error with a span, never a silent miscompile; the lists
//! below are what is refused today, so support that lands must move a case (or the test
//! fails). `std::abi::decode` reads and `std::abi::encode` writes every one of these shapes
//! (features/abi_decode.tdm).

use tandem_lang_driver::check::{Backend, check_sources};

/// Supported on the EVM build (features/nested_abi.tdm): (what, program, whether the WASM
/// backend still refuses it, with a span; the native build already takes a `Vec` of static
/// structs). Support landing on WASM must flip the flag (or the test fails).
const EVM_ONLY: &[(&str, &str, bool)] = &[
    (
        "Vec<Bytes> parameter",
        "message M { Len { xs: Vec<Bytes> } -> u256 }\nstruct S { }\ncontract C {\n    storage: S\n    recv M { Len { xs } => { xs.len() } }\n}\n",
        true,
    ),
    (
        "Vec<Vec<u256>> parameter",
        "message M { Len { xs: Vec<Vec<u256>> } -> u256 }\nstruct S { }\ncontract C {\n    storage: S\n    recv M { Len { xs } => { xs.len() } }\n}\n",
        true,
    ),
    (
        "struct with a Bytes field as a parameter",
        "struct Doc { id: u256, body: Bytes }\nmessage M { Take { d: Doc } -> u256 }\nstruct S { }\ncontract C {\n    storage: S\n    recv M { Take { d } => { d.id } }\n}\n",
        true,
    ),
    (
        "[Bytes; 2] parameter",
        "message M { Take { xs: [Bytes; 2] } -> u256 }\nstruct S { }\ncontract C {\n    storage: S\n    recv M { Take { xs } => { 0 } }\n}\n",
        true,
    ),
    (
        "Vec of a static struct as a parameter",
        "struct Pt { x: u8, y: i16 }\nmessage M { Take { ps: Vec<Pt> } -> u256 }\nstruct S { }\ncontract C {\n    storage: S\n    recv M { Take { ps } => { ps.len() } }\n}\n",
        false,
    ),
    (
        "Vec<String> reply",
        "message M { Get -> Vec<String> }\nstruct S { }\ncontract C {\n    storage: S\n    recv M {\n        Get => {\n            let mut v: Vec<String> = Vec::new()\n            v.push(\"a\")\n            v\n        }\n    }\n}\n",
        true,
    ),
    (
        "an event with a Vec<Bytes> field",
        "event E { xs: Vec<Bytes> }\nmessage M { Go -> u256 }\nstruct S { }\ncontract C {\n    storage: S\n    recv M {\n        Go => with mut ctx {\n            let v: Vec<Bytes> = Vec::new()\n            ctx.emit(E { xs: v })\n            0\n        }\n    }\n}\n",
        true,
    ),
    (
        "an error with a Vec<String> field",
        "error Bad { xs: Vec<String> }\nmessage M { Go -> u256 }\nstruct S { }\ncontract C {\n    storage: S\n    recv M {\n        Go => {\n            let v: Vec<String> = Vec::new()\n            revert Bad { xs: v }\n        }\n    }\n}\n",
        true,
    ),
    (
        "a call argument of type Vec<Bytes>",
        "message Other { Go { xs: Vec<Bytes> } -> u256 }\nmessage M { Go { a: Address } -> u256 }\nstruct S { }\ncontract C {\n    storage: S\n    recv M {\n        Go { a } => with mut ctx {\n            let v: Vec<Bytes> = Vec::new()\n            ctx.call(a, Other::Go { xs: v })\n        }\n    }\n}\n",
        true,
    ),
    (
        "a call reply of type Vec<String>",
        "message Other { Go -> Vec<String> }\nmessage M { Go { a: Address } -> u256 }\nstruct S { }\ncontract C {\n    storage: S\n    recv M {\n        Go { a } => with mut ctx {\n            let r = ctx.call(a, Other::Go {})\n            r.len()\n        }\n    }\n}\n",
        true,
    ),
    (
        "a call reply of a struct with a Bytes field",
        "struct Doc { id: u256, body: Bytes }\nmessage Other { Go -> Doc }\nmessage M { Go { a: Address } -> u256 }\nstruct S { }\ncontract C {\n    storage: S\n    recv M {\n        Go { a } => with mut ctx {\n            let d = ctx.call(a, Other::Go {})\n            d.id + d.body.len()\n        }\n    }\n}\n",
        true,
    ),
    (
        "a call reply of type (u256, Vec<Vec<u256>>)",
        "message Other { Go -> (u256, Vec<Vec<u256>>) }\nmessage M { Go { a: Address } -> u256 }\nstruct S { }\ncontract C {\n    storage: S\n    recv M {\n        Go { a } => with mut ctx {\n            let (n, g) = ctx.call(a, Other::Go {})\n            n + g.len()\n        }\n    }\n}\n",
        true,
    ),
];

/// Still refused on both backends: (what, program, text the EVM error must contain).
const CASES: &[(&str, &str, &str)] = &[(
    "a constructor parameter of type Vec<Bytes>",
    "message M { Get -> u256 }\nstruct S { n: u256 }\ncontract C {\n    storage: S\n    init(xs: Vec<Bytes>) with mut storage { storage.n = xs.len() }\n    recv M { Get => with storage { storage.n } }\n}\n",
    "cannot be decoded yet",
)];

/// The rendered errors of a program on one backend (sema's, or the backend's refusal).
fn errors(src: &str, backend: Backend) -> Option<String> {
    let sources = vec![("example.tdm".to_string(), src.to_string())];
    let c = match check_sources(&sources) {
        Err(rendered) => return Some(rendered),
        Ok(c) => c,
    };
    let e = match backend {
        Backend::Evm => tandem_lang_evm::generate(&c.module, true).err()?,
        Backend::Wasm => tandem_lang_wasm::generate(&c.module).err()?,
    };
    Some(c.backend_error(backend, &e))
}

#[test]
fn nested_dynamic_interface_types_are_refused_with_a_span() {
    for (what, src, want) in CASES {
        let evm = errors(src, Backend::Evm).unwrap_or_else(|| panic!("{what}: EVM compiled"));
        assert!(evm.contains("error[E0800]"), "{what}: {evm}");
        assert!(evm.contains(want), "{what}: {evm}");
        assert!(evm.contains("example.tdm:"), "{what}: no span: {evm}");
        let wasm = errors(src, Backend::Wasm).unwrap_or_else(|| panic!("{what}: WASM compiled"));
        assert!(wasm.contains("error["), "{what}: {wasm}");
        assert!(wasm.contains("example.tdm:"), "{what}: no span: {wasm}");
    }
}

#[test]
fn nested_dynamic_interface_types_compile_on_evm_and_wasm_refuses_them_with_a_span() {
    for (what, src, wasm_refuses) in EVM_ONLY {
        let evm = errors(src, Backend::Evm);
        assert!(evm.is_none(), "{what}: {evm:?}");
        let wasm = errors(src, Backend::Wasm);
        if !wasm_refuses {
            assert!(wasm.is_none(), "{what}: {wasm:?}");
            continue;
        }
        let wasm = wasm.unwrap_or_else(|| panic!("{what}: WASM compiled"));
        assert!(wasm.contains("error["), "{what}: {wasm}");
        assert!(wasm.contains("example.tdm:"), "{what}: no span: {wasm}");
    }
}
