//! Nested dynamic ABI types (`Vec<Bytes>`, `Vec<String>`, `Vec<Vec<u256>>`, structs and
//! tuples with dynamic fields, `[Bytes; N]`, `Vec` of such structs) at the interface: both
//! builds take and return them as handler parameters, replies, event and error fields, call
//! arguments, call replies and constructor parameters (features/nested_abi.tdm,
//! features/nested_ctor.tdm; on the WASM build harness/tests/nested_cbor.rs). This list was
//! the refused cases (a compile error with a span on one build or both); every one now
//! compiles on both, and must keep compiling. `std::abi::decode` reads and `std::abi::encode`
//! writes every one of these shapes (features/abi_decode.tdm).

use tandem_lang_driver::check::{Backend, check_sources};

/// Each compiles on the EVM and the WASM build: (what, program).
const BOTH: &[(&str, &str)] = &[
    (
        "Vec<Bytes> parameter",
        "message M { Len { xs: Vec<Bytes> } -> u256 }\nstruct S { }\ncontract C {\n    storage: S\n    recv M { Len { xs } => { xs.len() } }\n}\n",
    ),
    (
        "Vec<Vec<u256>> parameter",
        "message M { Len { xs: Vec<Vec<u256>> } -> u256 }\nstruct S { }\ncontract C {\n    storage: S\n    recv M { Len { xs } => { xs.len() } }\n}\n",
    ),
    (
        "struct with a Bytes field as a parameter",
        "struct Doc { id: u256, body: Bytes }\nmessage M { Take { d: Doc } -> u256 }\nstruct S { }\ncontract C {\n    storage: S\n    recv M { Take { d } => { d.id } }\n}\n",
    ),
    (
        "[Bytes; 2] parameter",
        "message M { Take { xs: [Bytes; 2] } -> u256 }\nstruct S { }\ncontract C {\n    storage: S\n    recv M { Take { xs } => { 0 } }\n}\n",
    ),
    (
        "Vec of a static struct as a parameter",
        "struct Pt { x: u8, y: i16 }\nmessage M { Take { ps: Vec<Pt> } -> u256 }\nstruct S { }\ncontract C {\n    storage: S\n    recv M { Take { ps } => { ps.len() } }\n}\n",
    ),
    (
        "Vec<String> reply",
        "message M { Get -> Vec<String> }\nstruct S { }\ncontract C {\n    storage: S\n    recv M {\n        Get => {\n            let mut v: Vec<String> = Vec::new()\n            v.push(\"a\")\n            v\n        }\n    }\n}\n",
    ),
    (
        "an event with a Vec<Bytes> field",
        "event E { xs: Vec<Bytes> }\nmessage M { Go -> u256 }\nstruct S { }\ncontract C {\n    storage: S\n    recv M {\n        Go => with mut ctx {\n            let v: Vec<Bytes> = Vec::new()\n            ctx.emit(E { xs: v })\n            0\n        }\n    }\n}\n",
    ),
    (
        "an error with a Vec<String> field",
        "error Bad { xs: Vec<String> }\nmessage M { Go -> u256 }\nstruct S { }\ncontract C {\n    storage: S\n    recv M {\n        Go => {\n            let v: Vec<String> = Vec::new()\n            revert Bad { xs: v }\n        }\n    }\n}\n",
    ),
    (
        "a call argument of type Vec<Bytes>",
        "message Other { Go { xs: Vec<Bytes> } -> u256 }\nmessage M { Go { a: Address } -> u256 }\nstruct S { }\ncontract C {\n    storage: S\n    recv M {\n        Go { a } => with mut ctx {\n            let v: Vec<Bytes> = Vec::new()\n            ctx.call(a, Other::Go { xs: v })\n        }\n    }\n}\n",
    ),
    (
        "a call reply of type Vec<String>",
        "message Other { Go -> Vec<String> }\nmessage M { Go { a: Address } -> u256 }\nstruct S { }\ncontract C {\n    storage: S\n    recv M {\n        Go { a } => with mut ctx {\n            let r = ctx.call(a, Other::Go {})\n            r.len()\n        }\n    }\n}\n",
    ),
    (
        "a call reply of a struct with a Bytes field",
        "struct Doc { id: u256, body: Bytes }\nmessage Other { Go -> Doc }\nmessage M { Go { a: Address } -> u256 }\nstruct S { }\ncontract C {\n    storage: S\n    recv M {\n        Go { a } => with mut ctx {\n            let d = ctx.call(a, Other::Go {})\n            d.id + d.body.len()\n        }\n    }\n}\n",
    ),
    (
        "a call reply of type (u256, Vec<Vec<u256>>)",
        "message Other { Go -> (u256, Vec<Vec<u256>>) }\nmessage M { Go { a: Address } -> u256 }\nstruct S { }\ncontract C {\n    storage: S\n    recv M {\n        Go { a } => with mut ctx {\n            let (n, g) = ctx.call(a, Other::Go {})\n            n + g.len()\n        }\n    }\n}\n",
    ),
    (
        "a constructor parameter of type Vec<Bytes>",
        "message M { Get -> u256 }\nstruct S { n: u256 }\ncontract C {\n    storage: S\n    init(xs: Vec<Bytes>) with mut storage { storage.n = xs.len() }\n    recv M { Get => with storage { storage.n } }\n}\n",
    ),
    (
        "a constructor parameter of a struct with dynamic fields",
        "struct Doc { id: u64, body: Bytes, tags: Vec<String> }\nmessage M { Get -> u256 }\nstruct S { n: u256 }\ncontract C {\n    storage: S\n    init(d: Doc, g: Vec<Vec<u256>>) with mut storage { storage.n = d.tags.len() + g.len() }\n    recv M { Get => with storage { storage.n } }\n}\n",
    ),
];

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
fn nested_dynamic_interface_types_compile_on_both_builds() {
    for (what, src) in BOTH {
        let evm = errors(src, Backend::Evm);
        assert!(evm.is_none(), "{what}: EVM refused {evm:?}");
        let wasm = errors(src, Backend::Wasm);
        assert!(wasm.is_none(), "{what}: WASM refused {wasm:?}");
    }
}

/// A type with no ABI form is still refused with a span on both builds (so the test above
/// is not passing because nothing is ever refused).
#[test]
fn a_parameter_without_an_abi_form_is_still_refused() {
    let src = "message M { Take { o: Option<u8> } -> u256 }\nstruct S { }\ncontract C {\n    storage: S\n    recv M { Take { o } => { 0 } }\n}\n";
    for backend in [Backend::Evm, Backend::Wasm] {
        let e = errors(src, backend).expect("refused");
        assert!(e.contains("error["), "{e}");
        assert!(e.contains("example.tdm:"), "no span: {e}");
    }
}
