//! DAG-CBOR to JSON: the one decoder behind the traces' `paramsDecoded`/`returnDecoded` and
//! the CLI's decoded returns, with the two renderings they need ([`Style`]).
//!
//! Both take one whole value (trailing bytes are an error), definite lengths only, at most
//! 64 levels deep; text maps come back as objects; `null`, booleans and 64-bit floats as
//! themselves. They differ on what JSON has no plain form for: large integers, byte
//! strings, links, other tags and maps whose keys are not all distinct text.

use serde_json::{Map, Value, json};

/// How values JSON cannot hold plainly are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// For Ethereum JSON-RPC clients (trace frames' `tandem` fields): integers as numbers
    /// while JavaScript holds them exactly (|n| ≤ 2^53), as decimal strings beyond; byte
    /// strings as bare `0x…` hex; links as DAG-JSON's `{"/": cid}`; a map key that is not
    /// text as its JSON text; tags other than a link are refused.
    Trace,
    /// The inverse of the CLI's `--params-json` (see `tandem-cli`'s `values`): integers as
    /// numbers over the u64/i64 range, a negative one beyond it as `{"bigint":"-…"}`; byte
    /// strings as `{"bytes":"0x…"}`; links as `{"cid":…}`; a map with a key that is not text
    /// (or a repeated key) as `{"map":[[k, v], …]}`; other tags as `{"tag":n,"value":…}`.
    Values,
}

const MAX_DEPTH: usize = 64;

/// Decodes one DAG-CBOR value (the whole input) as JSON in `style`.
pub fn to_json(data: &[u8], style: Style) -> Result<Value, String> {
    let mut d = Decoder {
        data,
        pos: 0,
        style,
    };
    let v = d.item(0)?;
    if d.pos != data.len() {
        return Err(format!("{} trailing bytes", data.len() - d.pos));
    }
    Ok(v)
}

struct Decoder<'a> {
    data: &'a [u8],
    pos: usize,
    style: Style,
}

