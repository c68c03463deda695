//! The middle IR: structured control flow over 256-bit words, with storage, memory, hashing,
//! message sends, replies, events and errors as typed primitive operations.
//!
//! # The target-neutral seam
//!
//! What `sema` produces ([`Stage::Neutral`], checked by [`verify`]) holds no EVM or Solidity
//! ABI concept: no calldata, return-data buffers, selectors, topics or ABI encodings. A
//! message send is `(target, message, typed arguments)` ([`Expr::Message`], [`Expr::Send`]), a
//! reply is a typed value read after a send ([`Expr::Reply`]), handler parameters are typed
//! and bound by position ([`Param`]), events and errors are typed values ([`Stmt::Emit`],
//! [`Revert::Error`]), hashing names its algorithm ([`HashAlg`]) and storage is addressed by
//! logical place (slots from the layout, [`Expr::MapSlot`], [`Expr::DataSlot`]). How a backend
//! encodes messages, replies, events and errors, dispatches, and derives mapping slots is its
//! own business. The Solidity interface (signatures, selectors, the JSON ABI) and the storage
//! layout report live beside the code in [`meta::ContractMeta`], for artifacts.
//!
//! Each backend lowers the typed operations itself. The EVM backend's ABI lowering turns them
//! into the EVM-shaped forms of [`lowered`] ([`Stage::Lowered`]), which only a backend may
//! produce; the optimiser ([`opt`]) understands both stages. `docs/ir.md` lists what a backend
//! must implement.
//!
//! Values are words. Aggregates (structs, tuples, arrays, enums, `Bytes`, `Vec`) live in
//! memory and are passed around as pointer words. A static aggregate is laid out as one word
//! per leaf, in order; a dynamic one as a length word and its data.

pub mod lowered;
pub mod meta;
pub mod opt;
pub mod print;
pub mod verify;

pub use alloy_primitives::U256;
pub use lowered::{LExpr, LStmt};
pub use verify::{Stage, VerifyError, verify};

pub type LocalId = u32;
pub type LabelId = u32;
/// An index into [`Contract::functions`].
pub type FuncId = u32;

/// How a word is interpreted: used to clean values and to encode them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WordTy {
    Uint(u16),
    Int(u16),
    Bool,
    Address,
    /// `bytesN` (1 ≤ N ≤ 32): left-aligned in the word.
    FixedBytes(u8),
}

/// The shape of a value that crosses the actor's boundary: a parameter, a reply, a message
/// argument, an event field or an error field. Backends choose the wire encoding.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ValTy {
    Word(WordTy),
    Bytes,
    String,
    /// `[T; N]`: a pointer to N elements.
    Array(Box<ValTy>, u32),
    /// `Vec<T>`: a pointer to a length word followed by the elements.
    DynArray(Box<ValTy>),
    Tuple(Vec<ValTy>),
}

impl ValTy {
    /// Whether the value has a length only known at run time (then it is a pointer to a
    /// length word and the data).
    pub fn is_dynamic(&self) -> bool {
        match self {
            ValTy::Word(_) => false,
            ValTy::Bytes | ValTy::String | ValTy::DynArray(_) => true,
            ValTy::Array(t, _) => t.is_dynamic(),
            ValTy::Tuple(ts) => ts.iter().any(ValTy::is_dynamic),
        }
    }

