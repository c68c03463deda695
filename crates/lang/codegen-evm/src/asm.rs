//! A tiny assembler: opcodes, pushes of constants and labels, and raw data.

use tandem_lang_ir::U256;

pub type Label = u32;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Op(u8),
    Push(U256),
    /// A `PUSH32` of exactly these bytes, never re-encoded (an immutable's placeholder,
    /// which the constructor finds and overwrites).
    Literal(U256),
    /// A 2-byte push of a label's offset.
    PushLabel(Label),
    Label(Label),
    /// Marks a position without emitting a JUMPDEST (start of embedded data).
    Mark(Label),
    Data(Vec<u8>),
}

#[derive(Default, Clone, Debug)]
pub struct Asm {
    pub items: Vec<Item>,
    next: Label,
    /// How constants are pushed (see [`Consts`]).
    pub consts: Consts,
}

/// How a constant is pushed: the literal `PUSHn`, or a shorter computation of it
/// (`PUSH1 0x1f NOT` for `~31`, `PUSH0 NOT PUSH1 0x60 SHR` for the address mask,
/// `PUSH4 x PUSH1 0xe0 SHL` for a selector word), which costs 3 to 8 gas more each time it
/// runs. (Measured on the ERC-721 of the gas table: its runtime code would shrink from
/// 2,300 bytes to about 1,810 with the computed forms wherever they save more bytes than
/// they add gas, as solc weighs them at 200 runs; its calls would each pay a few dozen gas
/// more.)
#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consts {
    /// The shortest form: for code that runs once (the constructor), where each byte costs
    /// calldata gas and the extra operations run once.
    #[default]
    Shortest,
    /// Always the literal push: for runtime code, so no call pays more gas for a constant.
    Literal,
}

pub mod op {
    pub const STOP: u8 = 0x00;
    pub const ADD: u8 = 0x01;
    pub const MUL: u8 = 0x02;
    pub const SUB: u8 = 0x03;
    pub const DIV: u8 = 0x04;
    pub const SDIV: u8 = 0x05;
    pub const MOD: u8 = 0x06;
    pub const SMOD: u8 = 0x07;
    pub const EXP: u8 = 0x0a;
    pub const SIGNEXTEND: u8 = 0x0b;
    pub const LT: u8 = 0x10;
    pub const GT: u8 = 0x11;
    pub const SLT: u8 = 0x12;
    pub const SGT: u8 = 0x13;
    pub const EQ: u8 = 0x14;
    pub const ISZERO: u8 = 0x15;
    pub const AND: u8 = 0x16;
    pub const OR: u8 = 0x17;
    pub const XOR: u8 = 0x18;
    pub const NOT: u8 = 0x19;
    pub const BYTE: u8 = 0x1a;
    pub const SHL: u8 = 0x1b;
    pub const SHR: u8 = 0x1c;
    pub const SAR: u8 = 0x1d;
    pub const KECCAK256: u8 = 0x20;
    pub const ADDRESS: u8 = 0x30;
    pub const BALANCE: u8 = 0x31;
    pub const ORIGIN: u8 = 0x32;
    pub const CALLER: u8 = 0x33;
    pub const CALLVALUE: u8 = 0x34;
    pub const CALLDATALOAD: u8 = 0x35;
    pub const CALLDATASIZE: u8 = 0x36;
    pub const CALLDATACOPY: u8 = 0x37;
    pub const CODESIZE: u8 = 0x38;
    pub const CODECOPY: u8 = 0x39;
    pub const EXTCODESIZE: u8 = 0x3b;
    pub const EXTCODECOPY: u8 = 0x3c;
    pub const RETURNDATASIZE: u8 = 0x3d;
    pub const RETURNDATACOPY: u8 = 0x3e;
    pub const EXTCODEHASH: u8 = 0x3f;
    pub const TIMESTAMP: u8 = 0x42;
    pub const NUMBER: u8 = 0x43;
    pub const CHAINID: u8 = 0x46;
    pub const SELFBALANCE: u8 = 0x47;
    pub const POP: u8 = 0x50;
    pub const MLOAD: u8 = 0x51;
    pub const MSTORE: u8 = 0x52;
    pub const TLOAD: u8 = 0x5c;
    pub const TSTORE: u8 = 0x5d;
    pub const MSTORE8: u8 = 0x53;
    pub const SLOAD: u8 = 0x54;
    pub const SSTORE: u8 = 0x55;
    pub const JUMP: u8 = 0x56;
    pub const JUMPI: u8 = 0x57;
    pub const GAS: u8 = 0x5a;
    pub const JUMPDEST: u8 = 0x5b;
    pub const MCOPY: u8 = 0x5e;
    pub const PUSH0: u8 = 0x5f;
    pub const DUP1: u8 = 0x80;
    pub const SWAP1: u8 = 0x90;
    pub const LOG0: u8 = 0xa0;
    pub const CREATE: u8 = 0xf0;
    pub const CALL: u8 = 0xf1;
    pub const RETURN: u8 = 0xf3;
    pub const CREATE2: u8 = 0xf5;
    pub const STATICCALL: u8 = 0xfa;
    pub const REVERT: u8 = 0xfd;
    pub const INVALID: u8 = 0xfe;
}

