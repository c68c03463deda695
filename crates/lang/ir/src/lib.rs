//! The middle IR: structured control flow over 256-bit words, with storage, memory, hashing,
//! calls and ABI-level returns/reverts/logs as primitive operations. It knows nothing of EVM
//! opcodes or stack layout, so a WASM backend can consume the same IR.
//!
//! Values are words. Aggregates (structs, tuples, arrays, enums, `Bytes`, `Vec`) live in
//! memory and are passed around as pointer words. A static aggregate is laid out as the ABI
//! encoding of its fields (one word per leaf), a dynamic one as a length word and its data.

pub mod opt;
pub mod print;

pub use alloy_primitives::U256;

pub type LocalId = u32;
pub type LabelId = u32;

/// How a word is interpreted: used to clean values and to ABI-encode them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WordTy {
    Uint(u16),
    Int(u16),
    Bool,
    Address,
    /// `bytesN` (1 ≤ N ≤ 32): left-aligned in the word, as Solidity keeps it.
    FixedBytes(u8),
}

/// The ABI shape of a value handed to `Return`, `Revert`, `Log` or an external call.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AbiTy {
    Word(WordTy),
    Bytes,
    String,
    /// `[T; N]`: a pointer to N elements.
    Array(Box<AbiTy>, u32),
    /// `Vec<T>`: a pointer to a length word followed by the elements.
    DynArray(Box<AbiTy>),
    Tuple(Vec<AbiTy>),
}

impl AbiTy {
    pub fn is_dynamic(&self) -> bool {
        match self {
            AbiTy::Word(_) => false,
            AbiTy::Bytes | AbiTy::String | AbiTy::DynArray(_) => true,
            AbiTy::Array(t, _) => t.is_dynamic(),
            AbiTy::Tuple(ts) => ts.iter().any(AbiTy::is_dynamic),
        }
    }

    /// Size of the head (static part) in bytes.
    pub fn head_size(&self) -> u32 {
        if self.is_dynamic() {
            return 32;
        }
        match self {
            AbiTy::Array(t, n) => t.head_size().saturating_mul(*n),
            AbiTy::Tuple(ts) => ts.iter().map(AbiTy::head_size).sum(),
            _ => 32,
        }
    }

