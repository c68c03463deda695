//! The feature fixtures on both targets: each fixture's calls (its `// ---- expect` lines)
//! sent to the EVM build and to the WASM build; they must agree (see `differential.rs` for
//! what agreeing means), `deploy` lines deploy a contract of the file on both, `storage:`
//! lines compare that storage word of both builds (slots are the same by design; a word
//! holding a twin's masked ID is read as its EVM address). Lines this runner cannot translate
//! (raw calldata, calls `to:` another contract, `balance:`, values it does not parse) are
//! skipped and counted. A `lane` line runs the VM's system lane (async deliveries and
//! replies of both builds).

mod common;

use alloy_dyn_abi::{DynSolType, DynSolValue};
use alloy_primitives::{Address, I256, U256, keccak256};
use common::{ALICE, BOB, CAROL, Dual, Seen, addr, cbor};
use std::collections::HashMap;
use std::path::Path;

include!("common/pair.rs");

/// The fixtures that run on both targets and must agree on every translated call.
const BOTH: &[&str] = &[
    "abi_override",
    "arrays",
    "assignment",
    "async_send",
    "blake2b",
    "break_continue",
    "bytes_string",
    "call_dynamic_reply",
    "calls",
    "casts",
    "checked_arith",
    "coin",
    "constructor_dynamic",
    "consts",
    "crypto",
    "ctx_surface",
    "enums",
    "errors",
    "events",
    "fields",
    "fixed_bytes",
    "for_range",
    "generics",
    "if_else",
    "indexing",
    "let_bindings",
    "many_locals",
    "map_nested",
    "match_expr",
    "methods",
    "option",
    "payable",
    "refuses_value",
    "return_tail",
    "signed_ints",
    "slot_attr",
    "storage_packing",
    "storage_strings",
    "storage_vec",
    "struct_literals",
    "structs_abi",
    "try_from",
    "tuples",
    "two_messages",
    "type_alias",
    "vec",
    "vec_params",
    "while_loop",
    "wrapping_saturating",
];

/// Lines that cannot agree (yet), by fixture and the start of the line, with the reason;
/// skipped.
const DIFFERS: &[(&str, &str, &str)] = &[
    (
        "call_dynamic_reply",
        "forward(address,bytes)",
        "raw calldata goes as InvokeEVM, which a native Tandem actor does not answer yet",
    ),
    (
        "call_dynamic_reply",
        "tryForward(address,bytes)",
        "raw calldata goes as InvokeEVM, which a native Tandem actor does not answer yet",
    ),
    (
        "call_dynamic_reply",
        "addresses(address,bool): Source, false",
        "a type pun: the callee replies Vec<u256>, the caller reads Vec<Address>. In the ABI \
         both are words; in DAG-CBOR 11 is BigInt bytes 00 0b, which read as an address is \
         f0 ID 11, a masked ID, not the word 11 (`true`, whose element is not an address on \
         either target, fails on both)",
    ),
];

