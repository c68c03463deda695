//! Ethereum-shaped events (`t1`..`t4`, `d`: what `#[derive(Event)]` emits) decoded by the
//! emitter's schema: the event whose signature hashes to topic0, its fields by name.

use fvm_shared::bigint::{BigInt, Sign};
use serde_json::{Map, Value, json};

use super::schema::ActorSchema;

/// keccak-256 of an event's signature (its first topic).
fn topic0(event: &Value) -> Option<[u8; 32]> {
    let mut k = tandem_sdk::event::Keccak::new();
    k.absorb(event["signature"].as_str()?.as_bytes());
    Some(k.finish())
}

/// An Ethereum-shaped event (topics and data) decoded by the schema event whose signature
/// hashes to its first topic: `{"event": name, field: value, …}`.
pub fn decode_log(schema: &ActorSchema, topics: &[[u8; 32]], data: &[u8]) -> Option<Value> {
    let first = topics.first()?;
    let event = schema
        .events()
        .iter()
        .find(|e| topic0(e).as_ref() == Some(first))?;
    let mut obj = Map::new();
    obj.insert("event".into(), event["name"].clone());
    let mut next_topic = 1;
    let mut head_at = 0;
    for f in event["fields"].as_array()? {
        let sol = f["sol"].as_str()?;
        let dynamic = sol == "string" || sol == "bytes";
        let value = if f["indexed"] == true {
            let t = topics.get(next_topic)?;
            next_topic += 1;
            if dynamic {
                json!(format!("0x{}", hex::encode(t)))
            } else {
                sol_word(sol, t)?
            }
        } else {
            let word: [u8; 32] = data.get(head_at..head_at + 32)?.try_into().ok()?;
            head_at += 32;
            if dynamic {
                let offset =
                    usize::try_from(u64::from_be_bytes(word[24..].try_into().ok()?)).ok()?;
                let len_word = data.get(offset..offset.checked_add(32)?)?;
                let len =
                    usize::try_from(u64::from_be_bytes(len_word[24..].try_into().ok()?)).ok()?;
                let bytes = data.get(offset + 32..(offset + 32).checked_add(len)?)?;
                if sol == "string" {
                    json!(String::from_utf8_lossy(bytes))
                } else {
                    json!(format!("0x{}", hex::encode(bytes)))
                }
            } else {
                sol_word(sol, &word)?
            }
        };
        obj.insert(f["name"].as_str()?.to_string(), value);
    }
    Some(Value::Object(obj))
}

/// A static ABI word as JSON: small integers as numbers, larger ones as decimal strings,
/// addresses and bytesN as hex.
fn sol_word(sol: &str, w: &[u8; 32]) -> Option<Value> {
    Some(match sol {
        "bool" => json!(w[31] != 0),
        "address" => json!(format!("0x{}", hex::encode(&w[12..]))),
        s if s.starts_with("bytes") => {
            let n: usize = s[5..].parse().ok()?;
            json!(format!("0x{}", hex::encode(w.get(..n)?)))
        }
        s if s.starts_with("uint") => {
            let n = BigInt::from_bytes_be(Sign::Plus, w);
            match u64::try_from(&n) {
                Ok(small) if s != "uint256" && s != "uint128" => json!(small),
                _ => json!(n.to_string()),
            }
        }
        s if s.starts_with("int") => json!(i64::from_be_bytes(w[24..].try_into().ok()?)),
        _ => json!(format!("0x{}", hex::encode(w))),
    })
}
