//! The call manager: one stack of frames for a message, whatever runtimes the frames use.
//!
//! Invariants:
//! - Every frame runs inside a state-tree transaction. A frame that exits non-zero, runs out
//!   of gas or fails a pre-check is rolled back with everything it did, in every runtime, and
//!   its events are dropped.
//! - Depth: the top-level frame is depth 0; no frame runs deeper than [`MAX_CALL_DEPTH`]
//!   (so at most 1025 frames, as on Ethereum).
//! - Gas: each frame may get a sub-limit; running out of it stops that frame only, with
//!   `SYS_OUT_OF_GAS`, unless the caller is out of gas too.

use anyhow::anyhow;
use cid::Cid;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_ipld_encoding::tuple::*;
use fvm_shared::address::{Address, Payload};
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::{ErrorNumber, ExitCode};
use fvm_shared::event::StampedEvent;
use tandem_state::ActorRecord;

use crate::ActorID;
use crate::builtin::{BuiltinCode, INIT_ACTOR_ID, METHOD_CONSTRUCTOR, METHOD_SEND};
use crate::gas::{Gas, GasTracker, OutOfGas};
use crate::kernel::{
    CallOutcome, CreateRequest, DelegateRequest, ExecutionError, InvocationContext, KResult,
    SendRequest, syscall_error,
};
use crate::kernel_impl::DefaultKernel;
use crate::limiter::StackLimiter;
use crate::machine::Machine;
use crate::trace::{FrameKind, FrameStart};

/// The deepest a frame may run (the top-level frame is depth 0).
pub const MAX_CALL_DEPTH: u32 = 1024;

/// Per-message facts every frame shares.
#[derive(Debug, Clone)]
pub struct MessageOrigin {
    pub origin: ActorID,
    pub nonce: u64,
    pub gas_price: TokenAmount,
}

pub struct CallManager<'m> {
    pub machine: &'m mut Machine,
    pub gas: GasTracker,
    pub origin: MessageOrigin,
    pub events: Vec<StampedEvent>,
    /// Depth of the frame running now; `None` before the top-level frame starts.
    depth: Option<u32>,
    /// What runtimes' frames hold across this message's stack.
    pub limiter: StackLimiter,
}

/// One frame to run.
struct Frame {
    ctx: InvocationContext,
    params: Option<IpldBlock>,
    /// Links in `params` that the sender could reach: the callee may open them.
    granted: Vec<Cid>,
    gas_limit: Option<Gas>,
}

impl<'m> CallManager<'m> {
    pub fn new(machine: &'m mut Machine, gas_limit: Gas, origin: MessageOrigin) -> Self {
        // The message's sender is accessed before any frame runs (EIP-2929 warms tx.origin).
        machine.state.warm_actor(origin.origin);
        if let Some(t) = machine.tracer.as_mut() {
            t.begin_message();
        }
        Self {
            machine,
            gas: GasTracker::new(gas_limit),
            origin,
            events: Vec::new(),
            depth: None,
            limiter: StackLimiter::default(),
        }
    }

    /// Charges gas to the message under `name` (the price list's operation), recorded in the
    /// trace when one is being taken. Running out charges what was left.
    pub fn charge_gas(&mut self, name: &'static str, gas: Gas) -> Result<(), OutOfGas> {
        let Some(t) = self.machine.tracer.as_mut() else {
            return self.gas.charge(gas);
        };
        let before = self.gas.used();
        let result = self.gas.charge(gas);
        t.gas_charge(name, self.gas.used() - before);
        result
    }

    pub fn depth(&self) -> u32 {
        self.depth.unwrap_or(0)
    }

    fn next_depth(&self) -> KResult<u32> {
        let next = self.depth.map_or(0, |d| d + 1);
        if next > MAX_CALL_DEPTH {
            return syscall_error(ErrorNumber::LimitExceeded, "call depth exceeded");
        }
        Ok(next)
    }

    /// Sends a message from `from` (the top-level sender, or the current frame's receiver).
    /// Links in the params grant nothing: use [`Self::send_granting`] from a frame.
    pub fn send(
        &mut self,
        from: ActorID,
        req: SendRequest,
        caller_read_only: bool,
    ) -> KResult<CallOutcome> {
        self.send_granting(from, req, caller_read_only, Vec::new(), None)
    }

