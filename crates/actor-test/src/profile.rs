// The release profile native actors are built with: its one definition. Used by `build`
// (`tandem actor build`, the harness), crates/bench/build.rs and crates/wasm's tests (both
// through `include!`, so this file holds items only: no inner attributes or `//!` docs, no
// imports), crates/cli's tests and the manifest `tandem new --actor` writes.
//
// Chosen by measurement (docs/gas.md, "The actor build profile"): over the eight example
// actors, opt-level 2 gives the least install gas (paid per byte and per operator) and, within
// 0.2% of opt-level 3, the least call gas; "s" and "z" are larger *and* slower. One codegen
// unit lets LTO see the whole crate at once (smaller modules at every level).

/// `[profile.release]` keys of the actor build profile and their values, as cargo's
/// `CARGO_PROFILE_RELEASE_*` environment variables take them.
pub const ACTOR_PROFILE: &[(&str, &str)] = &[
    ("opt-level", "2"),
    ("lto", "true"),
    ("codegen-units", "1"),
    ("debug", "false"),
    ("strip", "true"),
    ("panic", "abort"),
];

/// The environment variable that sets `key` of the release profile: `opt-level` →
/// `CARGO_PROFILE_RELEASE_OPT_LEVEL`.
pub fn profile_env_var(key: &str) -> String {
    format!(
        "CARGO_PROFILE_RELEASE_{}",
        key.replace('-', "_").to_ascii_uppercase()
    )
}

/// [`ACTOR_PROFILE`] as the environment of a cargo build: (variable, value) pairs.
pub fn actor_profile_env() -> impl Iterator<Item = (String, &'static str)> {
    ACTOR_PROFILE
        .iter()
        .map(|(key, value)| (profile_env_var(key), *value))
}

/// [`ACTOR_PROFILE`] as the lines of a manifest's `[profile.release]` table (without its
/// header), as `tandem new --actor` writes them.
pub fn actor_profile_toml() -> String {
    profile_toml(ACTOR_PROFILE)
}

/// `key = value` lines: numbers and booleans bare, other values as TOML strings
/// (`opt-level = "s"`).
pub fn profile_toml(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (key, value) in pairs {
        let bare = value.parse::<i64>().is_ok() || *value == "true" || *value == "false";
        let value = if bare {
            value.to_string()
        } else {
            format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
        };
        out.push_str(&format!("{key} = {value}\n"));
    }
    out
}
