//! Solidity ABI for `tandem evm`: cast-style signatures, arguments from strings, decoded
//! returns, revert reasons, and artifacts (Foundry, Hardhat, `tandem build`).

use std::path::Path;

use alloy_dyn_abi::{DynSolType, DynSolValue, ErrorExt, FunctionExt, JsonAbiExt, Specifier};
use alloy_json_abi::{Function, JsonAbi};
use alloy_sol_types::{Panic, Revert, SolError};
use anyhow::{Context, anyhow, bail};
use serde_json::{Value, json};

/// Parses a signature: cast-style `name(inputs)(outputs)` (outputs optional), or
/// `function name(inputs) [view] returns (outputs)`.
pub fn parse_signature(sig: &str) -> anyhow::Result<Function> {
    let sig = sig.trim();
    let human = if sig.starts_with("function ") || sig.contains(" returns") {
        sig.to_string()
    } else {
        let (inputs_end, _) = balanced(sig)
            .ok_or_else(|| anyhow!("{sig:?} is not a signature like \"name(uint256,address)\""))?;
        let (head, rest) = sig.split_at(inputs_end + 1);
        let rest = rest.trim();
        if rest.is_empty() {
            format!("function {head}")
        } else if rest.starts_with('(')
            && balanced(rest).map(|(end, _)| end) == Some(rest.len() - 1)
        {
            format!("function {head} returns {rest}")
        } else {
            bail!("{sig:?}: after the inputs only \"(outputs)\" may follow")
        }
    };
    Function::parse(&human).map_err(|e| anyhow!("{sig:?} is not a function signature: {e}"))
}

/// The index of the parenthesis closing the first `(` of `s`, and that of the `(`.
fn balanced(s: &str) -> Option<(usize, usize)> {
    let open = s.find('(')?;
    let mut depth = 0usize;
    for (i, c) in s.char_indices().skip_while(|(i, _)| *i < open) {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some((i, open));
                }
            }
            _ => {}
        }
    }
    None
}

/// The types of a list of parameters written as `(uint256,string)` or
/// `constructor(uint256 supply)`.
pub fn parse_param_types(sig: &str) -> anyhow::Result<Vec<DynSolType>> {
    let sig = sig.trim();
    let body = sig.strip_prefix("constructor").unwrap_or(sig).trim();
    let f = Function::parse(&format!("function constructor{body}"))
        .map_err(|e| anyhow!("{sig:?} is not a parameter list like \"(uint256,string)\": {e}"))?;
    f.inputs
        .iter()
        .map(|p| {
            p.resolve()
                .map_err(|e| anyhow!("{sig:?}: parameter {}: {e}", p.ty))
        })
        .collect()
}

/// Arguments from strings (cast's syntax: decimal or 0x numbers, `true`, 0x addresses,
/// 0x bytes, plain strings, `[a,b]` arrays, `(a,b)` tuples), one per type.
pub fn coerce_args(types: &[DynSolType], args: &[String]) -> anyhow::Result<Vec<DynSolValue>> {
    if types.len() != args.len() {
        bail!("{} arguments given, {} expected", args.len(), types.len());
    }
    types
        .iter()
        .zip(args)
        .enumerate()
        .map(|(i, (ty, a))| {
            ty.coerce_str(a)
                .map_err(|e| anyhow!("argument {} ({a:?}) is not a {ty}: {e}", i + 1))
        })
        .collect()
}

/// Calldata of a call: selector and encoded arguments.
pub fn calldata(f: &Function, args: &[DynSolValue]) -> anyhow::Result<Vec<u8>> {
    f.abi_encode_input(args)
        .map_err(|e| anyhow!("encoding the arguments of {}: {e}", f.signature()))
}

/// The decoded return of `f`, or `None` when `f` declares no outputs.
pub fn decode_return(f: &Function, data: &[u8]) -> anyhow::Result<Option<Vec<DynSolValue>>> {
    if f.outputs.is_empty() {
        return Ok(None);
    }
    f.abi_decode_output(data)
        .map(Some)
        .map_err(|e| anyhow!("the return data does not decode as {}: {e}", outputs(f)))
}

fn outputs(f: &Function) -> String {
    let tys: Vec<&str> = f.outputs.iter().map(|p| p.ty.as_str()).collect();
    format!("({})", tys.join(","))
}

