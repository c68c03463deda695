//! The executor applies messages to the machine: checks, gas prepayment, the call, refund,
//! burn and receipt.
//!
//! Invariant: a message either is rejected before execution and changes nothing, or it is
//! applied, which always bumps the sender's nonce and charges gas, whatever the call did.

use cid::Cid;
use fvm_ipld_encoding::RawBytes;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::{ErrorNumber, ExitCode};
use fvm_shared::event::StampedEvent;

use crate::ActorID;
use crate::builtin::{BURNT_FUNDS_ACTOR_ID, BuiltinCode, SYSTEM_ACTOR_ID};
use crate::call_manager::{CallManager, MessageOrigin, syscall_exit_code};
use crate::gas::{Gas, PRICE_LIST};
use crate::kernel::{CallOutcome, ExecutionError, SendRequest};
use crate::machine::Machine;
use crate::message::{ApplyRet, GasOutputs, Message, Receipt, SignedMessage};

pub struct Executor {
    pub machine: Machine,
}

/// The result of running a call with gas accounting, before fees are settled.
pub struct CallRun {
    pub outcome: CallOutcome,
    pub events: Vec<StampedEvent>,
    pub gas_used: Gas,
    pub refund_counter: i64,
    pub failure: Option<String>,
}

impl Executor {
    pub fn new(machine: Machine) -> Self {
        Self { machine }
    }

    /// Verifies the signature, then applies.
    pub fn apply_signed(&mut self, msg: &SignedMessage) -> anyhow::Result<ApplyRet> {
        if let Err(e) = msg.verify() {
            return Ok(rejected(
                ExitCode::SYS_SENDER_INVALID,
                format!("bad signature: {e}"),
            ));
        }
        self.apply_message(&msg.message)
    }

    /// Applies a message whose signature was checked (or that needs none).
    pub fn apply_message(&mut self, msg: &Message) -> anyhow::Result<ApplyRet> {
        let block_gas_limit = self.machine.network.block_gas_limit;
        if msg.gas_limit > block_gas_limit {
            return Ok(rejected(
                ExitCode::SYS_SENDER_INVALID,
                format!(
                    "gas limit {} is above the block gas limit {block_gas_limit}",
                    msg.gas_limit
                ),
            ));
        }
        let inclusion = PRICE_LIST.message_inclusion(msg.params.len());
        if Gas::new(msg.gas_limit) < inclusion {
            return Ok(rejected(
                ExitCode::SYS_OUT_OF_GAS,
                format!(
                    "gas limit {} is below the inclusion cost {inclusion}",
                    msg.gas_limit
                ),
            ));
        }
        let base_fee = self.machine.network.base_fee.clone();
        if msg.gas_fee_cap < base_fee {
            return Ok(rejected(
                ExitCode::SYS_SENDER_STATE_INVALID,
                format!(
                    "fee cap {} is below the base fee {}",
                    msg.gas_fee_cap.atto(),
                    base_fee.atto()
                ),
            ));
        }
        let checked = self.atomically(|ex| ex.apply_checked(msg, inclusion, &base_fee));
        match checked {
            Ok(ret) => Ok(ret),
            Err(MessageFailure::Rejected(ret)) => Ok(*ret),
            Err(MessageFailure::Fatal(e)) => Ok(fatal_rejection(msg, e)),
        }
    }

