//! Values by an actor's schema: the JSON `dispatch!` writes into a module's `tandem:schema`
//! custom section (docs/sdk.md, "Schemas"), used to encode named JSON params, and to decode
//! params, returns and events with their field names.
//!
//! JSON ↔ DAG-CBOR by type: structs are objects of their fields (or arrays, positionally),
//! enums `"Variant"` / `{"Variant": fields}`, `uN`/`iN` numbers, `bigint` decimal strings
//! (numbers too), `bytes` and `raw` `"0x…"`, `address` `"f0…"`/`"0x…"`, `cid` strings,
//! `option` null or the value, maps objects (or `[[k, v], …]`). The schema-less forms
//! (`{"bytes":…}`, `{"address":…}`, `{"bigint":…}`, `{"cid":…}`) are accepted where they fit.

use anyhow::{Context, anyhow, bail};
use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use fvm_shared::address::Address;
use fvm_shared::bigint::{BigInt, Sign};
use serde_json::{Map, Value, json};
use tandem_sdk::cbor::{Reader, head};

/// An actor's schema, as its module carries it.
#[derive(Debug, Clone)]
pub struct ActorSchema(pub Value);

impl ActorSchema {
    /// The `tandem:schema` section of a module, if it has one that parses.
    pub fn from_wasm(module: &[u8]) -> Option<Self> {
        let data = custom_section(module, tandem_sdk::schema::SECTION)?;
        let v: Value = serde_json::from_slice(data).ok()?;
        v.get("methods")?.as_array()?;
        Some(Self(v))
    }

    /// The schema of the module installed under a code CID (`None`: no such block, not a
    /// module, or a module without a schema).
    pub fn for_code(store: &impl Blockstore, code: &Cid) -> anyhow::Result<Option<Self>> {
        Ok(store.get(code)?.and_then(|m| Self::from_wasm(&m)))
    }

    /// The schema of the actor at an address.
    pub fn for_actor<BS: Blockstore>(
        state: &mut tandem_state::StateTree<BS>,
        addr: &Address,
    ) -> anyhow::Result<Option<Self>> {
        let Some(id) = state.lookup_id(addr)? else {
            return Ok(None);
        };
        let Some(actor) = state.get_actor(id)? else {
            return Ok(None);
        };
        Self::for_code(state.store(), &actor.code)
    }

    pub fn methods(&self) -> &[Value] {
        self.0["methods"].as_array().map_or(&[], |v| v.as_slice())
    }

    pub fn events(&self) -> &[Value] {
        self.0["events"].as_array().map_or(&[], |v| v.as_slice())
    }

    pub fn method_by_name(&self, name: &str) -> Option<&Value> {
        self.methods().iter().find(|m| m["name"] == name)
    }

    pub fn method_by_number(&self, number: u64) -> Option<&Value> {
        self.methods().iter().find(|m| m["number"] == number)
    }

    /// A method by name or number, or an error that lists the methods.
    pub fn method(&self, which: &str) -> anyhow::Result<&Value> {
        let found = match which.parse::<u64>() {
            Ok(n) => self.method_by_number(n),
            Err(_) => self.method_by_name(which),
        };
        found.ok_or_else(|| {
            let names: Vec<&str> = self
                .methods()
                .iter()
                .filter_map(|m| m["name"].as_str())
                .collect();
            anyhow!(
                "no method {which:?} in the schema (it has {})",
                names.join(", ")
            )
        })
    }
}

/// Constructor params for `tandem actor create --params-json`: by the schema of the module
/// installed under `code` when it has one, else schema-less (the mapping of `values`).
pub fn constructor_params(
    data_dir: &std::path::Path,
    code: &Cid,
    text: &str,
) -> anyhow::Result<Vec<u8>> {
    let chain = tandem_chain::Chain::load(tandem_chain::DataDir::open(data_dir)?)?;
    let schema = ActorSchema::for_code(chain.buffer(), code)?;
    match schema.as_ref().and_then(|s| s.method_by_number(1)) {
        Some(m) => {
            let value: Value = serde_json::from_str(text).context("--params-json is not JSON")?;
            encode_params(m, &value)
                .or_else(|typed| super::params_from_json(text).map_err(|_| typed))
        }
        None => super::params_from_json(text),
    }
}