impl Asm {
    pub fn label(&mut self) -> Label {
        self.next += 1;
        self.next - 1
    }
    pub fn op(&mut self, o: u8) {
        self.items.push(Item::Op(o));
    }
    pub fn push(&mut self, v: U256) {
        self.items.push(Item::Push(v));
    }
    pub fn push_u(&mut self, v: u64) {
        self.push(U256::from(v));
    }
    pub fn push_label(&mut self, l: Label) {
        self.items.push(Item::PushLabel(l));
    }
    pub fn place(&mut self, l: Label) {
        self.items.push(Item::Label(l));
    }
    pub fn jump(&mut self, l: Label) {
        self.push_label(l);
        self.op(op::JUMP);
    }
    pub fn jumpi(&mut self, l: Label) {
        self.push_label(l);
        self.op(op::JUMPI);
    }

    fn size(item: &Item) -> usize {
        match item {
            Item::Op(_) => 1,
            Item::Push(v) if v.is_zero() => 1,
            Item::Push(v) => 1 + (256 - v.leading_zeros()).div_ceil(8),
            Item::Literal(_) => 33,
            Item::PushLabel(_) => 3,
            Item::Label(_) => 1,
            Item::Mark(_) => 0,
            Item::Data(d) => d.len(),
        }
    }

    /// Resolves labels and emits bytes (after the peephole pass). A label no jump names
    /// emits no JUMPDEST, and labels placed together share one.
    pub fn assemble(&self) -> Vec<u8> {
        let items = optimize(&self.items, self.next as usize);
        let items = encode_consts(items, self.consts);
        let mut offsets = vec![0usize; self.next as usize];
        let mut pc = 0;
        // Where the last JUMPDEST ends: a label placed there shares it.
        let mut dest_end = None;
        for it in &items {
            match it {
                Item::Label(l) if dest_end == Some(pc) => offsets[*l as usize] = pc - 1,
                Item::Label(l) => {
                    offsets[*l as usize] = pc;
                    pc += 1;
                    dest_end = Some(pc);
                }
                Item::Mark(l) => offsets[*l as usize] = pc,
                _ => pc += Self::size(it),
            }
        }
        let mut out = Vec::with_capacity(pc);
        for it in &items {
            match it {
                Item::Op(o) => out.push(*o),
                Item::Push(v) if v.is_zero() => out.push(op::PUSH0),
                Item::Push(v) => {
                    let n = (256 - v.leading_zeros()).div_ceil(8);
                    out.push(0x5f + n as u8);
                    let be = v.to_be_bytes::<32>();
                    out.extend_from_slice(&be[32 - n..]);
                }
                Item::Literal(v) => {
                    out.push(0x7f);
                    out.extend_from_slice(&v.to_be_bytes::<32>());
                }
                Item::PushLabel(l) => {
                    let off = offsets[*l as usize];
                    out.push(0x61);
                    out.push((off >> 8) as u8);
                    out.push(off as u8);
                }
                Item::Label(l) => {
                    if out.len() == offsets[*l as usize] {
                        out.push(op::JUMPDEST);
                    }
                }
                Item::Mark(_) => {}
                Item::Data(d) => out.extend_from_slice(d),
            }
        }
        out
    }
}