    /// Runs `f` as one indivisible message: inside a state transaction that a failure of `f`
    /// undoes completely (nonce, prepayment, every frame, warm and transient state), then
    /// clears the message-scoped state either way.
    pub fn atomically<T, E>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, E>) -> Result<T, E>
    where
        E: From<anyhow::Error>,
    {
        self.machine.state.begin_transaction();
        let result = f(self);
        let ended = self.machine.state.end_transaction(result.is_err());
        self.machine.state.reset_message_scope();
        ended?;
        result
    }

    /// The part of [`Self::apply_message`] after the stateless checks, run atomically.
    fn apply_checked(
        &mut self,
        msg: &Message,
        inclusion: Gas,
        base_fee: &TokenAmount,
    ) -> Result<ApplyRet, MessageFailure> {
        let rejected = |code, reason| MessageFailure::Rejected(Box::new(rejected(code, reason)));
        let state = &mut self.machine.state;
        let Some(sender_id) = state.lookup_id(&msg.from)? else {
            return Err(rejected(
                ExitCode::SYS_SENDER_INVALID,
                format!("sender {} not found", msg.from),
            ));
        };
        let Some(sender) = state.actor_ref(sender_id)? else {
            return Err(rejected(
                ExitCode::SYS_SENDER_INVALID,
                format!("sender {} not found", msg.from),
            ));
        };
        if !BuiltinCode::from_cid(&sender.code).is_some_and(BuiltinCode::is_account) {
            return Err(rejected(
                ExitCode::SYS_SENDER_INVALID,
                format!("sender {} is not an account", msg.from),
            ));
        }
        if sender.sequence != msg.sequence {
            return Err(rejected(
                ExitCode::SYS_SENDER_STATE_INVALID,
                format!(
                    "nonce {} does not match the expected {}",
                    msg.sequence, sender.sequence
                ),
            ));
        }
        let prepaid = &msg.gas_fee_cap * msg.gas_limit;
        if sender.balance < prepaid {
            return Err(rejected(
                ExitCode::SYS_SENDER_STATE_INVALID,
                format!(
                    "balance {} cannot pay for gas {}",
                    sender.balance.atto(),
                    prepaid.atto()
                ),
            ));
        }
        // Applied from here on: the nonce and the prepayment stick even if the call fails.
        state.mutate_actor(sender_id, |sender| {
            sender.balance -= &prepaid;
            sender.sequence += 1;
            Ok(())
        })?;

        let origin = MessageOrigin {
            origin: sender_id,
            nonce: msg.sequence,
            gas_price: effective_gas_price(base_fee, &msg.gas_fee_cap, &msg.gas_premium),
        };
        let request = top_level_request(msg);
        let run = self.run_call(
            Gas::new(msg.gas_limit),
            inclusion,
            origin,
            sender_id,
            request,
        )?;
        let premium = effective_premium(base_fee, &msg.gas_fee_cap, &msg.gas_premium);
        Ok(self.settle_fees(sender_id, prepaid, base_fee, &premium, msg.gas_limit, run)?)
    }

    /// Applies a system message (cron-like, protocol): no signature, nonce or fees, and its own
    /// gas budget, so user messages can never crowd it out or abort it.
    pub fn apply_implicit(&mut self, msg: &Message) -> anyhow::Result<ApplyRet> {
        let from = self
            .machine
            .state
            .lookup_id(&msg.from)?
            .ok_or_else(|| anyhow::anyhow!("implicit sender {} not found", msg.from))?;
        let origin = MessageOrigin {
            origin: from,
            nonce: msg.sequence,
            gas_price: TokenAmount::default(),
        };
        self.apply_unpaid(
            from,
            origin,
            top_level_request(msg),
            Gas::new(msg.gas_limit),
        )
    }

    /// Runs a top-level call that nobody pays for here (system messages, async deliveries
    /// that were prepaid at the send) atomically, and builds its receipt. A fatal error comes
    /// back as `Err` with everything undone.
    pub fn apply_unpaid(
        &mut self,
        from: ActorID,
        origin: MessageOrigin,
        request: SendRequest,
        gas_limit: Gas,
    ) -> anyhow::Result<ApplyRet> {
        let run = self.atomically(|ex| ex.run_call(gas_limit, Gas::ZERO, origin, from, request))?;
        Ok(ApplyRet {
            receipt: Receipt {
                exit_code: run.outcome.exit_code,
                return_data: run
                    .outcome
                    .return_data
                    .map(|b| RawBytes::new(b.data))
                    .unwrap_or_default(),
                gas_used: run.gas_used.round_up(),
                // On demand: `ApplyRet::events_root`.
                events_root: None,
            },
            events: run.events,
            gas: GasOutputs::default(),
            failure: run.failure,
            applied: true,
        })
    }

    /// Runs one top-level call under a fresh gas tracker and deletes what it self-destructed.
    /// Call it inside [`Self::atomically`]: a fatal error comes back as `Err` for the caller
    /// to roll the whole message back.
    pub fn run_call(
        &mut self,
        gas_limit: Gas,
        intrinsic: Gas,
        origin: MessageOrigin,
        from: ActorID,
        request: SendRequest,
    ) -> anyhow::Result<CallRun> {
        let mut cm = CallManager::new(&mut self.machine, gas_limit, origin);
        let charged = cm.charge_gas("message", intrinsic);
        let result = match charged {
            Ok(()) => cm.send(from, request, false),
            Err(e) => Err(e.into()),
        };
        let gas_used = cm.gas.used();
        let events = std::mem::take(&mut cm.events);
        let (outcome, failure) = match result {
            Ok(outcome) => {
                let failure =
                    (!outcome.is_success()).then(|| format!("exit code {}", outcome.exit_code));
                (outcome, failure)
            }
            Err(ExecutionError::Fatal(e)) => return Err(e),
            Err(e) => {
                let (exit_code, reason) = top_level_exit(&e);
                (
                    CallOutcome {
                        gas_used,
                        ..CallOutcome::exit(exit_code)
                    },
                    Some(reason),
                )
            }
        };
        let success = outcome.is_success();
        let refund_counter = self.machine.state.refund();
        self.machine.state.delete_destructed();
        Ok(CallRun {
            outcome,
            events: if success { events } else { Vec::new() },
            gas_used,
            refund_counter,
            failure,
        })
    }

    /// Splits the prepayment into burn, tip and refund, and builds the receipt. The receipt's
    /// `events_root` is `None` whatever the events: nothing committed holds it (the node's
    /// records keep the events themselves), so it is computed only when someone asks for it,
    /// by [`ApplyRet::events_root`] (it was ~6% of a native token transfer).
    pub fn settle_fees(
        &mut self,
        sender_id: ActorID,
        prepaid: TokenAmount,
        base_fee: &TokenAmount,
        premium: &TokenAmount,
        gas_limit: u64,
        run: CallRun,
    ) -> anyhow::Result<ApplyRet> {
        let used = run.gas_used.round_up().min(gas_limit);
        // Refunds are capped at a fifth of the gas used (EIP-3529).
        let gas_refunded = (run.refund_counter.max(0) as u64).min(used / 5);
        let gas_used = used - gas_refunded;
        let (base_fee_burn, miner_tip, refund) = fee_split(&prepaid, base_fee, premium, gas_used);
        let coinbase = self.machine.network.coinbase;
        self.credit(sender_id, &refund)?;
        self.credit(BURNT_FUNDS_ACTOR_ID, &base_fee_burn)?;
        self.credit_address(&coinbase, &miner_tip)?;
        let return_data = run
            .outcome
            .return_data
            .map(|b| RawBytes::new(b.data))
            .unwrap_or_default();
        Ok(ApplyRet {
            receipt: Receipt {
                exit_code: run.outcome.exit_code,
                return_data,
                gas_used,
                events_root: None,
            },
            events: run.events,
            gas: GasOutputs {
                base_fee_burn,
                miner_tip,
                refund,
                gas_refunded,
            },
            failure: run.failure,
            applied: true,
        })
    }

    fn credit(&mut self, id: ActorID, amount: &TokenAmount) -> anyhow::Result<()> {
        if amount.is_zero() {
            return Ok(());
        }
        self.machine.state.mutate_actor(id, |a| {
            a.balance += amount;
            Ok(())
        })
    }

    /// Credits an address, creating an account or placeholder for it if needed.
    fn credit_address(&mut self, addr: &Address, amount: &TokenAmount) -> anyhow::Result<()> {
        if amount.is_zero() {
            return Ok(());
        }
        // The usual case: the coinbase exists and is simply credited.
        if let Some(id) = self.machine.state.lookup_id(addr)?
            && self.machine.state.actor_ref(id)?.is_some()
        {
            return self.credit(id, amount);
        }
        let origin = MessageOrigin {
            origin: SYSTEM_ACTOR_ID,
            nonce: 0,
            gas_price: TokenAmount::default(),
        };
        // Paid from the system actor after crediting it, so a new account can be created the
        // usual way.
        self.credit(SYSTEM_ACTOR_ID, amount)?;
        let mut cm = CallManager::new(&mut self.machine, Gas::new(u64::MAX / 2), origin);
        let request = SendRequest {
            to: *addr,
            method: crate::builtin::METHOD_SEND,
            params: None,
            value: amount.clone(),
            gas_limit: None,
            read_only: false,
        };
        let out = cm
            .send(SYSTEM_ACTOR_ID, request, false)
            .map_err(|e| anyhow::anyhow!("paying {addr}: {e}"))?;
        anyhow::ensure!(
            out.is_success(),
            "paying {addr} failed with {}",
            out.exit_code
        );
        Ok(())
    }

    /// Flushes the state and returns the new root.
    pub fn flush(&mut self) -> anyhow::Result<Cid> {
        self.machine.flush()
    }
}