/// The content of a wasm module's custom section by name, without panicking on any input.
pub fn custom_section<'a>(module: &'a [u8], name: &str) -> Option<&'a [u8]> {
    if module.get(..4)? != b"\0asm" {
        return None;
    }
    let mut pos = 8;
    while pos < module.len() {
        let id = *module.get(pos)?;
        let (size, start) = leb(module, pos + 1)?;
        let end = start.checked_add(size)?;
        let body = module.get(start..end)?;
        if id == 0 {
            let (len, at) = leb(body, 0)?;
            let section_name = body.get(at..at.checked_add(len)?)?;
            if section_name == name.as_bytes() {
                return body.get(at + len..);
            }
        }
        pos = end;
    }
    None
}

fn leb(b: &[u8], mut pos: usize) -> Option<(usize, usize)> {
    let mut value: u64 = 0;
    for shift in (0..35).step_by(7) {
        let byte = *b.get(pos)?;
        pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some((usize::try_from(value).ok()?, pos));
        }
    }
    None
}

/// A method's params from JSON by its schema: empty for `unit`, raw bytes for `raw`, else
/// DAG-CBOR.
pub fn encode_params(method: &Value, v: &Value) -> anyhow::Result<Vec<u8>> {
    let ty = &method["params"];
    let name = method["name"].as_str().unwrap_or("?");
    match ty.as_str() {
        Some("unit") => match v {
            Value::Null => Ok(Vec::new()),
            Value::Array(a) if a.is_empty() => Ok(Vec::new()),
            _ => bail!("{name} takes no params"),
        },
        Some("raw") => hex_value(v),
        _ => {
            let mut out = Vec::new();
            encode(ty, v, &mut out, 0).with_context(|| format!("params of {name}"))?;
            Ok(out)
        }
    }
}

/// Decodes a method's params or return (`ret`) by its schema.
pub fn decode_value(method: &Value, ret: bool, data: &[u8]) -> anyhow::Result<Value> {
    let ty = &method[if ret { "return" } else { "params" }];
    match ty.as_str() {
        Some("unit") if data.is_empty() => return Ok(Value::Null),
        Some("raw") => return Ok(json!(format!("0x{}", hex::encode(data)))),
        _ => {}
    }
    let mut r = Reader::new(data);
    let v = decode(ty, &mut r, 0)?;
    if !r.is_done() {
        bail!("bytes left after the value");
    }
    Ok(v)
}

fn hex_value(v: &Value) -> anyhow::Result<Vec<u8>> {
    let s = match v {
        Value::String(s) => s.as_str(),
        Value::Object(o) if o.len() == 1 && o.contains_key("bytes") => o["bytes"]
            .as_str()
            .ok_or_else(|| anyhow!("{v} is not hex"))?,
        _ => bail!("{v}: expected a hex string \"0x…\""),
    };
    crate::output::parse_hex(s)
}

/// The one value of a schema-less tagged object (`{"bytes": …}`), if `v` is one.
fn tagged<'a>(v: &'a Value, tag: &str) -> Option<&'a Value> {
    v.as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.get(tag))
}

