//! Reading the meta table by key range or in place (committed and pending entries alike).

use anyhow::{Result, bail};
use redb::TableError;

use super::{META, RedbStore};

impl RedbStore {
    /// Every meta key that starts with `prefix` (committed or pending, not deleted), in key
    /// order. For maintenance (`tandem gc`), not for a block's path: it reads the whole range.
    pub fn meta_keys_with_prefix(&self, prefix: &str) -> Result<Vec<String>> {
        let mut keys = std::collections::BTreeSet::new();
        let txn = self.read_txn()?;
        match txn.open_table(META) {
            Ok(table) => {
                for entry in table.range(prefix..)? {
                    let (key, _) = entry?;
                    let key = key.value();
                    if !key.starts_with(prefix) {
                        break;
                    }
                    keys.insert(key.to_string());
                }
            }
            Err(TableError::TableDoesNotExist(_)) => {}
            Err(e) => return Err(e.into()),
        }
        let pending = self.pending();
        for key in pending.meta.keys() {
            if key.starts_with(prefix) {
                match pending.meta(key).flatten() {
                    Some(_) => keys.insert(key.clone()),
                    None => keys.remove(key),
                };
            }
        }
        Ok(keys.into_iter().collect())
    }

    /// The greatest meta key that starts with `prefix` (committed or pending, not deleted):
    /// one read at the end of the range, for keys that grow in order.
    pub fn last_meta_key_with_prefix(&self, prefix: &str) -> Result<Option<String>> {
        let pending = self.pending();
        let mut last: Option<String> = pending
            .meta
            .keys()
            .filter(|k| k.starts_with(prefix) && pending.meta(k).flatten().is_some())
            .max()
            .cloned();
        let txn = self.read_txn()?;
        let table = match txn.open_table(META) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(last),
            Err(e) => return Err(e.into()),
        };
        // The keys that start with `prefix` sort below `prefix` with its last byte raised.
        let Some((&last_byte, head)) = prefix.as_bytes().split_last() else {
            bail!("an empty meta key prefix");
        };
        if !last_byte.is_ascii() || last_byte == 0x7f {
            bail!("meta key prefix {prefix:?} must end in a printable ASCII character");
        }
        let end = format!(
            "{}{}",
            String::from_utf8_lossy(head),
            char::from(last_byte + 1)
        );
        // Stored keys deleted by a pending commit do not count: walk back past them.
        for entry in table.range(prefix..end.as_str())?.rev() {
            let (key, _) = entry?;
            let key = key.value();
            if pending.meta(key).is_some_and(|v| v.is_none()) {
                continue;
            }
            if last.as_deref() < Some(key) {
                last = Some(key.to_string());
            }
            break;
        }
        Ok(last)
    }

    /// Calls `f` with a meta value (pending or stored, `None` if absent) without copying it:
    /// for large values read in part (`tandem-node`'s trie packs). `f` runs under the
    /// store's read locks, so it must not use the store.
    pub fn with_meta<R>(&self, key: &str, f: impl FnOnce(Option<&[u8]>) -> R) -> Result<R> {
        {
            let pending = self.pending();
            if let Some(v) = pending.meta(key) {
                return Ok(f(v));
            }
        }
        let txn = self.read_txn()?;
        let table = match txn.open_table(META) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(f(None)),
            Err(e) => return Err(e.into()),
        };
        let value = table.get(key)?;
        Ok(f(value.as_ref().map(|v| v.value())))
    }
}