/// A revert reason for people: `Error(string)`, `Panic(uint256)` with its meaning, a custom
/// error of `abi` by name, else its selector and data as hex.
pub fn revert_reason(data: &[u8], abi: Option<&JsonAbi>) -> Option<String> {
    if data.is_empty() {
        return None;
    }
    if let Ok(r) = Revert::abi_decode(data) {
        return Some(format!("Error({:?})", r.reason()));
    }
    if let Ok(p) = Panic::abi_decode(data) {
        let code = p.code;
        return Some(match p.kind() {
            Some(kind) => format!("Panic(0x{code:x}): {}", kind.as_str()),
            None => format!("Panic(0x{code:x})"),
        });
    }
    if data.len() >= 4 {
        let (selector, rest) = data.split_at(4);
        if let Some(abi) = abi {
            for e in abi.errors() {
                if e.selector().as_slice() == selector
                    && let Ok(decoded) = e.decode_error(data)
                {
                    let body: Vec<String> = decoded.body.iter().map(text).collect();
                    return Some(format!("{}({})", e.name, body.join(", ")));
                }
            }
        }
        return Some(format!(
            "custom error 0x{}: 0x{}",
            hex::encode(selector),
            hex::encode(rest)
        ));
    }
    Some(format!("0x{}", hex::encode(data)))
}

/// A value as cast prints it: decimal numbers, checksummed addresses, 0x bytes, quoted
/// strings, `[…]` arrays, `(…)` tuples.
pub fn text(v: &DynSolValue) -> String {
    match v {
        DynSolValue::Bool(b) => b.to_string(),
        DynSolValue::Int(i, _) => i.to_string(),
        DynSolValue::Uint(u, _) => u.to_string(),
        DynSolValue::Address(a) => a.to_checksum(None),
        DynSolValue::FixedBytes(w, n) => format!("0x{}", hex::encode(&w[..*n])),
        DynSolValue::Bytes(b) => format!("0x{}", hex::encode(b)),
        DynSolValue::String(s) => format!("{s:?}"),
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) => {
            let inner: Vec<String> = items.iter().map(text).collect();
            format!("[{}]", inner.join(", "))
        }
        DynSolValue::Tuple(items) => {
            let inner: Vec<String> = items.iter().map(text).collect();
            format!("({})", inner.join(", "))
        }
        other => format!("0x{}", hex::encode(other.abi_encode())),
    }
}

/// A value as JSON: numbers as decimal strings (they exceed JSON's), booleans, 0x strings
/// for addresses and bytes, arrays for arrays and tuples.
pub fn to_json(v: &DynSolValue) -> Value {
    match v {
        DynSolValue::Bool(b) => json!(b),
        DynSolValue::String(s) => json!(s),
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) | DynSolValue::Tuple(items) => {
            Value::Array(items.iter().map(to_json).collect())
        }
        other => json!(text(other)),
    }
}

/// What a bytecode argument names: init code (hex, or a file of hex) or an artifact (JSON
/// with `bytecode.object` as Foundry and `tandem build` write, or `bytecode` as Hardhat),
/// with the artifact's ABI when it has one.
pub struct Code {
    pub initcode: Vec<u8>,
    pub abi: Option<JsonAbi>,
}

pub fn load_code(arg: &str) -> anyhow::Result<Code> {
    let path = Path::new(arg);
    if !path.is_file() {
        return Ok(Code {
            initcode: hex_bytes(arg)
                .with_context(|| format!("{arg:?} is neither a file nor hex bytecode"))?,
            abi: None,
        });
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {arg}"))?;
    let trimmed = text.trim();
    if !trimmed.starts_with('{') {
        return Ok(Code {
            initcode: hex_bytes(trimmed).with_context(|| format!("{arg}: not hex bytecode"))?,
            abi: None,
        });
    }
    let artifact: Value =
        serde_json::from_str(trimmed).with_context(|| format!("{arg}: not JSON"))?;
    let code = match &artifact["bytecode"] {
        Value::String(s) => s.as_str(),
        b => b["object"].as_str().unwrap_or_default(),
    };
    if code.is_empty() || code == "0x" {
        bail!("{arg}: no bytecode (an interface or abstract contract?)");
    }
    if code.contains("__") {
        bail!("{arg}: the bytecode has unlinked libraries");
    }
    let abi = match artifact.get("abi") {
        Some(a) => Some(
            serde_json::from_value::<JsonAbi>(a.clone())
                .with_context(|| format!("{arg}: the \"abi\" is not a JSON ABI"))?,
        ),
        None => None,
    };
    Ok(Code {
        initcode: hex_bytes(code).with_context(|| format!("{arg}: bytecode is not hex"))?,
        abi,
    })
}

/// Reads an artifact's ABI (or a bare JSON ABI array), for decoding custom errors.
pub fn load_abi(path: &str) -> anyhow::Result<JsonAbi> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    let v: Value = serde_json::from_str(&text).with_context(|| format!("{path}: not JSON"))?;
    let abi = if v.is_array() { v } else { v["abi"].clone() };
    serde_json::from_value(abi).with_context(|| format!("{path}: no JSON ABI in it"))
}