    /// Bytes of the fixed part: a static value's words laid side by side, or one word (the
    /// pointer) for a dynamic value.
    pub fn head_size(&self) -> u32 {
        if self.is_dynamic() {
            return 32;
        }
        match self {
            ValTy::Array(t, n) => t.head_size().saturating_mul(*n),
            ValTy::Tuple(ts) => ts.iter().map(ValTy::head_size).sum(),
            _ => 32,
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

/// Values of the running message and block. None changes during a message except
/// `GasLeft` and `SelfBalance`.
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
}

/// Whether a send may change state (`Call`) or must not (`View`: the callee runs read-only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallKind {
    Call,
    StaticCall,
}

/// A hash function, named: backends implement each as they can (a syscall, a precompile,
/// inline code).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashAlg {
    Keccak256,
    Sha256,
    Blake2b256,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Intrinsic {
    /// `Ecrecover(hash, v, r, s) -> address`
    Ecrecover,
    /// `CodeSize(address) -> word`: the size of an account's code (`ctx.code_size`).
    CodeSize,
    /// `CodeHash(address) -> word`: the keccak256 of an account's code, 0 for an account that
    /// does not exist (`std::code::code_hash`, EXTCODEHASH).
    CodeHash,
    /// `CodeCopy(address, dst, len) -> 0`: writes the first `len` bytes of an account's code
    /// (zeros past its end) to memory at `dst` (`std::code::code_at`, EXTCODECOPY).
    CodeCopy,
    /// `CreateCode(value, code) -> address`: creates a contract (CREATE, at this contract's
    /// address and nonce) whose runtime code is exactly the `Bytes` at `code`, sending it
    /// `value`; 0 when the creation fails (code over the 24,576-byte limit of EIP-170 or
    /// starting with 0xEF, value over the balance, a static context, out of gas). Runs no
    /// code of its own (`std::sstore2::write`).
    CreateCode,
    /// `TLoad(slot) -> word`: a transient storage word of this contract (EIP-1153; cleared
    /// when the transaction ends, rolled back with a failing call).
    TLoad,
    /// `TStore(slot, value) -> 0`: writes a transient storage word.
    TStore,
    /// `Immutable(k)() -> word`: the contract's immutable #k (a storage field marked
    /// `#[immutable]`, numbered in declaration order): fixed once `init` ends, 0 until `init`
    /// writes it. Each target keeps it where it is cheapest to read (docs/ir.md).
    Immutable(u32),
    /// `SetImmutable(k)(value) -> 0`: writes immutable #k; only in `init`'s own body.
    SetImmutable(u32),
}

/// Where a target that cannot patch its code keeps immutable #k (the native build's actor
/// state; the EVM build's constructor, in transient storage until it patches the runtime):
/// `keccak256("tandem.immutable") + k`, a slot the Solidity layout does not reach.
pub fn immutable_slot(k: u32) -> U256 {
    U256::from_be_bytes(alloy_primitives::keccak256(b"tandem.immutable").0)
        .wrapping_add(U256::from(k))
}

/// A message variant as its senders name it: the interface's names for every target.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MsgRef {
    /// `Message::Variant`.
    pub name: String,
    /// The canonical Solidity signature (`transfer(address,uint256)`, or the `#[abi]`
    /// override): what an EVM target hashes into a selector.
    pub signature: String,
    /// The FRC-0042 method number (or the `#[method = N]` override).
    pub method_number: u64,
}

/// Where the reply to an async message goes: a handler of the sending contract and the
/// reply's gas limit.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AsyncReplyTo {
    pub handler: MsgRef,
    pub gas: Box<Expr>,
}

/// The address of the VM's async queue actor (ID 11) as a language `Address` (its masked ID
/// form on every target): the only caller of a reply handler.
pub const ASYNC_QUEUE_ADDRESS: u64 = 11;

/// What a send carries.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Payload {
    /// Nothing: a plain value transfer.
    None,
    /// A message value built by [`Expr::Message`].
    Message(Box<Expr>),
    /// Raw `Bytes` handed to the target as they are (`ctx.call_raw`).
    Bytes(Box<Expr>),
}

