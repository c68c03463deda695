//! Checks DAG-CBOR bytes against an IPLD schema ([`crate::ipld_schema::Schema`]): its own
//! small DAG-CBOR reader (canonical heads, no indefinite lengths, no trailing bytes) and a
//! walk of the value against the schema's types. It shares nothing with the WASM backend's
//! reader or writer, so it is the independent check that the schema and the codegen agree.

use crate::ipld_schema::{Schema, Ty};

/// A decoded DAG-CBOR value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Integers are kept as i128 (CBOR's range is −2^64 … 2^64 − 1).
    Int(i128),
    Bytes(Vec<u8>),
    Text(Vec<u8>),
    List(Vec<Value>),
    Map(Vec<(Value, Value)>),
    Tag(u64, Box<Value>),
    Bool(bool),
    Null,
    Float(f64),
}

struct Reader<'a> {
    d: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.d.len());
        let end = end.ok_or_else(|| format!("truncated at byte {}", self.pos))?;
        let s = &self.d[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn head(&mut self) -> Result<(u8, u8, u64), String> {
        let b = self.take(1)?[0];
        let (major, info) = (b >> 5, b & 31);
        let arg = match info {
            0..=23 => u64::from(info),
            24..=27 => {
                let n = 1usize << (info - 24);
                let v = self
                    .take(n)?
                    .iter()
                    .fold(0u64, |a, b| (a << 8) | u64::from(*b));
                let min = match n {
                    1 => 24,
                    2 => 0x100,
                    4 => 0x1_0000,
                    _ => 0x1_0000_0000,
                };
                if major != 7 && v < min {
                    return Err(format!("non-canonical integer head at byte {}", self.pos));
                }
                v
            }
            _ => {
                return Err(format!(
                    "indefinite or reserved length at byte {}",
                    self.pos
                ));
            }
        };
        Ok((major, info, arg))
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > 256 {
            return Err("nested too deeply".into());
        }
        let (major, info, arg) = self.head()?;
        let len = |a: u64| usize::try_from(a).map_err(|_| "length too large".to_string());
        Ok(match major {
            0 => Value::Int(i128::from(arg)),
            1 => Value::Int(-1 - i128::from(arg)),
            2 => Value::Bytes(self.take(len(arg)?)?.to_vec()),
            3 => Value::Text(self.take(len(arg)?)?.to_vec()),
            4 => {
                let n = len(arg)?;
                if n > self.d.len() {
                    return Err("list longer than the data".into());
                }
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    v.push(self.value(depth + 1)?);
                }
                Value::List(v)
            }
            5 => {
                let n = len(arg)?;
                if n > self.d.len() {
                    return Err("map longer than the data".into());
                }
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    let k = self.value(depth + 1)?;
                    v.push((k, self.value(depth + 1)?));
                }
                Value::Map(v)
            }
            6 => Value::Tag(arg, Box::new(self.value(depth + 1)?)),
            _ => match (info, arg) {
                (20, _) => Value::Bool(false),
                (21, _) => Value::Bool(true),
                (22, _) => Value::Null,
                (27, bits) => Value::Float(f64::from_bits(bits)),
                _ => return Err(format!("unsupported simple value {info}")),
            },
        })
    }
}

/// Decodes one DAG-CBOR value that fills `data`.
pub fn decode(data: &[u8]) -> Result<Value, String> {
    let mut r = Reader { d: data, pos: 0 };
    let v = r.value(0)?;
    if r.pos != data.len() {
        return Err(format!("{} trailing bytes", data.len() - r.pos));
    }
    Ok(v)
}

/// Whether `b` is a Filecoin address: protocol 0 (ID, a varint), 1/2 (20 bytes), 3 (48),
/// 4 (a varint namespace and a sub-address of at most 54 bytes).
fn is_address(b: &[u8]) -> bool {
    fn varint(b: &[u8]) -> Option<usize> {
        for (i, x) in b.iter().enumerate().take(10) {
            if x & 0x80 == 0 {
                if *x == 0 && i > 0 {
                    return None; // not minimal
                }
                return Some(i + 1);
            }
        }
        None
    }
    match b.split_first() {
        Some((0, rest)) => varint(rest) == Some(rest.len()),
        Some((1 | 2, rest)) => rest.len() == 20,
        Some((3, rest)) => rest.len() == 48,
        Some((4, rest)) => match varint(rest) {
            Some(n) => rest.len() - n <= 54,
            None => false,
        },
        _ => false,
    }
}

fn check_int(v: i128, signed: bool, bits: u16) -> Result<(), String> {
    let (lo, hi) = if signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    };
    if v < lo || v > hi {
        return Err(format!(
            "{v} out of range for {}{bits}",
            if signed { "i" } else { "u" }
        ));
    }
    Ok(())
}