/// The peephole pass to a fixed point: once code no jump reaches is gone, the labels only
/// it named are unreferenced (each becomes a [`Item::Mark`], no JUMPDEST) and the code
/// after them may be unreachable in turn.
fn optimize(items: &[Item], labels: usize) -> Vec<Item> {
    let mut items = items.to_vec();
    loop {
        let mut used = vec![false; labels];
        for it in &items {
            if let Item::PushLabel(l) = it {
                used[*l as usize] = true;
            }
        }
        let unmarked: Vec<Item> = items
            .iter()
            .map(|it| match it {
                Item::Label(l) if !used[*l as usize] => Item::Mark(*l),
                _ => it.clone(),
            })
            .collect();
        let next = peephole(&unmarked);
        if next == items {
            return next;
        }
        items = next;
    }
}

/// Operations without effects that pop `n` words and push one (dropping the result drops
/// their inputs instead).
fn pure_inputs(o: u8) -> Option<usize> {
    match o {
        op::ADD
        | op::MUL
        | op::SUB
        | op::DIV
        | op::SDIV
        | op::MOD
        | op::SMOD
        | op::EXP
        | op::SIGNEXTEND
        | op::LT
        | op::GT
        | op::SLT
        | op::SGT
        | op::EQ
        | op::AND
        | op::OR
        | op::XOR
        | op::BYTE
        | op::SHL
        | op::SHR
        | op::SAR => Some(2),
        op::ISZERO | op::NOT | op::CALLDATALOAD => Some(1),
        op::ADDRESS
        | op::ORIGIN
        | op::CALLER
        | op::CALLVALUE
        | op::CALLDATASIZE
        | op::CODESIZE
        | op::RETURNDATASIZE
        | op::TIMESTAMP
        | op::NUMBER
        | op::CHAINID
        | op::SELFBALANCE
        | op::PUSH0 => Some(0),
        o if (op::DUP1..op::DUP1 + 16).contains(&o) => Some(0),
        _ => None,
    }
}

/// Local rewrites of the instruction stream that keep its meaning: a result dropped at once
/// (`x POP`: the inputs of a pure `x` are dropped instead, so `DUPn POP` and `PUSH POP`
/// vanish), `SWAPn SWAPn`, `PUSH0 ADD`, a doubled `ISZERO` before `JUMPI`, a conditional
/// jump over an unconditional one (`JUMPI(a) JUMP(b) a:` becomes `ISZERO JUMPI(b) a:`), and
/// code after `RETURN`/`REVERT`/`STOP`/`JUMP`/`INVALID` that no label makes reachable.
/// Labels are never moved or removed, so every jump target stays where the code jumps.
pub fn peephole(items: &[Item]) -> Vec<Item> {
    let mut out: Vec<Item> = Vec::with_capacity(items.len());
    let mut dead = false;
    for it in items {
        match it {
            Item::Label(_) | Item::Data(_) => dead = false,
            // A mark only names a position (embedded data starts with a `Data` item).
            Item::Mark(_) => {}
            _ if dead => continue,
            _ => {}
        }
        emit(&mut out, it.clone());
        if matches!(out.last(), Some(Item::Op(o)) if matches!(*o, op::RETURN | op::REVERT | op::STOP | op::JUMP | op::INVALID))
        {
            dead = true;
        }
    }
    out
}

