//! Values on the command line: JSON params to DAG-CBOR (`--params-json`), DAG-CBOR returns
//! and abort messages back to JSON, and exit codes by name.
//!
//! JSON → DAG-CBOR:
//! - `null`, `true`/`false` → null, booleans; strings → text; arrays → arrays;
//! - integers → CBOR integers (−2⁶³ … 2⁶⁴−1); fractions and larger numbers are refused:
//!   write them as `{"bigint":"…"}`;
//! - `{"bigint":"123"}` (or a number) → fvm's big-integer bytes (a byte string: empty for 0,
//!   else a sign byte, 0 or 1, then the big-endian magnitude): what `u128`/`TokenAmount`
//!   params decode from;
//! - `{"bytes":"0x…"}` → a byte string;
//! - `{"address":"f01234"}` (`f`/`t`, any protocol, or a `0x` Ethereum address as its `f410`
//!   form) → the address bytes as a byte string;
//! - `{"cid":"bafy…"}` → a link (tag 42);
//! - any other object → a map with text keys, in DAG-CBOR order; `{"map":{…}}` writes a map
//!   whose only key would otherwise read as one of the forms above.
//!
//! When the target actor's module carries a schema (`tandem:schema`), `schema` encodes and
//! decodes by it instead: named fields, enums by name, big integers as decimal strings.
//!
//! DAG-CBOR → JSON is the inverse (byte strings as `{"bytes":"0x…"}`, links as `{"cid":…}`,
//! maps with other keys as `{"map":[[k, v], …]}`, other tags as `{"tag":n,"value":…}`). A big
//! integer is a byte string on the wire, so it comes back as `{"bytes":…}`.

use anyhow::{Context, anyhow, bail};
use cid::Cid;
use fvm_shared::bigint::{BigInt, Sign};
use serde_json::{Map, Value};
use tandem_node::frames::cbor_json;
use tandem_sdk::cbor::head;

pub mod events;
pub mod schema;

/// Encodes `--params-json`.
pub fn params_from_json(text: &str) -> anyhow::Result<Vec<u8>> {
    let value: Value = serde_json::from_str(text).context("--params-json is not JSON")?;
    let mut out = Vec::new();
    encode(&value, &mut out)?;
    Ok(out)
}

fn encode(v: &Value, out: &mut Vec<u8>) -> anyhow::Result<()> {
    match v {
        Value::Null => out.push(0xf6),
        Value::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                head(out, 0, u);
            } else if let Some(i) = n.as_i64() {
                head(out, 1, (-1 - i) as u64);
            } else {
                bail!("{n} is not a 64-bit integer: write {{\"bigint\":\"…\"}} for big ones");
            }
        }
        Value::String(s) => text(out, s),
        Value::Array(items) => {
            head(out, 4, items.len() as u64);
            for item in items {
                encode(item, out)?;
            }
        }
        Value::Object(obj) => encode_object(obj, out)?,
    }
    Ok(())
}