/// The send a top-level message makes. Its params are plain CBOR: links in them come from
/// off-chain and grant no reachability (FIP-0071).
pub(crate) fn top_level_request(msg: &Message) -> SendRequest {
    let params = (!msg.params.is_empty()).then(|| IpldBlock {
        codec: fvm_ipld_encoding::CBOR,
        data: msg.params.to_vec(),
    });
    SendRequest {
        to: msg.to,
        method: msg.method_num,
        params,
        value: msg.value.clone(),
        gas_limit: None,
        read_only: false,
    }
}

/// Why an atomically applied message did not go through.
pub enum MessageFailure {
    /// Refused by a check before anything changed.
    Rejected(Box<ApplyRet>),
    /// A fatal error: a bug in Tandem, never the sender's fault. The message is undone.
    Fatal(anyhow::Error),
}

impl From<anyhow::Error> for MessageFailure {
    fn from(e: anyhow::Error) -> Self {
        MessageFailure::Fatal(e)
    }
}

/// Logs a message that hit a fatal error with what it takes to replay it, and turns it into
/// a rejection: the message is not included and its sender is told why.
fn fatal_rejection(msg: &Message, error: anyhow::Error) -> ApplyRet {
    let encoded = fvm_ipld_encoding::to_vec(msg).unwrap_or_default();
    let cid = crate::message::message_cid(msg)
        .map(|c| c.to_string())
        .unwrap_or_default();
    tracing::error!(
        target: "tandem::fatal",
        message = %cid,
        cbor = %hex::encode(&encoded[..encoded.len().min(64 * 1024)]),
        "fatal VM error; the message was rolled back and not included: {error:#}"
    );
    rejected(
        ExitCode::SYS_ASSERTION_FAILED,
        format!("fatal VM error, message rolled back and not included: {error:#}"),
    )
}

