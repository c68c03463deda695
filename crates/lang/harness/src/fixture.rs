//! Fixtures: Tandem programs whose expected behaviour is written in a call DSL, in a trailing
//! comment block. The runner compiles the program, deploys it and replays every line on two
//! backends, plain revm ([`crate::Chain`]) and Tandem's own VM ([`crate::tandem::TandemChain`]),
//! and requires both to agree (success, return or revert data, logs, created addresses,
//! balances, storage) and to match the expectations.
//!
//! # Grammar
//!
//! The block starts at a line `// ---- expect`; every later line is a `//` comment (blank
//! lines are allowed). After the `//`, each line is one of:
//!
//! ```text
//! # a comment
//! constructor(TYPES)[: ARGS] [OPTS] -> [FAILURE ...]   deploy the default contract
//! deploy NAME[: ARGS] [OPTS] -> [FAILURE ...]          deploy contract NAME (argument types
//!                                                      come from its `init`)
//! NAME(TYPES)[: ARGS] [OPTS] -> RESULT                 a call: selector = keccak256 of the
//!                                                      signature, ARGS ABI-encoded with TYPES
//! raw: 0xHEX [OPTS] -> RESULT                          a call with raw calldata
//! ~ emit NAME(TYPES)[: EVENT-ARGS]                     a log of the preceding call
//! gas: [<=|>=|<|>|==] N                                gas of the preceding call (revm)
//! balance: ADDR -> N                                   an account's balance, in wei
//! storage: SLOT -> VALUE                               a raw storage word of the current contract;
//!                                                      SLOT may be `mapslot(KEY, SLOT)` (a
//!                                                      mapping entry, keccak256(key . slot)) or
//!                                                      `vecslot(SLOT, INDEX)` (keccak256(slot) + i)
//!                                                      or `keccak("text")`
//! layout: LABEL -> SLOT, OFFSET                        an entry of the storageLayout
//!
//! OPTS    := (value: N | from: ADDR | to: ADDR)*       value in wei, sender, callee
//! RESULT  := (empty)                                   success, no return data
//!          | VALUES                                    success; types from the contract's ABI
//!          | TYPE: VALUES | (TYPES): VALUES            success, return types written out
//!          | raw: 0xHEX                                success, exact return data
//!          | FAILURE                                   any revert
//!          | FAILURE 0xHEX                             revert with exactly this data (`0x`: none)
//!          | FAILURE NAME(TYPES)[: VALUES]             revert with a custom error, e.g.
//!                                                      `FAILURE Panic(uint256): 0x11`
//! EVENT-ARGS := one value per type, `#` before the indexed ones (they are topics)
//! ```
//!
//! Values are comma separated. Integers are decimal or `0x` hex, negative for signed types,
//! `MAX`/`MIN` for the type's bounds, `1 ether`/`gwei` units allowed; `true`/`false`;
//! `"text"` for `string` (and `bytes`); `0xHEX` for `bytes` and `bytesN`; `[a, b]` for arrays;
//! `(a, b)` for tuples (structs). Addresses are `0x` hex (short forms are left-padded: `0x01`),
//! the accounts `alice` (the default sender), `bob`, `carol`, `this` (the current contract,
//! i.e. the last deployed), the name of a deployed contract, `create(ADDR, NONCE)`, or
//! `create2(ADDR, SALT, NAME(ARGS))` (the address CREATE2 gives contract NAME's init code).
//!
//! Logs must match in number and order: a call with no `~ emit` lines must emit none. Each
//! account starts with 1,000,000 ether; gas is free (price 0). Calls before any deployment
//! deploy the default contract (the last one declared in the file holding the expectations)
//! without arguments. A fixture is a `.tdm` file, or a folder of `.tdm` files (modules named
//! after their stems) exactly one of which holds the expectations.

use crate::tandem::{BLOCK_NUMBER, CHAIN_ID, TIMESTAMP, TandemChain};
use crate::{Backend, Chain, Outcome, hex};
use alloy_dyn_abi::{DynSolType, DynSolValue};
use alloy_primitives::{Address, B256, I256, U256, keccak256};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use tandem_lang_ir::{AbiTy, WordTy};

/// A problem with a fixture: its file, the 1-based line (0: the fixture as a whole) and what.
#[derive(Clone, Debug)]
pub struct FixtureError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for FixtureError {}

/// A comparison of gas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Le,
    Ge,
    Lt,
    Gt,
    Eq,
}

#[derive(Clone, Debug)]
enum Target {
    /// A function signature as written (`transfer(address,uint256)`).
    Sig(String),
    Raw(Vec<u8>),
}

#[derive(Clone, Debug)]
enum Expect {
    /// Success; `None` = no return data.
    Returns(Option<String>),
    ReturnsRaw(Vec<u8>),
    Fail(Option<String>),
}

#[derive(Clone, Debug, Default)]
struct Opts {
    value: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

#[derive(Clone, Debug)]
enum Step {
    Deploy {
        contract: Option<String>,
        types: Option<String>,
        args: String,
        opts: Opts,
        expect: Expect,
        gas: Vec<(usize, Cmp, u64)>,
    },
    Call {
        target: Target,
        args: String,
        opts: Opts,
        expect: Expect,
        emits: Vec<(usize, String)>,
        gas: Vec<(usize, Cmp, u64)>,
    },
    Balance {
        who: String,
        want: String,
    },
    Storage {
        slot: String,
        want: String,
    },
    Layout {
        label: String,
        slot: String,
        offset: String,
    },
}

/// A parsed fixture: its sources and its steps.
pub struct Fixture {
    /// A name for messages (the path as given).
    pub name: String,
    /// (file name, text); module names are the stems.
    pub sources: Vec<(String, String)>,
    /// The file holding the expectations.
    pub main: String,
    steps: Vec<(usize, Step)>,
}

/// What a run found besides pass/fail.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Transactions sent (per backend).
    pub transactions: usize,
    /// (line, revm gas, Tandem gas) where the two backends charged different gas for a
    /// reason other than the one below.
    pub gas_differences: Vec<(usize, u64, u64)>,
    /// (line, revm gas, Tandem gas) where revm charged EIP-7623's calldata floor (Prague) and
    /// the Tandem VM, which follows Cancun's intrinsic gas, charged less.
    pub calldata_floor_differences: Vec<(usize, u64, u64)>,
}