fn encode(ty: &Value, v: &Value, out: &mut Vec<u8>, depth: u32) -> anyhow::Result<()> {
    if depth > 64 {
        bail!("nested too deeply");
    }
    if let Some(name) = ty.as_str() {
        return encode_leaf(name, v, out);
    }
    let o = ty
        .as_object()
        .ok_or_else(|| anyhow!("bad schema type {ty}"))?;
    if let Some(n) = o.get("bytes").and_then(Value::as_u64) {
        let b = hex_value(v)?;
        if b.len() as u64 != n {
            bail!("{v}: expected {n} bytes, got {}", b.len());
        }
        head(out, 2, n);
        out.extend_from_slice(&b);
    } else if let Some(inner) = o.get("option") {
        match v {
            Value::Null => out.push(0xf6),
            _ => encode(inner, v, out, depth + 1)?,
        }
    } else if let Some(inner) = o.get("list") {
        let items = v
            .as_array()
            .ok_or_else(|| anyhow!("{v}: expected an array"))?;
        head(out, 4, items.len() as u64);
        for item in items {
            encode(inner, item, out, depth + 1)?;
        }
    } else if let Some(kv) = o.get("map") {
        encode_map(&kv[0], &kv[1], v, out, depth)?;
    } else if let Some(items) = o.get("tuple").filter(|_| !o.contains_key("struct")) {
        encode_tuple(items, v, out, depth)?;
    } else if o.contains_key("struct") {
        encode_fields(o, v, out, depth, 0, None)?;
    } else if let Some(variants) = o.get("variants").and_then(Value::as_array) {
        encode_enum(variants, v, out, depth)?;
    } else {
        bail!("bad schema type {ty}");
    }
    Ok(())
}

fn encode_tuple(items: &Value, v: &Value, out: &mut Vec<u8>, depth: u32) -> anyhow::Result<()> {
    let types = items.as_array().map_or(&[][..], |a| a.as_slice());
    let values = v
        .as_array()
        .ok_or_else(|| anyhow!("{v}: expected an array"))?;
    if values.len() != types.len() {
        bail!("{v}: expected {} items", types.len());
    }
    head(out, 4, types.len() as u64);
    for (t, x) in types.iter().zip(values) {
        encode(t, x, out, depth + 1)?;
    }
    Ok(())
}

/// A struct's or variant's fields (`shape` has `fields`, `tuple` or `newtype`); `index`:
/// a variant's, written first in the same array.
fn encode_fields(
    shape: &Map<String, Value>,
    v: &Value,
    out: &mut Vec<u8>,
    depth: u32,
    extra: u64,
    index: Option<u64>,
) -> anyhow::Result<()> {
    let start = |out: &mut Vec<u8>, n: u64| {
        head(out, 4, n + extra);
        if let Some(i) = index {
            head(out, 0, i);
        }
    };
    if let Some(inner) = shape.get("newtype") {
        return encode(inner, v, out, depth + 1);
    }
    if let Some(types) = shape.get("tuple").and_then(Value::as_array) {
        let values: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            // a variant of one field may be written as the field itself
            other if types.len() == 1 && index.is_some() => vec![other],
            _ => bail!("{v}: expected an array of {} items", types.len()),
        };
        if values.len() != types.len() {
            bail!("{v}: expected {} items", types.len());
        }
        start(out, types.len() as u64);
        for (t, x) in types.iter().zip(values) {
            encode(t, x, out, depth + 1)?;
        }
        return Ok(());
    }
    let fields = shape
        .get("fields")
        .and_then(Value::as_array)
        .map_or(&[][..], |a| a.as_slice());
    start(out, fields.len() as u64);
    match v {
        Value::Array(values) => {
            if values.len() != fields.len() {
                bail!("{v}: expected {} fields", fields.len());
            }
            for (f, x) in fields.iter().zip(values) {
                encode(&f["type"], x, out, depth + 1)?;
            }
        }
        Value::Object(obj) => {
            for f in fields {
                let name = f["name"].as_str().unwrap_or_default();
                let x = obj.get(name).unwrap_or(&Value::Null);
                if x.is_null() && !obj.contains_key(name) && f["type"].get("option").is_none() {
                    bail!("missing field {name:?}");
                }
                encode(&f["type"], x, out, depth + 1).with_context(|| format!("field {name}"))?;
            }
            if let Some(k) = obj
                .keys()
                .find(|k| !fields.iter().any(|f| f["name"] == **k))
            {
                bail!("unknown field {k:?}");
            }
        }
        Value::Null if fields.is_empty() => {}
        _ => bail!("{v}: expected an object of the fields"),
    }
    Ok(())
}

