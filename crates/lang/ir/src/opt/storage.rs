use super::Ctx;
use crate::Stmt;
pub fn run(_body: &mut Vec<Stmt>, _cx: &mut Ctx) {}