    /// Sends a message whose params link `granted` blocks, which the sender could reach and
    /// the callee may therefore open. `creator` is the callee's creator when Init sends a
    /// constructor (the kernel passes Init's own caller); it is dropped for every other
    /// message, so it reaches only a constructor frame that Init runs.
    pub fn send_granting(
        &mut self,
        from: ActorID,
        req: SendRequest,
        caller_read_only: bool,
        granted: Vec<Cid>,
        creator: Option<ActorID>,
    ) -> KResult<CallOutcome> {
        let read_only = req.read_only || caller_read_only;
        if read_only && !req.value.is_zero() {
            return syscall_error(
                ErrorNumber::ReadOnly,
                "cannot send value in a read-only frame",
            );
        }
        let depth = self.next_depth()?;
        if self.machine.tracer.is_some() {
            self.trace_enter(
                FrameKind::Call,
                from,
                req.to,
                req.method,
                &req.value,
                &req.params,
                read_only,
                req.gas_limit,
                depth,
            );
        }
        let result = self.with_transaction(req.gas_limit, |cm| {
            let to = match cm.resolve_or_create_receiver(&req.to, &req.value, read_only)? {
                Some(id) => id,
                // Nothing lives there and nothing was sent: as on Ethereum, a no-op success.
                None => return Ok(None),
            };
            if req.method == METHOD_CONSTRUCTOR
                && !(from == INIT_ACTOR_ID && cm.machine.state.created_in_message(to))
            {
                // Enforced here for every runtime, so no actor has to guard its constructor.
                return Ok(Some(CallOutcome::refused(
                    ExitCode::USR_FORBIDDEN,
                    "the constructor (method 1) runs once, when Init creates the actor",
                )));
            }
            cm.transfer(from, to, &req.value)?;
            if req.method == METHOD_SEND {
                return Ok(None);
            }
            let code = cm.actor_code(to)?;
            let frame = Frame {
                ctx: InvocationContext {
                    caller: from,
                    origin: cm.origin.origin,
                    receiver: to,
                    method: req.method,
                    value_received: req.value.clone(),
                    nonce: cm.origin.nonce,
                    read_only,
                    code,
                    delegated: false,
                    depth,
                    // Past the check above, a constructor here is sent by Init.
                    creator: creator.filter(|_| req.method == METHOD_CONSTRUCTOR),
                },
                params: req.params,
                granted,
                gas_limit: None,
            };
            cm.run_frame(frame).map(Some)
        });
        self.trace_exit(&result);
        result
    }

    /// Runs other code against `receiver`'s state (EVM DELEGATECALL / CALLCODE).
    pub fn delegate_call(
        &mut self,
        receiver: ActorID,
        req: DelegateRequest,
        caller_read_only: bool,
    ) -> KResult<CallOutcome> {
        let depth = self.next_depth()?;
        if self.machine.tracer.is_some() {
            let to = Address::new_id(receiver);
            let ro = req.read_only || caller_read_only;
            self.trace_enter(
                FrameKind::DelegateCall,
                req.caller,
                to,
                req.method,
                &req.apparent_value,
                &req.params,
                ro,
                req.gas_limit,
                depth,
            );
        }
        let result = self.with_transaction(req.gas_limit, |cm| {
            let frame = Frame {
                ctx: InvocationContext {
                    caller: req.caller,
                    origin: cm.origin.origin,
                    receiver,
                    method: req.method,
                    value_received: req.apparent_value,
                    nonce: cm.origin.nonce,
                    read_only: req.read_only || caller_read_only,
                    code: req.code,
                    delegated: true,
                    depth,
                    creator: None,
                },
                params: req.params,
                granted: Vec::new(),
                gas_limit: None,
            };
            cm.run_frame(frame).map(Some)
        });
        self.trace_exit(&result);
        result
    }