/// One field of an event.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EventField {
    pub value: Expr,
    pub ty: ValTy,
    pub indexed: bool,
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
    /// The hash of the 32-byte big-endian words laid side by side.
    HashWords(HashAlg, Vec<Expr>),
    /// The hash of `len` bytes of memory at `ptr`: `Hash(alg, ptr, len)`.
    Hash(HashAlg, Box<Expr>, Box<Expr>),
    /// The storage slot of a mapping's entry: `base` is the mapping's slot, `key` a word, or
    /// a pointer to `Bytes`/`String` when `bytes_key`.
    MapSlot {
        base: Box<Expr>,
        key: Box<Expr>,
        bytes_key: bool,
    },
    /// The first slot of the data of the dynamic storage value (`StorageVec`, long `Bytes`)
    /// whose length sits at the given slot.
    DataSlot(Box<Expr>),
    /// Reserves `size` bytes of memory and yields their address.
    Alloc(Box<Expr>),
    /// Runs statements, then yields the expression.
    Seq(Vec<Stmt>, Box<Expr>),
    /// A value-producing conditional.
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    /// A message value: the variant and its typed arguments. Yields a pointer word to an
    /// encoding of the backend's choosing, only to be sent ([`Payload::Message`]).
    Message {
        msg: MsgRef,
        args: Vec<(Expr, ValTy)>,
    },
    /// Sends to `target` with `value` attached (and at most `gas`); yields 1 on success and 0
    /// on failure. The reply is read with [`Expr::Reply`] or [`Expr::ReplyBytes`] before the
    /// next send.
    Send {
        kind: CallKind,
        gas: Option<Box<Expr>>,
        target: Box<Expr>,
        value: Box<Expr>,
        payload: Payload,
    },
    /// The reply of the last successful send, decoded as the type (a word, or a pointer to
    /// fresh memory); reverts with no data if the reply does not decode. Only as the value of
    /// a `Let`, right where the reply is current.
    Reply(ValTy),
    /// The whole reply (or failure data) of the last send, as fresh `Bytes`. Only as the
    /// value of a `Let`.
    ReplyBytes,
    /// Creates an instance of the contract `child` (an index into this contract's
    /// `Module::children`) with the constructor's typed arguments, and `salt` for a
    /// deterministic address; yields the new address (0 on failure).
    Create {
        child: u32,
        value: Box<Expr>,
        args: Vec<(Expr, ValTy)>,
        salt: Option<Box<Expr>>,
    },
    Intrinsic(Intrinsic, Vec<Expr>),
    /// An asynchronous send (`ctx.send`, docs/async.md): queues `message` (a local bound to
    /// an [`Expr::Message`]) for `target` with `value` and a delivery gas limit `gas`, and
    /// names the reply handler (this contract's variant and the reply's gas limit) when
    /// there is one. Yields the message's id (a `u64`); a refused send reverts (with the
    /// VM's reason where the target gives one).
    SendAsync {
        target: Box<Expr>,
        value: Box<Expr>,
        gas: Box<Expr>,
        message: Box<Expr>,
        reply: Option<AsyncReplyTo>,
    },
    /// Decodes `ret`, the return bytes an async reply carries (a pointer to `Bytes`), as the
    /// sent variant's reply type, in the encoding the callee answers with; reverts with no
    /// data if it does not decode.
    AsyncReturn(ValTy, Box<Expr>),
    /// `std::abi::encode(..)`: the Solidity ABI encoding of the values, as fresh `Bytes`.
    /// The language defines this one encoding, so every backend implements it.
    AbiEncode(Vec<(Expr, ValTy)>),
    /// Inline EVM assembly (`asm evm`, docs/language.md "Inline assembly"): `inputs` are
    /// evaluated in order and pushed in order (the last ends on top), then `code` runs; it
    /// leaves exactly `outputs` words, the first output on top. Yields no meaningful word for
    /// 0 outputs, the word for 1, and for more a pointer to fresh memory holding the outputs
    /// as words, the first output first. `sema` has checked the code (no jumps, stack
    /// balance, memory only in the scratch words 0..64, no writes of state); it is the one
    /// EVM-specific form of neutral IR, and a backend that cannot run EVM code refuses it.
    EvmAsm {
        inputs: Vec<Expr>,
        code: Vec<AsmOp>,
        outputs: u32,
    },
    /// Calls the contract's internal function (an index into [`Contract::functions`]) with
    /// one word per parameter, evaluated left to right; yields the function's result word
    /// (0 for a function without one). The call may do anything its body does (write
    /// storage and memory, send, revert).
    Call(FuncId, Vec<Expr>),
    /// A backend-lowered form ([`Stage::Lowered`] only).
    Lowered(LExpr),
}

