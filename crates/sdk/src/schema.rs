//! Schemas: what a type looks like on the wire, so tools can speak values.
//!
//! [`Schema`] describes a [`Cbor`](crate::Cbor) type as a constant [`Type`] tree:
//! `#[derive(Cbor)]` implements it (struct field names in encoding order, enum variants with
//! their indexes), and the SDK does for its own types. `dispatch!` gathers the methods'
//! params and return types (and the actor's events) into an [`Actor`] and writes it as JSON
//! into the module's `tandem:schema` custom section, at compile time: no code, no data
//! segment, no runtime cost. The JSON format is documented in docs/sdk.md ("Schemas").

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use crate::address::{Address, TokenAmount};
use crate::cbor::{Bytes, Raw};

/// The wasm custom section `dispatch!` writes the actor's schema (JSON) into.
pub const SECTION: &str = "tandem:schema";

/// The shape of a value on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// `()`: no params, no return (`null`).
    Unit,
    Bool,
    /// `u8`…`u64` (the bit width).
    Uint(u8),
    /// `i8`…`i64`.
    Int(u8),
    /// `u128`, `TokenAmount`: fvm big-integer bytes.
    BigInt,
    Text,
    /// A byte string of any length (`Bytes`).
    Bytes,
    /// `[u8; N]`: a byte string of exactly N bytes.
    ByteArray(usize),
    Address,
    /// A link (tag 42).
    Cid,
    /// IPLD_RAW bytes (`Raw`, e.g. Solidity ABI under "InvokeEVM").
    Raw,
    /// Any CBOR value (a hand-written `Cbor` type that says no more).
    Any,
    Option(&'static Type),
    List(&'static Type),
    Map(&'static Type, &'static Type),
    Tuple(&'static [Type]),
    Struct(&'static str, Fields),
    Enum(&'static str, &'static [Variant]),
}

/// The fields of a struct or enum variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fields {
    /// Named fields, in encoding order (an array of their values).
    Named(&'static [Field]),
    /// Unnamed fields (an array; for a struct, two or more).
    Tuple(&'static [Type]),
    /// A struct of one unnamed field: the field itself.
    Newtype(&'static Type),
    /// No fields.
    Unit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub ty: Type,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    pub name: &'static str,
    pub index: u64,
    pub fields: Fields,
}

/// A type with a schema. `#[derive(Cbor)]` implements it.
pub trait Schema {
    const SCHEMA: Type;
}

/// One method of an actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Method {
    pub name: &'static str,
    /// The FRC-0042 method number (1 for "Constructor").
    pub number: u64,
    pub params: Type,
    pub ret: Type,
}

/// What `dispatch!` knows of an actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub methods: &'static [Method],
    pub events: &'static [crate::event::EventSchema],
}

/// A method's schema from its handler's signature (used by `dispatch!`).
pub const fn method<P: Schema, R: Schema>(
    name: &'static str,
    number: u64,
    _handler: fn(P) -> Result<R, crate::ActorError>,
) -> Method {
    Method {
        name,
        number,
        params: P::SCHEMA,
        ret: R::SCHEMA,
    }
}

macro_rules! leaf {
    ($($t:ty => $v:expr),* $(,)?) => {$(
        impl Schema for $t {
            const SCHEMA: Type = $v;
        }
    )*};
}
leaf! {
    () => Type::Unit,
    bool => Type::Bool,
    u8 => Type::Uint(8), u16 => Type::Uint(16), u32 => Type::Uint(32), u64 => Type::Uint(64),
    i8 => Type::Int(8), i16 => Type::Int(16), i32 => Type::Int(32), i64 => Type::Int(64),
    u128 => Type::BigInt,
    TokenAmount => Type::BigInt,
    String => Type::Text,
    Bytes => Type::Bytes,
    Raw => Type::Raw,
    Address => Type::Address,
}

#[cfg(feature = "ipld")]
impl Schema for crate::ipld::Cid {
    const SCHEMA: Type = Type::Cid;
}

impl<const N: usize> Schema for [u8; N] {
    const SCHEMA: Type = Type::ByteArray(N);
}

impl<T: Schema> Schema for Option<T> {
    const SCHEMA: Type = Type::Option(&T::SCHEMA);
}

impl<T: Schema> Schema for Vec<T> {
    const SCHEMA: Type = Type::List(&T::SCHEMA);
}

impl<K: Schema, V: Schema> Schema for BTreeMap<K, V> {
    const SCHEMA: Type = Type::Map(&K::SCHEMA, &V::SCHEMA);
}

macro_rules! tuple_schema {
    ($($t:ident),+) => {
        impl<$($t: Schema),+> Schema for ($($t,)+) {
            const SCHEMA: Type = Type::Tuple(&[$($t::SCHEMA),+]);
        }
    };
}
tuple_schema!(A);
tuple_schema!(A, B);
tuple_schema!(A, B, C);
tuple_schema!(A, B, C, D);
tuple_schema!(A, B, C, D, E);
tuple_schema!(A, B, C, D, E, F);
tuple_schema!(A, B, C, D, E, F, G);
tuple_schema!(A, B, C, D, E, F, G, H);
tuple_schema!(A, B, C, D, E, F, G, H, I);
tuple_schema!(A, B, C, D, E, F, G, H, I, J);
tuple_schema!(A, B, C, D, E, F, G, H, I, J, K);
tuple_schema!(A, B, C, D, E, F, G, H, I, J, K, L);

// ---- JSON, at compile time ---------------------------------------------------------------

/// Writes JSON into a buffer at compile time; with an empty buffer it only counts.
pub struct Json<'a> {
    buf: &'a mut [u8],
    pub len: usize,
}

impl<'a> Json<'a> {
    pub const fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    const fn byte(&mut self, b: u8) {
        if self.len < self.buf.len() {
            self.buf[self.len] = b;
        }
        self.len += 1;
    }

    const fn raw(&mut self, s: &str) {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            self.byte(b[i]);
            i += 1;
        }
    }

    const fn string(&mut self, s: &str) {
        self.byte(b'"');
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'"' || b[i] == b'\\' {
                self.byte(b'\\');
            }
            self.byte(b[i]);
            i += 1;
        }
        self.byte(b'"');
    }

    const fn number(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut i = 20;
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        while i < 20 {
            self.byte(digits[i]);
            i += 1;
        }
    }

    /// `"key":` after a comma unless it is the first.
    const fn key(&mut self, first: bool, k: &str) {
        if !first {
            self.byte(b',');
        }
        self.string(k);
        self.byte(b':');
    }

    pub const fn ty(&mut self, t: &Type) {
        match t {
            Type::Unit => self.string("unit"),
            Type::Bool => self.string("bool"),
            Type::Uint(bits) => self.int_name(b'u', *bits),
            Type::Int(bits) => self.int_name(b'i', *bits),
            Type::BigInt => self.string("bigint"),
            Type::Text => self.string("string"),
            Type::Bytes => self.string("bytes"),
            Type::Address => self.string("address"),
            Type::Cid => self.string("cid"),
            Type::Raw => self.string("raw"),
            Type::Any => self.string("any"),
            Type::ByteArray(n) => {
                self.byte(b'{');
                self.key(true, "bytes");
                self.number(*n as u64);
                self.byte(b'}');
            }
            Type::Option(inner) => self.wrap("option", inner),
            Type::List(inner) => self.wrap("list", inner),
            Type::Map(k, v) => {
                self.byte(b'{');
                self.key(true, "map");
                self.byte(b'[');
                self.ty(k);
                self.byte(b',');
                self.ty(v);
                self.raw("]}");
            }
            Type::Tuple(items) => {
                self.byte(b'{');
                self.key(true, "tuple");
                self.types(items);
                self.byte(b'}');
            }
            Type::Struct(name, fields) => {
                self.byte(b'{');
                self.key(true, "struct");
                self.string(name);
                self.fields(fields);
                self.byte(b'}');
            }
            Type::Enum(name, variants) => {
                self.byte(b'{');
                self.key(true, "enum");
                self.string(name);
                self.key(false, "variants");
                self.byte(b'[');
                let mut i = 0;
                while i < variants.len() {
                    if i > 0 {
                        self.byte(b',');
                    }
                    let v = &variants[i];
                    self.byte(b'{');
                    self.key(true, "name");
                    self.string(v.name);
                    self.key(false, "index");
                    self.number(v.index);
                    self.fields(&v.fields);
                    self.byte(b'}');
                    i += 1;
                }
                self.raw("]}");
            }
        }
    }

    const fn int_name(&mut self, sign: u8, bits: u8) {
        self.byte(b'"');
        self.byte(sign);
        self.number(bits as u64);
        self.byte(b'"');
    }

    const fn wrap(&mut self, key: &str, inner: &Type) {
        self.byte(b'{');
        self.key(true, key);
        self.ty(inner);
        self.byte(b'}');
    }

    const fn types(&mut self, items: &[Type]) {
        self.byte(b'[');
        let mut i = 0;
        while i < items.len() {
            if i > 0 {
                self.byte(b',');
            }
            self.ty(&items[i]);
            i += 1;
        }
        self.byte(b']');
    }

    /// `,"fields":[…]`, `,"tuple":[…]`, `,"newtype":…`, or nothing for a unit shape.
    const fn fields(&mut self, fields: &Fields) {
        match fields {
            Fields::Named(named) => {
                self.key(false, "fields");
                self.byte(b'[');
                let mut i = 0;
                while i < named.len() {
                    if i > 0 {
                        self.byte(b',');
                    }
                    self.byte(b'{');
                    self.key(true, "name");
                    self.string(named[i].name);
                    self.key(false, "type");
                    self.ty(&named[i].ty);
                    self.byte(b'}');
                    i += 1;
                }
                self.byte(b']');
            }
            Fields::Tuple(items) => {
                self.key(false, "tuple");
                self.types(items);
            }
            Fields::Newtype(inner) => {
                self.key(false, "newtype");
                self.ty(inner);
            }
            Fields::Unit => {}
        }
    }

    pub const fn actor(&mut self, a: &Actor) {
        self.raw("{\"version\":1,\"methods\":[");
        let mut i = 0;
        while i < a.methods.len() {
            if i > 0 {
                self.byte(b',');
            }
            let m = &a.methods[i];
            self.byte(b'{');
            self.key(true, "name");
            self.string(m.name);
            self.key(false, "number");
            self.number(m.number);
            self.key(false, "params");
            self.ty(&m.params);
            self.key(false, "return");
            self.ty(&m.ret);
            self.byte(b'}');
            i += 1;
        }
        self.raw("],\"events\":[");
        let mut i = 0;
        while i < a.events.len() {
            if i > 0 {
                self.byte(b',');
            }
            self.event(&a.events[i]);
            i += 1;
        }
        self.raw("]}");
    }

    const fn event(&mut self, e: &crate::event::EventSchema) {
        self.byte(b'{');
        self.key(true, "name");
        self.string(e.name);
        self.key(false, "signature");
        self.byte(b'"');
        crate::event::signature(e, self);
        self.byte(b'"');
        self.key(false, "fields");
        self.byte(b'[');
        let mut i = 0;
        while i < e.fields.len() {
            if i > 0 {
                self.byte(b',');
            }
            let f = &e.fields[i];
            self.byte(b'{');
            self.key(true, "name");
            self.string(f.name);
            self.key(false, "type");
            self.ty(&f.ty);
            self.key(false, "sol");
            self.string(f.sol);
            self.key(false, "indexed");
            self.raw(if f.indexed { "true" } else { "false" });
            self.byte(b'}');
            i += 1;
        }
        self.raw("]}");
    }

    /// For `event::signature`: a piece of the signature.
    pub(crate) const fn push_str(&mut self, s: &str) {
        self.raw(s);
    }
}

/// The length of an actor's schema JSON.
pub const fn json_len(a: &Actor) -> usize {
    let mut empty = [0u8; 0];
    let mut w = Json::new(&mut empty);
    w.actor(a);
    w.len
}

/// An actor's schema JSON (`N` from [`json_len`]).
pub const fn json_bytes<const N: usize>(a: &Actor) -> [u8; N] {
    let mut out = [0u8; N];
    {
        let mut w = Json::new(&mut out);
        w.actor(a);
    }
    out
}

/// A type's schema JSON, on the host (tests, tools).
pub fn type_json(t: &Type) -> String {
    let mut empty = [0u8; 0];
    let mut w = Json::new(&mut empty);
    w.ty(t);
    let mut buf = alloc::vec![0u8; w.len];
    let mut w = Json::new(&mut buf);
    w.ty(t);
    String::from_utf8(buf).unwrap_or_default()
}

/// An actor's schema JSON, on the host.
pub fn actor_json(a: &Actor) -> String {
    let mut buf = alloc::vec![0u8; json_len(a)];
    let mut w = Json::new(&mut buf);
    w.actor(a);
    String::from_utf8(buf).unwrap_or_default()
}
