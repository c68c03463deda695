//! A tiny assembler: opcodes, pushes of constants and labels, and raw data.

use tandem_lang_ir::U256;

pub type Label = u32;

#[derive(Clone, Debug)]
pub enum Item {
    Op(u8),
    Push(U256),
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
            Item::PushLabel(_) => 3,
            Item::Label(_) => 1,
            Item::Mark(_) => 0,
            Item::Data(d) => d.len(),
        }
    }

    /// Resolves labels and emits bytes (after the peephole pass).
    pub fn assemble(&self) -> Vec<u8> {
        let items = peephole(&self.items);
        let mut offsets = vec![0usize; self.next as usize];
        let mut pc = 0;
        for it in &items {
            if let Item::Label(l) | Item::Mark(l) = it {
                offsets[*l as usize] = pc;
            }
            pc += Self::size(it);
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
                Item::PushLabel(l) => {
                    let off = offsets[*l as usize];
                    out.push(0x61);
                    out.push((off >> 8) as u8);
                    out.push(off as u8);
                }
                Item::Label(_) => out.push(op::JUMPDEST),
                Item::Mark(_) => {}
                Item::Data(d) => out.extend_from_slice(d),
            }
        }
        out
    }
}

/// Local rewrites of the instruction stream that keep its meaning: pairs that cancel
/// (`DUPn POP`, `PUSH POP`, `SWAPn SWAPn`, `PUSH0 ADD`), a doubled `ISZERO` before `JUMPI`,
/// and code after `RETURN`/`REVERT`/`STOP`/`JUMP`/`INVALID` that no label makes reachable.
/// Labels are never moved or removed, so every jump target stays where the code jumps.
pub fn peephole(items: &[Item]) -> Vec<Item> {
    let is_op = |it: &Item, f: &dyn Fn(u8) -> bool| matches!(it, Item::Op(o) if f(*o));
    let mut out: Vec<Item> = Vec::with_capacity(items.len());
    let mut dead = false;
    for it in items {
        match it {
            Item::Label(_) | Item::Mark(_) | Item::Data(_) => dead = false,
            _ if dead => continue,
            _ => {}
        }
        out.push(it.clone());
        loop {
            let n = out.len();
            let last = |k: usize| &out[n - k];
            let cancel = |a: &Item, b: &Item| match (a, b) {
                // DUPn POP, PUSH POP
                (Item::Op(d), Item::Op(op::POP)) => (op::DUP1..op::DUP1 + 16).contains(d),
                (Item::Push(_), Item::Op(op::POP)) => true,
                // SWAPn SWAPn
                (Item::Op(x), Item::Op(y)) => x == y && (op::SWAP1..op::SWAP1 + 16).contains(x),
                // PUSH0 ADD
                (Item::Push(v), Item::Op(op::ADD)) => v.is_zero(),
                _ => false,
            };
            if n >= 2 && cancel(last(2), last(1)) {
                out.truncate(n - 2);
            } else if n >= 4
                && is_op(last(1), &|o| o == op::JUMPI)
                && matches!(last(2), Item::PushLabel(_))
                && is_op(last(3), &|o| o == op::ISZERO)
                && is_op(last(4), &|o| o == op::ISZERO)
            {
                out.remove(n - 4);
                out.remove(n - 4);
            } else {
                break;
            }
        }
        if matches!(out.last(), Some(Item::Op(o)) if matches!(*o, op::RETURN | op::REVERT | op::STOP | op::JUMP | op::INVALID))
        {
            dead = true;
        }
    }
    out
}