pub(crate) fn rejected(exit_code: ExitCode, reason: String) -> ApplyRet {
    ApplyRet {
        receipt: Receipt {
            exit_code,
            return_data: RawBytes::default(),
            gas_used: 0,
            events_root: None,
        },
        events: Vec::new(),
        gas: GasOutputs::default(),
        failure: Some(reason),
        applied: false,
    }
}

fn top_level_exit(e: &ExecutionError) -> (ExitCode, String) {
    match e {
        ExecutionError::OutOfGas => (ExitCode::SYS_OUT_OF_GAS, "out of gas".into()),
        ExecutionError::Syscall(ErrorNumber::NotFound, msg) => {
            (ExitCode::SYS_INVALID_RECEIVER, msg.clone())
        }
        ExecutionError::Syscall(ErrorNumber::InsufficientFunds, msg) => {
            (ExitCode::SYS_INSUFFICIENT_FUNDS, msg.clone())
        }
        ExecutionError::Syscall(n, msg) => (syscall_exit_code(*n), msg.clone()),
        ExecutionError::Fatal(err) => (ExitCode::SYS_ASSERTION_FAILED, format!("{err:#}")),
    }
}

/// What one gas costs the sender: the base fee plus the premium, capped by the fee cap.
pub fn effective_gas_price(
    base_fee: &TokenAmount,
    fee_cap: &TokenAmount,
    premium: &TokenAmount,
) -> TokenAmount {
    // base + min(cap - base, premium) is at most the cap, so it fits when the cap does.
    if let (Some(base), Some(paid)) = (
        atto_u128(base_fee),
        premium_u128(base_fee, fee_cap, premium),
    ) {
        return TokenAmount::from_atto(base + paid);
    }
    base_fee + effective_premium(base_fee, fee_cap, premium)
}

pub fn effective_premium(
    base_fee: &TokenAmount,
    fee_cap: &TokenAmount,
    premium: &TokenAmount,
) -> TokenAmount {
    if let Some(paid) = premium_u128(base_fee, fee_cap, premium) {
        return TokenAmount::from_atto(paid);
    }
    let headroom = fee_cap - base_fee;
    if &headroom < premium {
        headroom
    } else {
        premium.clone()
    }
}

/// The AMT root of a message's events, or `None` when there are none (see [`events_root_of`]).
pub fn events_root(_machine: &Machine, events: &[StampedEvent]) -> anyhow::Result<Option<Cid>> {
    events_root_of(events)
}

pub use crate::events_root::events_root_of;

/// The fee split of a message that used `gas_used`: (base fee burnt, miner tip, refund to the
/// sender) = (base_fee × gas, premium × gas, prepaid − both). In u128 when the amounts and
/// products fit and the refund is not negative (every realistic price: exactly the same
/// values, without big-integer temporaries), else in big integers.
fn fee_split(
    prepaid: &TokenAmount,
    base_fee: &TokenAmount,
    premium: &TokenAmount,
    gas_used: u64,
) -> (TokenAmount, TokenAmount, TokenAmount) {
    match split_u128(prepaid, base_fee, premium, gas_used) {
        Some((burn, tip, refund)) => (
            TokenAmount::from_atto(burn),
            TokenAmount::from_atto(tip),
            TokenAmount::from_atto(refund),
        ),
        None => {
            let burn = base_fee * gas_used;
            let tip = premium * gas_used;
            let refund = prepaid - &burn - &tip;
            (burn, tip, refund)
        }
    }
}