/// Every fixture under `dir`: its `.tdm` files and its sub-folders (multi-file fixtures),
/// sorted.
pub fn discover(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "tdm"))
        .collect();
    out.sort();
    Ok(out)
}

/// Loads a fixture from a `.tdm` file or a folder of them.
pub fn load(path: &Path) -> Result<Fixture, FixtureError> {
    let name = path.display().to_string();
    let err = |m: String| FixtureError {
        file: name.clone(),
        line: 0,
        message: m,
    };
    let mut files = Vec::new();
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| err(format!("cannot read the folder: {e}")))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "tdm"))
            .collect();
        entries.sort();
        for p in entries {
            let text = std::fs::read_to_string(&p)
                .map_err(|e| err(format!("cannot read {}: {e}", p.display())))?;
            files.push((file_name(&p), text));
        }
    } else {
        let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
        files.push((file_name(path), text));
    }
    parse(&name, files)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .and_then(|s| s.to_str())
        .unwrap_or("fixture.tdm")
        .to_string()
}

/// Parses a fixture from its sources; exactly one must hold a `// ---- expect` block.
pub fn parse(name: &str, sources: Vec<(String, String)>) -> Result<Fixture, FixtureError> {
    let holders: Vec<usize> = (0..sources.len())
        .filter(|i| sources[*i].1.lines().any(|l| l.trim() == MARKER))
        .collect();
    let [main] = holders[..] else {
        return Err(FixtureError {
            file: name.to_string(),
            line: 0,
            message: format!(
                "expected exactly one file with a `{MARKER}` block, found {}",
                holders.len()
            ),
        });
    };
    let file = if sources.len() == 1 {
        name.to_string()
    } else {
        format!("{name}/{}", sources[main].0)
    };
    let steps = parse_steps(&file, &sources[main].1)?;
    Ok(Fixture {
        name: file,
        main: sources[main].0.clone(),
        sources,
        steps,
    })
}

const MARKER: &str = "// ---- expect";

fn parse_steps(file: &str, text: &str) -> Result<Vec<(usize, Step)>, FixtureError> {
    let mut steps: Vec<(usize, Step)> = Vec::new();
    let mut in_block = false;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let t = raw.trim();
        if !in_block {
            in_block = t == MARKER;
            continue;
        }
        let err = |m: String| FixtureError {
            file: file.to_string(),
            line,
            message: m,
        };
        if t.is_empty() {
            continue;
        }
        let Some(body) = t.strip_prefix("//") else {
            return Err(err(format!(
                "every line after `{MARKER}` must be a `//` comment"
            )));
        };
        let body = body.trim();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        match parse_line(body) {
            Ok(Line::Step(s)) => steps.push((line, s)),
            Ok(Line::Emit(e)) => match steps.last_mut() {
                Some((_, Step::Call { emits, .. })) => emits.push((line, e)),
                _ => return Err(err("`~ emit` must follow a call".into())),
            },
            Ok(Line::Gas(c, n)) => match steps.last_mut() {
                Some((_, Step::Call { gas, .. } | Step::Deploy { gas, .. })) => {
                    gas.push((line, c, n))
                }
                _ => return Err(err("`gas:` must follow a call or a deployment".into())),
            },
            Err(m) => return Err(err(m)),
        }
    }
    if !in_block {
        return Err(FixtureError {
            file: file.to_string(),
            line: 0,
            message: format!("no `{MARKER}` block"),
        });
    }
    Ok(steps)
}

enum Line {
    Step(Step),
    Emit(String),
    Gas(Cmp, u64),
}

fn parse_line(body: &str) -> Result<Line, String> {
    if let Some(rest) = body.strip_prefix('~') {
        let rest = rest.trim();
        let Some(ev) = rest.strip_prefix("emit") else {
            return Err("expected `~ emit Name(types): args`".into());
        };
        return Ok(Line::Emit(ev.trim().to_string()));
    }
    if let Some(rest) = body.strip_prefix("gas:") {
        let rest = rest.trim();
        let (cmp, n) = [
            ("<=", Cmp::Le),
            (">=", Cmp::Ge),
            ("==", Cmp::Eq),
            ("<", Cmp::Lt),
            (">", Cmp::Gt),
        ]
        .iter()
        .find_map(|(p, c)| rest.strip_prefix(p).map(|r| (*c, r)))
        .unwrap_or((Cmp::Eq, rest));
        let n = parse_u64(n.trim()).ok_or_else(|| format!("bad gas amount `{}`", n.trim()))?;
        return Ok(Line::Gas(cmp, n));
    }
    let (lhs, rhs) = split_arrow(body)
        .ok_or_else(|| format!("expected `->` in `{body}` (a call is `sig: args -> result`)"))?;
    let lhs = lhs.trim();
    let rhs = rhs.trim();
    if let Some(who) = lhs.strip_prefix("balance:") {
        return Ok(Line::Step(Step::Balance {
            who: who.trim().into(),
            want: rhs.into(),
        }));
    }
    if let Some(slot) = lhs.strip_prefix("storage:") {
        return Ok(Line::Step(Step::Storage {
            slot: slot.trim().into(),
            want: rhs.into(),
        }));
    }
    if let Some(label) = lhs.strip_prefix("layout:") {
        let parts = split_top(rhs);
        let [slot, offset] = &parts[..] else {
            return Err("expected `layout: LABEL -> SLOT, OFFSET`".into());
        };
        return Ok(Line::Step(Step::Layout {
            label: label.trim().into(),
            slot: slot.clone(),
            offset: offset.clone(),
        }));
    }
    if let Some(rest) = lhs.strip_prefix("deploy ") {
        let rest = rest.trim();
        let name_end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let (name, after) = rest.split_at(name_end);
        if name.is_empty() {
            return Err("expected a contract name after `deploy`".into());
        }
        let (args, opts) = split_args_opts(after)?;
        return Ok(Line::Step(Step::Deploy {
            contract: Some(name.into()),
            types: None,
            args,
            opts,
            expect: parse_deploy_expect(rhs)?,
            gas: vec![],
        }));
    }
    if let Some(rest) = lhs.strip_prefix("raw:") {
        let rest = rest.trim();
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let data = parse_hex(&rest[..end]).ok_or_else(|| format!("bad hex `{}`", &rest[..end]))?;
        let opts = parse_opts(&rest[end..])?;
        return Ok(Line::Step(Step::Call {
            target: Target::Raw(data),
            args: String::new(),
            opts,
            expect: parse_expect(rhs)?,
            emits: vec![],
            gas: vec![],
        }));
    }
    let (sig, after) = split_sig(lhs)?;
    let (args, opts) = split_args_opts(after)?;
    if let Some(types) = sig.strip_prefix("constructor") {
        return Ok(Line::Step(Step::Deploy {
            contract: None,
            types: Some(types.to_string()),
            args,
            opts,
            expect: parse_deploy_expect(rhs)?,
            gas: vec![],
        }));
    }
    Ok(Line::Step(Step::Call {
        target: Target::Sig(sig.to_string()),
        args,
        opts,
        expect: parse_expect(rhs)?,
        emits: vec![],
        gas: vec![],
    }))
}

