//! Slot storage: every actor may keep a map of 32-byte keys to 32-byte values, managed by the
//! host. The EVM keeps contract storage here; native actors reach it through syscalls.
//!
//! On disk it is a KAMT keyed by the raw big-endian key (not hashed). Solidity spreads
//! mapping entries with keccak already, and leaving plain slots unhashed keeps a struct's
//! consecutive fields in the same node.

use std::borrow::Cow;

use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_kamt::{AsHashedKey, Config, HashedKey, Kamt};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A 32-byte storage word (key or value), big-endian.
pub type Word = [u8; 32];

pub const ZERO_WORD: Word = [0u8; 32];

/// KAMT shape for slot storage: 32-way nodes, data allowed in the root, one pair per bucket
/// before pushing down (keeps nodes small for sparse contracts).
pub fn kamt_config() -> Config {
    Config {
        bit_width: 5,
        min_data_depth: 0,
        max_array_width: 1,
    }
}

/// A slot key, serialised as a 32-byte CBOR byte string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SlotKey(pub Word);

impl Serialize for SlotKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_bytes::Bytes::new(&self.0).serialize(s)
    }
}

impl<'de> Deserialize<'de> for SlotKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bytes = serde_bytes::ByteBuf::deserialize(d)?;
        let word: Word = bytes
            .as_slice()
            .try_into()
            .map_err(|_| serde::de::Error::custom("slot key must be 32 bytes"))?;
        Ok(SlotKey(word))
    }
}

/// A non-zero slot value, serialised as a big-endian byte string without leading zeros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotValue(pub Word);

impl Serialize for SlotValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let first = self.0.iter().position(|b| *b != 0).unwrap_or(32);
        serde_bytes::Bytes::new(&self.0[first..]).serialize(s)
    }
}

impl<'de> Deserialize<'de> for SlotValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bytes = serde_bytes::ByteBuf::deserialize(d)?;
        if bytes.len() > 32 {
            return Err(serde::de::Error::custom("slot value longer than 32 bytes"));
        }
        let mut word = ZERO_WORD;
        word[32 - bytes.len()..].copy_from_slice(&bytes);
        Ok(SlotValue(word))
    }
}

/// Keys are used as they are: the KAMT walks their bits from the most significant end.
#[derive(Debug)]
pub struct RawKey;

impl AsHashedKey<SlotKey, 32> for RawKey {
    fn as_hashed_key(key: &SlotKey) -> Cow<'_, HashedKey<32>> {
        Cow::Borrowed(&key.0)
    }
}

pub type SlotMap<BS> = Kamt<BS, SlotKey, SlotValue, RawKey>;

/// Opens an actor's slot map, or an empty one.
pub fn open_slot_map<BS: Blockstore>(store: BS, root: Option<&Cid>) -> anyhow::Result<SlotMap<BS>> {
    Ok(match root {
        Some(root) => Kamt::load_with_config(root, store, kamt_config())?,
        None => Kamt::new_with_config(store, kamt_config()),
    })
}

/// Reads one slot straight from the KAMT (no cache).
pub fn read_slot<BS: Blockstore>(
    store: BS,
    root: Option<&Cid>,
    key: &Word,
) -> anyhow::Result<Word> {
    let Some(root) = root else {
        return Ok(ZERO_WORD);
    };
    let map = open_slot_map(store, Some(root))?;
    Ok(map.get(&SlotKey(*key))?.map(|v| v.0).unwrap_or(ZERO_WORD))
}

/// Reads one slot straight from the KAMT, telling an absent key (`None`) from a stored one (a
/// stored zero is fork mode's record of a cleared slot, see `fork.rs`).
pub fn read_slot_entry<BS: Blockstore>(
    store: BS,
    root: Option<&Cid>,
    key: &Word,
) -> anyhow::Result<Option<Word>> {
    let Some(root) = root else {
        return Ok(None);
    };
    let map = open_slot_map(store, Some(root))?;
    Ok(map.get(&SlotKey(*key))?.map(|v| v.0))
}

impl<BS: Blockstore> crate::StateTree<BS> {
    /// Visits every non-zero slot of an actor in the flushed tree (a stored zero is a fork's
    /// cleared slot, see `fork.rs`, and is skipped).
    pub fn for_each_slot(
        &self,
        record: &crate::ActorRecord,
        mut f: impl FnMut(&Word, &Word) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let map = open_slot_map(self.store(), record.kv_root.as_ref())?;
        map.for_each(|k, v| {
            if v.0 == ZERO_WORD {
                return Ok(());
            }
            f(&k.0, &v.0)
        })?;
        Ok(())
    }
}
