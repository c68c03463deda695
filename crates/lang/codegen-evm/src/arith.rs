//! Checked arithmetic (Solidity's Panic codes) and the crypto intrinsics.

use crate::asm::{Label, op};
use crate::emit::Gen;
use tandem_lang_ir::{CheckedOp, Expr, HashAlg, Intrinsic, U256};

impl Gen<'_> {
    pub(crate) fn intrinsic(&mut self, i: Intrinsic, args: &[Expr]) {
        match i {
            Intrinsic::Ecrecover => {
                // At the free pointer: hash, v, r, s; output to 0 after clearing it.
                self.push_u(0x40);
                self.op(op::MLOAD, 1, 1);
                let p = self.temp();
                for (k, a) in args.iter().enumerate() {
                    self.expr(a);
                    self.dup_local(p);
                    self.push_u(k as u64 * 32);
                    self.op(op::ADD, 2, 1);
                    self.op(op::MSTORE, 2, 0);
                }
                self.push_u(0);
                self.op(op::DUP1, 0, 1);
                self.op(op::MSTORE, 2, 0);
                self.push_u(32);
                self.push_u(0);
                self.push_u(128);
                self.dup_local(p);
                self.push_u(1);
                self.op(op::GAS, 0, 1);
                self.op(op::STATICCALL, 6, 1);
                self.pop();
                self.pop();
                self.locals.remove(&p);
                self.push_u(0);
                self.op(op::MLOAD, 1, 1);
            }
            Intrinsic::CodeSize => {
                self.expr(&args[0]);
                self.op(op::EXTCODESIZE, 1, 1);
            }
            Intrinsic::CodeHash => {
                self.expr(&args[0]);
                self.op(op::EXTCODEHASH, 1, 1);
            }
            Intrinsic::CodeCopy => {
                // extcodecopy(address, dst, 0, len); the expression's value is 0.
                self.expr(&args[2]);
                self.push_u(0);
                self.expr(&args[1]);
                self.expr(&args[0]);
                self.op(op::EXTCODECOPY, 4, 0);
                self.push_u(0);
            }
            Intrinsic::CreateCode => self.create_code(&args[0], &args[1]),
            Intrinsic::TLoad => {
                self.expr(&args[0]);
                self.op(op::TLOAD, 1, 1);
            }
            Intrinsic::TStore => {
                self.expr(&args[1]);
                self.expr(&args[0]);
                self.op(op::TSTORE, 2, 0);
                self.push_u(0);
            }
            Intrinsic::Immutable(k) => self.immutable(k),
            Intrinsic::SetImmutable(k) => self.set_immutable(k, &args[0]),
        }
    }

    /// `CreateCode(value, code)`: CREATE with init code `PUSH2 len, DUP1, PUSH1 10,
    /// RETURNDATASIZE, CODECOPY, RETURNDATASIZE, RETURN` followed by the code, built at the
    /// free pointer (scratch: the init code runs in its own memory). The 10-byte prefix copies
    /// the `len` bytes after it to memory 0 and returns them as the runtime code. Code longer
    /// than EIP-170's 24,576 bytes (which PUSH2 could not hold past 65,535) gets an INVALID
    /// prefix instead, so the creation fails (0) as the limit would make it.
    fn create_code(&mut self, value: &Expr, code: &Expr) {
        const LIMIT: u64 = 24_576;
        let prefix = (U256::from(0x61u8) << 248) | (U256::from(0x80_60_0a_3d_39_3d_f3_u64) << 176);
        self.expr(code);
        let c = self.temp();
        self.expr(value);
        let v = self.temp();
        self.dup_local(c);
        self.op(op::MLOAD, 1, 1);
        let len = self.temp();
        self.push_u(0x40);
        self.op(op::MLOAD, 1, 1);
        let fp = self.temp();
        // word = prefix | len << 232, or INVALID when len > LIMIT: ok * word | !ok * 0xfe..
        self.dup_local(len);
        self.push_u(232);
        self.op(op::SHL, 2, 1);
        self.push(prefix);
        self.op(op::OR, 2, 1);
        self.push_u(LIMIT + 1);
        self.dup_local(len);
        self.op(op::LT, 2, 1);
        self.op(op::DUP1, 0, 1);
        self.op(op::ISZERO, 1, 1);
        self.push(U256::from(op::INVALID) << 248);
        self.op(op::MUL, 2, 1);
        self.op(op::SWAP1 + 1, 0, 0);
        self.op(op::MUL, 2, 1);
        self.op(op::OR, 2, 1);
        self.dup_local(fp);
        self.op(op::MSTORE, 2, 0);
        // mcopy(fp + 10, code + 32, len)
        self.dup_local(len);
        self.dup_local(c);
        self.push_u(32);
        self.op(op::ADD, 2, 1);
        self.dup_local(fp);
        self.push_u(10);
        self.op(op::ADD, 2, 1);
        self.op(op::MCOPY, 3, 0);
        // create(value, fp, len + 10)
        self.dup_local(len);
        self.push_u(10);
        self.op(op::ADD, 2, 1);
        self.dup_local(fp);
        self.dup_local(v);
        self.op(op::CREATE, 3, 1);
        // [code, value, len, fp, address] -> [address]
        self.op(op::SWAP1 + 3, 0, 0);
        for _ in 0..4 {
            self.pop();
        }
        for t in [c, v, len, fp] {
            self.locals.remove(&t);
        }
    }

    /// A hash of `len` bytes at `ptr`: KECCAK256, the SHA-256 precompile, or BLAKE2b-256
    /// through the BLAKE2 F precompile.
    pub(crate) fn hash(&mut self, alg: HashAlg, ptr: &Expr, len: &Expr) {
        match alg {
            HashAlg::Keccak256 => {
                self.expr(len);
                self.expr(ptr);
                self.op(op::KECCAK256, 2, 1);
            }
            HashAlg::Blake2b256 => self.blake2b256(ptr, len),
            HashAlg::Sha256 => {
                // staticcall(gas, 2, ptr, len, 0, 32); mload(0)
                self.push_u(32);
                self.push_u(0);
                self.expr(len);
                self.expr(ptr);
                self.push_u(2);
                self.op(op::GAS, 0, 1);
                self.op(op::STATICCALL, 6, 1);
                self.pop();
                self.push_u(0);
                self.op(op::MLOAD, 1, 1);
            }
        }
    }

    pub(crate) fn checked(&mut self, o: CheckedOp, signed: bool, bits: u16, a: &Expr, b: &Expr) {
        let max = if signed {
            (U256::from(1) << (bits as usize - 1)) - U256::from(1)
        } else if bits == 256 {
            U256::MAX
        } else {
            (U256::from(1) << bits as usize) - U256::from(1)
        };
        let p11 = self.panic_label(0x11);
        if o == CheckedOp::Neg {
            // 0 - a, overflowing only for the minimum value.
            self.expr(a);
            self.op(op::DUP1, 0, 1);
            self.push(!max);
            self.op(op::EQ, 2, 1);
            self.asm.jumpi(p11);
            self.height -= 1;
            self.push_u(0);
            self.op(op::SUB, 2, 1);
            return;
        }
        self.expr(b);
        self.expr(a);
        // stack: [b, a]
        match (o, signed) {
            (CheckedOp::Add, false) if bits == 256 => {
                self.op(op::DUP1 + 1, 0, 1);
                self.op(op::ADD, 2, 1);
                self.op(op::SWAP1, 0, 0);
                self.op(op::DUP1 + 1, 0, 1);
                self.op(op::LT, 2, 1);
                self.asm.jumpi(p11);
                self.height -= 1;
            }
            (CheckedOp::Sub, false) => {
                self.op(op::DUP1 + 1, 0, 1);
                self.op(op::DUP1 + 1, 0, 1);
                self.op(op::LT, 2, 1);
                self.asm.jumpi(p11);
                self.height -= 1;
                self.op(op::SUB, 2, 1);
            }
            (CheckedOp::Add | CheckedOp::Mul, false) if o == CheckedOp::Add || bits <= 128 => {
                self.op(
                    if o == CheckedOp::Add {
                        op::ADD
                    } else {
                        op::MUL
                    },
                    2,
                    1,
                );
                self.range_check_unsigned(max);
            }
            (CheckedOp::Mul, false) => {
                // p = a*b; ok iff a == 0 || p / a == b
                self.op(op::DUP1 + 1, 0, 1);
                self.op(op::DUP1 + 1, 0, 1);
                self.op(op::MUL, 2, 1);
                // [b, a, p]
                self.op(op::DUP1 + 1, 0, 1);
                self.op(op::DUP1 + 1, 0, 1);
                self.op(op::DIV, 2, 1);
                // [b, a, p, p/a]
                self.op(op::DUP1 + 3, 0, 1);
                self.op(op::EQ, 2, 1);
                self.op(op::DUP1 + 2, 0, 1);
                self.op(op::ISZERO, 1, 1);
                self.op(op::OR, 2, 1);
                self.op(op::ISZERO, 1, 1);
                self.asm.jumpi(p11);
                self.height -= 1;
                self.op(op::SWAP1 + 1, 0, 0);
                self.pop();
                self.pop();
                if bits < 256 {
                    self.range_check_unsigned(max);
                }
            }
            (CheckedOp::Div | CheckedOp::Rem, _) => {
                let p12 = self.panic_label(0x12);
                self.op(op::DUP1 + 1, 0, 1);
                self.op(op::ISZERO, 1, 1);
                self.asm.jumpi(p12);
                self.height -= 1;
                if signed && o == CheckedOp::Div {
                    // MIN / -1 overflows.
                    self.op(op::DUP1, 0, 1);
                    self.push(!max);
                    self.op(op::EQ, 2, 1);
                    self.op(op::DUP1 + 2, 0, 1);
                    self.push(U256::MAX);
                    self.op(op::EQ, 2, 1);
                    self.op(op::AND, 2, 1);
                    self.asm.jumpi(p11);
                    self.height -= 1;
                }
                let code = match (o, signed) {
                    (CheckedOp::Div, false) => op::DIV,
                    (CheckedOp::Div, true) => op::SDIV,
                    (_, false) => op::MOD,
                    _ => op::SMOD,
                };
                self.op(code, 2, 1);
            }
            (CheckedOp::Pow, _) => {
                // Not produced by sema, which lowers `**` to an exact checked loop itself
                // (sema/src/pow.rs); this form wraps at 2^256.
                self.op(op::EXP, 2, 1);
                if !signed && bits < 256 {
                    self.range_check_unsigned(max);
                }
            }
            (_, true) => {
                let code = match o {
                    CheckedOp::Add => op::ADD,
                    CheckedOp::Sub => op::SUB,
                    _ => op::MUL,
                };
                if bits < 256 && (o != CheckedOp::Mul || bits <= 128) {
                    self.op(code, 2, 1);
                    self.range_check_signed(bits, p11);
                } else if o == CheckedOp::Add || o == CheckedOp::Sub {
                    // [b, a] -> r; overflow iff (b < 0) != (r < a) for add, (b < 0) != (r > a) for sub
                    self.op(op::DUP1 + 1, 0, 1);
                    self.op(op::DUP1 + 1, 0, 1);
                    self.op(code, 2, 1);
                    // [b, a, r]
                    self.op(op::DUP1 + 1, 0, 1);
                    self.op(op::DUP1 + 1, 0, 1);
                    self.op(
                        if o == CheckedOp::Add {
                            op::SLT
                        } else {
                            op::SGT
                        },
                        2,
                        1,
                    );
                    // [b, a, r, r<a]
                    self.push_u(0);
                    self.op(op::DUP1 + 4, 0, 1);
                    self.op(op::SLT, 2, 1);
                    self.op(op::XOR, 2, 1);
                    self.asm.jumpi(p11);
                    self.height -= 1;
                    self.op(op::SWAP1 + 1, 0, 0);
                    self.pop();
                    self.pop();
                } else {
                    self.checked_wide_signed_mul(bits, p11);
                }
            }
            _ => {
                self.fail("internal: unsupported checked operation");
                self.pop();
            }
        }
    }

    /// `[y, x] -> x * y` for signed types wider than 128 bits (Solidity's test): the 256-bit
    /// product wrapped iff x != 0 and sdiv(p, x) != y, or x < 0 and y is the 256-bit minimum
    /// (the one wrap sdiv cannot see: -1 × MIN = MIN); a narrower type then checks that p
    /// sign-extends from its width to itself.
    fn checked_wide_signed_mul(&mut self, bits: u16, p11: Label) {
        const DUP: u8 = op::DUP1 - 1; // DUP + n is DUPn
        self.op(DUP + 2, 0, 1);
        self.op(DUP + 2, 0, 1);
        self.op(op::MUL, 2, 1);
        // [y, x, p]: sdiv(p, x) != y and x != 0
        self.op(DUP + 2, 0, 1);
        self.op(DUP + 2, 0, 1);
        self.op(op::SDIV, 2, 1);
        self.op(DUP + 4, 0, 1);
        self.op(op::EQ, 2, 1);
        self.op(op::ISZERO, 1, 1);
        self.op(DUP + 3, 0, 1);
        self.op(op::ISZERO, 1, 1);
        self.op(op::ISZERO, 1, 1);
        self.op(op::AND, 2, 1);
        self.asm.jumpi(p11);
        self.height -= 1;
        if bits == 256 {
            // x < 0 and y == MIN
            self.push_u(0);
            self.op(DUP + 3, 0, 1);
            self.op(op::SLT, 2, 1);
            self.op(DUP + 4, 0, 1);
            self.push(U256::from(1) << 255);
            self.op(op::EQ, 2, 1);
            self.op(op::AND, 2, 1);
            self.asm.jumpi(p11);
            self.height -= 1;
        } else {
            self.range_check_signed(bits, p11);
        }
        // [y, x, p] -> [p]
        self.op(op::SWAP1 + 1, 0, 0);
        self.pop();
        self.pop();
    }

    /// `[r] -> [r]`, to `p11` unless r fits a signed `bits`-bit type: signextend(bytes - 1, r)
    /// == r.
    fn range_check_signed(&mut self, bits: u16, p11: Label) {
        self.op(op::DUP1, 0, 1);
        self.op(op::DUP1, 0, 1);
        self.push_u(bits as u64 / 8 - 1);
        self.op(op::SIGNEXTEND, 2, 1);
        self.op(op::EQ, 2, 1);
        self.op(op::ISZERO, 1, 1);
        self.asm.jumpi(p11);
        self.height -= 1;
    }

    pub(crate) fn range_check_unsigned(&mut self, max: U256) {
        if max == U256::MAX {
            return;
        }
        let p11 = self.panic_label(0x11);
        self.op(op::DUP1, 0, 1);
        self.push(max);
        self.op(op::LT, 2, 1);
        self.asm.jumpi(p11);
        self.height -= 1;
    }
}
