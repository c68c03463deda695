//! The lossless concrete syntax tree (a rowan green tree). The parser that builds the AST also
//! records events (`start`, `token`, `finish`) as it goes; `build` turns them and the source
//! text into a tree holding every byte of the file: tokens, whitespace and comments. So a
//! construct gets its CST node from the same rule that builds its AST node, and
//! `node.text() == source` always holds.

use crate::parser::Parser;

/// Declares the kinds once: the enum and `ALL_KINDS`, in the same order (kinds are dense
/// from 0, so a raw kind indexes `ALL_KINDS`).
macro_rules! syntax_kinds {
    ($($(#[$doc:meta])* $kind:ident,)*) => {
        /// Kinds of tokens (the first few) and nodes.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(u16)]
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        pub enum SyntaxKind {
            $($(#[$doc])* $kind,)*
        }

        const ALL_KINDS: &[SyntaxKind] = &[$(SyntaxKind::$kind,)*];
    };
}

syntax_kinds! {
    // Trivia.
    WHITESPACE,
    COMMENT,
    /// Characters the lexer refused (the file has a diagnostic for them).
    JUNK,
    // Tokens. Keywords are identifiers.
    IDENT,
    INT,
    STR,
    PUNCT,
    // Nodes.
    FILE,
    /// Tokens skipped while recovering from a syntax error.
    ERROR,
    ATTR,
    USE,
    /// `{a, b::c}` in a `use`.
    USE_GROUP,
    USE_PATH,
    MESSAGE,
    /// The `{ .. }` of a message.
    MSG_VARIANTS,
    MSG_VARIANT,
    EVENT,
    ERROR_DEF,
    STRUCT,
    /// `{ name: Type, .. }` of a struct, event, error, message variant or enum variant.
    FIELD_LIST,
    FIELD,
    ENUM,
    ENUM_VARIANTS,
    ENUM_VARIANT,
    /// `(T, U)` of a tuple enum variant.
    TUPLE_FIELDS,
    IMPL,
    /// The `{ .. }` of an `impl` or a `trait`.
    IMPL_BODY,
    /// `trait Name { .. }`.
    TRAIT,
    FN,
    GENERIC_PARAMS,
    GENERIC_PARAM,
    PARAM_LIST,
    PARAM,
    SELF_PARAM,
    /// `with storage`, `with (mut storage, ctx)`.
    CAPS,
    CAP_LIST,
    CAP,
    CONST,
    TYPE_ALIAS,
    CONTRACT,
    CONTRACT_BODY,
    STORAGE,
    INIT,
    RECV,
    RECV_BODY,
    RECV_ARM,
    /// `{ owner, to: t }` of a handler arm.
    BINDINGS,
    BINDING,
    PATH,
    GENERIC_ARGS,
    TYPE_PATH,
    TYPE_ARRAY,
    TYPE_TUPLE,
    BLOCK,
    LET,
    EXPR_STMT,
    LITERAL,
    PATH_EXPR,
    PAREN,
    TUPLE,
    ARRAY,
    ARRAY_REPEAT,
    STRUCT_LIT,
    /// `{ a: 1, b }` of a struct literal or `revert`.
    FIELD_INITS,
    FIELD_INIT,
    FIELD_EXPR,
    TUPLE_FIELD,
    INDEX,
    CALL,
    METHOD_CALL,
    ARG_LIST,
    ARG,
    UNARY,
    BINARY,
    CAST,
    /// `a = b` and `a += b`.
    ASSIGN,
    IF,
    MATCH,
    MATCH_BODY,
    MATCH_ARM,
    WHILE,
    FOR,
    BREAK,
    CONTINUE,
    RETURN,
    REVERT,
    PAT_WILD,
    PAT_BIND,
    PAT_LIT,
    PAT_TUPLE,
    PAT_VARIANT,
    PAT_TUPLE_FIELDS,
    PAT_FIELDS,
    PAT_FIELD,
    /// `A | B`: alternatives of a pattern.
    PAT_OR,
    /// `e?`.
    TRY,
    /// `asm evm (a, b) -> T { .. }`.
    ASM,
    /// `(a, b)` of an `asm` block.
    ASM_INPUTS,
    /// `{ PUSH1 1 ADD }` of an `asm` block.
    ASM_BODY,
    /// One instruction: a mnemonic and a push's literal.
    ASM_OP,
}

use SyntaxKind::*;

impl SyntaxKind {
    pub fn is_trivia(self) -> bool {
        matches!(self, WHITESPACE | COMMENT | JUNK)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TandemLang {}

impl rowan::Language for TandemLang {
    type Kind = SyntaxKind;
    fn kind_from_raw(raw: rowan::SyntaxKind) -> SyntaxKind {
        // Raw kinds only come from `kind_to_raw`; anything else reads as an error node.
        ALL_KINDS.get(raw.0 as usize).copied().unwrap_or(ERROR)
    }
    fn kind_to_raw(kind: SyntaxKind) -> rowan::SyntaxKind {
        rowan::SyntaxKind(kind as u16)
    }
}

pub type SyntaxNode = rowan::SyntaxNode<TandemLang>;
pub type SyntaxToken = rowan::SyntaxToken<TandemLang>;
pub type SyntaxElement = rowan::SyntaxElement<TandemLang>;

/// What the parser records while it parses.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Event {
    Start(SyntaxKind),
    Finish,
    Token { kind: SyntaxKind, lo: u32, hi: u32 },
}

/// A position in the event list, for wrapping already-parsed children in a node
/// (`a + b`: the `BINARY` node starts before `a`, known only at `+`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Checkpoint(usize);

impl Parser {
    pub(crate) fn start(&mut self, kind: SyntaxKind) {
        self.events.push(Event::Start(kind));
        self.open += 1;
    }
    pub(crate) fn finish(&mut self) {
        self.events.push(Event::Finish);
        self.open -= 1;
    }
    pub(crate) fn checkpoint(&self) -> Checkpoint {
        Checkpoint(self.events.len())
    }
    /// Opens a node whose first child is whatever was recorded since `cp`.
    pub(crate) fn start_at(&mut self, cp: Checkpoint, kind: SyntaxKind) {
        self.events.insert(cp.0, Event::Start(kind));
        self.open += 1;
    }
    /// Closes nodes left open by a rule that failed, down to `open` of them.
    pub(crate) fn close_to(&mut self, open: u32) {
        while self.open > open {
            self.finish();
        }
    }
    pub(crate) fn token_event(&mut self, kind: SyntaxKind, lo: u32, hi: u32) {
        self.events.push(Event::Token { kind, lo, hi });
    }
}

/// Splits the source between two tokens into whitespace, comments and junk.
fn trivia(builder: &mut rowan::GreenNodeBuilder<'_>, src: &str, mut i: usize, end: usize) {
    let b = src.as_bytes();
    while i < end {
        let start = i;
        let kind = if b[i].is_ascii_whitespace() {
            while i < end && b[i].is_ascii_whitespace() {
                i += 1;
            }
            WHITESPACE
        } else if b[i..end].starts_with(b"//") {
            while i < end && b[i] != b'\n' {
                i += 1;
            }
            COMMENT
        } else if b[i..end].starts_with(b"/*") {
            i = b[i + 2..end]
                .windows(2)
                .position(|w| w == b"*/")
                .map_or(end, |k| i + 2 + k + 2);
            COMMENT
        } else {
            // Byte-wise (the checks are ASCII), then on to a character boundary.
            while i < end
                && !b[i].is_ascii_whitespace()
                && !b[i..end].starts_with(b"//")
                && !b[i..end].starts_with(b"/*")
            {
                i += 1;
            }
            JUNK
        };
        let stop = ceil_boundary(src, i.min(end));
        builder.token(raw(kind), src.get(start..stop).unwrap_or(""));
        i = stop.max(start + 1);
    }
}

fn floor_boundary(src: &str, mut i: usize) -> usize {
    while i > 0 && !src.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(src: &str, mut i: usize) -> usize {
    while i < src.len() && !src.is_char_boundary(i) {
        i += 1;
    }
    i
}

fn raw(kind: SyntaxKind) -> rowan::SyntaxKind {
    rowan::SyntaxKind(kind as u16)
}

/// Builds the tree. Trivia before a node's first token goes before the node (so a node's
/// range starts at its first token); trivia at the end of the file goes last in `FILE`.
pub(crate) fn build(src: &str, events: &[Event]) -> rowan::GreenNode {
    let mut builder = rowan::GreenNodeBuilder::new();
    // Where the next token starts, for each event.
    let mut next_lo = vec![src.len(); events.len() + 1];
    for i in (0..events.len()).rev() {
        next_lo[i] = match events[i] {
            Event::Token { lo, .. } => lo as usize,
            _ => next_lo[i + 1],
        };
    }
    let mut pos = 0usize;
    let mut depth = 0usize;
    for (i, ev) in events.iter().enumerate() {
        match *ev {
            Event::Start(kind) => {
                // The root starts at 0 and takes leading trivia.
                if depth > 0 {
                    let to = next_lo[i].max(pos).min(src.len());
                    trivia_raw(&mut builder, src, pos, to);
                    pos = to;
                }
                builder.start_node(raw(kind));
                depth += 1;
            }
            Event::Finish => {
                if depth == 1 {
                    trivia_raw(&mut builder, src, pos, src.len());
                    pos = src.len();
                }
                builder.finish_node();
                depth -= 1;
            }
            Event::Token { kind, lo, hi } => {
                // A lexer span inside a multi-byte character (malformed input) is widened to
                // character boundaries: the tree's text stays the source, and nothing panics.
                let lo = floor_boundary(src, (lo as usize).min(src.len()));
                let hi = ceil_boundary(src, (hi as usize).min(src.len())).max(lo);
                if lo >= pos {
                    trivia_raw(&mut builder, src, pos, lo);
                    builder.token(raw(kind), src.get(lo..hi).unwrap_or(""));
                    pos = hi;
                }
            }
        }
    }
    builder.finish()
}

fn trivia_raw(builder: &mut rowan::GreenNodeBuilder<'_>, src: &str, from: usize, to: usize) {
    if from < to {
        trivia(builder, src, from, to);
    }
}