    /// Creates an actor at an f410 address and runs its constructor, in one frame.
    pub fn create(
        &mut self,
        from: ActorID,
        req: CreateRequest,
        caller_read_only: bool,
    ) -> KResult<CallOutcome> {
        if caller_read_only {
            return syscall_error(
                ErrorNumber::ReadOnly,
                "cannot create an actor in a read-only frame",
            );
        }
        let depth = self.next_depth()?;
        let mut created = None;
        if self.machine.tracer.is_some() {
            let by = req.on_behalf_of.unwrap_or(from);
            self.trace_enter(
                FrameKind::Create,
                by,
                req.delegated_address,
                METHOD_CONSTRUCTOR,
                &req.value,
                &req.params,
                false,
                req.gas_limit,
                depth,
            );
        }
        let result = self.with_transaction(req.gas_limit, |cm| {
            let id = cm.create_at_delegated(&req.delegated_address, req.code)?;
            created = Some(id);
            cm.transfer(from, id, &req.value)?;
            let frame = Frame {
                ctx: InvocationContext {
                    caller: req.on_behalf_of.unwrap_or(from),
                    origin: cm.origin.origin,
                    receiver: id,
                    method: METHOD_CONSTRUCTOR,
                    value_received: req.value.clone(),
                    nonce: cm.origin.nonce,
                    read_only: false,
                    code: req.code,
                    delegated: false,
                    depth,
                    creator: None,
                },
                params: req.params,
                granted: Vec::new(),
                gas_limit: None,
            };
            cm.run_frame(frame).map(Some)
        });
        let result = result.map(|mut outcome| {
            if outcome.is_success() {
                outcome.created = created;
            }
            outcome
        });
        self.trace_exit(&result);
        result
    }

    /// Runs `f` in a transaction under an optional gas sub-limit, turning its result into a
    /// [`CallOutcome`]. `Ok(None)` means success with no code run.
    fn with_transaction(
        &mut self,
        gas_limit: Option<Gas>,
        f: impl FnOnce(&mut Self) -> KResult<Option<CallOutcome>>,
    ) -> KResult<CallOutcome> {
        let gas_before = self.gas.used();
        let events_before = self.events.len();
        if let Some(limit) = gas_limit {
            self.gas.push_limit(limit);
        }
        self.machine.state.begin_transaction();
        let result = f(self);
        let (revert, result) = match result {
            Ok(Some(outcome)) => (!outcome.is_success(), Ok(outcome)),
            Ok(None) => (false, Ok(CallOutcome::exit(ExitCode::OK))),
            Err(ExecutionError::OutOfGas) => {
                (true, Ok(CallOutcome::exit(ExitCode::SYS_OUT_OF_GAS)))
            }
            Err(e) => (true, Err(e)),
        };
        if revert {
            self.events.truncate(events_before);
        }
        let ended = self.machine.state.end_transaction(revert);
        if gas_limit.is_some() {
            self.gas.pop_limit();
        }
        ended?;
        let mut outcome = result?;
        outcome.gas_used = self.gas.used() - gas_before;
        // Out of gas in a sub-limit is the callee's failure; out of gas for the caller too
        // stops the caller.
        if outcome.exit_code == ExitCode::SYS_OUT_OF_GAS && !self.gas.available().is_positive() {
            return Err(ExecutionError::OutOfGas);
        }
        Ok(outcome)
    }

    fn run_frame(&mut self, frame: Frame) -> KResult<CallOutcome> {
        let runtime = self.machine.runtimes.find(&frame.ctx.code).ok_or_else(|| {
            ExecutionError::Syscall(
                ErrorNumber::NotFound,
                format!("no runtime runs code {}", frame.ctx.code),
            )
        })?;
        if let Some(limit) = frame.gas_limit {
            self.gas.push_limit(limit);
        }
        let saved_depth = self.depth.replace(frame.ctx.depth);
        let receiver = frame.ctx.receiver;
        self.machine.state.warm_actor(receiver);
        if let Some(t) = self.machine.tracer.as_mut() {
            t.callee(receiver, frame.ctx.code, runtime.name());
        }
        let result = {
            let mut kernel = DefaultKernel::new(
                self,
                frame.ctx,
                frame.params,
                frame.granted,
                runtime.trusted(),
            );
            runtime
                .invoke(&mut kernel)
                .map(|ret| kernel.vet_return(ret))
        };
        self.depth = saved_depth;
        if frame.gas_limit.is_some() {
            self.gas.pop_limit();
        }
        let (ret, return_links) = match result {
            Ok(vetted) => vetted,
            Err(ExecutionError::Syscall(number, msg)) => {
                tracing::debug!(
                    receiver,
                    ?number,
                    msg,
                    "actor aborted on an unhandled syscall error"
                );
                (
                    crate::runtime::InvokeReturn::exit(syscall_exit_code(number), None),
                    Vec::new(),
                )
            }
            Err(e) => return Err(e),
        };
        Ok(CallOutcome {
            exit_code: ret.exit_code,
            return_data: ret.data,
            return_links,
            gas_used: Gas::ZERO,
            created: None,
        })
    }