    /// The canonical Solidity type name.
    pub fn sol_name(&self) -> String {
        match self {
            AbiTy::Word(WordTy::Uint(b)) => format!("uint{b}"),
            AbiTy::Word(WordTy::Int(b)) => format!("int{b}"),
            AbiTy::Word(WordTy::Bool) => "bool".into(),
            AbiTy::Word(WordTy::Address) => "address".into(),
            AbiTy::Word(WordTy::FixedBytes(n)) => format!("bytes{n}"),
            AbiTy::Bytes => "bytes".into(),
            AbiTy::String => "string".into(),
            AbiTy::Array(t, n) => format!("{}[{n}]", t.sol_name()),
            AbiTy::DynArray(t) => format!("{}[]", t.sol_name()),
            AbiTy::Tuple(ts) => format!(
                "({})",
                ts.iter().map(AbiTy::sol_name).collect::<Vec<_>>().join(",")
            ),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    SDiv,
    Mod,
    SMod,
    Exp,
    And,
    Or,
    Xor,
    /// `Shl(value, amount)`: operands in source order, unlike the EVM opcode.
    Shl,
    Shr,
    Sar,
    Lt,
    Gt,
    SLt,
    SGt,
    Eq,
    /// `SignExtend(value, byte_index)`.
    SignExtend,
    /// `Byte(value, index)`.
    Byte,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    IsZero,
    Not,
}

/// Arithmetic that reverts with `Panic(0x11)` on overflow or `Panic(0x12)` on division by zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CheckedOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Env {
    Caller,
    Origin,
    CallValue,
    Address,
    Number,
    Timestamp,
    ChainId,
    GasLeft,
    SelfBalance,
    CallDataSize,
    ReturnDataSize,
    CodeSize,
    FreeMemory,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallKind {
    Call,
    StaticCall,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Intrinsic {
    /// `Sha256(ptr, len) -> word`
    Sha256,
    /// `Blake2b256(ptr, len) -> word`
    Blake2b256,
    /// `Ecrecover(hash, v, r, s) -> address`
    Ecrecover,
    /// `ExtCodeSize(address) -> word`: the size of an account's code.
    ExtCodeSize,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Expr {
    Const(U256),
    Local(LocalId),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    Un(UnOp, Box<Expr>),
    /// Checked arithmetic on an integer type of `bits` width; `signed` selects the range.
    Checked {
        op: CheckedOp,
        signed: bool,
        bits: u16,
        a: Box<Expr>,
        b: Box<Expr>,
    },
    Env(Env),
    Balance(Box<Expr>),
    SLoad(Box<Expr>),
    MLoad(Box<Expr>),
    CallDataLoad(Box<Expr>),
    /// keccak256 of the words laid side by side (a mapping slot: key then base slot).
    HashWords(Vec<Expr>),
    /// keccak256 of `len` bytes of memory at `ptr`.
    HashMem(Box<Expr>, Box<Expr>),
    /// Reserves `size` bytes of memory and yields their address.
    Alloc(Box<Expr>),
    /// Runs statements, then yields the expression.
    Seq(Vec<Stmt>, Box<Expr>),
    /// A value-producing conditional.
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    /// An external call; yields the success flag.
    Call {
        kind: CallKind,
        gas: Option<Box<Expr>>,
        addr: Box<Expr>,
        value: Box<Expr>,
        args: Box<Expr>,
        args_len: Box<Expr>,
    },
    /// CREATE or CREATE2 of the contract `child` (an index into `Module::contracts`), with
    /// ABI-encoded constructor arguments in memory; yields the new address (0 on failure).
    Create {
        child: u32,
        value: Box<Expr>,
        args: Box<Expr>,
        args_len: Box<Expr>,
        salt: Option<Box<Expr>>,
    },
    Intrinsic(Intrinsic, Vec<Expr>),
    /// ABI-encodes the values (after an optional selector) into fresh memory laid out like
    /// `Bytes`: a length word, then the encoding. Yields the pointer.
    AbiEncode {
        selector: Option<[u8; 4]>,
        args: Vec<(Expr, AbiTy)>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Revert {
    /// A custom error: selector and ABI-encoded fields.
    Error {
        selector: [u8; 4],
        args: Vec<(Expr, AbiTy)>,
    },
    Panic(u8),
    Empty,
    /// Re-throws the return data of the last call.
    Bubble,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Stmt {
    Let(LocalId, Expr),
    Set(LocalId, Expr),
    SStore(Expr, Expr),
    MStore(Expr, Expr),
    MStore8(Expr, Expr),
    /// `dst, src, len`
    CallDataCopy(Expr, Expr, Expr),
    ReturnDataCopy(Expr, Expr, Expr),
    MCopy(Expr, Expr, Expr),
    Expr(Expr),
    If(Expr, Vec<Stmt>, Vec<Stmt>),
    /// A block that `Exit(label)` leaves early (inlined function bodies).
    Block(LabelId, Vec<Stmt>),
    Exit(LabelId),
    /// Repeats `body` then `step` until `Break(label)`; `Continue(label)` jumps to `step`.
    Loop {
        label: LabelId,
        body: Vec<Stmt>,
        step: Vec<Stmt>,
    },
    Break(LabelId),
    Continue(LabelId),
    /// Ends the message successfully, ABI-encoding the values.
    Return(Vec<(Expr, AbiTy)>),
    Revert(Revert),
    /// Emits a log with the given topics and ABI-encoded data.
    Log {
        topics: Vec<Expr>,
        data: Vec<(Expr, AbiTy)>,
    },
    /// Reverts with `Panic(code)` unless the condition holds.
    Assert(Expr, u8),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutability {
    Pure,
    View,
    NonPayable,
    Payable,
}

impl Mutability {
    pub fn as_str(self) -> &'static str {
        match self {
            Mutability::Pure => "pure",
            Mutability::View => "view",
            Mutability::NonPayable => "nonpayable",
            Mutability::Payable => "payable",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Param {
    pub name: String,
    pub ty: AbiTy,
    pub local: LocalId,
}

/// One external entry point: a message variant.
#[derive(Clone, Debug)]
pub struct Handler {
    pub variant: String,
    /// The Solidity function name and canonical signature.
    pub sol_name: String,
    pub signature: String,
    pub selector: [u8; 4],
    /// The FRC-42 method number (native target).
    pub method_number: u64,
    pub params: Vec<Param>,
    pub returns: Vec<AbiTy>,
    pub mutability: Mutability,
    pub body: Vec<Stmt>,
}

#[derive(Clone, Debug)]
pub struct Init {
    pub params: Vec<Param>,
    pub payable: bool,
    pub body: Vec<Stmt>,
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
    pub ty: AbiTy,
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
}

#[derive(Clone, Debug)]
pub struct Contract {
    pub name: String,
    /// The source file the contract is defined in (for artifact paths).
    pub file: String,
    pub init: Init,
    pub handlers: Vec<Handler>,
    pub abi: Vec<AbiItem>,
    pub storage: Vec<StorageEntry>,
    /// Whether any code allocates memory (then the backend maintains a free-memory pointer).
    pub uses_heap: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Module {
    pub contracts: Vec<Contract>,
    /// Per contract: the module indices of the contracts its `Create` expressions deploy.
    pub children: Vec<Vec<usize>>,
}

impl Expr {
    pub fn c(v: u64) -> Expr {
        Expr::Const(U256::from(v))
    }
    pub fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
        Expr::Bin(op, Box::new(a), Box::new(b))
    }
    pub fn un(op: UnOp, a: Expr) -> Expr {
        Expr::Un(op, Box::new(a))
    }
    pub fn plus(a: Expr, b: Expr) -> Expr {
        Expr::bin(BinOp::Add, a, b)
    }

    /// Whether evaluating the expression can be skipped without changing behaviour: no writes,
    /// no calls, and no checks that could revert.
    pub fn is_pure(&self) -> bool {
        match self {
            Expr::Const(_) | Expr::Local(_) | Expr::Env(_) => true,
            Expr::Bin(_, a, b) => a.is_pure() && b.is_pure(),
            Expr::Un(_, a)
            | Expr::Balance(a)
            | Expr::SLoad(a)
            | Expr::MLoad(a)
            | Expr::CallDataLoad(a) => a.is_pure(),
            Expr::HashWords(ws) => ws.iter().all(Expr::is_pure),
            Expr::HashMem(a, b) => a.is_pure() && b.is_pure(),
            Expr::Cond(c, a, b) => c.is_pure() && a.is_pure() && b.is_pure(),
            Expr::Checked { .. }
            | Expr::Alloc(_)
            | Expr::Seq(..)
            | Expr::Call { .. }
            | Expr::Create { .. }
            | Expr::Intrinsic(..)
            | Expr::AbiEncode { .. } => false,
        }
    }
}