fn check_bigint(b: &[u8], signed: bool, bits: u16) -> Result<(), String> {
    let Some((sign, mag)) = b.split_first() else {
        return Ok(()); // zero
    };
    if mag.is_empty() || mag[0] == 0 {
        return Err("BigInt: empty or leading zero in the magnitude".into());
    }
    let mag_bits = mag.len() * 8 - mag[0].leading_zeros() as usize;
    match (sign, signed) {
        (0, false) if mag_bits <= usize::from(bits) => Ok(()),
        (0, true) if mag_bits < usize::from(bits) => Ok(()),
        (1, true) => {
            // |v| ≤ 2^(bits-1)
            let max = usize::from(bits) - 1;
            let pow2 = mag.iter().skip(1).all(|x| *x == 0) && mag[0].is_power_of_two();
            if mag_bits <= max || (mag_bits == max + 1 && pow2) {
                Ok(())
            } else {
                Err("BigInt: out of range".into())
            }
        }
        (0 | 1, _) => Err(format!(
            "BigInt out of range for {}{bits}",
            if signed { "i" } else { "u" }
        )),
        _ => Err(format!("BigInt: sign byte {sign}")),
    }
}

impl Schema {
    /// Checks `v` against `t`.
    pub fn check(&self, v: &Value, t: &Ty) -> Result<(), String> {
        match (t, v) {
            (Ty::Int { signed, bits }, Value::Int(i)) => check_int(*i, *signed, *bits),
            (Ty::BigInt { signed, bits }, Value::Bytes(b)) => check_bigint(b, *signed, *bits),
            (Ty::Bool, Value::Bool(_)) | (Ty::String, Value::Text(_)) => Ok(()),
            (Ty::Address, Value::Bytes(b)) if is_address(b) => Ok(()),
            (Ty::Address, Value::Bytes(b)) => Err(format!("not an address: {b:02x?}")),
            (Ty::Bytes(None), Value::Bytes(_)) => Ok(()),
            (Ty::Bytes(Some(n)), Value::Bytes(b)) if b.len() == *n as usize => Ok(()),
            (Ty::Bytes(Some(n)), Value::Bytes(b)) => {
                Err(format!("{} bytes, expected {n}", b.len()))
            }
            (Ty::List(e, n), Value::List(items)) => {
                if let Some(n) = n
                    && items.len() != *n as usize
                {
                    return Err(format!("{} items, expected {n}", items.len()));
                }
                for (i, x) in items.iter().enumerate() {
                    self.check(x, e).map_err(|m| format!("[{i}]: {m}"))?;
                }
                Ok(())
            }
            (Ty::Named(n), v) => self.check_struct(n, v),
            (Ty::Enum(n), Value::Int(i)) => {
                let e = self
                    .find_enum(n)
                    .ok_or_else(|| format!("no type {n} in the schema"))?;
                if (0..e.variants.len() as i128).contains(i) {
                    Ok(())
                } else {
                    Err(format!("{n}: no variant {i}"))
                }
            }
            (t, v) => Err(format!("expected {t:?}, found {v:?}")),
        }
    }

    fn check_struct(&self, name: &str, v: &Value) -> Result<(), String> {
        let s = self
            .find(name)
            .ok_or_else(|| format!("no type {name} in the schema"))?;
        let Value::List(items) = v else {
            return Err(format!("{name}: expected a tuple (list), found {v:?}"));
        };
        if items.len() != s.fields.len() {
            return Err(format!(
                "{name}: {} items, expected {}",
                items.len(),
                s.fields.len()
            ));
        }
        for (f, x) in s.fields.iter().zip(items) {
            self.check(x, &f.ty)
                .map_err(|m| format!("{name}.{}: {m}", f.name))?;
        }
        Ok(())
    }

    /// Checks a message's params block (`None`: no block) against method `method`'s params.
    pub fn check_params(&self, method: u64, params: Option<&[u8]>) -> Result<(), String> {
        let m = self
            .message(method)
            .ok_or_else(|| format!("no method {method} in the schema"))?;
        let empty = self.find(&m.params).is_some_and(|s| s.fields.is_empty());
        match params {
            None | Some([]) if empty => Ok(()),
            None | Some([]) => Err(format!("{}: params expected", m.params)),
            Some(p) => self.check_struct(&m.params, &decode(p)?),
        }
    }

    /// Checks a reply (`None`: no return block) against method `method`'s reply.
    pub fn check_reply(&self, method: u64, ret: Option<&[u8]>) -> Result<(), String> {
        let m = self
            .message(method)
            .ok_or_else(|| format!("no method {method} in the schema"))?;
        match (&m.reply, ret) {
            (None, None | Some([])) => Ok(()),
            (None, Some(_)) => Err(format!("{}: no reply expected", m.variant)),
            (Some(_), None | Some([])) => Err(format!("{}: a reply expected", m.variant)),
            (Some(t), Some(r)) => self
                .check(&decode(r)?, t)
                .map_err(|e| format!("{}: {e}", m.reply_name)),
        }
    }
}