fn text(out: &mut Vec<u8>, s: &str) {
    head(out, 3, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn bytes(out: &mut Vec<u8>, b: &[u8]) {
    head(out, 2, b.len() as u64);
    out.extend_from_slice(b);
}

fn encode_object(obj: &Map<String, Value>, out: &mut Vec<u8>) -> anyhow::Result<()> {
    if obj.len() == 1 {
        let (key, v) = obj.iter().next().expect("one entry");
        let s = v.as_str();
        let want = |what: &str| anyhow!("{{\"{key}\": …}} takes {what}, not {v}");
        match key.as_str() {
            "bytes" => {
                let b = crate::output::parse_hex(s.ok_or_else(|| want("a hex string"))?)
                    .context("{\"bytes\": …}")?;
                bytes(out, &b);
                return Ok(());
            }
            "address" => {
                let a = crate::output::parse_address(s.ok_or_else(|| want("a string"))?)?;
                bytes(out, &a.to_bytes());
                return Ok(());
            }
            "bigint" => {
                let n: BigInt = match v {
                    Value::String(s) => {
                        s.trim().parse().with_context(|| format!("bigint {s:?}"))?
                    }
                    Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string().parse()?,
                    _ => return Err(want("a decimal string")),
                };
                bytes(out, &bigint_bytes(&n));
                return Ok(());
            }
            "cid" => {
                let cid: Cid = s.ok_or_else(|| want("a string"))?.parse()?;
                head(out, 6, 42);
                let mut b = vec![0u8];
                b.extend_from_slice(&cid.to_bytes());
                bytes(out, &b);
                return Ok(());
            }
            "map" => {
                let inner = v.as_object().ok_or_else(|| want("an object"))?;
                return encode_map(inner, out);
            }
            _ => {}
        }
    }
    encode_map(obj, out)
}

/// A map with text keys, shorter keys first, then bytewise (DAG-CBOR's order).
fn encode_map(obj: &Map<String, Value>, out: &mut Vec<u8>) -> anyhow::Result<()> {
    let mut keys: Vec<&String> = obj.keys().collect();
    keys.sort_by(|a, b| (a.len(), a).cmp(&(b.len(), b)));
    head(out, 5, keys.len() as u64);
    for k in keys {
        text(out, k);
        encode(&obj[k.as_str()], out)?;
    }
    Ok(())
}

/// fvm's big-integer bytes: empty for zero, else sign (0 positive, 1 negative) + magnitude.
fn bigint_bytes(n: &BigInt) -> Vec<u8> {
    let (sign, magnitude) = n.to_bytes_be();
    match sign {
        Sign::NoSign => Vec::new(),
        Sign::Plus => [&[0u8][..], &magnitude].concat(),
        Sign::Minus => [&[1u8][..], &magnitude].concat(),
    }
}

/// Decodes one DAG-CBOR value (the whole input) as JSON; `None` if it is not CBOR. The
/// decoder is the node's (shared with traces), in the rendering that inverts `--params-json`.
pub fn cbor_to_json(data: &[u8]) -> Option<Value> {
    cbor_json::to_json(data, cbor_json::Style::Values).ok()
}

/// `USR_FORBIDDEN (18)`; codes without a name as `exit code N` (one table, in the VM).
pub use tandem_vm::message::exit_name;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tandem_sdk::cbor::Reader;

    fn round_trip(params: &str) -> Value {
        cbor_to_json(&params_from_json(params).unwrap()).unwrap()
    }

    #[test]
    fn json_params_encode_as_the_sdk_decodes_them() {
        use tandem_sdk::cbor::{Bytes, from_slice};
        use tandem_sdk::{Address, Cbor, TokenAmount};
        let p = params_from_json(
            r#"[1, -2, "x", {"bytes":"0x0102"}, {"address":"t01234"}, {"bigint":"1000000000000000000000"}, null, true]"#,
        )
        .unwrap();
        let mut r = Reader::new(&p);
        assert_eq!(r.array().unwrap(), 8);
        assert_eq!(u64::decode(&mut r).unwrap(), 1);
        assert_eq!(i64::decode(&mut r).unwrap(), -2);
        assert_eq!(String::decode(&mut r).unwrap(), "x");
        assert_eq!(Bytes::decode(&mut r).unwrap().0, [1, 2]);
        let a = Address::decode(&mut r).unwrap();
        assert_eq!(a, Address::id(1234));
        let t = TokenAmount::decode(&mut r).unwrap();
        assert_eq!(t, TokenAmount::from_whole(1000));
        assert_eq!(
            from_slice::<u128>(&params_from_json(r#"{"bigint":0}"#).unwrap()),
            Ok(0)
        );
    }

    #[test]
    fn decoding_inverts_encoding() {
        for p in [
            r#"[1,-2,"x",{"bytes":"0x0102"},null,true,[[]]]"#,
            r#"{"b":1,"aa":2,"a":{"bytes":"0x"}}"#,
            r#"{"cid":"bafy2bzacea3wsdh6y3a36tb3skempjoxqpuyompjbmfeyf34fi3uy6uue42v4"}"#,
            r#"{"map":{"bytes":1}}"#,
        ] {
            let v: Value = serde_json::from_str(p).unwrap();
            let back = round_trip(p);
            if v.get("map").is_some() {
                assert_eq!(back, json!({"bytes": 1}));
            } else {
                assert_eq!(back, v, "{p}");
            }
        }
        assert_eq!(
            round_trip(r#"{"address":"f01234"}"#),
            json!({"bytes": "0x00d209"})
        );
        assert!(params_from_json("1.5").is_err());
        assert!(params_from_json("18446744073709551616").is_err());
        assert!(cbor_to_json(&[0x01, 0x02]).is_none());
        assert_eq!(exit_name(18), "USR_FORBIDDEN (18)");
        assert_eq!(exit_name(99), "exit code 99");
    }
}
