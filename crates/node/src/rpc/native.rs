//! `tandem_*`: native actors (install code, create, send, call, state, wait).

use super::Handler;

pub const METHODS: &[(&str, Handler)] = &[];