/// [`effective_premium`] in u128, when the amounts fit and the cap covers the base fee: every
/// realistic price, without big-integer temporaries.
fn premium_u128(
    base_fee: &TokenAmount,
    fee_cap: &TokenAmount,
    premium: &TokenAmount,
) -> Option<u128> {
    let headroom = atto_u128(fee_cap)?.checked_sub(atto_u128(base_fee)?)?;
    Some(headroom.min(atto_u128(premium)?))
}

/// [`fee_split`] in u128, when every amount and product fits and the refund is not negative.
fn split_u128(
    prepaid: &TokenAmount,
    base_fee: &TokenAmount,
    premium: &TokenAmount,
    gas_used: u64,
) -> Option<(u128, u128, u128)> {
    let gas = u128::from(gas_used);
    let burn = atto_u128(base_fee)?.checked_mul(gas)?;
    let tip = atto_u128(premium)?.checked_mul(gas)?;
    let refund = atto_u128(prepaid)?.checked_sub(burn)?.checked_sub(tip)?;
    Some((burn, tip, refund))
}

/// A non-negative amount below 2^128, as a u128 (no allocation).
fn atto_u128(amount: &TokenAmount) -> Option<u128> {
    u128::try_from(amount.atto()).ok()
}

#[cfg(test)]
mod fee_split_tests {
    use super::*;
    use fvm_shared::bigint::BigInt;

    fn big(
        prepaid: &TokenAmount,
        base: &TokenAmount,
        premium: &TokenAmount,
        gas: u64,
    ) -> [TokenAmount; 3] {
        let burn = base * gas;
        let tip = premium * gas;
        let refund = prepaid - &burn - &tip;
        [burn, tip, refund]
    }

    /// The u128 path gives exactly the big-integer values, and amounts that do not fit (or
    /// a negative refund) take the big-integer path.
    #[test]
    fn same_split_as_big_integers() {
        let atto = |v: BigInt| TokenAmount::from_atto(v);
        let max = BigInt::from(u128::MAX);
        let amounts = [
            atto(BigInt::from(0)),
            atto(BigInt::from(1)),
            atto(BigInt::from(7_000_000_000u64)),
            atto(BigInt::from(u64::MAX)),
            atto(BigInt::from(u64::MAX) + 1),
            atto(max.clone()),
            atto(max.clone() + 1),
            atto(BigInt::from(-5)),
        ];
        let mut fast = 0;
        for prepaid in &amounts {
            for base in &amounts {
                for premium in &amounts {
                    for gas in [0, 1, 21_000, 30_000_000, u64::MAX] {
                        let (b, t, r) = fee_split(prepaid, base, premium, gas);
                        assert_eq!([b, t, r], big(prepaid, base, premium, gas));
                        let took_fast = split_u128(prepaid, base, premium, gas).is_some();
                        fast += usize::from(took_fast);
                    }
                }
            }
        }
        // Both paths ran.
        assert!(fast > 100 && fast < amounts.len().pow(3) * 5, "{fast}");
        assert_eq!(atto_u128(&atto(max.clone())), Some(u128::MAX));
        assert_eq!(atto_u128(&atto(max + 1)), None);
        assert_eq!(atto_u128(&atto(BigInt::from(-1))), None);
    }

    /// The u128 paths of the gas price and premium give the big-integer formulas' values
    /// (a fee cap below the base fee, negative or huge amounts take the big-integer path).
    #[test]
    fn same_prices_as_big_integers() {
        let atto = |v: BigInt| TokenAmount::from_atto(v);
        let amounts = [
            atto(BigInt::from(0)),
            atto(BigInt::from(1)),
            atto(BigInt::from(1_000_000_000u64)),
            atto(BigInt::from(u128::MAX)),
            atto(BigInt::from(u128::MAX) + 1),
            atto(BigInt::from(-3)),
        ];
        for base in &amounts {
            for cap in &amounts {
                for premium in &amounts {
                    let headroom = cap - base;
                    let expected = if &headroom < premium {
                        headroom
                    } else {
                        premium.clone()
                    };
                    assert_eq!(effective_premium(base, cap, premium), expected);
                    assert_eq!(effective_gas_price(base, cap, premium), base + &expected);
                }
            }
        }
    }
}