fn parse_deploy_expect(rhs: &str) -> Result<Expect, String> {
    match parse_expect(rhs)? {
        e @ (Expect::Returns(None) | Expect::Fail(_)) => Ok(e),
        _ => Err("a deployment expects nothing or `FAILURE`".into()),
    }
}

fn parse_expect(rhs: &str) -> Result<Expect, String> {
    let rhs = rhs.trim();
    if let Some(rest) = rhs.strip_prefix("FAILURE") {
        let rest = rest.trim();
        if rest.is_empty() {
            return Ok(Expect::Fail(None));
        }
        if rest.starts_with("0x") {
            let data = parse_hex(rest).ok_or_else(|| format!("bad hex `{rest}`"))?;
            return Ok(Expect::Fail(Some(format!("raw:{}", hex(&data)))));
        }
        return Ok(Expect::Fail(Some(rest.to_string())));
    }
    if rhs.is_empty() {
        return Ok(Expect::Returns(None));
    }
    if let Some(h) = rhs.strip_prefix("raw:") {
        let h = h.trim();
        return Ok(Expect::ReturnsRaw(
            parse_hex(h).ok_or_else(|| format!("bad hex `{h}`"))?,
        ));
    }
    Ok(Expect::Returns(Some(rhs.to_string())))
}

/// Splits `name(types)rest` at the end of the signature.
fn split_sig(s: &str) -> Result<(&str, &str), String> {
    let open = s
        .find('(')
        .ok_or_else(|| format!("expected a signature `name(types)` in `{s}`"))?;
    let mut depth = 0;
    for (i, c) in s.char_indices().skip_while(|(i, _)| *i < open) {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Ok((&s[..=i], &s[i + 1..]));
                }
            }
            _ => {}
        }
    }
    Err(format!("unclosed `(` in `{s}`"))
}

/// `[: ARGS] [OPTS]`.
fn split_args_opts(after: &str) -> Result<(String, Opts), String> {
    let after = after.trim_start();
    let (args_and_opts, has_args) = match after.strip_prefix(':') {
        Some(r) => (r, true),
        None => (after, false),
    };
    let cut = find_opt_start(args_and_opts);
    let (args, opts) = args_and_opts.split_at(cut);
    if !has_args && !args.trim().is_empty() {
        return Err(format!(
            "unexpected `{}` (arguments follow a `:`)",
            args.trim()
        ));
    }
    Ok((args.trim().to_string(), parse_opts(opts)?))
}

const OPT_KEYS: [&str; 3] = ["value:", "from:", "to:"];

/// The byte index where the options start (outside quotes and brackets, after whitespace).
fn find_opt_start(s: &str) -> usize {
    let mut depth = 0i32;
    let mut quoted = false;
    let mut prev_space = true;
    for (i, c) in s.char_indices() {
        if quoted {
            if c == '"' {
                quoted = false;
            }
            prev_space = false;
            continue;
        }
        match c {
            '"' => quoted = true,
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            _ => {}
        }
        if depth == 0 && prev_space && OPT_KEYS.iter().any(|k| s[i..].starts_with(k)) {
            return i;
        }
        prev_space = c.is_whitespace();
    }
    s.len()
}

fn parse_opts(s: &str) -> Result<Opts, String> {
    let mut opts = Opts::default();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let Some(key) = OPT_KEYS.iter().find(|k| rest.starts_with(**k)) else {
            return Err(format!(
                "unexpected `{rest}` (options are `value:`, `from:`, `to:`)"
            ));
        };
        let after = &rest[key.len()..];
        let end = find_opt_start(after.trim_start());
        let start = after.len() - after.trim_start().len();
        let val = after[start..start + end].trim().to_string();
        if val.is_empty() {
            return Err(format!("`{key}` needs a value"));
        }
        match *key {
            "value:" => opts.value = Some(val),
            "from:" => opts.from = Some(val),
            _ => opts.to = Some(val),
        }
        rest = after[start + end..].trim();
    }
    Ok(opts)
}

/// Splits at the first `->` outside quotes.
fn split_arrow(s: &str) -> Option<(&str, &str)> {
    let mut quoted = false;
    let b = s.as_bytes();
    for i in 0..b.len() {
        match b[i] {
            b'"' => quoted = !quoted,
            b'-' if !quoted && b.get(i + 1) == Some(&b'>') => return Some((&s[..i], &s[i + 2..])),
            _ => {}
        }
    }
    None
}

