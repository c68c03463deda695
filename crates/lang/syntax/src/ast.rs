//! The abstract syntax tree. Every node carries the span it was parsed from.

use crate::diag::Span;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// `a::b::C<T, U>`: segments, and the generic arguments written on the path.
#[derive(Clone, Debug)]
pub struct Path {
    pub segments: Vec<Ident>,
    pub generics: Vec<TypeExpr>,
    pub span: Span,
}

impl Path {
    pub fn last(&self) -> &Ident {
        &self.segments[self.segments.len() - 1]
    }
    pub fn text(&self) -> String {
        self.segments
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join("::")
    }
}

#[derive(Clone, Debug)]
pub enum TypeExpr {
    Path(Path),
    Array(Box<TypeExpr>, Box<Expr>, Span),
    Tuple(Vec<TypeExpr>, Span),
}

impl TypeExpr {
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Path(p) => p.span,
            TypeExpr::Array(_, _, s) | TypeExpr::Tuple(_, s) => *s,
        }
    }
}

/// `#[name]` or `#[name = value]`.
#[derive(Clone, Debug)]
pub struct Attr {
    pub name: Ident,
    pub value: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug)]
pub struct Item {
    pub attrs: Vec<Attr>,
    pub kind: ItemKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ItemKind {
    Use(UseDecl),
    Message(MessageDef),
    Event(EventDef),
    Error(ErrorDef),
    Struct(StructDef),
    Enum(EnumDef),
    Impl(ImplDef),
    Trait(TraitDef),
    Fn(FnDef),
    Const(ConstDef),
    TypeAlias(TypeAliasDef),
    Contract(ContractDef),
}

/// `use a::b::{c, d}` flattened to one path per imported name.
#[derive(Clone, Debug)]
pub struct UseDecl {
    pub paths: Vec<Path>,
}

#[derive(Clone, Debug)]
pub struct Field {
    pub attrs: Vec<Attr>,
    pub name: Ident,
    pub ty: TypeExpr,
}

#[derive(Clone, Debug)]
pub struct MessageDef {
    pub name: Ident,
    pub variants: Vec<MessageVariant>,
}

#[derive(Clone, Debug)]
pub struct MessageVariant {
    pub attrs: Vec<Attr>,
    pub name: Ident,
    pub fields: Vec<Field>,
    pub ret: Option<TypeExpr>,
}

#[derive(Clone, Debug)]
pub struct EventDef {
    pub name: Ident,
    pub fields: Vec<Field>,
}

#[derive(Clone, Debug)]
pub struct ErrorDef {
    pub name: Ident,
    pub fields: Vec<Field>,
}

#[derive(Clone, Debug)]
pub struct StructDef {
    pub name: Ident,
    pub generics: Vec<Ident>,
    pub bounds: Vec<Bound>,
    pub fields: Vec<Field>,
}

#[derive(Clone, Debug)]
pub enum VariantFields {
    Unit,
    Tuple(Vec<TypeExpr>),
    Named(Vec<Field>),
}

#[derive(Clone, Debug)]
pub struct EnumVariant {
    pub name: Ident,
    pub fields: VariantFields,
}

#[derive(Clone, Debug)]
pub struct EnumDef {
    pub name: Ident,
    pub generics: Vec<Ident>,
    pub bounds: Vec<Bound>,
    pub variants: Vec<EnumVariant>,
}

#[derive(Clone, Debug)]
pub struct ImplDef {
    pub generics: Vec<Ident>,
    pub bounds: Vec<Bound>,
    /// `impl Trait for Type`: the trait.
    pub trait_: Option<Path>,
    pub ty: TypeExpr,
    pub fns: Vec<FnDef>,
}

/// `T: A + B` in a list of generic parameters: the parameter and its trait bounds.
#[derive(Clone, Debug)]
pub struct Bound {
    pub param: Ident,
    pub traits: Vec<Path>,
}

/// `trait Name { fn required(self) -> T; fn provided(self) -> T { .. } }`.
#[derive(Clone, Debug)]
pub struct TraitDef {
    pub name: Ident,
    pub fns: Vec<TraitFn>,
}

/// A method of a trait: required (no body; `def.body` is empty) or with a default body.
#[derive(Clone, Debug)]
pub struct TraitFn {
    pub def: FnDef,
    pub has_default: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelfParam {
    None,
    Value,
    Mut,
}

/// A capability written in a `with` clause.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cap {
    Storage,
    MutStorage,
    Ctx,
    MutCtx,
}

impl Cap {
    pub fn text(self) -> &'static str {
        match self {
            Cap::Storage => "storage",
            Cap::MutStorage => "mut storage",
            Cap::Ctx => "ctx",
            Cap::MutCtx => "mut ctx",
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Caps {
    pub caps: Vec<(Cap, Span)>,
}

#[derive(Clone, Debug)]
pub struct Param {
    pub mutable: bool,
    pub name: Ident,
    pub ty: TypeExpr,
}

#[derive(Clone, Debug)]
pub struct FnDef {
    pub attrs: Vec<Attr>,
    pub name: Ident,
    pub generics: Vec<Ident>,
    pub bounds: Vec<Bound>,
    pub self_param: SelfParam,
    pub params: Vec<Param>,
    pub ret: Option<TypeExpr>,
    pub caps: Caps,
    pub body: Block,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct ConstDef {
    pub name: Ident,
    pub ty: TypeExpr,
    pub value: Expr,
}

#[derive(Clone, Debug)]
pub struct TypeAliasDef {
    pub name: Ident,
    pub generics: Vec<Ident>,
    pub ty: TypeExpr,
}

#[derive(Clone, Debug)]
pub struct ContractDef {
    pub name: Ident,
    pub generics: Vec<Ident>,
    pub bounds: Vec<Bound>,
    /// `contract Token: Erc20 + Erc165`: the message types (interfaces) whose every variant
    /// the contract promises to handle with the same signature.
    pub interfaces: Vec<Path>,
    pub storage: Option<TypeExpr>,
    pub init: Option<InitDef>,
    /// `receive with .. { .. }`: runs for a call with empty calldata (plain value transfers);
    /// always payable. `params` is empty.
    pub receive: Option<Box<InitDef>>,
    /// `fallback with .. { .. }`: runs for calldata no handler matches (and for empty calldata
    /// when there is no `receive`); payable with `#[payable]`. `params` is empty.
    pub fallback: Option<Box<InitDef>>,
    pub recvs: Vec<RecvBlock>,
    pub consts: Vec<ConstDef>,
    pub fns: Vec<FnDef>,
}

#[derive(Clone, Debug)]
pub struct InitDef {
    pub attrs: Vec<Attr>,
    pub params: Vec<Param>,
    pub caps: Caps,
    pub body: Block,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct RecvBlock {
    /// Attributes on the whole block (`#[guard = f]` applies to every arm).
    pub attrs: Vec<Attr>,
    pub msg: Path,
    pub arms: Vec<RecvArm>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct RecvArm {
    pub attrs: Vec<Attr>,
    pub variant: Path,
    /// The bound fields: `{ owner }` or `{ owner: o }`; `None` when no braces were written.
    pub bindings: Option<Vec<(Ident, Option<Ident>)>>,
    pub caps: Caps,
    pub body: Block,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    /// The value of the block: its last expression when no `;` follows it.
    pub tail: Option<Box<Expr>>,
    pub span: Span,
}

/// `Let` is the larger variant; most statements are `let`s, so boxing it would cost more
/// allocations than the size saves.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Stmt {
    Let {
        pattern: Pattern,
        ty: Option<TypeExpr>,
        init: Option<Expr>,
        /// `let PAT = e else { .. }`: the block that runs (and must diverge) when a refutable
        /// pattern does not match.
        els: Option<Box<Block>>,
        span: Span,
    },
    Expr(Expr),
}

#[derive(Clone, Debug)]
pub enum Pattern {
    Wildcard(Span),
    Bind {
        name: Ident,
        mutable: bool,
    },
    Literal(Expr),
    Tuple(Vec<Pattern>, Span),
    /// `Some(x)`, `Color::Red`, `Shape::Rect { w, h }`, `None`.
    Variant {
        path: Path,
        fields: PatternFields,
        span: Span,
    },
    /// `A | B | C`: matches when any alternative does (two or more, none itself an `Or`);
    /// every alternative binds the same names.
    Or(Vec<Pattern>, Span),
}

#[derive(Clone, Debug)]
pub enum PatternFields {
    Unit,
    Tuple(Vec<Pattern>),
    Named(Vec<(Ident, Pattern)>),
}

impl Pattern {
    pub fn span(&self) -> Span {
        match self {
            Pattern::Wildcard(s)
            | Pattern::Tuple(_, s)
            | Pattern::Variant { span: s, .. }
            | Pattern::Or(_, s) => *s,
            Pattern::Bind { name, .. } => name.span,
            Pattern::Literal(e) => e.span,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

impl BinOp {
    pub fn text(self) -> &'static str {
        use BinOp::*;
        match self {
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Rem => "%",
            Pow => "**",
            BitAnd => "&",
            BitOr => "|",
            BitXor => "^",
            Shl => "<<",
            Shr => ">>",
            Eq => "==",
            Ne => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            And => "&&",
            Or => "||",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
}

#[derive(Clone, Debug)]
pub struct Arg {
    pub name: Option<Ident>,
    pub value: Expr,
}

#[derive(Clone, Debug)]
pub struct MatchArm {
    pub pattern: Pattern,
    pub body: Expr,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Int(String, u32),
    Bool(bool),
    Str(String),
    Path(Path),
    Tuple(Vec<Expr>),
    Array(Vec<Expr>),
    ArrayRepeat(Box<Expr>, Box<Expr>),
    StructLit {
        path: Path,
        fields: Vec<(Ident, Option<Expr>)>,
    },
    Field(Box<Expr>, Ident),
    TupleField(Box<Expr>, u32, Span),
    Index(Box<Expr>, Box<Expr>),
    Call(Box<Expr>, Vec<Arg>),
    MethodCall {
        receiver: Box<Expr>,
        method: Ident,
        generics: Vec<TypeExpr>,
        args: Vec<Arg>,
    },
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Cast(Box<Expr>, TypeExpr),
    Assign(Box<Expr>, Box<Expr>),
    CompoundAssign(BinOp, Box<Expr>, Box<Expr>),
    If(Box<Expr>, Block, Option<Box<Expr>>),
    Match(Box<Expr>, Vec<MatchArm>),
    While(Box<Expr>, Block),
    For {
        var: Ident,
        start: Box<Expr>,
        end: Box<Expr>,
        body: Block,
    },
    /// `for PAT in xs { .. }` over an array, a `Vec` or a `StorageVec`.
    ForIn {
        pat: Box<Pattern>,
        iter: Box<Expr>,
        body: Block,
    },
    /// `e?`: the `Ok` value of a `Result` (or the `Some` value of an `Option`); otherwise
    /// returns the error from a function, or reverts with it in a handler.
    Try(Box<Expr>),
    Block(Block),
    Break,
    Continue,
    Return(Option<Box<Expr>>),
    Revert(Path, Vec<(Ident, Option<Expr>)>),
    /// `asm evm (inputs) -> T { OPS }`: inline EVM assembly (parse_asm.rs).
    Asm(Box<AsmBlock>),
    /// A placeholder left by the parser after an error.
    Error,
}

/// `asm evm (a, b) -> u256 { ADD }`: the inputs (the first ends on top of the stack), the
/// type of the outputs (none, a word type, or a tuple of word types, the first element on
/// top), and the instructions by mnemonic. `sema` checks the instructions.
#[derive(Clone, Debug)]
pub struct AsmBlock {
    pub inputs: Vec<Expr>,
    pub output: Option<TypeExpr>,
    pub ops: Vec<AsmInstr>,
}

/// One instruction: a mnemonic (`ADD`, `DUP2`, `PUSH1`) and, for a push, its literal
/// (digits and radix, as [`ExprKind::Int`]).
#[derive(Clone, Debug)]
pub struct AsmInstr {
    pub mnemonic: Ident,
    pub literal: Option<(String, u32, Span)>,
    pub span: Span,
}