    // ---- tracing (only when `Machine::tracer` is set) ----------------------------------

    #[allow(clippy::too_many_arguments)]
    fn trace_enter(
        &mut self,
        kind: FrameKind,
        caller: ActorID,
        to: Address,
        method: u64,
        value: &TokenAmount,
        params: &Option<IpldBlock>,
        read_only: bool,
        gas_limit: Option<Gas>,
        depth: u32,
    ) {
        let available = self.gas.available();
        let gas_limit = gas_limit
            .map_or(available, |l| l.min(available))
            .round_down();
        if let Some(t) = self.machine.tracer.as_mut() {
            let start = FrameStart {
                kind,
                caller,
                to,
                method,
                value: value.clone(),
                read_only,
                gas_limit,
                depth,
            };
            t.enter(start, params);
        }
    }

    fn trace_exit(&mut self, result: &KResult<CallOutcome>) {
        if let Some(t) = self.machine.tracer.as_mut() {
            t.exit(result);
        }
    }

    // ---- state helpers ------------------------------------------------------------------

    /// An existing actor's code CID, without copying its record.
    pub fn actor_code(&mut self, id: ActorID) -> KResult<Cid> {
        self.read_actor(id, |record| record.code)
    }

    /// Reads a field of an existing actor's record in place (a record copy includes a heap
    /// `BigInt`).
    pub fn read_actor<R>(
        &mut self,
        id: ActorID,
        read: impl FnOnce(&ActorRecord) -> R,
    ) -> KResult<R> {
        match self.machine.state.actor_ref(id)? {
            Some(record) => Ok(read(record)),
            None => syscall_error(ErrorNumber::NotFound, format!("actor f0{id} not found")),
        }
    }

    /// Moves value between two existing actors.
    pub fn transfer(&mut self, from: ActorID, to: ActorID, value: &TokenAmount) -> KResult<()> {
        if value.is_zero() {
            return Ok(());
        }
        if value.is_negative() {
            return syscall_error(ErrorNumber::IllegalArgument, "negative value");
        }
        let short = self.read_actor(from, |sender| {
            (&sender.balance < value).then(|| sender.balance.clone())
        })?;
        if let Some(has) = short {
            return syscall_error(
                ErrorNumber::InsufficientFunds,
                format!("f0{from} has {} but sends {}", has.atto(), value.atto()),
            );
        }
        if from == to {
            return Ok(());
        }
        // Both must exist before either changes.
        self.read_actor(to, |_| ())?;
        self.machine.state.mutate_actor(from, |sender| {
            sender.balance -= value;
            Ok(())
        })?;
        self.machine.state.mutate_actor(to, |receiver| {
            receiver.balance += value;
            Ok(())
        })?;
        Ok(())
    }