fn encode_enum(variants: &[Value], v: &Value, out: &mut Vec<u8>, depth: u32) -> anyhow::Result<()> {
    let (name, payload) = match v {
        Value::String(s) => (s.as_str(), &Value::Null),
        Value::Object(o) if o.len() == 1 => {
            let (k, x) = o.iter().next().ok_or_else(|| anyhow!("empty"))?;
            (k.as_str(), x)
        }
        _ => bail!("{v}: expected \"Variant\" or {{\"Variant\": fields}}"),
    };
    let variant = variants
        .iter()
        .find(|x| x["name"] == name)
        .ok_or_else(|| anyhow!("no variant {name:?}"))?;
    let index = variant["index"].as_u64().unwrap_or_default();
    let shape = variant.as_object().ok_or_else(|| anyhow!("bad schema"))?;
    encode_fields(shape, payload, out, depth, 1, Some(index))
}

fn encode_map(
    k: &Value,
    vt: &Value,
    v: &Value,
    out: &mut Vec<u8>,
    depth: u32,
) -> anyhow::Result<()> {
    let mut entries: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut add = |key: &Value, val: &Value| -> anyhow::Result<()> {
        let (mut kb, mut vb) = (Vec::new(), Vec::new());
        encode(k, key, &mut kb, depth + 1)?;
        encode(vt, val, &mut vb, depth + 1)?;
        entries.push((kb, vb));
        Ok(())
    };
    match v {
        Value::Object(obj) => {
            for (key, val) in obj {
                // object keys are strings: integer key types read them as numbers
                let key = match k.as_str() {
                    Some(t) if t.starts_with('u') || t.starts_with('i') => {
                        json!(
                            key.parse::<i128>()
                                .with_context(|| format!("key {key:?}"))?
                        )
                    }
                    _ => json!(key),
                };
                add(&key, val)?;
            }
        }
        Value::Array(pairs) => {
            for p in pairs {
                match p.as_array().map(|a| a.as_slice()) {
                    Some([key, val]) => add(key, val)?,
                    _ => bail!("{p}: expected a [key, value] pair"),
                }
            }
        }
        _ => bail!("{v}: expected an object or [[key, value], …]"),
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    if entries.windows(2).any(|w| w[0].0 == w[1].0) {
        bail!("a repeated map key");
    }
    head(out, 5, entries.len() as u64);
    for (kb, vb) in entries {
        out.extend_from_slice(&kb);
        out.extend_from_slice(&vb);
    }
    Ok(())
}

fn int_of(v: &Value) -> anyhow::Result<i128> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
            .ok_or_else(|| anyhow!("{n} is not an integer")),
        Value::String(s) => s
            .trim()
            .parse()
            .with_context(|| format!("{s:?} is not an integer")),
        _ => bail!("{v}: expected an integer"),
    }
}

