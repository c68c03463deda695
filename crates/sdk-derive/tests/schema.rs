//! `#[derive(Cbor)]` also derives the schema: snapshots of the JSON it gives a struct and an
//! enum, and of an actor's schema as `dispatch!` writes it into the `tandem:schema` section.

use std::collections::BTreeMap;

use tandem_sdk::cbor::Bytes;
use tandem_sdk::event::signature_string;
use tandem_sdk::schema::{Schema, Type, actor_json, type_json};
use tandem_sdk::{ActorError, Address, Cbor, Event, TokenAmount};

#[derive(Cbor)]
struct Deal {
    buyer: Address,
    amount: TokenAmount,
    note: Option<String>,
    tags: Vec<u8>,
    hash: [u8; 32],
    extra: BTreeMap<String, (u64, i32, bool)>,
}

#[derive(Cbor)]
#[repr(u8)]
enum Action {
    Deposit,
    Release(Address) = 5,
    Refund { to: Address, reason: String },
}

#[derive(Cbor)]
struct Id(u64);

#[derive(Cbor)]
struct Pair(u64, Bytes);

#[test]
fn struct_schema_snapshot() {
    assert_eq!(
        type_json(&Deal::SCHEMA),
        concat!(
            r#"{"struct":"Deal","fields":[{"name":"buyer","type":"address"},"#,
            r#"{"name":"amount","type":"bigint"},{"name":"note","type":{"option":"string"}},"#,
            r#"{"name":"tags","type":{"list":"u8"}},{"name":"hash","type":{"bytes":32}},"#,
            r#"{"name":"extra","type":{"map":["string",{"tuple":["u64","i32","bool"]}]}}]}"#
        )
    );
    assert_eq!(type_json(&Id::SCHEMA), r#"{"struct":"Id","newtype":"u64"}"#);
    assert_eq!(
        type_json(&Pair::SCHEMA),
        r#"{"struct":"Pair","tuple":["u64","bytes"]}"#
    );
}

#[test]
fn enum_schema_snapshot() {
    assert_eq!(
        type_json(&Action::SCHEMA),
        concat!(
            r#"{"enum":"Action","variants":[{"name":"Deposit","index":0},"#,
            r#"{"name":"Release","index":5,"tuple":["address"]},"#,
            r#"{"name":"Refund","index":6,"fields":[{"name":"to","type":"address"},"#,
            r#"{"name":"reason","type":"string"}]}]}"#
        )
    );
    match Action::SCHEMA {
        Type::Enum("Action", variants) => assert_eq!(variants.len(), 3),
        other => panic!("{other:?}"),
    }
}

#[derive(Event)]
struct Moved {
    #[indexed]
    from: Address,
    #[indexed]
    to: Address,
    amount: TokenAmount,
    memo: String,
}

fn deposit(_: Action) -> Result<(), ActorError> {
    Ok(())
}

fn balance(_: (Address,)) -> Result<TokenAmount, ActorError> {
    Ok(TokenAmount(0))
}

mod actor {
    use super::*;
    tandem_sdk::dispatch! {
        events { Moved }
        "Deposit" => deposit,
        "Balance" => balance,
    }
}

#[test]
fn dispatch_gathers_the_actors_schema() {
    assert_eq!(
        signature_string(&Moved::SCHEMA),
        "Moved(address,address,uint256,string)"
    );
    let deposit = tandem_sdk::method_hash!("Deposit");
    let balance = tandem_sdk::method_hash!("Balance");
    let json = actor_json(&actor::TANDEM_SCHEMA);
    let v: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(v["version"], 1);
    assert_eq!(v["methods"][0]["name"], "Deposit");
    assert_eq!(v["methods"][0]["number"], deposit);
    assert_eq!(v["methods"][0]["params"]["enum"], "Action");
    assert_eq!(v["methods"][0]["return"], "unit");
    assert_eq!(v["methods"][1]["number"], balance);
    assert_eq!(
        v["methods"][1]["params"],
        serde_json::json!({"tuple": ["address"]})
    );
    assert_eq!(v["methods"][1]["return"], "bigint");
    assert_eq!(
        v["events"][0]["signature"],
        "Moved(address,address,uint256,string)"
    );
    assert_eq!(v["events"][0]["fields"][1]["indexed"], true);
    assert_eq!(v["events"][0]["fields"][3]["sol"], "string");
    // the constant is what the section holds
    const LEN: usize = tandem_sdk::schema::json_len(&actor::TANDEM_SCHEMA);
    const BYTES: [u8; LEN] = tandem_sdk::schema::json_bytes(&actor::TANDEM_SCHEMA);
    assert_eq!(std::str::from_utf8(&BYTES).unwrap(), json);
}
