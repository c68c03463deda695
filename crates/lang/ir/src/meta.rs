//! Artifact metadata, beside the code: the contract's interface as Solidity tools see it
//! (function names, canonical signatures and selectors, the JSON ABI items), the FRC-0042
//! method numbers, and the storage layout report. Backends may read it (the EVM backend
//! dispatches on the selectors); the code itself never depends on it.

use crate::{Mutability, U256, ValTy, WordTy};

/// Per handler (same index as `Contract::handlers`): how the variant is named to callers.
#[derive(Clone, Debug)]
pub struct HandlerMeta {
    /// The Solidity function name and canonical signature.
    pub sol_name: String,
    pub signature: String,
    /// The first four bytes of keccak256 of the signature.
    pub selector: [u8; 4],
    /// The FRC-0042 method number (native target).
    pub method_number: u64,
}

/// One storage variable, as Solidity's `storageLayout` reports it.
#[derive(Clone, Debug)]
pub struct StorageEntry {
    pub label: String,
    pub slot: U256,
    pub offset: u32,
    pub type_label: String,
    pub number_of_bytes: u32,
    pub encoding: &'static str,
}

#[derive(Clone, Debug)]
pub struct AbiParam {
    pub name: String,
    pub ty: ValTy,
    pub indexed: bool,
}

#[derive(Clone, Debug)]
pub enum AbiItem {
    Function {
        name: String,
        inputs: Vec<AbiParam>,
        outputs: Vec<AbiParam>,
        mutability: Mutability,
    },
    Constructor {
        inputs: Vec<AbiParam>,
        payable: bool,
    },
    Event {
        name: String,
        inputs: Vec<AbiParam>,
    },
    Error {
        name: String,
        inputs: Vec<AbiParam>,
    },
    /// `receive() external payable`.
    Receive,
    /// `fallback() external [payable]`.
    Fallback {
        payable: bool,
    },
}

#[derive(Clone, Debug, Default)]
pub struct ContractMeta {
    pub handlers: Vec<HandlerMeta>,
    pub abi: Vec<AbiItem>,
    pub storage: Vec<StorageEntry>,
    /// The language's names of the wire types (empty when the producer kept none).
    pub names: WireNames,
}

/// The names a [`ValTy`] drops: which struct or enum of the source a wire type is, and its
/// field and variant names. It mirrors the `ValTy` it describes; the IPLD schema and the
/// Rust bindings read it, the code never does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TypeName {
    /// Nothing to name (a word, `Bytes`, `String`), or names not known.
    #[default]
    Unnamed,
    /// An enum without data (a `uint8` on the wire): its name and variants in index order.
    Enum { name: String, variants: Vec<String> },
    /// A struct (a `ValTy::Tuple` on the wire): its name (with generic arguments, as the
    /// source writes it: `Pair<u8>`) and its fields in order.
    Struct {
        name: String,
        fields: Vec<(String, TypeName)>,
    },
    /// A tuple: its elements.
    Tuple(Vec<TypeName>),
    /// An array or vector: its item.
    Items(Box<TypeName>),
}

impl TypeName {
    /// The name of the `i`th part of an aggregate (a struct's field, a tuple's element,
    /// an array's item whatever `i`), `Unnamed` when not known.
    pub fn part(&self, i: usize) -> &TypeName {
        const NONE: &TypeName = &TypeName::Unnamed;
        match self {
            TypeName::Struct { fields, .. } => fields.get(i).map_or(NONE, |(_, t)| t),
            TypeName::Tuple(ts) => ts.get(i).unwrap_or(NONE),
            TypeName::Items(t) => t,
            _ => NONE,
        }
    }
}

/// The names of a contract's wire types: the constructor's parameters and, per handler
/// (same index as `Contract::handlers`), its parameters and reply values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WireNames {
    pub init: Vec<TypeName>,
    pub handlers: Vec<HandlerNames>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HandlerNames {
    pub params: Vec<TypeName>,
    pub returns: Vec<TypeName>,
}

impl ValTy {
    /// The canonical Solidity type name.
    pub fn sol_name(&self) -> String {
        match self {
            ValTy::Word(WordTy::Uint(b)) => format!("uint{b}"),
            ValTy::Word(WordTy::Int(b)) => format!("int{b}"),
            ValTy::Word(WordTy::Bool) => "bool".into(),
            ValTy::Word(WordTy::Address) => "address".into(),
            ValTy::Word(WordTy::FixedBytes(n)) => format!("bytes{n}"),
            ValTy::Bytes => "bytes".into(),
            ValTy::String => "string".into(),
            ValTy::Array(t, n) => format!("{}[{n}]", t.sol_name()),
            ValTy::DynArray(t) => format!("{}[]", t.sol_name()),
            ValTy::Tuple(ts) => format!(
                "({})",
                ts.iter().map(ValTy::sol_name).collect::<Vec<_>>().join(",")
            ),
        }
    }
}

/// The canonical signature `name(type,..)` of typed fields.
pub fn signature<'a>(name: &str, tys: impl IntoIterator<Item = &'a ValTy>) -> String {
    let tys: Vec<String> = tys.into_iter().map(ValTy::sol_name).collect();
    format!("{name}({})", tys.join(","))
}

/// The selector of a signature: the first four bytes of its keccak256.
pub fn selector(signature: &str) -> [u8; 4] {
    let h = alloy_primitives::keccak256(signature.as_bytes());
    [h[0], h[1], h[2], h[3]]
}