impl<'a> Decoder<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or("truncated CBOR")?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// One item's head: major type, additional info and argument.
    fn head(&mut self) -> Result<(u8, u8, u64), String> {
        let b = self.take(1)?[0];
        let (major, info) = (b >> 5, b & 0x1f);
        let mut be = |n: usize| -> Result<u64, String> {
            Ok(self
                .take(n)?
                .iter()
                .fold(0u64, |acc, &x| acc << 8 | x as u64))
        };
        let arg = match info {
            0..=23 => info as u64,
            24 => be(1)?,
            25 => be(2)?,
            26 => be(4)?,
            27 => be(8)?,
            _ => return Err(format!("unsupported CBOR item {b:#04x}")),
        };
        Ok((major, info, arg))
    }

    /// A length no larger than the input left (each element takes at least a byte).
    fn len(&self, arg: u64) -> Result<usize, String> {
        usize::try_from(arg)
            .ok()
            .filter(|&n| n <= self.data.len() - self.pos)
            .ok_or_else(|| "CBOR length longer than its input".to_string())
    }

    fn item(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("CBOR nested too deeply".into());
        }
        let (major, info, arg) = self.head()?;
        Ok(match major {
            0 => self.int(arg as i128),
            1 => self.int(-1 - arg as i128),
            2 => {
                let n = self.len(arg)?;
                let b = self.take(n)?;
                self.bytes(b)
            }
            3 => {
                let n = self.len(arg)?;
                let s = std::str::from_utf8(self.take(n)?).map_err(|_| "invalid UTF-8 in CBOR")?;
                Value::String(s.to_owned())
            }
            4 => {
                let n = self.len(arg)?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.item(depth + 1)?);
                }
                Value::Array(items)
            }
            5 => self.map(arg, depth)?,
            6 => self.tag(arg, depth)?,
            _ => match (info, arg) {
                (20, _) => Value::Bool(false),
                (21, _) => Value::Bool(true),
                (22, _) => Value::Null,
                (27, bits) => json!(f64::from_bits(bits)),
                _ => return Err(format!("unsupported CBOR simple value {info}")),
            },
        })
    }

    fn int(&self, n: i128) -> Value {
        match self.style {
            Style::Trace if n.unsigned_abs() <= 1u128 << 53 => json!(n as i64),
            Style::Trace => json!(n.to_string()),
            Style::Values => match (u64::try_from(n), i64::try_from(n)) {
                (Ok(u), _) => json!(u),
                (_, Ok(i)) => json!(i),
                _ => json!({ "bigint": n.to_string() }),
            },
        }
    }

    fn bytes(&self, b: &[u8]) -> Value {
        let hex = format!("0x{}", hex::encode(b));
        match self.style {
            Style::Trace => json!(hex),
            Style::Values => json!({ "bytes": hex }),
        }
    }

    fn map(&mut self, arg: u64, depth: usize) -> Result<Value, String> {
        let n = self.len(arg)?;
        let mut text_keys = Map::new();
        let mut pairs = Vec::with_capacity(n);
        for _ in 0..n {
            let k = self.item(depth + 1)?;
            let v = self.item(depth + 1)?;
            match (self.style, k) {
                (_, Value::String(s)) => {
                    if self.style == Style::Values {
                        pairs.push(json!([s, v]));
                    }
                    text_keys.insert(s, v);
                }
                (Style::Trace, other) => {
                    text_keys.insert(other.to_string(), v);
                }
                (Style::Values, other) => pairs.push(json!([other, v])),
            }
        }
        Ok(match self.style {
            Style::Values if text_keys.len() != pairs.len() => json!({ "map": pairs }),
            _ => Value::Object(text_keys),
        })
    }

    /// Tag 42 is a link (a byte string: 0, then the CID's bytes).
    fn tag(&mut self, tag: u64, depth: usize) -> Result<Value, String> {
        let start = self.pos;
        if tag == 42 {
            let (major, _, arg) = self.head()?;
            let link = match major {
                2 => {
                    let n = self.len(arg)?;
                    let b = self.take(n)?;
                    b.split_first()
                        .filter(|(zero, _)| **zero == 0)
                        .and_then(|(_, cid)| cid::Cid::try_from(cid).ok())
                }
                _ => None,
            };
            match (link, self.style) {
                (Some(cid), Style::Trace) => return Ok(json!({ "/": cid.to_string() })),
                (Some(cid), Style::Values) => return Ok(json!({ "cid": cid.to_string() })),
                (None, Style::Trace) => return Err("malformed CID link".into()),
                (None, Style::Values) => self.pos = start,
            }
        }
        match self.style {
            Style::Trace => Err(format!("unsupported CBOR tag {tag}")),
            Style::Values => Ok(json!({ "tag": tag, "value": self.item(depth + 1)? })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(data: &[u8]) -> (Value, Value) {
        (
            to_json(data, Style::Trace).unwrap(),
            to_json(data, Style::Values).unwrap(),
        )
    }

    #[test]
    fn plain_values_read_the_same_in_both_styles() {
        // {"a": [1, -2, "x", null, true, 1.5]}
        let data = [
            0xa1, 0x61, b'a', 0x86, 0x01, 0x21, 0x61, b'x', 0xf6, 0xf5, 0xfb, 0x3f, 0xf8, 0, 0, 0,
            0, 0, 0,
        ];
        let (t, v) = both(&data);
        assert_eq!(t, json!({"a": [1, -2, "x", null, true, 1.5]}));
        assert_eq!(t, v);
    }

    #[test]
    fn styles_differ_where_json_has_no_plain_form() {
        // 2^53 + 1 and u64::MAX, then -2^64
        let big = [0x1b, 0, 0x20, 0, 0, 0, 0, 0, 1];
        assert_eq!(
            both(&big),
            (json!("9007199254740993"), json!(9007199254740993u64))
        );
        let max = [0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(both(&max).1, json!(u64::MAX));
        let min = [0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(
            both(&min),
            (
                json!("-18446744073709551616"),
                json!({"bigint": "-18446744073709551616"})
            )
        );
        assert_eq!(
            both(&[0x42, 1, 2]),
            (json!("0x0102"), json!({"bytes": "0x0102"}))
        );
        // {1: "x"}
        let (t, v) = both(&[0xa1, 0x01, 0x61, b'x']);
        assert_eq!((t, v), (json!({"1": "x"}), json!({"map": [[1, "x"]]})));
        // tag 7 on 1
        assert!(to_json(&[0xc7, 0x01], Style::Trace).is_err());
        assert_eq!(
            to_json(&[0xc7, 0x01], Style::Values).unwrap(),
            json!({"tag": 7, "value": 1})
        );
    }

    #[test]
    fn links_and_malformed_input() {
        let cid: cid::Cid = "bafy2bzacea3wsdh6y3a36tb3skempjoxqpuyompjbmfeyf34fi3uy6uue42v4"
            .parse()
            .unwrap();
        let mut data = vec![0xd8, 42, 0x58, cid.to_bytes().len() as u8 + 1, 0];
        data.extend(cid.to_bytes());
        let (t, v) = both(&data);
        assert_eq!(t, json!({"/": cid.to_string()}));
        assert_eq!(v, json!({"cid": cid.to_string()}));
        // a link without its leading zero: refused in traces, shown as a tag in values
        data[4] = 1;
        assert!(to_json(&data, Style::Trace).is_err());
        assert_eq!(to_json(&data, Style::Values).unwrap()["tag"], 42);
        for bad in [
            &[][..],
            &[0x01, 0x02],
            &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            &[0x62, 0xff, 0xfe],
            &[0xf7],
            &[0x9f],
        ] {
            assert!(to_json(bad, Style::Trace).is_err(), "{bad:x?}");
            assert!(to_json(bad, Style::Values).is_err(), "{bad:x?}");
        }
        let deep = [vec![0x81; 100], vec![0x01]].concat();
        assert!(to_json(&deep, Style::Values).is_err());
    }
}