/// Splits at commas outside quotes and brackets; trims; an empty input gives no items.
fn split_top(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quoted = false;
    let mut escaped = false;
    let mut cur = String::new();
    for c in s.chars() {
        if quoted {
            cur.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                quoted = false;
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() || !out.is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let h = s.trim().strip_prefix("0x")?;
    if h.len() % 2 != 0 {
        return None;
    }
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(h.get(i..i + 2)?, 16).ok())
        .collect()
}

fn parse_u64(s: &str) -> Option<u64> {
    let s = s.replace('_', "");
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// The types of a `(t1,t2,..)` list.
fn parse_types(s: &str) -> Result<Vec<DynSolType>, String> {
    let s = s.trim();
    if s == "()" {
        return Ok(vec![]);
    }
    match DynSolType::parse(s) {
        Ok(DynSolType::Tuple(ts)) => Ok(ts),
        Ok(t) => Ok(vec![t]),
        Err(e) => Err(format!("bad types `{s}`: {e}")),
    }
}

/// `name(t1,t2)` → (name, types, canonical signature).
fn parse_sig(sig: &str) -> Result<(String, Vec<DynSolType>, String), String> {
    let (name, rest) = split_sig(sig)?;
    if !rest.trim().is_empty() {
        return Err(format!("unexpected `{rest}` after the signature"));
    }
    let open = name.find('(').unwrap_or(0);
    let fname = name[..open].trim();
    if fname.is_empty() || !fname.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return Err(format!("bad function name in `{sig}`"));
    }
    let types = parse_types(&name[open..])?;
    let canon = format!(
        "{fname}({})",
        types
            .iter()
            .map(|t| t.sol_type_name().to_string())
            .collect::<Vec<_>>()
            .join(",")
    );
    Ok((fname.to_string(), types, canon))
}

/// The Solidity ABI type of an IR ABI type.
pub fn dyn_type(t: &AbiTy) -> DynSolType {
    match t {
        AbiTy::Word(WordTy::Uint(b)) => DynSolType::Uint(*b as usize),
        AbiTy::Word(WordTy::Int(b)) => DynSolType::Int(*b as usize),
        AbiTy::Word(WordTy::Bool) => DynSolType::Bool,
        AbiTy::Word(WordTy::Address) => DynSolType::Address,
        AbiTy::Word(WordTy::FixedBytes(n)) => DynSolType::FixedBytes(*n as usize),
        AbiTy::Bytes => DynSolType::Bytes,
        AbiTy::String => DynSolType::String,
        AbiTy::Array(e, n) => DynSolType::FixedArray(Box::new(dyn_type(e)), *n as usize),
        AbiTy::DynArray(e) => DynSolType::Array(Box::new(dyn_type(e))),
        AbiTy::Tuple(ts) => DynSolType::Tuple(ts.iter().map(dyn_type).collect()),
    }
}

/// Renders a value the way the DSL writes it.
pub fn show(v: &DynSolValue) -> String {
    match v {
        DynSolValue::Bool(b) => b.to_string(),
        DynSolValue::Int(i, _) => i.to_string(),
        DynSolValue::Uint(u, _) => u.to_string(),
        DynSolValue::FixedBytes(w, n) => format!("0x{}", hex(&w[..*n])),
        DynSolValue::Address(a) => format!("{a}"),
        DynSolValue::Bytes(b) => format!("0x{}", hex(b)),
        DynSolValue::String(s) => format!("{s:?}"),
        DynSolValue::Array(vs) | DynSolValue::FixedArray(vs) => {
            format!("[{}]", vs.iter().map(show).collect::<Vec<_>>().join(", "))
        }
        DynSolValue::Tuple(vs) => {
            format!("({})", vs.iter().map(show).collect::<Vec<_>>().join(", "))
        }
        other => format!("{other:?}"),
    }
}

/// Renders return or revert data, decoding it when the types are known.
fn show_data(data: &[u8], types: Option<&[DynSolType]>) -> String {
    if data.len() >= 4 {
        if data[..4] == [0x4e, 0x48, 0x7b, 0x71] && data.len() == 36 {
            return format!("Panic(0x{:02x})", U256::from_be_slice(&data[4..]));
        }
        if data[..4] == [0x08, 0xc3, 0x79, 0xa0]
            && let Ok(DynSolValue::String(s)) = DynSolType::String.abi_decode(&data[4..])
        {
            return format!("Error({s:?})");
        }
    }
    if let Some(ts) = types
        && let Ok(DynSolValue::Tuple(vs)) = DynSolType::Tuple(ts.to_vec()).abi_decode_params(data)
        && DynSolValue::Tuple(vs.clone()).abi_encode_params() == data
    {
        return vs.iter().map(show).collect::<Vec<_>>().join(", ");
    }
    if data.is_empty() {
        "no data".into()
    } else {
        format!("0x{}", hex(data))
    }
}

fn show_outcome(o: &Outcome, types: Option<&[DynSolType]>) -> String {
    if o.success {
        format!("success, returned {}", show_data(&o.output, types))
    } else {
        format!("FAILURE {}", show_data(&o.output, None))
    }
}

fn show_logs(logs: &[alloy_primitives::Log]) -> String {
    if logs.is_empty() {
        return "no logs".into();
    }
    logs.iter()
        .map(|l| {
            format!(
                "\n    log from {}: topics [{}] data 0x{}",
                l.address,
                l.topics()
                    .iter()
                    .map(|t| format!("0x{}", hex(t.as_slice())))
                    .collect::<Vec<_>>()
                    .join(", "),
                hex(&l.data.data)
            )
        })
        .collect()
}

/// The two backends and everything the run knows by name.
struct Run<'a> {
    fixture: &'a Fixture,
    contracts: Vec<crate::Compiled>,
    module: tandem_lang_ir::Module,
    revm: Chain,
    tandem: TandemChain,
    /// Deployed contracts by name (last deployment wins) and their module index by address.
    deployed: HashMap<String, Address>,
    kinds: HashMap<Address, usize>,
    current: Option<Address>,
    report: Report,
    /// The line being run.
    line: usize,
}

pub const ALICE: u64 = 0xa11ce;
pub const BOB: u64 = 0xb0b;
pub const CAROL: u64 = 0xca201;

