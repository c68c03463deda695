//! A tiny EVM assembler for hand-written test contracts: opcodes, PUSH1 of a byte, PUSH1 of
//! a label's offset; and init code that deploys a runtime as it is.

/// A tiny assembler: opcodes, PUSH1 of a byte, and PUSH1 of a label's offset.
pub enum Asm {
    Op(u8),
    Push(u8),
    Label(&'static str),
    PushLabel(&'static str),
}

pub fn assemble(prog: &[Asm]) -> Vec<u8> {
    let mut labels = std::collections::HashMap::new();
    let mut pc = 0usize;
    for a in prog {
        match a {
            Asm::Op(_) => pc += 1,
            Asm::Push(_) | Asm::PushLabel(_) => pc += 2,
            Asm::Label(l) => {
                labels.insert(*l, pc);
                pc += 1;
            }
        }
    }
    let mut code = Vec::with_capacity(pc);
    for a in prog {
        match a {
            Asm::Op(op) => code.push(*op),
            Asm::Push(b) => code.extend([0x60, *b]),
            Asm::PushLabel(l) => code.extend([0x60, u8::try_from(labels[l]).unwrap()]),
            Asm::Label(_) => code.push(0x5b), // JUMPDEST
        }
    }
    code
}

/// Init code that deploys `runtime` as it is.
pub fn initcode(runtime: &[u8]) -> Vec<u8> {
    let n = u8::try_from(runtime.len()).unwrap();
    // PUSH1 n DUP1 PUSH1 11 PUSH1 0 CODECOPY PUSH1 0 RETURN
    let mut code = vec![0x60, n, 0x80, 0x60, 11, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3];
    code.extend_from_slice(runtime);
    code
}

/// Returns `calldata[4..36] + calldata[36..68]` (e.g. `add(uint256,uint256)`).
pub fn adder() -> Vec<u8> {
    use Asm::*;
    assemble(&[
        Push(0x24),
        Op(0x35), // CALLDATALOAD b
        Push(0x04),
        Op(0x35), // CALLDATALOAD a
        Op(0x01), // ADD
        Push(0),
        Op(0x52), // MSTORE
        Push(0x20),
        Push(0),
        Op(0xf3), // RETURN
    ])
}
