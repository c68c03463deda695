pub fn optimize(_m: &mut crate::Module) {}
