//! The expressions that reach outside the message: the environment, hashing, message
//! values and sends, replies, creations and intrinsics.

use crate::Error;
use crate::exec::{End, Frame, Halt, Msg, R, from_address, revert, to_address, unsupported};
use alloy_primitives::{Address, U256, keccak256};
use sha2::Digest;
use tandem_lang_ir::{CallKind, Env, Expr, HashAlg, Intrinsic, Payload, meta};

/// A hash of bytes as a word.
pub(crate) fn hash(alg: HashAlg, bytes: &[u8]) -> U256 {
    match alg {
        HashAlg::Keccak256 => U256::from_be_bytes(keccak256(bytes).0),
        HashAlg::Sha256 => U256::from_be_slice(&sha2::Sha256::digest(bytes)),
        HashAlg::Blake2b256 => {
            let h = blake2b_simd::Params::new().hash_length(32).hash(bytes);
            U256::from_be_slice(h.as_bytes())
        }
    }
}

/// `ecrecover`: the signer's address, or 0 when the signature does not recover.
fn ecrecover(hash: U256, v: U256, r: U256, s: U256) -> U256 {
    use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};
    let id = if v == U256::from(27) {
        0
    } else if v == U256::from(28) {
        1
    } else {
        return U256::ZERO;
    };
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&r.to_be_bytes::<32>());
    sig[32..].copy_from_slice(&s.to_be_bytes::<32>());
    let (Ok(sig), Some(id)) = (Signature::from_slice(&sig), RecoveryId::from_byte(id)) else {
        return U256::ZERO;
    };
    let Ok(key) = VerifyingKey::recover_from_prehash(&hash.to_be_bytes::<32>(), &sig, id) else {
        return U256::ZERO;
    };
    let point = key.to_encoded_point(false);
    let h = keccak256(&point.as_bytes()[1..]);
    U256::from_be_slice(&h[12..])
}