/// Runs a fixture on both backends.
pub fn run(fixture: &Fixture) -> Result<Report, FixtureError> {
    let whole = |m: String| FixtureError {
        file: fixture.name.clone(),
        line: 0,
        message: m,
    };
    let sources: Vec<(&str, &str)> = fixture
        .sources
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let (contracts, module) =
        crate::compile(&sources).map_err(|e| whole(format!("does not compile:\n{e}")))?;
    let mut revm = Chain::new();
    revm.set_block(BLOCK_NUMBER, TIMESTAMP, CHAIN_ID);
    let mut tandem = TandemChain::new().map_err(|e| whole(format!("Tandem VM: {e}")))?;
    let rich = U256::from(1_000_000u64) * U256::from(10u64).pow(U256::from(18u64));
    for who in [ALICE, BOB, CAROL] {
        revm.fund(crate::addr(who), rich);
        tandem
            .fund(crate::addr(who), rich)
            .map_err(|e| whole(format!("Tandem VM: {e}")))?;
    }
    let mut run = Run {
        fixture,
        contracts,
        module,
        revm,
        tandem,
        deployed: HashMap::new(),
        kinds: HashMap::new(),
        current: None,
        report: Report::default(),
        line: 0,
    };
    for (line, step) in &fixture.steps {
        run.line = *line;
        run.step(step).map_err(|m| FixtureError {
            file: fixture.name.clone(),
            line: *line,
            message: m,
        })?;
    }
    Ok(run.report)
}

/// Loads and runs a fixture.
pub fn run_path(path: &Path) -> Result<Report, FixtureError> {
    run(&load(path)?)
}

fn check_gas(gas: &[(usize, Cmp, u64)], used: u64) -> Result<(), String> {
    for (_, cmp, n) in gas {
        let ok = match cmp {
            Cmp::Le => used <= *n,
            Cmp::Ge => used >= *n,
            Cmp::Lt => used < *n,
            Cmp::Gt => used > *n,
            Cmp::Eq => used == *n,
        };
        if !ok {
            return Err(format!("gas used {used}, expected {cmp:?} {n}"));
        }
    }
    Ok(())
}

