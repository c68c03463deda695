//! `asm evm (inputs) -> T { OPS }`: inline EVM assembly. `asm` is a keyword only before
//! `evm`, so a name `asm` elsewhere stays a name. The instructions are mnemonics, each
//! optionally followed by an integer literal (a push's value); what they mean is `sema`'s
//! business (`sema/src/inline_asm.rs`), so a misspelt opcode gets a span and a suggestion
//! there rather than a parse error here.

use crate::ast::{AsmBlock, AsmInstr, Expr, ExprKind};
use crate::cst::SyntaxKind::*;
use crate::diag::Span;
use crate::lexer::Tok;
use crate::parser::{PResult, Parser};

impl Parser {
    /// At `asm evm`.
    pub(crate) fn asm_block(&mut self, start: Span) -> PResult<Expr> {
        self.start(ASM);
        self.bump(); // asm
        self.bump(); // evm
        let mut inputs = Vec::new();
        if self.is("(") {
            self.start(ASM_INPUTS);
            self.bump();
            self.parens += 1;
            let saved = self.no_struct;
            self.no_struct = false;
            let r = (|| {
                while !self.is(")") && !self.at_eof() {
                    inputs.push(self.expr()?);
                    if !self.eat(",") {
                        break;
                    }
                }
                self.expect(")")
            })();
            self.no_struct = saved;
            self.parens -= 1;
            r?;
            self.finish();
        }
        let output = if self.eat("->") {
            Some(self.type_expr()?)
        } else {
            None
        };
        self.start(ASM_BODY);
        self.expect("{")?;
        let mut ops = Vec::new();
        while !self.is("}") && !self.at_eof() {
            let op_start = self.span();
            self.start(ASM_OP);
            let mnemonic = match self.peek() {
                Tok::Ident(_) => self.ident()?,
                _ => return self.error("an EVM mnemonic (`ADD`, `PUSH1 0x20`, …) or `}`"),
            };
            let literal = match self.peek().clone() {
                Tok::Int(digits, radix) => {
                    let span = self.span();
                    self.bump();
                    Some((digits, radix, span))
                }
                _ => None,
            };
            self.finish();
            ops.push(AsmInstr {
                mnemonic,
                literal,
                span: op_start.to(self.prev_span()),
            });
        }
        self.expect("}")?;
        self.finish();
        self.finish();
        Ok(Expr {
            kind: ExprKind::Asm(Box::new(AsmBlock {
                inputs,
                output,
                ops,
            })),
            span: start.to(self.prev_span()),
        })
    }
}

/// The span of the `asm evm` block a target refuses: the first one inside `within` (a
/// handler's arm) if there is one there, else the first in the file. Backends see IR without
/// spans; the driver uses this to point E0802 at the block itself.
pub fn find_asm(file: u32, src: &str, within: Option<Span>) -> Option<Span> {
    let root = crate::parser::parse_lossless(file, src).syntax();
    let blocks: Vec<Span> = root
        .descendants()
        .filter(|n| n.kind() == ASM)
        .map(|n| {
            let r = n.text_range();
            Span::new(file, usize::from(r.start()), usize::from(r.end()))
        })
        .collect();
    let inside = |s: &Span| within.is_some_and(|w| w.file == file && w.lo <= s.lo && s.hi <= w.hi);
    blocks
        .iter()
        .find(|s| inside(s))
        .or(blocks.first())
        .copied()
}
