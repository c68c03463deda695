//! Storage reads and writes. A mapping slot used right where it is read or written
//! (`SLoad(MapSlot(..))`, `SStore(MapSlot(..), v)`, what sema gives `balances[a]`) goes to
//! the slot syscall as the hash's bytes (`Rt::SLoadMap`, `Rt::SStoreMap`): turning the hash
//! into limbs and back into a big-endian key cost four loads and two byte swaps per access.

use crate::func::FnGen;
use crate::rt::Rt;
use tandem_lang_ir::Expr;

impl FnGen<'_> {
    /// `SLoad(slot)`: the slot's word.
    pub fn sload(&mut self, slot: &Expr) {
        if let Expr::MapSlot {
            base,
            key,
            bytes_key: false,
        } = slot
        {
            // key then base, as `MapSlot` evaluates them
            self.expr(key);
            self.expr(base);
            self.call(Rt::SLoadMap);
        } else {
            self.expr(slot);
            self.call(Rt::SLoad);
        }
    }

    /// `SStore(slot, v)`: the slot, then the value, evaluated in that order on every path.
    pub fn sstore(&mut self, slot: &Expr, v: &Expr) {
        if let Expr::MapSlot {
            base,
            key,
            bytes_key: false,
        } = slot
        {
            self.expr(key);
            self.expr(base);
            self.expr(v);
            self.call(Rt::SStoreMap);
        } else {
            self.expr(slot);
            self.expr(v);
            self.call(Rt::SStore);
        }
    }
}
