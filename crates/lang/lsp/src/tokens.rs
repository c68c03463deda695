//! Semantic tokens (`textDocument/semanticTokens/full`), read off the lossless syntax tree:
//! every identifier is classified by the node it sits in (a `FN`'s name is a function, an
//! identifier after `.` in a `METHOD_CALL` a method, the last segment of a `TYPE_PATH` a
//! type, …), so the colouring follows the parser and needs no check of the package. A file
//! with syntax errors is still coloured: error nodes keep their tokens.

use crate::refs::KEYWORDS;
use lsp_types as lt;
use tandem_lang_syntax::SyntaxKind::*;
use tandem_lang_syntax::{SyntaxNode, SyntaxToken};

/// The token types, in legend order (the index is what the wire carries).
pub const TYPES: &[lt::SemanticTokenType] = &[
    lt::SemanticTokenType::KEYWORD,
    lt::SemanticTokenType::TYPE,
    lt::SemanticTokenType::STRUCT,
    lt::SemanticTokenType::ENUM,
    lt::SemanticTokenType::INTERFACE,
    lt::SemanticTokenType::CLASS,
    lt::SemanticTokenType::EVENT,
    lt::SemanticTokenType::TYPE_PARAMETER,
    lt::SemanticTokenType::ENUM_MEMBER,
    lt::SemanticTokenType::FUNCTION,
    lt::SemanticTokenType::METHOD,
    lt::SemanticTokenType::PROPERTY,
    lt::SemanticTokenType::PARAMETER,
    lt::SemanticTokenType::VARIABLE,
    lt::SemanticTokenType::NAMESPACE,
    lt::SemanticTokenType::STRING,
    lt::SemanticTokenType::NUMBER,
    lt::SemanticTokenType::COMMENT,
    lt::SemanticTokenType::DECORATOR,
];

/// The modifiers, in legend order (bit `i` is `MODIFIERS[i]`).
pub const MODIFIERS: &[lt::SemanticTokenModifier] = &[
    lt::SemanticTokenModifier::DECLARATION,
    lt::SemanticTokenModifier::READONLY,
    lt::SemanticTokenModifier::DOCUMENTATION,
];

