//! The actor build profile has one definition (`tandem_actor_test::profile`): its cargo
//! variables and manifest lines are derived from it, and no other builder in the workspace
//! sets a release-profile variable of its own.

use std::path::{Path, PathBuf};

use tandem_actor_test::profile::{
    ACTOR_PROFILE, actor_profile_env, actor_profile_toml, profile_env_var, profile_toml,
};

#[test]
fn variables_and_manifest_lines_come_from_the_one_table() {
    assert_eq!(
        profile_env_var("codegen-units"),
        ["CARGO_PROFILE", "_RELEASE_CODEGEN_UNITS"].concat()
    );
    let env: Vec<(String, &str)> = actor_profile_env().collect();
    assert_eq!(env.len(), ACTOR_PROFILE.len());
    for ((key, value), (var, v)) in ACTOR_PROFILE.iter().zip(&env) {
        assert_eq!((profile_env_var(key), *value), (var.clone(), *v));
    }
    for key in ["opt-level", "lto", "codegen-units", "debug", "strip"] {
        assert!(ACTOR_PROFILE.iter().any(|(k, _)| *k == key), "{key}");
    }
    // Numbers and booleans bare, the rest TOML strings.
    assert_eq!(
        profile_toml(&[("opt-level", "s"), ("lto", "true"), ("codegen-units", "1")]),
        "opt-level = \"s\"\nlto = true\ncodegen-units = 1\n"
    );
    assert_eq!(profile_toml(&[("x", "a\"b")]), "x = \"a\\\"b\"\n");
    let toml = actor_profile_toml();
    assert_eq!(toml.lines().count(), ACTOR_PROFILE.len());
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        if path.is_dir() && name != "target" && !name.starts_with('.') {
            rust_files(&path, out);
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_builder_sets_a_profile_of_its_own() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in ["crates", "examples"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 50, "{} files", files.len());
    let needle = ["CARGO_PROFILE", "_RELEASE_"].concat();
    let own = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/profile.rs");
    let own = own.canonicalize().unwrap();
    let offenders: Vec<String> = files
        .iter()
        .filter(|f| f.canonicalize().unwrap() != own)
        .filter(|f| std::fs::read_to_string(f).unwrap().contains(&needle))
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "set the actor profile through tandem_actor_test::profile, not here: {offenders:?}"
    );
}