fn hex_bytes(s: &str) -> anyhow::Result<Vec<u8>> {
    let s = s.trim();
    let s = s.strip_prefix("0x").unwrap_or(s);
    if s.is_empty() {
        bail!("empty bytecode");
    }
    Ok(hex::decode(s)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures() {
        let f = parse_signature("balanceOf(address)(uint256)").unwrap();
        assert_eq!(f.signature(), "balanceOf(address)");
        assert_eq!(f.outputs.len(), 1);
        let f = parse_signature("transfer(address,uint256)").unwrap();
        assert!(f.outputs.is_empty());
        let f = parse_signature("f((uint256,bool)[],string)((address,uint8))").unwrap();
        assert_eq!(f.signature(), "f((uint256,bool)[],string)");
        let f = parse_signature("function name() view returns (string)").unwrap();
        assert_eq!(f.outputs[0].ty, "string");
        assert!(parse_signature("nope").is_err());
        assert!(parse_signature("f(uint256)x").is_err());
        assert!(parse_signature("f(uint256").is_err());
        assert_eq!(parse_param_types("(uint256,string)").unwrap().len(), 2);
        assert_eq!(
            parse_param_types("constructor(uint256 supply)").unwrap(),
            vec![DynSolType::Uint(256)]
        );
    }

    #[test]
    fn args_and_values() {
        let f = parse_signature("f(address,uint256,string,bool[])").unwrap();
        let types: Vec<DynSolType> = f.inputs.iter().map(|p| p.resolve().unwrap()).collect();
        let args: Vec<String> = [
            "0x00000000000000000000000000000000000000aa",
            "1000",
            "hi",
            "[true,false]",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let values = coerce_args(&types, &args).unwrap();
        let data = calldata(&f, &values).unwrap();
        assert_eq!(data.len() % 32, 4);
        assert_eq!(text(&values[1]), "1000");
        assert_eq!(text(&values[2]), "\"hi\"");
        assert_eq!(to_json(&values[3]), json!([true, false]));
        assert!(coerce_args(&types, &args[..2]).is_err());
        let bad = vec![args[0].clone(), "x".into(), "s".into(), "[]".into()];
        assert!(coerce_args(&types, &bad).is_err());
    }

    #[test]
    fn reverts() {
        assert_eq!(
            revert_reason(&Revert::from("no").abi_encode(), None).unwrap(),
            "Error(\"no\")"
        );
        assert_eq!(
            revert_reason(&Panic::from(0x11).abi_encode(), None).unwrap(),
            "Panic(0x11): arithmetic underflow or overflow"
        );
        let abi: JsonAbi = serde_json::from_value(json!([{
            "type": "error", "name": "Low",
            "inputs": [{"name": "need", "type": "uint256", "internalType": "uint256"}]
        }]))
        .unwrap();
        let e = abi.errors().next().unwrap().clone();
        let mut data = e.selector().to_vec();
        data.extend([0u8; 31]);
        data.push(5);
        assert_eq!(revert_reason(&data, Some(&abi)).unwrap(), "Low(5)");
        assert!(revert_reason(&data, None).unwrap().starts_with(&format!(
            "custom error 0x{}: 0x00",
            hex::encode(e.selector())
        )));
        assert_eq!(revert_reason(&[], None), None);
        assert_eq!(revert_reason(&[1, 2], None).unwrap(), "0x0102");
    }
}