fn split_top(s: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth, mut quoted) = (Vec::new(), String::new(), 0i32, false);
    for ch in s.chars() {
        match ch {
            '"' => quoted = !quoted,
            '(' | '[' if !quoted => depth += 1,
            ')' | ']' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

fn value(t: &DynSolType, s: &str, names: &Names) -> Option<DynSolValue> {
    let s = s.trim();
    match (t, s) {
        (DynSolType::Address, "alice") => Some(DynSolValue::Address(addr(ALICE))),
        (DynSolType::Address, "bob") => Some(DynSolValue::Address(addr(BOB))),
        (DynSolType::Address, "carol") => Some(DynSolValue::Address(addr(CAROL))),
        // `this` and the contracts `deploy` lines named
        (DynSolType::Address, n) if names.contains_key(n) => Some(DynSolValue::Address(names[n])),
        (DynSolType::Uint(b), "MAX") => Some(DynSolValue::Uint(U256::MAX >> (256 - *b), *b)),
        (DynSolType::Int(b), "MAX" | "MIN") => {
            let max = I256::from_raw(U256::MAX >> (257 - *b));
            Some(DynSolValue::Int(
                if s == "MAX" { max } else { -max - I256::ONE },
                *b,
            ))
        }
        (DynSolType::String, _) => Some(DynSolValue::String(
            s.strip_prefix('"')?.strip_suffix('"')?.into(),
        )),
        (DynSolType::Bytes, _) if s.starts_with('"') => Some(DynSolValue::Bytes(
            s.strip_prefix('"')?.strip_suffix('"')?.as_bytes().to_vec(),
        )),
        (DynSolType::Address, _) if s.starts_with("0x") && s.len() < 42 => {
            t.coerce_str(&format!("0x{:0>40}", &s[2..])).ok()
        }
        // aggregates item by item, so names and MAX work inside them
        (DynSolType::Array(e), _) => {
            let inner = s.strip_prefix('[')?.strip_suffix(']')?;
            let items = split_top(inner);
            let vals = items.iter().map(|p| value(e, p, names));
            Some(DynSolValue::Array(vals.collect::<Option<_>>()?))
        }
        (DynSolType::FixedArray(e, n), _) => {
            let inner = s.strip_prefix('[')?.strip_suffix(']')?;
            let items = split_top(inner);
            if items.len() != *n {
                return None;
            }
            let vals = items.iter().map(|p| value(e, p, names));
            Some(DynSolValue::FixedArray(vals.collect::<Option<_>>()?))
        }
        (DynSolType::Tuple(ts), _) => {
            let inner = s.strip_prefix('(')?.strip_suffix(')')?;
            Some(DynSolValue::Tuple(values(ts, inner, names)?))
        }
        _ => t.coerce_str(&s.replace('_', "")).ok(),
    }
}

fn values(tys: &[DynSolType], args: &str, names: &Names) -> Option<Vec<DynSolValue>> {
    let parts = split_top(args);
    if parts.len() != tys.len() {
        return None;
    }
    tys.iter()
        .zip(&parts)
        .map(|(t, p)| value(t, p, names))
        .collect()
}

/// The index of the `)` closing the first `(`.
fn matching_paren(s: &str) -> Option<usize> {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 1 => return Some(i),
            ')' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// Addresses by name: `this` and every deployed contract (their EVM builds; the native
/// build of a call's arguments sees the twin, see `Dual::native_word`).
type Names = HashMap<String, Address>;

/// (signature, types, arguments, value, sender).
type ParsedCall = (String, Vec<DynSolType>, Vec<DynSolValue>, U256, Address);

/// `sig[: args] [value: N] [from: X]` -> (sig, types, args, value, from); None to skip.
fn parse_call(lhs: &str, names: &Names) -> Option<ParsedCall> {
    let close = matching_paren(lhs)?;
    let sig = lhs[..=close].trim().to_string();
    let inner = &sig[sig.find('(')? + 1..sig.len() - 1];
    if lhs.contains(" to:") {
        return None;
    }
    let tys: Vec<DynSolType> = split_top(inner)
        .iter()
        .map(|t| DynSolType::parse(t).ok())
        .collect::<Option<_>>()?;
    let mut rest = lhs[close + 1..].trim().to_string();
    let mut from = addr(ALICE);
    let mut val = U256::ZERO;
    if let Some(i) = rest.find("from:") {
        from = match value(&DynSolType::Address, &rest[i + 5..], names)? {
            DynSolValue::Address(a) => a,
            _ => return None,
        };
        rest.truncate(i);
    }
    if let Some(i) = rest.find("value:") {
        val = match value(&DynSolType::Uint(256), &rest[i + 6..], names)? {
            DynSolValue::Uint(u, _) => u,
            _ => return None,
        };
        rest.truncate(i);
    }
    let args = rest
        .trim()
        .strip_prefix(':')
        .unwrap_or("")
        .trim()
        .to_string();
    let vals = values(&tys, &args, names)?;
    Some((sig, tys, vals, val, from))
}

/// Runs a fixture's calls on both targets: (calls compared, lines skipped).
fn run(path: &Path) -> Result<(usize, usize), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let built = build(&[(name.clone(), text.clone())])?;
    let main = built
        .iter()
        .rposition(|b| b.ir.file == name)
        .ok_or("no contract")?;
    let mut d = Dual::new();
    let mut pair: Option<Pair<'_>> = None;
    let mut names = Names::new();
    let (mut compared, mut skipped) = (0, 0);
    let body = text.split(MARKER).nth(1).unwrap_or("");
    for line in body.lines() {
        let line = line.trim().trim_start_matches("//").trim();
        if line == "lane" || line.starts_with("lane ->") {
            // the system lane delivers both builds' async messages (not counted: both
            // builds' messages run in one lane)
            d.exec
                .run_system_lane()
                .map_err(|e| format!("lane: {e:#}"))?;
            continue;
        }
        let Some((lhs, rhs)) = line.split_once("->") else {
            continue;
        };
        let lhs = lhs.trim();
        if let Some(p) = &pair {
            names.insert("this".into(), p.evm);
        }
        if let Some(rest) = lhs.strip_prefix("deploy ") {
            let Some(((sig, vals, val, from), c)) = deploy_line(rest, &built, &names) else {
                skipped += 1;
                continue;
            };
            let _ = sig;
            pair = deploy(&mut d, c, from, &vals, val)?;
            if let Some(p) = &pair {
                names.insert(c.ir.name.clone(), p.evm);
            }
            compared += 1;
            continue;
        }
        if let Some(slot) = lhs.strip_prefix("storage:") {
            let p = pair.as_ref().ok_or("storage before a deploy")?;
            let Some(slot) = slot_of(slot.trim(), &names) else {
                skipped += 1;
                continue;
            };
            let evm_id = d.id_of(p.evm).ok_or("no EVM actor")?;
            let (a, b) = (d.slot(evm_id, slot), d.slot(p.native, slot));
            let mut w = b.to_be_bytes::<32>();
            d.map_words(&mut w);
            if a != U256::from_be_bytes(w) {
                return Err(format!(
                    "storage {slot:#x} (`{line}`): EVM {a:#x}, WASM {b:#x}"
                ));
            }
            compared += 1;
            continue;
        }
        if lhs.starts_with("raw:") {
            skipped += 1;
            continue;
        }
        if let Some(ctor) = lhs.strip_prefix("constructor") {
            let Some((_, _, vals, val, from)) = parse_call(&format!("c{ctor}"), &names) else {
                skipped += 1;
                continue;
            };
            pair = deploy(&mut d, &built[main], from, &vals, val)?;
            compared += 1;
            continue;
        }
        if pair.is_none() {
            pair = deploy(&mut d, &built[main], addr(ALICE), &[], U256::ZERO)?;
            if let Some(p) = &pair {
                names.insert("this".into(), p.evm);
            }
        }
        let Some((sig, _, vals, val, from)) = parse_call(lhs, &names) else {
            skipped += 1;
            continue;
        };
        let fixture = name.trim_end_matches(".tdm");
        if DIFFERS
            .iter()
            .any(|(f, s, _)| *f == fixture && lhs.starts_with(s))
        {
            skipped += 1;
            continue;
        }
        let p = pair.as_ref().ok_or("the contract did not deploy")?;
        let sel = &keccak256(sig.as_bytes())[..4];
        if !p.c.ir.meta.handlers.iter().any(|h| h.selector[..] == *sel) {
            // a selector the contract does not have: no method number to send
            skipped += 1;
            continue;
        }
        call(&mut d, p, from, &sig, &vals, val)
            .map_err(|e| format!("`{}` (expected {}): {e}", lhs, rhs.trim()))?;
        compared += 1;
    }
    Ok((compared, skipped))
}

/// `Name[: args] [value: N] [from: X]` of a contract in the file: the parsed call (its
/// constructor's types) and the contract.
fn deploy_line<'b>(
    rest: &str,
    built: &'b [Built],
    names: &Names,
) -> Option<(ParsedDeploy, &'b Built)> {
    let name = rest.split([':', ' ']).next()?.trim();
    let c = built.iter().find(|b| b.ir.name == name)?;
    let tys: Vec<String> = c.ir.init.params.iter().map(|p| p.ty.sol_name()).collect();
    let sig = format!("c({})", tys.join(","));
    let (_, _, vals, val, from) = parse_call(&format!("{sig}{}", &rest[name.len()..]), names)?;
    Some(((sig, vals, val, from), c))
}

type ParsedDeploy = (String, Vec<DynSolValue>, U256, Address);

/// A `storage:` slot: a number, `mapslot(KEY, SLOT)`, `vecslot(SLOT, I)` or `keccak("text")`.
fn slot_of(s: &str, names: &Names) -> Option<U256> {
    let word = |x: &str| -> Option<U256> {
        let x = x.trim();
        if let Some(a) = names.get(x) {
            return Some(U256::from_be_slice(a.as_slice()));
        }
        match x {
            "alice" => Some(U256::from(ALICE)),
            "bob" => Some(U256::from(BOB)),
            "carol" => Some(U256::from(CAROL)),
            _ => {
                let x = x.replace('_', "");
                match x.strip_prefix("0x") {
                    Some(h) => U256::from_str_radix(h, 16).ok(),
                    None => U256::from_str_radix(&x, 10).ok(),
                }
            }
        }
    };
    let hash2 = |a: U256, b: U256| {
        let mut k = a.to_be_bytes::<32>().to_vec();
        k.extend(b.to_be_bytes::<32>());
        U256::from_be_bytes(keccak256(&k).0)
    };
    if let Some(inner) = s.strip_prefix("mapslot(").and_then(|x| x.strip_suffix(')')) {
        let parts = split_top(inner);
        return Some(hash2(word(&parts[0])?, slot_of(&parts[1], names)?));
    }
    if let Some(inner) = s.strip_prefix("vecslot(").and_then(|x| x.strip_suffix(')')) {
        let parts = split_top(inner);
        let base = slot_of(&parts[0], names)?.to_be_bytes::<32>();
        let data = U256::from_be_bytes(keccak256(base).0);
        return Some(data.wrapping_add(word(&parts[1])?));
    }
    if let Some(inner) = s
        .strip_prefix("keccak(\"")
        .and_then(|x| x.strip_suffix("\")"))
    {
        return Some(U256::from_be_bytes(keccak256(inner.as_bytes()).0));
    }
    word(s)
}

const MARKER: &str = "// ---- expect";

#[test]
fn feature_fixtures_agree_on_both_targets() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../harness/fixtures/features");
    let mut failures = Vec::new();
    for name in BOTH {
        match run(&dir.join(format!("{name}.tdm"))) {
            Ok((n, skipped)) => {
                eprintln!("{name}: {n} calls agree ({skipped} lines skipped)");
                if n == 0 {
                    failures.push(format!("{name}: no call ran"));
                }
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