/// Appends one item, applying the rewrites that end with it.
fn emit(out: &mut Vec<Item>, it: Item) {
    let n = out.len();
    match (&it, out.last()) {
        (Item::Op(op::POP), Some(Item::Push(_))) => {
            out.pop();
        }
        (Item::Op(op::POP), Some(Item::Op(o))) if pure_inputs(*o).is_some() => {
            let k = pure_inputs(*o).unwrap_or(0);
            out.pop();
            for _ in 0..k {
                emit(out, Item::Op(op::POP));
            }
        }
        (Item::Op(x), Some(Item::Op(y))) if x == y && (op::SWAP1..op::SWAP1 + 16).contains(x) => {
            out.pop();
        }
        (Item::Op(op::ADD), Some(Item::Push(v))) if v.is_zero() => {
            out.pop();
        }
        (Item::Op(op::JUMPI), Some(Item::PushLabel(_)))
            if n >= 3
                && matches!(out[n - 2], Item::Op(op::ISZERO))
                && matches!(out[n - 3], Item::Op(op::ISZERO)) =>
        {
            out.remove(n - 3);
            out.remove(n - 3);
            out.push(it);
        }
        (Item::Label(a), Some(Item::Op(op::JUMP)))
            if n >= 4
                && matches!(out[n - 2], Item::PushLabel(_))
                && matches!(out[n - 3], Item::Op(op::JUMPI))
                && matches!(out[n - 4], Item::PushLabel(x) if x == *a) =>
        {
            let b = out[n - 2].clone();
            out.truncate(n - 4);
            emit(out, Item::Op(op::ISZERO));
            emit(out, b);
            emit(out, Item::Op(op::JUMPI));
            out.push(it);
        }
        _ => out.push(it),
    }
}

/// The bytes of a literal push of `v`.
fn push_len(v: U256) -> usize {
    1 + (256 - v.leading_zeros()).div_ceil(8)
}

/// Each constant in its form for `consts` (the literal unless a computed one is better).
fn encode_consts(items: Vec<Item>, consts: Consts) -> Vec<Item> {
    let mut out = Vec::with_capacity(items.len());
    for it in items {
        match it {
            Item::Push(v) => out.extend(computed(v, consts).unwrap_or(vec![Item::Push(v)])),
            it => out.push(it),
        }
    }
    out
}

/// A computed form of `v` that `consts` prefers to its literal push.
fn computed(v: U256, consts: Consts) -> Option<Vec<Item>> {
    let p = Item::Push;
    let o = Item::Op;
    let ones = U256::MAX;
    let mut forms: Vec<(Vec<Item>, usize)> = Vec::new();
    // NOT of a short constant: 3 gas more.
    forms.push((vec![p(!v), o(op::NOT)], 3));
    if !v.is_zero() {
        let tz = v.trailing_zeros();
        if tz >= 8 {
            // x << s: 6 gas more.
            forms.push((vec![p(v >> tz), p(U256::from(tz)), o(op::SHL)], 6));
        }
        let lz = v.leading_zeros();
        if v == ones >> lz && lz > 0 {
            // A low mask: all ones shifted right, 8 gas more.
            forms.push((
                vec![p(U256::ZERO), o(op::NOT), p(U256::from(lz)), o(op::SHR)],
                8,
            ));
        }
        if v == ones << tz && tz > 0 {
            // A high mask: all ones shifted left, 8 gas more.
            forms.push((
                vec![p(U256::ZERO), o(op::NOT), p(U256::from(tz)), o(op::SHL)],
                8,
            ));
        }
    }
    let literal = push_len(v);
    let len = |f: &[Item]| -> usize {
        f.iter()
            .map(|i| match i {
                Item::Push(x) => push_len(*x),
                _ => 1,
            })
            .sum()
    };
    forms
        .into_iter()
        .filter(|(f, _)| consts == Consts::Shortest && len(f) < literal)
        .min_by_key(|(f, gas)| (len(f), *gas))
        .map(|(f, _)| f)
}
#[cfg(test)]
mod tests {
    use super::*;

    /// Runs straight-line code of pushes and the operations constants are computed with.
    fn eval(code: &[u8]) -> Vec<U256> {
        let mut st: Vec<U256> = Vec::new();
        let mut i = 0;
        while i < code.len() {
            let o = code[i];
            i += 1;
            match o {
                op::PUSH0..=0x7f => {
                    let n = (o - op::PUSH0) as usize;
                    st.push(U256::from_be_slice(&code[i..i + n]));
                    i += n;
                }
                op::NOT => {
                    let a = st.pop().expect("operand");
                    st.push(!a);
                }
                op::SHL | op::SHR => {
                    let s = st.pop().expect("shift").to::<usize>();
                    let v = st.pop().expect("value");
                    st.push(if o == op::SHL { v << s } else { v >> s });
                }
                _ => panic!("unexpected opcode {o:#x}"),
            }
        }
        st
    }