fn encode_leaf(name: &str, v: &Value, out: &mut Vec<u8>) -> anyhow::Result<()> {
    match name {
        "unit" => out.push(0xf6),
        "bool" => out.push(match v {
            Value::Bool(true) => 0xf5,
            Value::Bool(false) => 0xf4,
            _ => bail!("{v}: expected true or false"),
        }),
        "bigint" => {
            let n: BigInt = match tagged(v, "bigint").unwrap_or(v) {
                Value::String(s) => s.trim().parse().with_context(|| format!("bigint {s:?}"))?,
                Value::Number(n) if n.is_u64() || n.is_i64() => n.to_string().parse()?,
                _ => bail!("{v}: expected a decimal string"),
            };
            if n.sign() == Sign::Minus || n.bits() > 128 {
                bail!("{n} is not an amount (0 … 2^128 − 1)");
            }
            let b = super::bigint_bytes(&n);
            head(out, 2, b.len() as u64);
            out.extend_from_slice(&b);
        }
        "string" => {
            let s = v
                .as_str()
                .ok_or_else(|| anyhow!("{v}: expected a string"))?;
            head(out, 3, s.len() as u64);
            out.extend_from_slice(s.as_bytes());
        }
        "bytes" | "raw" => {
            let b = hex_value(v)?;
            head(out, 2, b.len() as u64);
            out.extend_from_slice(&b);
        }
        "address" => {
            let s = tagged(v, "address")
                .unwrap_or(v)
                .as_str()
                .ok_or_else(|| anyhow!("{v}: expected an address string"))?;
            let b = crate::output::parse_address(s)?.to_bytes();
            head(out, 2, b.len() as u64);
            out.extend_from_slice(&b);
        }
        "cid" => {
            let s = tagged(v, "cid")
                .unwrap_or(v)
                .as_str()
                .ok_or_else(|| anyhow!("{v}: expected a CID string"))?;
            let cid: Cid = s.parse()?;
            head(out, 6, 42);
            let mut b = vec![0u8];
            b.extend_from_slice(&cid.to_bytes());
            head(out, 2, b.len() as u64);
            out.extend_from_slice(&b);
        }
        "any" => super::encode(v, out)?,
        int => {
            let (signed, bits) = match (int.get(..1), int.get(1..).map(str::parse::<u32>)) {
                (Some("u"), Some(Ok(b))) => (false, b),
                (Some("i"), Some(Ok(b))) => (true, b),
                _ => bail!("unknown schema type {int:?}"),
            };
            if !(1..=64).contains(&bits) {
                bail!("unknown schema type {int:?}");
            }
            let n = int_of(v)?;
            let (lo, hi) = if signed {
                (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
            } else {
                (0, (1i128 << bits) - 1)
            };
            if n < lo || n > hi {
                bail!("{n} is out of range for {int}");
            }
            if n >= 0 {
                head(out, 0, n as u64);
            } else {
                head(out, 1, (-1 - n) as u64);
            }
        }
    }
    Ok(())
}

fn cbor_err(e: tandem_sdk::CborError) -> anyhow::Error {
    anyhow!("{}", e.reason())
}

fn decode(ty: &Value, r: &mut Reader<'_>, depth: u32) -> anyhow::Result<Value> {
    if depth > 64 {
        bail!("nested too deeply");
    }
    if let Some(name) = ty.as_str() {
        return decode_leaf(name, r);
    }
    let o = ty
        .as_object()
        .ok_or_else(|| anyhow!("bad schema type {ty}"))?;
    if o.contains_key("bytes") {
        return Ok(json!(format!(
            "0x{}",
            hex::encode(r.bytes().map_err(cbor_err)?)
        )));
    }
    if let Some(inner) = o.get("option") {
        let mut ahead = r.clone();
        if ahead.head().ok() == Some((7, 22)) {
            *r = ahead;
            return Ok(Value::Null);
        }
        return decode(inner, r, depth + 1);
    }
    if let Some(inner) = o.get("list") {
        let n = r.array().map_err(cbor_err)?;
        let mut items = Vec::new();
        for _ in 0..n {
            items.push(decode(inner, r, depth + 1)?);
        }
        return Ok(Value::Array(items));
    }
    if let Some(kv) = o.get("map") {
        let n = r.expect(5).map_err(cbor_err)?;
        let mut obj = Map::new();
        let mut pairs = Vec::new();
        for _ in 0..n {
            let k = decode(&kv[0], r, depth + 1)?;
            let v = decode(&kv[1], r, depth + 1)?;
            match &k {
                Value::String(s) => obj.insert(s.clone(), v.clone()),
                Value::Number(n) => obj.insert(n.to_string(), v.clone()),
                _ => None,
            };
            pairs.push(json!([k, v]));
        }
        return Ok(if obj.len() == pairs.len() {
            Value::Object(obj)
        } else {
            Value::Array(pairs)
        });
    }
    if let Some(items) = o.get("tuple").filter(|_| !o.contains_key("struct")) {
        let types = items.as_array().map_or(&[][..], |a| a.as_slice());
        if r.array().map_err(cbor_err)? != types.len() {
            bail!("a tuple of another length");
        }
        return types.iter().map(|t| decode(t, r, depth + 1)).collect();
    }
    if o.contains_key("struct") {
        if let Some(inner) = o.get("newtype") {
            return decode(inner, r, depth + 1);
        }
        let n = r.array().map_err(cbor_err)?;
        return decode_fields(o, n, r, depth);
    }
    if let Some(variants) = o.get("variants").and_then(Value::as_array) {
        let n = r.array().map_err(cbor_err)?;
        let index = r.expect(0).map_err(cbor_err)?;
        let variant = variants
            .iter()
            .find(|v| v["index"] == index)
            .ok_or_else(|| anyhow!("unknown variant {index}"))?;
        let name = variant["name"].as_str().unwrap_or("?").to_string();
        let shape = variant.as_object().ok_or_else(|| anyhow!("bad schema"))?;
        if n == 1 && !shape.contains_key("fields") && !shape.contains_key("tuple") {
            return Ok(json!(name));
        }
        let fields = decode_fields(shape, n.saturating_sub(1), r, depth)?;
        return Ok(json!({ name: fields }));
    }
    bail!("bad schema type {ty}")
}

/// `n` fields (already past the array head) as an object (named) or an array (tuple).
fn decode_fields(
    shape: &Map<String, Value>,
    n: usize,
    r: &mut Reader<'_>,
    depth: u32,
) -> anyhow::Result<Value> {
    if let Some(types) = shape.get("tuple").and_then(Value::as_array) {
        if n != types.len() {
            bail!("{n} fields, the schema has {}", types.len());
        }
        return types.iter().map(|t| decode(t, r, depth + 1)).collect();
    }
    let fields = shape
        .get("fields")
        .and_then(Value::as_array)
        .map_or(&[][..], |a| a.as_slice());
    if n != fields.len() {
        bail!("{n} fields, the schema has {}", fields.len());
    }
    let mut obj = Map::new();
    for f in fields {
        let name = f["name"].as_str().unwrap_or("?").to_string();
        obj.insert(name, decode(&f["type"], r, depth + 1)?);
    }
    Ok(Value::Object(obj))
}

fn decode_leaf(name: &str, r: &mut Reader<'_>) -> anyhow::Result<Value> {
    Ok(match name {
        "unit" => match r.head().map_err(cbor_err)? {
            (7, 22) => Value::Null,
            _ => bail!("expected null"),
        },
        "bool" => match r.head().map_err(cbor_err)? {
            (7, 20) => json!(false),
            (7, 21) => json!(true),
            _ => bail!("expected a boolean"),
        },
        "bigint" => {
            let b = r.bytes().map_err(cbor_err)?;
            let n = match b.split_first() {
                None => BigInt::from(0),
                Some((0, m)) => BigInt::from_bytes_be(Sign::Plus, m),
                Some((1, m)) => BigInt::from_bytes_be(Sign::Minus, m),
                _ => bail!("not a big integer"),
            };
            json!(n.to_string())
        }
        "string" => json!(r.text().map_err(cbor_err)?),
        "bytes" | "raw" => json!(format!("0x{}", hex::encode(r.bytes().map_err(cbor_err)?))),
        "address" => {
            let b = r.bytes().map_err(cbor_err)?;
            let a = Address::from_bytes(b).map_err(|e| anyhow!("not an address: {e}"))?;
            json!(a.to_string())
        }
        "cid" | "any" => {
            // one whole value, through the schema-less decoder
            let start = r.clone();
            skip(r, 0)?;
            let len = remaining(&start) - remaining(r);
            let mut s = start;
            let bytes = s.take(len).map_err(cbor_err)?;
            super::cbor_to_json(bytes).ok_or_else(|| anyhow!("not CBOR"))?
        }
        int => match r.head().map_err(cbor_err)? {
            (0, v) if int.starts_with('u') || int.starts_with('i') => json!(v),
            (1, v) if int.starts_with('i') => json!(-1 - i128::from(v)),
            _ => bail!("expected {int}"),
        },
    })
}

fn remaining(r: &Reader<'_>) -> usize {
    let mut probe = r.clone();
    let mut n = 0;
    while probe.take(1).is_ok() {
        n += 1;
    }
    n
}

/// Skips one CBOR value.
fn skip(r: &mut Reader<'_>, depth: u32) -> anyhow::Result<()> {
    if depth > 64 {
        bail!("nested too deeply");
    }
    let (major, arg) = r.head().map_err(cbor_err)?;
    let len = usize::try_from(arg).map_err(|_| anyhow!("length"))?;
    match major {
        2 | 3 => {
            r.take(len).map_err(cbor_err)?;
        }
        4 => (0..len).try_for_each(|_| skip(r, depth + 1))?,
        5 => (0..len.saturating_mul(2)).try_for_each(|_| skip(r, depth + 1))?,
        6 => skip(r, depth + 1)?,
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn method(params: Value) -> Value {
        json!({"name": "M", "number": 7, "params": params, "return": params})
    }

    #[test]
    fn named_structs_and_enums_round_trip() {
        let ty = json!({"struct": "P", "fields": [
            {"name": "to", "type": "address"},
            {"name": "amount", "type": "bigint"},
            {"name": "memo", "type": {"option": "string"}},
            {"name": "kind", "type": {"enum": "K", "variants": [
                {"name": "A", "index": 0},
                {"name": "B", "index": 1, "tuple": ["u8"]},
                {"name": "C", "index": 2, "fields": [{"name": "x", "type": "i32"}]}]}},
            {"name": "tags", "type": {"map": ["string", "u64"]}}]});
        let m = method(ty);
        for v in [
            json!({"to": "f01234", "amount": "5", "memo": null, "kind": "A", "tags": {}}),
            json!({"to": "f01234", "amount": "5", "memo": "hi", "kind": {"B": 3}, "tags": {"b": 1, "aa": 2}}),
            json!({"to": "f01234", "amount": "0", "memo": null, "kind": {"C": {"x": -4}}, "tags": {}}),
        ] {
            let bytes = encode_params(&m, &v).unwrap();
            let back = decode_value(&m, false, &bytes).unwrap();
            let expect = if v["kind"] == json!({"B": 3}) {
                let mut e = v.clone();
                e["kind"] = json!({"B": [3]});
                e
            } else {
                v.clone()
            };
            assert_eq!(back, expect);
        }
        // the same bytes as the SDK's derive gives the positional form
        let named = encode_params(
            &m,
            &json!({"to": "f01234", "amount": "5", "kind": "A", "tags": {}}),
        )
        .unwrap();
        let positional = encode_params(
            &m,
            &json!([{"address": "f01234"}, {"bigint": "5"}, null, "A", {}]),
        )
        .unwrap();
        assert_eq!(named, positional);
        assert!(encode_params(&m, &json!({"to": "f01234"})).is_err());
        assert!(
            encode_params(
                &m,
                &json!({"to": "f01234", "amount": "-1", "kind": "A", "tags": {}})
            )
            .is_err()
        );
        assert!(encode_params(&method(json!("u8")), &json!(256)).is_err());
        // a module's schema is input too: nothing in it panics
        for ty in ["u200", "i0", "u", "x", "uu8"] {
            assert!(
                encode_params(&method(json!(ty)), &json!(1)).is_err(),
                "{ty}"
            );
        }
        assert!(decode_value(&m, false, &[0xff, 0x00]).is_err());
    }

    #[test]
    fn custom_sections_are_found_and_junk_is_refused() {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend_from_slice(&[0, 9, 4]);
        m.extend_from_slice(b"abcd1234");
        assert_eq!(custom_section(&m, "abcd"), Some(&b"1234"[..]));
        assert_eq!(custom_section(&m, "x"), None);
        assert_eq!(custom_section(&m[..10], "abcd"), None);
        assert_eq!(custom_section(b"junk", "abcd"), None);
        assert_eq!(
            custom_section(&[0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0, 0xff], "a"),
            None
        );
    }
}