    /// Resolves a receiver. Unknown key addresses get an account and unknown f410 addresses a
    /// placeholder, but only when value arrives; otherwise `None`.
    fn resolve_or_create_receiver(
        &mut self,
        to: &Address,
        value: &TokenAmount,
        read_only: bool,
    ) -> KResult<Option<ActorID>> {
        if let Some(id) = self.machine.state.lookup_id(to)? {
            if self.machine.state.actor_ref(id)?.is_some() {
                return Ok(Some(id));
            }
            if matches!(to.payload(), Payload::ID(_)) {
                return syscall_error(ErrorNumber::NotFound, format!("actor {to} not found"));
            }
        }
        let code = match to.payload() {
            Payload::Secp256k1(_) | Payload::BLS(_) => BuiltinCode::Account,
            Payload::Delegated(_) => BuiltinCode::Placeholder,
            _ => return syscall_error(ErrorNumber::NotFound, format!("actor {to} not found")),
        };
        if value.is_zero() && code == BuiltinCode::Placeholder {
            return Ok(None);
        }
        if read_only {
            return syscall_error(
                ErrorNumber::ReadOnly,
                "cannot create an actor in a read-only frame",
            );
        }
        let id = match code {
            BuiltinCode::Account => self.new_actor(code.cid(), Some(*to), None)?,
            _ => self.new_actor(code.cid(), None, Some(*to))?,
        };
        if code == BuiltinCode::Account {
            // The account's state records its key address.
            let state = self.put_cbor(&AccountStateRef { address: *to })?;
            self.machine.state.mutate_actor(id, |a| {
                a.state = state;
                Ok(())
            })?;
        }
        Ok(Some(id))
    }

    /// Creates a fresh actor record, registering its addresses.
    pub fn new_actor(
        &mut self,
        code: Cid,
        robust: Option<Address>,
        delegated: Option<Address>,
    ) -> KResult<ActorID> {
        let id = match (robust, delegated) {
            (Some(addr), _) | (None, Some(addr)) => {
                self.machine.state.register_new_address(&addr)?
            }
            (None, None) => return Err(anyhow!("a new actor needs an address").into()),
        };
        if let (Some(_), Some(d)) = (robust, delegated) {
            self.machine.state.register_address(&d, id)?;
        }
        let record = ActorRecord::new(code, self.machine.empty_object, delegated);
        self.machine.state.set_actor(id, record);
        self.machine.state.mark_created(id);
        Ok(id)
    }

    /// The actor an f410 create lands on: a new one, or an existing placeholder taken over.
    fn create_at_delegated(&mut self, addr: &Address, code: Cid) -> KResult<ActorID> {
        if let Some(id) = self.machine.state.lookup_id(addr)?
            && let Some(mut record) = self.machine.state.get_actor(id)?
        {
            // As on Ethereum, an address that only ever received value may be deployed to.
            let takeover = match BuiltinCode::from_cid(&record.code) {
                Some(BuiltinCode::Placeholder) => true,
                Some(BuiltinCode::EthAccount) => record.sequence == 0,
                _ => false,
            };
            if !takeover {
                return syscall_error(
                    ErrorNumber::Forbidden,
                    format!("an actor already exists at {addr}"),
                );
            }
            record.code = code;
            record.state = self.machine.empty_object;
            self.machine.state.set_actor(id, record);
            self.machine.state.mark_created(id);
            return Ok(id);
        }
        self.new_actor(code, None, Some(*addr))
    }

    pub fn put_cbor<T: serde::Serialize>(&self, value: &T) -> KResult<Cid> {
        Ok(tandem_state::state_tree::put_cbor(
            self.machine.store(),
            value,
        )?)
    }
}

/// The state of an Account actor: its key address. Shared with the actors crate.
#[derive(Debug, Clone, Serialize_tuple, Deserialize_tuple)]
pub struct AccountStateRef {
    pub address: Address,
}

/// The exit code of a frame that stopped on a syscall error it did not handle.
pub fn syscall_exit_code(number: ErrorNumber) -> ExitCode {
    match number {
        ErrorNumber::InsufficientFunds => ExitCode::SYS_INSUFFICIENT_FUNDS,
        ErrorNumber::NotFound => ExitCode::USR_NOT_FOUND,
        ErrorNumber::IllegalArgument => ExitCode::USR_ILLEGAL_ARGUMENT,
        ErrorNumber::Forbidden => ExitCode::USR_FORBIDDEN,
        ErrorNumber::ReadOnly => ExitCode::USR_READ_ONLY,
        ErrorNumber::Serialization | ErrorNumber::IllegalCodec => ExitCode::USR_SERIALIZATION,
        _ => ExitCode::USR_UNSPECIFIED,
    }
}
