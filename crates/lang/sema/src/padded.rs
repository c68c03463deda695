//! `Padded<T>`: a struct field that opts out of storage packing (seed 001's
//! `reentrancyLock: Padded<bool>`).
//!
//! The type is transparent: `Padded<T>` resolves to `T` everywhere (reads, writes, the ABI,
//! memory), so the field is used as a plain `T`. Only the storage layout looks at the field's
//! written type: a padded field starts a new slot and the next field starts a new slot too, as
//! an aggregate would. Its value sits at byte 0 of its slot, so a write is a whole-slot store
//! with no read-modify-write of neighbours.

use crate::cx::Cx;
use crate::items::AdtKind;
use crate::types::StorageSize;
use tandem_lang_syntax::ast::TypeExpr;

/// The name of the wrapper, a built-in type like `Map` or `Option`.
pub const PADDED: &str = "Padded";

/// Whether a written type is `Padded<..>`.
pub fn is_padded_type(ty: &TypeExpr) -> bool {
    matches!(ty, TypeExpr::Path(p) if p.segments.len() == 1 && p.segments[0].name == PADDED)
}

/// The storage a padded field takes: whole slots, at least one.
pub fn padded_size(inner: StorageSize) -> StorageSize {
    StorageSize {
        bytes: inner.slots().saturating_mul(32),
        whole_slots: true,
    }
}

impl Cx<'_, '_> {
    /// Whether field `idx` of struct `id` is written as `Padded<T>`.
    pub(crate) fn field_is_padded(&self, id: usize, idx: usize) -> bool {
        let Some(AdtKind::Struct(s)) = self.p.adts.get(id).map(|a| &a.kind) else {
            return false;
        };
        s.fields.get(idx).is_some_and(|f| is_padded_type(&f.ty))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::pack_fields;

    fn packed(bytes: u32) -> StorageSize {
        StorageSize {
            bytes,
            whole_slots: false,
        }
    }

    #[test]
    fn a_padded_field_takes_its_own_slot_and_ends_it() {
        // u8, Padded<bool>, u8: Solidity would pack all three into slot 0.
        let sizes = [packed(1), padded_size(packed(1)), packed(1)];
        let (pos, slots) = pack_fields(&sizes);
        assert_eq!(pos, vec![(0, 0), (1, 0), (2, 0)]);
        assert_eq!(slots, 3);
        // Already whole slots (a u256, an aggregate of two slots): unchanged.
        assert_eq!(padded_size(packed(32)).bytes, 32);
        let two = StorageSize {
            bytes: 64,
            whole_slots: true,
        };
        assert_eq!(padded_size(two).bytes, 64);
    }
}
