//! The EVM instructions `asm evm` knows, by mnemonic: each one's byte, how many words it
//! takes from the stack and leaves, and whether inline assembly may use it (inline_asm.rs).
//! PUSHn, DUPn and SWAPn are computed from their number rather than listed.

/// Why an instruction is refused in inline assembly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A jump, a jump target, or the program counter: the compiler owns control flow.
    ControlFlow,
    /// Ends the message (STOP, RETURN, REVERT, INVALID, SELFDESTRUCT).
    Terminates,
    /// Writes state or calls out (SSTORE, TSTORE, LOGn, CALL…, CREATE…): these go through
    /// the language, which checks capabilities and `#[view]` and models them for the
    /// optimiser.
    Effect,
    /// Reads or copies memory in a way that depends on the compiler's layout (MSIZE).
    Layout,
}

/// Memory an instruction touches: the stack argument (0 = top) holding the address, and
/// the length (a fixed byte count, or the argument holding it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Len {
    Fixed(u64),
    Arg(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemUse {
    pub addr: usize,
    pub len: Len,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Takes `pops` words and leaves `pushes`.
    Plain,
    /// As `Plain`, touching memory (checked against the scratch words).
    Memory(MemUse, Option<MemUse>),
    /// PUSH0..PUSH32: immediate bytes (0 for PUSH0).
    Push(u8),
    /// DUPn: needs n words, copies the nth.
    Dup(u8),
    /// SWAPn: needs n+1 words.
    Swap(u8),
    Refused(Refusal),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpInfo {
    pub byte: u8,
    pub pops: usize,
    pub pushes: usize,
    pub kind: Kind,
}

const fn plain(byte: u8, pops: usize, pushes: usize) -> OpInfo {
    OpInfo {
        byte,
        pops,
        pushes,
        kind: Kind::Plain,
    }
}

const fn refused(byte: u8, pops: usize, pushes: usize, why: Refusal) -> OpInfo {
    OpInfo {
        byte,
        pops,
        pushes,
        kind: Kind::Refused(why),
    }
}

const fn mem(byte: u8, pops: usize, pushes: usize, a: MemUse, b: Option<MemUse>) -> OpInfo {
    OpInfo {
        byte,
        pops,
        pushes,
        kind: Kind::Memory(a, b),
    }
}

const fn at(addr: usize, len: Len) -> MemUse {
    MemUse { addr, len }
}

use Refusal::*;

/// Every listed mnemonic (PUSHn/DUPn/SWAPn aside).
const TABLE: &[(&str, OpInfo)] = &[
    ("STOP", refused(0x00, 0, 0, Terminates)),
    ("ADD", plain(0x01, 2, 1)),
    ("MUL", plain(0x02, 2, 1)),
    ("SUB", plain(0x03, 2, 1)),
    ("DIV", plain(0x04, 2, 1)),
    ("SDIV", plain(0x05, 2, 1)),
    ("MOD", plain(0x06, 2, 1)),
    ("SMOD", plain(0x07, 2, 1)),
    ("ADDMOD", plain(0x08, 3, 1)),
    ("MULMOD", plain(0x09, 3, 1)),
    ("EXP", plain(0x0a, 2, 1)),
    ("SIGNEXTEND", plain(0x0b, 2, 1)),
    ("LT", plain(0x10, 2, 1)),
    ("GT", plain(0x11, 2, 1)),
    ("SLT", plain(0x12, 2, 1)),
    ("SGT", plain(0x13, 2, 1)),
    ("EQ", plain(0x14, 2, 1)),
    ("ISZERO", plain(0x15, 1, 1)),
    ("AND", plain(0x16, 2, 1)),
    ("OR", plain(0x17, 2, 1)),
    ("XOR", plain(0x18, 2, 1)),
    ("NOT", plain(0x19, 1, 1)),
    ("BYTE", plain(0x1a, 2, 1)),
    ("SHL", plain(0x1b, 2, 1)),
    ("SHR", plain(0x1c, 2, 1)),
    ("SAR", plain(0x1d, 2, 1)),
    ("CLZ", plain(0x1e, 1, 1)),
    ("KECCAK256", mem(0x20, 2, 1, at(0, Len::Arg(1)), None)),
    ("ADDRESS", plain(0x30, 0, 1)),
    ("BALANCE", plain(0x31, 1, 1)),
    ("ORIGIN", plain(0x32, 0, 1)),
    ("CALLER", plain(0x33, 0, 1)),
    ("CALLVALUE", plain(0x34, 0, 1)),
    ("CALLDATALOAD", plain(0x35, 1, 1)),
    ("CALLDATASIZE", plain(0x36, 0, 1)),
    ("CALLDATACOPY", mem(0x37, 3, 0, at(0, Len::Arg(2)), None)),
    ("CODESIZE", plain(0x38, 0, 1)),
    ("CODECOPY", mem(0x39, 3, 0, at(0, Len::Arg(2)), None)),
    ("GASPRICE", plain(0x3a, 0, 1)),
    ("EXTCODESIZE", plain(0x3b, 1, 1)),
    ("EXTCODECOPY", mem(0x3c, 4, 0, at(1, Len::Arg(3)), None)),
    ("RETURNDATASIZE", plain(0x3d, 0, 1)),
    ("RETURNDATACOPY", mem(0x3e, 3, 0, at(0, Len::Arg(2)), None)),
    ("EXTCODEHASH", plain(0x3f, 1, 1)),
    ("BLOCKHASH", plain(0x40, 1, 1)),
    ("COINBASE", plain(0x41, 0, 1)),
    ("TIMESTAMP", plain(0x42, 0, 1)),
    ("NUMBER", plain(0x43, 0, 1)),
    ("PREVRANDAO", plain(0x44, 0, 1)),
    ("DIFFICULTY", plain(0x44, 0, 1)),
    ("GASLIMIT", plain(0x45, 0, 1)),
    ("CHAINID", plain(0x46, 0, 1)),
    ("SELFBALANCE", plain(0x47, 0, 1)),
    ("BASEFEE", plain(0x48, 0, 1)),
    ("BLOBHASH", plain(0x49, 1, 1)),
    ("BLOBBASEFEE", plain(0x4a, 0, 1)),
    ("POP", plain(0x50, 1, 0)),
    ("MLOAD", mem(0x51, 1, 1, at(0, Len::Fixed(32)), None)),
    ("MSTORE", mem(0x52, 2, 0, at(0, Len::Fixed(32)), None)),
    ("MSTORE8", mem(0x53, 2, 0, at(0, Len::Fixed(1)), None)),
    ("SLOAD", plain(0x54, 1, 1)),
    ("SSTORE", refused(0x55, 2, 0, Effect)),
    ("JUMP", refused(0x56, 1, 0, ControlFlow)),
    ("JUMPI", refused(0x57, 2, 0, ControlFlow)),
    ("PC", refused(0x58, 0, 1, ControlFlow)),
    ("MSIZE", refused(0x59, 0, 1, Layout)),
    ("GAS", plain(0x5a, 0, 1)),
    ("JUMPDEST", refused(0x5b, 0, 0, ControlFlow)),
    ("TLOAD", plain(0x5c, 1, 1)),
    ("TSTORE", refused(0x5d, 2, 0, Effect)),
    (
        "MCOPY",
        mem(0x5e, 3, 0, at(0, Len::Arg(2)), Some(at(1, Len::Arg(2)))),
    ),
    ("LOG0", refused(0xa0, 2, 0, Effect)),
    ("LOG1", refused(0xa1, 3, 0, Effect)),
    ("LOG2", refused(0xa2, 4, 0, Effect)),
    ("LOG3", refused(0xa3, 5, 0, Effect)),
    ("LOG4", refused(0xa4, 6, 0, Effect)),
    ("CREATE", refused(0xf0, 3, 1, Effect)),
    ("CALL", refused(0xf1, 7, 1, Effect)),
    ("CALLCODE", refused(0xf2, 7, 1, Effect)),
    ("RETURN", refused(0xf3, 2, 0, Terminates)),
    ("DELEGATECALL", refused(0xf4, 6, 1, Effect)),
    ("CREATE2", refused(0xf5, 4, 1, Effect)),
    ("STATICCALL", refused(0xfa, 6, 1, Effect)),
    ("REVERT", refused(0xfd, 2, 0, Terminates)),
    ("INVALID", refused(0xfe, 0, 0, Terminates)),
    ("SELFDESTRUCT", refused(0xff, 1, 0, Terminates)),
    // EOF's control flow (not in these forks): named so the refusal says why.
    ("RJUMP", refused(0xe0, 0, 0, ControlFlow)),
    ("RJUMPI", refused(0xe1, 1, 0, ControlFlow)),
    ("RJUMPV", refused(0xe2, 1, 0, ControlFlow)),
    ("CALLF", refused(0xe3, 0, 0, ControlFlow)),
    ("RETF", refused(0xe4, 0, 0, ControlFlow)),
    ("JUMPF", refused(0xe5, 0, 0, ControlFlow)),
];

/// The instruction a mnemonic names (upper case, as the yellow paper writes them).
pub fn lookup(name: &str) -> Option<OpInfo> {
    let numbered = |prefix: &str| -> Option<u8> {
        let n = name.strip_prefix(prefix)?;
        if n.is_empty() || n.starts_with('0') && n.len() > 1 {
            return None;
        }
        n.parse().ok()
    };
    if let Some(n) = numbered("PUSH").filter(|n| *n <= 32) {
        return Some(OpInfo {
            byte: 0x5f + n,
            pops: 0,
            pushes: 1,
            kind: Kind::Push(n),
        });
    }
    if let Some(n) = numbered("DUP").filter(|n| (1..=16).contains(n)) {
        return Some(OpInfo {
            byte: 0x7f + n,
            pops: n as usize,
            pushes: n as usize + 1,
            kind: Kind::Dup(n),
        });
    }
    if let Some(n) = numbered("SWAP").filter(|n| (1..=16).contains(n)) {
        return Some(OpInfo {
            byte: 0x8f + n,
            pops: n as usize + 1,
            pushes: n as usize + 1,
            kind: Kind::Swap(n),
        });
    }
    if name == "PUSH" {
        // `PUSH lit`: the width is the literal's.
        return Some(OpInfo {
            byte: 0x5f,
            pops: 0,
            pushes: 1,
            kind: Kind::Push(32),
        });
    }
    TABLE.iter().find(|(n, _)| *n == name).map(|(_, i)| *i)
}

/// Every mnemonic, for suggestions.
pub fn names() -> impl Iterator<Item = &'static str> {
    TABLE.iter().map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_mnemonics() {
        assert_eq!(lookup("PUSH0").map(|i| i.byte), Some(0x5f));
        assert_eq!(lookup("PUSH32").map(|i| i.byte), Some(0x7f));
        assert_eq!(lookup("DUP1").map(|i| i.byte), Some(0x80));
        assert_eq!(lookup("DUP16").map(|i| i.byte), Some(0x8f));
        assert_eq!(lookup("SWAP1").map(|i| i.byte), Some(0x90));
        assert_eq!(lookup("SWAP16").map(|i| i.byte), Some(0x9f));
        for bad in [
            "PUSH33", "DUP0", "DUP17", "SWAP0", "SWAP17", "PUSH01", "add",
        ] {
            assert!(lookup(bad).is_none(), "{bad}");
        }
        assert_eq!(lookup("MULMOD").map(|i| (i.byte, i.pops)), Some((0x09, 3)));
    }

    #[test]
    fn bytes_are_distinct_except_aliases() {
        let mut seen = std::collections::HashMap::new();
        for (n, i) in TABLE {
            if let Some(prev) = seen.insert(i.byte, *n) {
                assert_eq!((prev, *n), ("PREVRANDAO", "DIFFICULTY"));
            }
        }
    }
}