/// One instruction of an inline assembly block ([`Expr::EvmAsm`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AsmOp {
    /// An opcode without immediate data.
    Op(u8),
    /// A push of a constant (the backend picks the width).
    Push(U256),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Revert {
    /// A custom error: its name and typed fields in declaration order.
    Error {
        name: String,
        args: Vec<(Expr, ValTy)>,
    },
    /// A panic with one of the language's codes (0x01 assert, 0x11 overflow, 0x12 division by
    /// zero, 0x32 index out of bounds, ...).
    Panic(u8),
    /// Failure with no data.
    Empty,
    /// Re-raises the failure of the last send, with its data.
    Bubble,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Stmt {
    Let(LocalId, Expr),
    Set(LocalId, Expr),
    SStore(Expr, Expr),
    MStore(Expr, Expr),
    /// `dst, src, len`
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
    /// Ends the message successfully with the handler's typed reply values.
    Return(Vec<(Expr, ValTy)>),
    Revert(Revert),
    /// Emits an event: its name, whether it is anonymous, and its typed fields in
    /// declaration order.
    Emit {
        name: String,
        anonymous: bool,
        fields: Vec<EventField>,
    },
    /// Reverts with `Panic(code)` unless the condition holds.
    Assert(Expr, u8),
    /// A backend-lowered form ([`Stage::Lowered`] only).
    Lowered(LStmt),
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

/// A handler or constructor parameter: the message's field at this position, decoded by the
/// backend into `local` before the body runs.
#[derive(Clone, Debug)]
pub struct Param {
    pub name: String,
    pub ty: ValTy,
    pub local: LocalId,
}

/// One external entry point: a message variant. How it is reached (a selector, a method
/// number) is the backend's; the names are in `ContractMeta::handlers` at the same index.
#[derive(Clone, Debug)]
pub struct Handler {
    pub variant: String,
    pub params: Vec<Param>,
    pub returns: Vec<ValTy>,
    pub mutability: Mutability,
    pub body: Vec<Stmt>,
}

#[derive(Clone, Debug)]
pub struct Init {
    pub params: Vec<Param>,
    pub payable: bool,
    pub body: Vec<Stmt>,
}

/// An internal function of a contract: a unit of code called by [`Expr::Call`] from any body
/// of the contract (recursion included). Its parameters are locals bound to the arguments'
/// words (aggregates are memory pointers, as everywhere); `result`, when there is one, is a
/// local declared at entry as 0, and the call yields its value when the body ends. A return
/// from the middle is an `Exit` of a `Block` of the body (sema wraps every body in one), so
/// the function returns where its statement list ends. A body never contains a handler's
/// `Return` (the message's reply).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Function {
    /// The source name with its generic arguments (for messages and the printer).
    pub name: String,
    pub params: Vec<LocalId>,
    pub result: Option<LocalId>,
    pub body: Vec<Stmt>,
}

#[derive(Clone, Debug)]
pub struct Contract {
    pub name: String,
    /// The source file the contract is defined in (for artifact paths).
    pub file: String,
    pub init: Init,
    pub handlers: Vec<Handler>,
    /// Runs for a call with empty calldata (plain value transfers); always payable; no
    /// parameters, returns nothing. How "empty calldata" maps to a target is the backend's.
    pub receive: Option<Init>,
    /// Runs for calldata no handler matches (and empty calldata without a `receive`); no
    /// parameters, returns nothing; payable when `payable`.
    pub fallback: Option<Init>,
    /// Internal functions, called by [`Expr::Call`] from any body (and each other).
    pub functions: Vec<Function>,
    /// Whether any code allocates memory (then the backend maintains a free-memory pointer).
    pub uses_heap: bool,
    /// What artifacts report beside the code: interface names, the ABI, the storage layout.
    pub meta: meta::ContractMeta,
}

impl Contract {
    /// The `receive` and `fallback` bodies that exist, mutably (for passes over every body).
    pub fn specials_mut(&mut self) -> impl Iterator<Item = &mut Init> {
        self.receive.iter_mut().chain(self.fallback.iter_mut())
    }

    /// The `receive` and `fallback` bodies that exist.
    pub fn specials(&self) -> impl Iterator<Item = &Init> {
        self.receive.iter().chain(self.fallback.iter())
    }
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
            Expr::Un(_, a) | Expr::Balance(a) | Expr::SLoad(a) | Expr::MLoad(a) => a.is_pure(),
            Expr::DataSlot(a) => a.is_pure(),
            Expr::HashWords(HashAlg::Keccak256, ws) => ws.iter().all(Expr::is_pure),
            Expr::Hash(HashAlg::Keccak256, a, b) => a.is_pure() && b.is_pure(),
            Expr::MapSlot {
                base,
                key,
                bytes_key: false,
            } => base.is_pure() && key.is_pure(),
            Expr::Cond(c, a, b) => c.is_pure() && a.is_pure() && b.is_pure(),
            Expr::Lowered(l) => l.is_pure(),
            Expr::HashWords(..)
            | Expr::Hash(..)
            | Expr::MapSlot { .. }
            | Expr::Checked { .. }
            | Expr::Alloc(_)
            | Expr::Seq(..)
            | Expr::Message { .. }
            | Expr::Send { .. }
            | Expr::Reply(_)
            | Expr::ReplyBytes
            | Expr::Create { .. }
            | Expr::SendAsync { .. }
            | Expr::AsyncReturn(..)
            | Expr::Intrinsic(..)
            | Expr::EvmAsm { .. }
            | Expr::Call(..)
            | Expr::AbiEncode(_) => false,
        }
    }
}