pub fn legend() -> lt::SemanticTokensLegend {
    lt::SemanticTokensLegend {
        token_types: TYPES.to_vec(),
        token_modifiers: MODIFIERS.to_vec(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
enum T {
    Keyword,
    Type,
    Struct,
    Enum,
    Interface,
    Class,
    Event,
    TypeParam,
    EnumMember,
    Function,
    Method,
    Property,
    Parameter,
    Variable,
    Namespace,
    Str,
    Number,
    Comment,
    Decorator,
}

const DECL: u32 = 1;
const READONLY: u32 = 2;
const DOC: u32 = 4;

fn is_upper(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_uppercase())
}

fn all_caps(s: &str) -> bool {
    s.len() > 1
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The identifier tokens that are direct children of `node` and not keywords.
fn names(node: &SyntaxNode) -> Vec<SyntaxToken> {
    node.children_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| t.kind() == IDENT && !KEYWORDS.contains(&t.text()))
        .collect()
}

/// A segment of a path: what the path is used as decides the last segment's colour.
fn path_segment(tok: &SyntaxToken, path: &SyntaxNode) -> (T, u32) {
    let segs = names(path);
    let last = segs.last() == Some(tok);
    let text = tok.text();
    let user = path.parent().map(|p| p.kind());
    if !last {
        return if is_upper(text) {
            (T::Type, 0)
        } else {
            (T::Namespace, 0)
        };
    }
    match user {
        Some(TYPE_PATH | RECV) => (T::Type, 0),
        Some(RECV_ARM) => (T::EnumMember, 0),
        Some(STRUCT_LIT | REVERT) => (T::Struct, 0),
        Some(PAT_VARIANT) if segs.len() > 1 => (T::EnumMember, 0),
        Some(PAT_VARIANT) => (T::Type, 0),
        Some(PATH_EXPR) => {
            let callee = path
                .parent()
                .and_then(|pe| pe.parent().map(|c| (c, pe)))
                .is_some_and(|(c, pe)| c.kind() == CALL && c.first_child().as_ref() == Some(&pe));
            if all_caps(text) {
                (T::Variable, READONLY)
            } else if is_upper(text) {
                (T::EnumMember, 0)
            } else if callee {
                (T::Function, 0)
            } else {
                (T::Variable, 0)
            }
        }
        _ if is_upper(text) => (T::Type, 0),
        _ => (T::Namespace, 0),
    }
}

/// The first identifier child of `node` (its name) gets `first`; any other gets `rest`.
fn first_or(tok: &SyntaxToken, node: &SyntaxNode, first: (T, u32), rest: (T, u32)) -> (T, u32) {
    if names(node).first() == Some(tok) {
        first
    } else {
        rest
    }
}

fn classify_ident(tok: &SyntaxToken) -> Option<(T, u32)> {
    let parent = tok.parent()?;
    let text = tok.text();
    if parent.ancestors().any(|a| a.kind() == ATTR) {
        return Some((T::Decorator, 0));
    }
    let member = matches!(
        parent.kind(),
        FIELD_EXPR | METHOD_CALL | FIELD | FIELD_INIT | PAT_FIELD
    );
    if KEYWORDS.contains(&text) && !member {
        return Some((T::Keyword, 0));
    }
    let decl = |t: T| Some((t, DECL));
    match parent.kind() {
        STRUCT | ERROR_DEF => decl(T::Struct),
        ENUM => decl(T::Enum),
        MESSAGE => decl(T::Interface),
        EVENT => decl(T::Event),
        CONTRACT => decl(T::Class),
        TYPE_ALIAS => decl(T::Type),
        GENERIC_PARAM => decl(T::TypeParam),
        MSG_VARIANT | ENUM_VARIANT => decl(T::EnumMember),
        FN => {
            let in_impl = parent.parent().is_some_and(|p| p.kind() == IMPL_BODY);
            decl(if in_impl { T::Method } else { T::Function })
        }
        CONST => Some((T::Variable, DECL | READONLY)),
        FIELD => decl(T::Property),
        PARAM => decl(T::Parameter),
        PAT_BIND | LET | FOR => decl(T::Variable),
        BINDING => Some(first_or(
            tok,
            &parent,
            (T::Property, 0),
            (T::Variable, DECL),
        )),
        FIELD_INIT | PAT_FIELD => Some((T::Property, 0)),
        FIELD_EXPR => Some((T::Property, 0)),
        METHOD_CALL => Some((T::Method, 0)),
        PATH => Some(path_segment(tok, &parent)),
        USE | USE_PATH | USE_GROUP => Some(if is_upper(text) {
            (T::Type, 0)
        } else {
            (T::Namespace, 0)
        }),
        LITERAL => Some((T::Keyword, 0)),
        _ => None,
    }
}

fn classify(tok: &SyntaxToken) -> Option<(T, u32)> {
    match tok.kind() {
        COMMENT => {
            let doc = tok.text().starts_with("///") || tok.text().starts_with("/**");
            Some((T::Comment, if doc { DOC } else { 0 }))
        }
        STR => Some((T::Str, 0)),
        INT => Some((T::Number, 0)),
        IDENT => classify_ident(tok),
        PUNCT if tok.parent().is_some_and(|p| p.kind() == ATTR) => Some((T::Decorator, 0)),
        _ => None,
    }
}

/// The tokens of a text, encoded as the protocol wants (relative lines and UTF-16 columns;
/// a token spanning lines is split per line).
pub fn semantic_tokens(text: &str) -> Vec<lt::SemanticToken> {
    let parsed = tandem_lang_syntax::parse_lossless(0, text);
    let root = parsed.syntax();
    let mut out = Vec::new();
    let (mut prev_line, mut prev_col) = (0u32, 0u32);
    let mut line = 0u32;
    let mut col = 0u32;
    let mut push = |line: u32, col: u32, len: u32, ty: T, mods: u32| {
        if len == 0 {
            return;
        }
        let delta_line = line - prev_line;
        let delta_start = if delta_line == 0 { col - prev_col } else { col };
        out.push(lt::SemanticToken {
            delta_line,
            delta_start,
            length: len,
            token_type: ty as u32,
            token_modifiers_bitset: mods,
        });
        prev_line = line;
        prev_col = col;
    };
    for tok in root
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
    {
        let class = classify(&tok);
        // Walk the token's text, line by line, to keep (line, col) current.
        let mut seg_start = col;
        let mut seg_len = 0u32;
        for c in tok.text().chars() {
            if c == '\n' {
                if let Some((ty, m)) = class {
                    push(line, seg_start, seg_len, ty, m);
                }
                line += 1;
                col = 0;
                seg_start = 0;
                seg_len = 0;
            } else {
                let w = c.len_utf16() as u32;
                col += w;
                seg_len += w;
            }
        }
        if let Some((ty, m)) = class {
            push(line, seg_start, seg_len, ty, m);
        }
    }
    out
}

/// The token type's legend name, for tests and logs.
pub fn type_name(i: u32) -> &'static str {
    TYPES.get(i as usize).map_or("?", |t| t.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes to (line, col, text, type) for readable assertions.
    fn decode(text: &str) -> Vec<(u32, u32, String, &'static str)> {
        let lines: Vec<Vec<u16>> = text
            .split('\n')
            .map(|l| l.encode_utf16().collect())
            .collect();
        let (mut line, mut col) = (0, 0);
        semantic_tokens(text)
            .into_iter()
            .map(|t| {
                if t.delta_line > 0 {
                    line += t.delta_line;
                    col = t.delta_start;
                } else {
                    col += t.delta_start;
                }
                let l = &lines[line as usize];
                let s = String::from_utf16_lossy(&l[col as usize..(col + t.length) as usize]);
                (line, col, s, type_name(t.token_type))
            })
            .collect()
    }

    #[test]
    fn classifies_by_syntax() {
        let src = "/* a\n b */ #[view]\nfn f(x: u256) -> bool with storage {\n    let y = x.min(3) + g(\"s\") + storage.a + S::new().b\n    true\n}\n";
        let toks = decode(src);
        let find = |s: &str| {
            toks.iter()
                .find(|t| t.2 == s)
                .map(|t| t.3)
                .unwrap_or("none")
        };
        assert_eq!(find("/* a"), "comment");
        assert_eq!(find(" b */"), "comment");
        assert_eq!(find("view"), "decorator");
        assert_eq!(find("fn"), "keyword");
        assert_eq!(find("f"), "function");
        assert_eq!(find("x"), "parameter");
        assert_eq!(find("u256"), "type");
        assert_eq!(find("y"), "variable");
        assert_eq!(find("min"), "method");
        assert_eq!(find("3"), "number");
        assert_eq!(find("g"), "function");
        assert_eq!(find("\"s\""), "string");
        assert_eq!(find("storage"), "keyword");
        assert_eq!(find("a"), "property");
        assert_eq!(find("S"), "type");
        assert_eq!(find("new"), "function");
        assert_eq!(find("true"), "keyword");
    }
}