impl Frame<'_> {
    pub(crate) fn env(&mut self, e: Env) -> R<U256> {
        Ok(match e {
            Env::Caller => from_address(self.msg.caller),
            Env::Origin => from_address(self.msg.origin),
            Env::CallValue => self.msg.value,
            Env::Address => from_address(self.msg.to),
            Env::Number => self.w.env.number,
            Env::Timestamp => self.w.env.timestamp,
            Env::ChainId => self.w.env.chain_id,
            Env::GasLeft => self.w.env.gas_left,
            Env::SelfBalance => self.w.balance(self.msg.to),
        })
    }

    /// The bytes of a `Bytes` value (or a message value, which this interpreter keeps as
    /// its calldata in the same form).
    fn payload(&mut self, p: &Payload) -> R<Vec<u8>> {
        Ok(match p {
            Payload::None => Vec::new(),
            Payload::Message(e) | Payload::Bytes(e) => {
                let p = self.expr(e)?;
                self.mem.bytes_at(p)?
            }
        })
    }

    pub(crate) fn expr_ext(&mut self, e: &Expr) -> R<U256> {
        match e {
            Expr::Message { msg, args } => {
                let vals = self.typed(args)?;
                let mut data = meta::selector(&msg.signature).to_vec();
                data.extend(crate::abi::encode(&vals));
                Ok(self.mem.new_bytes(&data)?)
            }
            Expr::Send {
                kind,
                gas,
                target,
                value,
                payload,
            } => {
                let data = self.payload(payload)?;
                let value = self.expr(value)?;
                let target = self.expr(target)?;
                if let Some(g) = gas {
                    // The interpreter has no gas model: a gas limit only evaluates.
                    self.expr(g)?;
                }
                if self.msg.is_static && !value.is_zero() {
                    return revert(vec![]);
                }
                let msg = Msg {
                    caller: self.msg.to,
                    origin: self.msg.origin,
                    to: to_address(target),
                    value,
                    is_static: self.msg.is_static || *kind == CallKind::StaticCall,
                };
                let end = self.w.message(msg, &data)?;
                Ok(match end {
                    End::Return(d) => {
                        self.ret = d;
                        U256::from(1)
                    }
                    End::Revert(d) => {
                        self.ret = d;
                        U256::ZERO
                    }
                })
            }
            Expr::Reply(ty) => match crate::abi::decode_reply(&self.ret, ty) {
                Some(val) => Ok(self.mem.put(&val, ty)?),
                None => revert(vec![]),
            },
            Expr::ReplyBytes => {
                let d = self.ret.clone();
                Ok(self.mem.new_bytes(&d)?)
            }
            Expr::Create {
                child,
                value,
                args,
                salt,
            } => self.create(*child, value, args, salt.as_deref()),
            Expr::Intrinsic(i, args) => {
                let mut w = Vec::with_capacity(args.len());
                for a in args {
                    w.push(self.expr(a)?);
                }
                match (i, &w[..]) {
                    (Intrinsic::Ecrecover, [h, v, r, s]) => Ok(ecrecover(*h, *v, *r, *s)),
                    (Intrinsic::CodeSize, [a]) => Ok(self.w.code_size(to_address(*a))?),
                    (Intrinsic::CodeHash, [a]) => Ok(self.w.code_hash(to_address(*a))?),
                    (Intrinsic::CodeCopy, [a, dst, len]) => {
                        let code = self.w.code_of(to_address(*a))?.to_vec();
                        let n = usize::try_from(*len).map_err(|_| {
                            Halt::Err(Error::Unsupported("code_at: a length past usize".into()))
                        })?;
                        let mut out = vec![0u8; n];
                        let k = n.min(code.len());
                        out[..k].copy_from_slice(&code[..k]);
                        self.mem.write(*dst, &out)?;
                        Ok(U256::ZERO)
                    }
                    (Intrinsic::CreateCode, [value, code]) => {
                        if self.msg.is_static {
                            return revert(Vec::new());
                        }
                        let code = self.mem.bytes_at(*code)?;
                        let at = self.w.create_code(self.msg.to, code, *value);
                        self.ret = Vec::new();
                        Ok(at.map(from_address).unwrap_or(U256::ZERO))
                    }
                    (Intrinsic::TLoad, [slot]) => Ok(self.w.tload(self.msg.to, *slot)),
                    (Intrinsic::Immutable(k), []) => Ok(self.w.immutable(self.msg.to, *k)),
                    // The verifier admits the write only in `init`'s body.
                    (Intrinsic::SetImmutable(k), [v]) => {
                        self.w.set_immutable(self.msg.to, *k, *v);
                        Ok(U256::ZERO)
                    }
                    (Intrinsic::TStore, [slot, v]) => {
                        if self.msg.is_static {
                            return revert(Vec::new());
                        }
                        self.w.tstore(self.msg.to, *slot, *v);
                        Ok(U256::ZERO)
                    }
                    _ => Err(Halt::Err(Error::Invalid(format!(
                        "{i:?} with {} arguments",
                        w.len()
                    )))),
                }
            }
            Expr::SendAsync { .. } => {
                unsupported("ctx.send (asynchronous sends need the VM's system lane)")
            }
            Expr::AsyncReturn(..) => unsupported("an async reply's return value"),
            Expr::EvmAsm { .. } => unsupported("inline EVM assembly (`asm evm`, EVM-only)"),
            other => Err(Halt::Err(Error::Invalid(format!(
                "no evaluation for {other:?}"
            )))),
        }
    }

    fn create(
        &mut self,
        child: u32,
        value: &Expr,
        args: &[(Expr, tandem_lang_ir::ValTy)],
        salt: Option<&Expr>,
    ) -> R<U256> {
        let vals = self.typed(args)?;
        let value = self.expr(value)?;
        let salt = match salt {
            Some(s) => Some(self.expr(s)?),
            None => None,
        };
        if self.msg.is_static {
            return revert(vec![]);
        }
        let Some(&idx) = self
            .module
            .children
            .get(self.contract)
            .and_then(|c| c.get(child as usize))
        else {
            return Err(Halt::Err(Error::Invalid(format!("no child {child}"))));
        };
        let encoded = crate::abi::encode(&vals);
        let creator = self.msg.to;
        let acct = self.w.accounts.entry(creator).or_default();
        let nonce = acct.nonce;
        acct.nonce += 1;
        let at: Address = match salt {
            None => creator.create(nonce),
            Some(s) => self.w.create2_address(creator, s, idx, &encoded)?,
        };
        let end = self
            .w
            .create_at(creator, self.msg.origin, at, idx, &encoded, value)?;
        Ok(match end {
            End::Return(_) => {
                self.ret = Vec::new();
                from_address(at)
            }
            End::Revert(d) => {
                self.ret = d;
                U256::ZERO
            }
        })
    }
}
