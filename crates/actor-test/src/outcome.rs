//! What a message did: exit code, return, abort reason, events, gas.

use std::fmt;

use anyhow::{anyhow, bail};
use fvm_shared::event::StampedEvent;
use tandem_sdk::cbor::from_slice;
use tandem_sdk::{ActorId, Cbor};
use tandem_vm::message::ApplyRet;
use tandem_vm::trace::GasBreakdown;

/// The outcome of a message sent with [`crate::Call::send`].
#[derive(Debug, Clone)]
pub struct Outcome {
    /// 0 on success; a user code (>= 16) is the actor's, below 16 the VM's.
    pub exit_code: u32,
    /// The return block's bytes (empty for none); on an abort, the abort's message as CBOR.
    pub return_data: Vec<u8>,
    /// Why it failed, decoded: the actor's abort message, or the VM's reason.
    pub reason: Option<String>,
    /// The events of the message (none when it failed: they are rolled back with it).
    pub events: Vec<Event>,
    /// Gas used, Ethereum-sized units.
    pub gas_used: u64,
    /// False when the VM refused the message before running it (bad nonce, gas limit, …).
    pub applied: bool,
    /// Where the gas went, when the call asked ([`crate::Call::record_gas`]); its `Display`
    /// is the table `tandem send --gas` prints.
    pub gas: Option<GasBreakdown>,
}

impl Outcome {
    pub(crate) fn from_apply(ret: ApplyRet, gas: Option<GasBreakdown>) -> Self {
        let exit_code = ret.receipt.exit_code.value();
        let return_data = ret.receipt.return_data.to_vec();
        let reason = (exit_code != 0).then(|| {
            from_slice::<String>(&return_data)
                .ok()
                .or(ret.failure.clone())
                .unwrap_or_default()
        });
        Self {
            exit_code,
            return_data,
            reason,
            events: ret.events.into_iter().map(Event::from_stamped).collect(),
            gas_used: ret.receipt.gas_used,
            applied: ret.applied,
            gas,
        }
    }

    /// Whether the message succeeded.
    pub fn is_ok(&self) -> bool {
        self.applied && self.exit_code == 0
    }

    /// `Ok(self)` if it succeeded; otherwise an error reading like the CLI's:
    /// `USR_FORBIDDEN (18): only the arbiter`.
    pub fn ok(self) -> anyhow::Result<Self> {
        if self.is_ok() {
            Ok(self)
        } else {
            Err(anyhow!("message failed: {self}"))
        }
    }

    /// Decodes the return value (`()` for none). Fails if the message failed.
    pub fn decode<T: Cbor>(&self) -> anyhow::Result<T> {
        if !self.is_ok() {
            bail!("message failed: {self}");
        }
        let data = (!self.return_data.is_empty()).then_some(self.return_data.as_slice());
        T::from_params(data).map_err(|e| {
            anyhow!(
                "the return (0x{}) does not decode as {}: {}",
                hex(&self.return_data),
                std::any::type_name::<T>(),
                e.reason()
            )
        })
    }

    /// The exit code by name, as the CLI prints it: `USR_FORBIDDEN (18)`.
    pub fn exit_name(&self) -> String {
        exit_name(self.exit_code)
    }

    /// The events whose `"type"` entry is `kind` (see [`Event::kind`]).
    pub fn events_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Event> + 'a {
        self.events.iter().filter(move |e| e.kind() == Some(kind))
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_ok() {
            return write!(f, "OK (0)");
        }
        if !self.applied {
            write!(f, "not applied, ")?;
        }
        write!(f, "{}", self.exit_name())?;
        match &self.reason {
            Some(r) if !r.is_empty() => write!(f, ": {r}"),
            _ => Ok(()),
        }
    }
}

/// An actor event: its emitter and entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub emitter: ActorId,
    pub entries: Vec<EventEntry>,
}

/// One entry of an event (fvm_shared's `Entry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventEntry {
    pub flags: u64,
    pub key: String,
    /// The value's codec: `IPLD_RAW` (0x55) or `DAG_CBOR` (0x71).
    pub codec: u64,
    pub value: Vec<u8>,
}

impl Event {
    fn from_stamped(e: StampedEvent) -> Self {
        Self {
            emitter: e.emitter,
            entries: e
                .event
                .entries
                .into_iter()
                .map(|x| EventEntry {
                    flags: x.flags.bits(),
                    key: x.key,
                    codec: x.codec,
                    value: x.value,
                })
                .collect(),
        }
    }

    /// The first entry with this key.
    pub fn get(&self, key: &str) -> Option<&EventEntry> {
        self.entries.iter().find(|e| e.key == key)
    }

    /// The `"type"` entry as text, the SDK's convention for naming an event
    /// (`(FLAG_INDEXED_KEY, "type", IPLD_RAW, b"released")`); a CBOR text value works too.
    pub fn kind(&self) -> Option<&str> {
        let entry = self.get("type")?;
        match entry.codec {
            tandem_sdk::IPLD_RAW => std::str::from_utf8(&entry.value).ok(),
            _ => text_of_cbor(&entry.value),
        }
    }

    /// Decodes the value of the entry `key` as `T` (a DAG-CBOR value; raw bytes decode as
    /// [`tandem_sdk::Raw`]-like byte strings only through [`EventEntry::value`]).
    pub fn decode<T: Cbor>(&self, key: &str) -> anyhow::Result<T> {
        let entry = self
            .get(key)
            .ok_or_else(|| anyhow!("the event has no entry {key:?}: {self:?}"))?;
        from_slice(&entry.value).map_err(|e| {
            anyhow!(
                "the event entry {key:?} (0x{}) does not decode as {}: {}",
                hex(&entry.value),
                std::any::type_name::<T>(),
                e.reason()
            )
        })
    }
}

/// A CBOR text string's content, if `data` is exactly one.
fn text_of_cbor(data: &[u8]) -> Option<&str> {
    let mut r = tandem_sdk::cbor::Reader::new(data);
    let t = r.text().ok()?;
    r.is_done().then_some(t)
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// An exit code by name: `USR_FORBIDDEN (18)`.
pub use tandem_vm::message::exit_name;