    fn code(items: Vec<Item>, consts: Consts) -> Vec<u8> {
        let mut a = Asm {
            items,
            consts,
            ..Default::default()
        };
        a.next = 8;
        a.assemble()
    }

    /// The constructor's constants take their shortest form, each computing the same word;
    /// the runtime's stay literal pushes.
    #[test]
    fn constants_are_computed_only_where_asked_and_exactly() {
        let ones = U256::MAX;
        let cases = [
            (!U256::from(31), 3),
            (ones >> 96, 5),
            (ones << 160, 5),
            (U256::from(0x150b7a02u64) << 224, 8),
            (!U256::from(0xff), 3),
            (U256::from(0x80), 2),
            (U256::ZERO, 1),
            (ones, 2),
        ];
        for (v, len) in cases {
            let short = code(vec![Item::Push(v)], Consts::Shortest);
            assert_eq!(short.len(), len, "{v:#x}: {short:02x?}");
            assert_eq!(eval(&short), vec![v], "{v:#x}");
            let literal = code(vec![Item::Push(v)], Consts::Literal);
            assert_eq!(literal.len(), push_len(v), "{v:#x}");
            assert_eq!(eval(&literal), vec![v], "{v:#x}");
        }
        // A placeholder is pushed as it is whatever the mode.
        let wide = U256::from(0xab) << 248;
        assert_eq!(code(vec![Item::Literal(wide)], Consts::Shortest).len(), 33);
    }

    /// A dropped result drops the inputs of the pure operation instead, transitively.
    #[test]
    fn dropped_pure_results_vanish() {
        let items = vec![
            Item::Op(op::CALLER),
            Item::Op(op::DUP1 + 1),
            Item::Push(U256::from(32)),
            Item::Op(op::ADD),
            Item::Op(op::ISZERO),
            Item::Op(op::POP),
            Item::Op(op::STOP),
        ];
        assert_eq!(code(items, Consts::Literal), vec![op::CALLER, op::STOP]);
        // An effect stays: SLOAD's result is dropped, not the load.
        let items = vec![Item::Op(op::PUSH0), Item::Op(op::SLOAD), Item::Op(op::POP)];
        assert_eq!(
            code(items, Consts::Literal),
            vec![op::PUSH0, op::SLOAD, op::POP]
        );
    }

    /// `JUMPI(a) JUMP(b) a:` becomes `ISZERO JUMPI(b) a:` (a double ISZERO cancels), and a
    /// label no jump names then emits no JUMPDEST.
    #[test]
    fn a_jump_over_a_jump_is_one_conditional_jump() {
        let items = vec![
            Item::Op(op::CALLVALUE),
            Item::Op(op::ISZERO),
            Item::PushLabel(0),
            Item::Op(op::JUMPI),
            Item::PushLabel(1),
            Item::Op(op::JUMP),
            Item::Label(0),
            Item::Op(op::STOP),
            Item::Label(1),
            Item::Label(2),
            Item::Op(op::INVALID),
        ];
        let out = code(items, Consts::Literal);
        assert_eq!(
            out,
            vec![
                op::CALLVALUE,
                0x61,
                0,
                6,
                op::JUMPI,
                op::STOP,
                op::JUMPDEST,
                op::INVALID
            ]
        );
    }

    /// Two labels placed together share one JUMPDEST; code after a terminator that only
    /// unnamed labels precede is gone.
    #[test]
    fn labels_together_share_a_jumpdest_and_unnamed_ones_revive_nothing() {
        let items = vec![
            Item::PushLabel(0),
            Item::PushLabel(1),
            Item::Op(op::JUMP),
            Item::Label(3),
            Item::Op(op::CALLER),
            Item::Label(0),
            Item::Label(1),
            Item::Op(op::STOP),
        ];
        let out = code(items, Consts::Literal);
        assert_eq!(
            out,
            vec![0x61, 0, 7, 0x61, 0, 7, op::JUMP, op::JUMPDEST, op::STOP]
        );
    }
}