impl Run<'_> {
    fn step(&mut self, step: &Step) -> Result<(), String> {
        match step {
            Step::Deploy {
                contract,
                types,
                args,
                opts,
                expect,
                gas,
            } => self.deploy(
                contract.as_deref(),
                types.as_deref(),
                args,
                opts,
                expect,
                gas,
            ),
            Step::Call {
                target,
                args,
                opts,
                expect,
                emits,
                gas,
            } => {
                if self.current.is_none() && opts.to.is_none() {
                    self.deploy(
                        None,
                        None,
                        "",
                        &Opts::default(),
                        &Expect::Returns(None),
                        &[],
                    )
                    .map_err(|e| format!("deploying the default contract: {e}"))?;
                }
                self.call(target, args, opts, expect, emits, gas)
            }
            Step::Balance { who, want } => {
                let who = self.address(who)?;
                let want = self.value(&DynSolType::Uint(256), want)?;
                let (a, b) = (self.revm.balance(who), self.tandem.balance(who));
                if a != b {
                    return Err(format!(
                        "balance of {who}: revm {a}, Tandem VM {b} (the backends differ)"
                    ));
                }
                if DynSolValue::Uint(a, 256) != want {
                    return Err(format!("balance of {who} is {a}, expected {}", show(&want)));
                }
                Ok(())
            }
            Step::Storage { slot, want } => {
                let who = self.current.ok_or("`storage:` before any deployment")?;
                let slot = self.word(slot)?;
                let want = self.word(want)?;
                let (a, b) = (self.revm.storage(who, slot), self.tandem.storage(who, slot));
                if a != b {
                    return Err(format!(
                        "storage slot {slot:#x}: revm {a:#066x}, Tandem VM {b:#066x} (the backends differ)"
                    ));
                }
                if a != want {
                    return Err(format!(
                        "storage slot {slot:#x} holds {a:#066x}, expected {want:#066x}"
                    ));
                }
                Ok(())
            }
            Step::Layout {
                label,
                slot,
                offset,
            } => {
                let idx = match self.current.and_then(|a| self.kinds.get(&a)) {
                    Some(i) => *i,
                    None => self.default_contract()?,
                };
                let c = &self.module.contracts[idx];
                let e = c
                    .storage
                    .iter()
                    .find(|e| e.label == *label)
                    .ok_or_else(|| {
                        format!(
                            "no storage entry `{label}` in {} (entries: {})",
                            c.name,
                            c.storage
                                .iter()
                                .map(|e| e.label.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    })?;
                let want_slot = self.word(slot)?;
                let want_off = parse_u64(offset).ok_or_else(|| format!("bad offset `{offset}`"))?;
                if e.slot != want_slot || u64::from(e.offset) != want_off {
                    return Err(format!(
                        "`{label}` is at slot {}, offset {}; expected slot {want_slot}, offset {want_off}",
                        e.slot, e.offset
                    ));
                }
                Ok(())
            }
        }
    }

    fn word(&self, s: &str) -> Result<U256, String> {
        let s = s.trim();
        if let Some(inner) = s.strip_prefix("mapslot(").and_then(|r| r.strip_suffix(')')) {
            let parts = split_top(inner);
            let [key, slot] = &parts[..] else {
                return Err("expected `mapslot(KEY, SLOT)`".into());
            };
            let key = match self.address_value(key) {
                Ok(a) => a.into_word().into(),
                Err(_) => self.word(key)?,
            };
            let mut buf = key.to_be_bytes::<32>().to_vec();
            buf.extend(self.word(slot)?.to_be_bytes::<32>());
            return Ok(keccak256(&buf).into());
        }
        if let Some(inner) = s.strip_prefix("keccak(").and_then(|r| r.strip_suffix(')')) {
            let text = unquote(inner.trim())
                .ok_or_else(|| format!("expected `keccak(\"text\")`, found `{s}`"))?;
            return Ok(keccak256(text.as_bytes()).into());
        }
        if let Some(inner) = s.strip_prefix("vecslot(").and_then(|r| r.strip_suffix(')')) {
            let parts = split_top(inner);
            let [slot, index] = &parts[..] else {
                return Err("expected `vecslot(SLOT, INDEX)`".into());
            };
            let base: U256 = keccak256(self.word(slot)?.to_be_bytes::<32>()).into();
            return Ok(base.wrapping_add(self.word(index)?));
        }
        match self.value(&DynSolType::Uint(256), s)? {
            DynSolValue::Uint(u, _) => Ok(u),
            _ => Err(format!("bad word `{s}`")),
        }
    }

    fn default_contract(&self) -> Result<usize, String> {
        self.module
            .contracts
            .iter()
            .rposition(|c| c.file == self.fixture.main)
            .ok_or_else(|| format!("no contract declared in {}", self.fixture.main))
    }

    fn contract_index(&self, name: &str) -> Result<usize, String> {
        self.module
            .contracts
            .iter()
            .position(|c| c.name == name)
            .ok_or_else(|| {
                format!(
                    "no contract `{name}` (compiled: {})",
                    self.module
                        .contracts
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }

    fn init_types(&self, idx: usize) -> Vec<DynSolType> {
        self.module.contracts[idx]
            .init
            .params
            .iter()
            .map(|p| dyn_type(&p.ty))
            .collect()
    }

    fn values(&self, types: &[DynSolType], text: &str) -> Result<Vec<DynSolValue>, String> {
        let parts = split_top(text);
        if parts.len() != types.len() {
            return Err(format!(
                "{} value(s) given for {} type(s) ({})",
                parts.len(),
                types.len(),
                types
                    .iter()
                    .map(|t| t.sol_type_name().to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            ));
        }
        types
            .iter()
            .zip(&parts)
            .map(|(t, p)| self.value(t, p))
            .collect()
    }

    fn sender(&self, opts: &Opts) -> Result<Address, String> {
        match &opts.from {
            Some(f) => self.address(f),
            None => Ok(crate::addr(ALICE)),
        }
    }

    fn amount(&self, opts: &Opts) -> Result<U256, String> {
        match &opts.value {
            Some(v) => self.word(v),
            None => Ok(U256::ZERO),
        }
    }

    fn deploy(
        &mut self,
        contract: Option<&str>,
        types: Option<&str>,
        args: &str,
        opts: &Opts,
        expect: &Expect,
        gas: &[(usize, Cmp, u64)],
    ) -> Result<(), String> {
        if opts.to.is_some() {
            return Err("a deployment takes no `to:`".into());
        }
        let idx = match contract {
            Some(n) => self.contract_index(n)?,
            None => self.default_contract()?,
        };
        let want_types = self.init_types(idx);
        if let Some(t) = types {
            let given = parse_types(t)?;
            if given != want_types {
                return Err(format!(
                    "the constructor of {} takes ({}), not {t}",
                    self.module.contracts[idx].name,
                    want_types
                        .iter()
                        .map(|t| t.sol_type_name().to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                ));
            }
        }
        let vals = self.values(&want_types, args)?;
        let encoded = DynSolValue::Tuple(vals).abi_encode_params();
        let from = self.sender(opts)?;
        let value = self.amount(opts)?;
        let code = self
            .contracts
            .iter()
            .find(|c| c.name == self.module.contracts[idx].name)
            .map(|c| c.init_code.clone())
            .ok_or("no code for the contract")?;
        let mut a = self.revm.deploy_value(from, &code, &encoded, value);
        let mut b = self.tandem.deploy_value(from, &code, &encoded, value);
        let mut calldata = code;
        calldata.extend(encoded);
        self.report.transactions += 1;
        if a.success {
            a.output = Default::default();
        }
        if b.success {
            b.output = Default::default();
        }
        self.compare(&calldata, &a, &b, None)?;
        match expect {
            Expect::Fail(want) => {
                if a.success {
                    return Err("the deployment succeeded, expected FAILURE".into());
                }
                self.check_failure(want.as_deref(), &a)?;
            }
            _ => {
                if !a.success {
                    return Err(format!("the deployment failed: {}", show_outcome(&a, None)));
                }
                let addr = a.created.ok_or("no address for the created contract")?;
                self.deployed
                    .insert(self.module.contracts[idx].name.clone(), addr);
                self.kinds.insert(addr, idx);
                self.current = Some(addr);
                if !a.logs.is_empty() {
                    return Err(format!(
                        "the constructor emitted logs; expected none:{}",
                        show_logs(&a.logs)
                    ));
                }
            }
        }
        check_gas(gas, a.gas)
    }

    fn compare(
        &mut self,
        calldata: &[u8],
        a: &Outcome,
        b: &Outcome,
        types: Option<&[DynSolType]>,
    ) -> Result<(), String> {
        if a.success != b.success || a.output != b.output || a.created != b.created {
            return Err(format!(
                "the backends differ: revm {} (created {:?}), Tandem VM {} (created {:?})",
                show_outcome(a, types),
                a.created,
                show_outcome(b, types),
                b.created
            ));
        }
        if a.logs != b.logs {
            return Err(format!(
                "the backends' logs differ:\n  revm: {}\n  Tandem VM: {}",
                show_logs(&a.logs),
                show_logs(&b.logs)
            ));
        }
        if a.gas != b.gas {
            let floor = 21_000
                + 10 * calldata
                    .iter()
                    .map(|b| if *b == 0 { 1 } else { 4 })
                    .sum::<u64>();
            if a.gas == floor && b.gas < floor {
                self.report
                    .calldata_floor_differences
                    .push((self.line, a.gas, b.gas));
            } else {
                self.report.gas_differences.push((self.line, a.gas, b.gas));
            }
        }
        Ok(())
    }

    fn check_failure(&self, want: Option<&str>, o: &Outcome) -> Result<(), String> {
        let Some(want) = want else { return Ok(()) };
        let data = if let Some(h) = want.strip_prefix("raw:") {
            parse_hex(&format!("0x{h}")).unwrap_or_default()
        } else {
            let (sig, rest) = split_sig(want)?;
            let (_, types, canon) = parse_sig(sig)?;
            let args = match rest.trim().strip_prefix(':') {
                Some(a) => a,
                None if rest.trim().is_empty() => "",
                None => {
                    return Err(format!(
                        "expected `:` before the error's values in `{want}`"
                    ));
                }
            };
            let vals = self.values(&types, args)?;
            let mut d = keccak256(canon.as_bytes())[..4].to_vec();
            d.extend(DynSolValue::Tuple(vals).abi_encode_params());
            d
        };
        if o.output[..] != data[..] {
            return Err(format!(
                "reverted with {}, expected {}",
                show_data(&o.output, None),
                show_data(&data, None)
            ));
        }
        Ok(())
    }

    /// The return types of the function with this selector on the contract at `to`.
    fn return_types(&self, to: Address, selector: &[u8]) -> Option<Vec<DynSolType>> {
        let find = |c: &tandem_lang_ir::Contract| {
            c.handlers
                .iter()
                .find(|h| h.selector[..] == *selector)
                .map(|h| h.returns.iter().map(dyn_type).collect::<Vec<_>>())
        };
        if let Some(i) = self.kinds.get(&to) {
            return find(&self.module.contracts[*i]);
        }
        let found: Vec<Vec<DynSolType>> = self.module.contracts.iter().filter_map(find).collect();
        match &found[..] {
            [one, rest @ ..] if rest.iter().all(|r| r == one) => Some(one.clone()),
            _ => None,
        }
    }

    fn call(
        &mut self,
        target: &Target,
        args: &str,
        opts: &Opts,
        expect: &Expect,
        emits: &[(usize, String)],
        gas: &[(usize, Cmp, u64)],
    ) -> Result<(), String> {
        let to = match &opts.to {
            Some(t) => self.address(t)?,
            None => self.current.ok_or("no contract deployed")?,
        };
        let data = match target {
            Target::Raw(d) => d.clone(),
            Target::Sig(sig) => {
                let (_, types, canon) = parse_sig(sig)?;
                let vals = self.values(&types, args)?;
                let mut d = keccak256(canon.as_bytes())[..4].to_vec();
                d.extend(DynSolValue::Tuple(vals).abi_encode_params());
                d
            }
        };
        let from = self.sender(opts)?;
        let value = self.amount(opts)?;
        let inferred = if data.len() >= 4 {
            self.return_types(to, &data[..4])
        } else {
            None
        };
        let a = self.revm.call_value(from, to, data.clone(), value);
        let b = self.tandem.call_value(from, to, data.clone(), value);
        self.report.transactions += 1;
        self.compare(&data, &a, &b, inferred.as_deref())?;
        match expect {
            Expect::Fail(want) => {
                if a.success {
                    return Err(format!(
                        "expected FAILURE, got {}",
                        show_outcome(&a, inferred.as_deref())
                    ));
                }
                self.check_failure(want.as_deref(), &a)?;
            }
            Expect::ReturnsRaw(want) => {
                if !a.success || a.output[..] != want[..] {
                    return Err(format!(
                        "expected success with 0x{}, got {}",
                        hex(want),
                        show_outcome(&a, None)
                    ));
                }
            }
            Expect::Returns(want) => {
                let (types, text) = match want {
                    None => (vec![], ""),
                    Some(w) => self.result_types(w, inferred.as_deref())?,
                };
                let vals = self.values(&types, text)?;
                let want_data = DynSolValue::Tuple(vals.clone()).abi_encode_params();
                if !a.success || a.output[..] != want_data[..] {
                    return Err(format!(
                        "expected {}, got {}",
                        if vals.is_empty() {
                            "success with no data".to_string()
                        } else {
                            vals.iter().map(show).collect::<Vec<_>>().join(", ")
                        },
                        show_outcome(&a, Some(&types))
                    ));
                }
            }
        }
        self.check_logs(&a, emits)?;
        check_gas(gas, a.gas)
    }

    /// `TYPES: VALUES` or `VALUES` (types from the ABI).
    fn result_types<'w>(
        &self,
        w: &'w str,
        inferred: Option<&[DynSolType]>,
    ) -> Result<(Vec<DynSolType>, &'w str), String> {
        if let Some(colon) = top_colon(w) {
            let prefix = w[..colon].trim();
            if let Ok(ts) = parse_types(prefix)
                && prefix
                    .chars()
                    .next()
                    .is_some_and(|c| c == '(' || c.is_ascii_lowercase())
            {
                return Ok((ts, &w[colon + 1..]));
            }
        }
        match inferred {
            Some(ts) => Ok((ts.to_vec(), w)),
            None => Err(
                "cannot infer the return types (unknown selector); write them: `-> uint256: 5`"
                    .into(),
            ),
        }
    }

    fn check_logs(&self, o: &Outcome, emits: &[(usize, String)]) -> Result<(), String> {
        if o.logs.len() != emits.len() {
            return Err(format!(
                "{} log(s) emitted, {} expected:{}",
                o.logs.len(),
                emits.len(),
                show_logs(&o.logs)
            ));
        }
        for (i, ((line, ev), log)) in emits.iter().zip(&o.logs).enumerate() {
            let (topics, data) = self
                .event(ev)
                .map_err(|e| format!("(event on line {line}) {e}"))?;
            if log.topics() != &topics[..] || log.data.data[..] != data[..] {
                return Err(format!(
                    "log {i} (line {line}) differs:{}\n  expected: topics [{}] data 0x{}",
                    show_logs(std::slice::from_ref(log)),
                    topics
                        .iter()
                        .map(|t| format!("0x{}", hex(t.as_slice())))
                        .collect::<Vec<_>>()
                        .join(", "),
                    hex(&data)
                ));
            }
        }
        Ok(())
    }

    /// The topics and data of `Name(types): args` (`#` marks indexed args).
    fn event(&self, ev: &str) -> Result<(Vec<B256>, Vec<u8>), String> {
        let (sig, rest) = split_sig(ev)?;
        let (_, types, canon) = parse_sig(sig)?;
        let args = match rest.trim().strip_prefix(':') {
            Some(a) => split_top(a),
            None if rest.trim().is_empty() => vec![],
            None => return Err(format!("expected `:` before the event's values in `{ev}`")),
        };
        if args.len() != types.len() {
            return Err(format!(
                "{} value(s) for the {} field(s) of {canon}",
                args.len(),
                types.len()
            ));
        }
        let mut topics = vec![keccak256(canon.as_bytes())];
        let mut data = Vec::new();
        for (t, a) in types.iter().zip(&args) {
            match a.strip_prefix('#') {
                Some(a) => {
                    let v = self.value(t, a.trim())?;
                    topics.push(match &v {
                        DynSolValue::String(s) => keccak256(s.as_bytes()),
                        DynSolValue::Bytes(b) => keccak256(b),
                        v if v.is_word() => B256::from_slice(&v.abi_encode()),
                        _ => return Err(format!("cannot index a {}", t.sol_type_name())),
                    });
                }
                None => data.push(self.value(t, a)?),
            }
        }
        Ok((topics, DynSolValue::Tuple(data).abi_encode_params()))
    }

    fn address(&self, s: &str) -> Result<Address, String> {
        match self.value(&DynSolType::Address, s)? {
            DynSolValue::Address(a) => Ok(a),
            _ => Err(format!("bad address `{s}`")),
        }
    }

    /// Parses one value of type `t`.
    fn value(&self, t: &DynSolType, s: &str) -> Result<DynSolValue, String> {
        let s = s.trim();
        let bad = |e: &dyn fmt::Display| format!("bad {} `{s}`: {e}", t.sol_type_name());
        match t {
            DynSolType::Address => self.address_value(s).map(DynSolValue::Address),
            DynSolType::Array(e) | DynSolType::FixedArray(e, _) => {
                let inner = s
                    .strip_prefix('[')
                    .and_then(|r| r.strip_suffix(']'))
                    .ok_or_else(|| {
                        format!("expected `[..]` for {}, found `{s}`", t.sol_type_name())
                    })?;
                let vs = split_top(inner)
                    .iter()
                    .map(|p| self.value(e, p))
                    .collect::<Result<Vec<_>, _>>()?;
                match t {
                    DynSolType::FixedArray(_, n) if vs.len() != *n => {
                        Err(format!("{} elements for {}", vs.len(), t.sol_type_name()))
                    }
                    DynSolType::FixedArray(..) => Ok(DynSolValue::FixedArray(vs)),
                    _ => Ok(DynSolValue::Array(vs)),
                }
            }
            DynSolType::Tuple(ts) => {
                let inner = s
                    .strip_prefix('(')
                    .and_then(|r| r.strip_suffix(')'))
                    .ok_or_else(|| {
                        format!("expected `(..)` for {}, found `{s}`", t.sol_type_name())
                    })?;
                Ok(DynSolValue::Tuple(self.values(ts, inner)?))
            }
            DynSolType::Uint(b) if s == "MAX" => Ok(DynSolValue::Uint(U256::MAX >> (256 - *b), *b)),
            DynSolType::Int(b) if s == "MAX" || s == "MIN" => {
                let max = I256::from_raw(U256::MAX >> (257 - *b));
                let v = if s == "MAX" { max } else { -max - I256::ONE };
                Ok(DynSolValue::Int(v, *b))
            }
            DynSolType::String => unquote(s)
                .map(DynSolValue::String)
                .ok_or_else(|| format!("expected a quoted string, found `{s}`")),
            DynSolType::Bytes if s == "0x" => Ok(DynSolValue::Bytes(vec![])),
            DynSolType::Bytes if s.starts_with('"') => unquote(s)
                .map(|x| DynSolValue::Bytes(x.into_bytes()))
                .ok_or_else(|| format!("bad string `{s}`")),
            DynSolType::Int(_) | DynSolType::Uint(_) => {
                t.coerce_str(&s.replace('_', "")).map_err(|e| bad(&e))
            }
            _ => t.coerce_str(s).map_err(|e| bad(&e)),
        }
    }

    fn address_value(&self, s: &str) -> Result<Address, String> {
        match s {
            "alice" => return Ok(crate::addr(ALICE)),
            "bob" => return Ok(crate::addr(BOB)),
            "carol" => return Ok(crate::addr(CAROL)),
            "this" => {
                return self
                    .current
                    .ok_or_else(|| "`this` before any deployment".into());
            }
            _ => {}
        }
        if let Some(a) = self.deployed.get(s) {
            return Ok(*a);
        }
        if let Some(h) = s.strip_prefix("0x") {
            if h.is_empty() || h.len() > 40 || !h.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(format!("bad address `{s}`"));
            }
            let padded = format!("{h:0>40}");
            let bytes = parse_hex(&format!("0x{padded}")).ok_or(format!("bad address `{s}`"))?;
            return Ok(Address::from_slice(&bytes));
        }
        if let Some(inner) = s.strip_prefix("create(").and_then(|r| r.strip_suffix(')')) {
            let parts = split_top(inner);
            let [who, nonce] = &parts[..] else {
                return Err("expected `create(ADDR, NONCE)`".into());
            };
            let who = self.address_value(who)?;
            let nonce = parse_u64(nonce).ok_or_else(|| format!("bad nonce `{nonce}`"))?;
            return Ok(who.create(nonce));
        }
        if let Some(inner) = s.strip_prefix("create2(").and_then(|r| r.strip_suffix(')')) {
            let parts = split_top(inner);
            let [who, salt, init] = &parts[..] else {
                return Err("expected `create2(ADDR, SALT, Contract(args))`".into());
            };
            let who = self.address_value(who)?;
            let salt = self.word(salt)?;
            let (name, args) = init
                .split_once('(')
                .and_then(|(n, a)| Some((n.trim(), a.strip_suffix(')')?)))
                .ok_or_else(|| format!("expected `Contract(args)`, found `{init}`"))?;
            let idx = self.contract_index(name)?;
            let vals = self.values(&self.init_types(idx), args)?;
            let mut code = self
                .contracts
                .iter()
                .find(|c| c.name == name)
                .map(|c| c.init_code.clone())
                .ok_or("no code for the contract")?;
            code.extend(DynSolValue::Tuple(vals).abi_encode_params());
            return Ok(who.create2(B256::from(salt), keccak256(&code)));
        }
        Err(format!(
            "bad address `{s}` (hex, alice, bob, carol, this, a deployed contract's name, create(..), create2(..))"
        ))
    }
}

/// The first `:` outside quotes and brackets.
fn top_colon(s: &str) -> Option<usize> {
    let mut depth = 0i32;
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '(' | '[' if !quoted => depth += 1,
            ')' | ']' if !quoted => depth -= 1,
            ':' if !quoted && depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}

/// `"text"` with `\n`, `\t`, `\"`, `\\` escapes.
fn unquote(s: &str) -> Option<String> {
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                _ => return None,
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}
