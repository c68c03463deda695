//! `tandem car import` into a missing or empty data dir creates the chain from the snapshot:
//! the real binary exports one chain, imports it into a fresh folder, and the two agree.

use crate::common;

use common::{json, tandem};
use std::path::Path;

fn fails(dir: &Path, args: &[&str]) -> String {
    let out = tandem(dir, args);
    assert!(!out.status.success(), "tandem {args:?} should fail");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!err.contains("panicked"), "no panic: {err}");
    err
}

fn root(dir: &Path) -> serde_json::Value {
    json(dir, &["state", "root"])["state_root"].clone()
}

fn actor(dir: &Path, addr: &str) -> serde_json::Value {
    json(dir, &["state", "actor", addr])
}

#[test]
fn import_into_an_empty_data_dir_creates_the_chain() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("source");
    let genesis = json(
        &src,
        &["chain", "init", "--accounts", "2", "--chain-id", "4242"],
    );
    let a = genesis["accounts"][0]["address"]
        .as_str()
        .unwrap()
        .to_string();
    let b = genesis["accounts"][1]["address"]
        .as_str()
        .unwrap()
        .to_string();
    json(&src, &["send", "--from", &a, "--to", &b, "--value", "7"]);
    let car = tmp.path().join("snapshot.car");
    let exported = json(&src, &["car", "export", car.to_str().unwrap()]);
    let car = car.to_str().unwrap();
    let snapshot_b = actor(&src, &b);

    // A data dir that does not exist yet, with the source's keys and chain id.
    let keys = src.join("keys.json");
    let fresh = tmp.path().join("fresh");
    let imported = json(
        &fresh,
        &[
            "car",
            "import",
            car,
            "--chain-id",
            "4242",
            "--keys",
            keys.to_str().unwrap(),
        ],
    );
    assert_eq!(imported["created"], true);
    assert_eq!(imported["chain_id"], 4242);
    assert_eq!(imported["head"], exported["root"]);
    assert_eq!(imported["blocks"], exported["blocks"]);
    assert_eq!(root(&fresh), root(&src));
    for who in [&a, &b] {
        assert_eq!(actor(&fresh, who), actor(&src, who), "{who}");
    }
    assert!(!fresh.join("tandem.redb.partial").exists());

    // The imported chain runs messages: the same transfer on both gives the same state.
    let sent = json(&fresh, &["send", "--from", &a, "--to", &b, "--value", "5"]);
    assert_eq!(sent["exit_code"], 0, "{sent}");
    json(&src, &["send", "--from", &a, "--to", &b, "--value", "5"]);
    assert_eq!(root(&fresh), root(&src));
    assert_eq!(actor(&fresh, &a)["nonce"], 2);

    // An existing, empty folder works too; without --keys, state reads work and sends cannot
    // sign (a CAR holds no keys); the chain id defaults to 31337.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let imported = json(&empty, &["car", "import", car]);
    assert_eq!(imported["created"], true);
    assert_eq!(imported["chain_id"], 31337);
    assert_eq!(actor(&empty, &b), snapshot_b);
    assert_eq!(root(&empty), exported["root"]);
    let err = fails(&empty, &["send", "--from", &a, "--to", &b, "--value", "1"]);
    assert!(err.contains("keys.json"), "{err}");

    // Importing again into a chain replaces its head and refuses chain options.
    let again = json(&empty, &["car", "import", car]);
    assert_eq!(again["created"], false);
    assert_eq!(again["blocks"], 0);
    let err = fails(&empty, &["car", "import", car, "--chain-id", "1"]);
    assert!(err.contains("already holds a chain"), "{err}");
}

#[test]
fn a_failed_snapshot_import_leaves_no_chain() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("source");
    json(&src, &["chain", "init", "--accounts", "1"]);
    let car = tmp.path().join("snapshot.car");
    json(&src, &["car", "export", car.to_str().unwrap()]);

    // A flipped byte: refused, and the folder can still receive a chain.
    let mut bytes = std::fs::read(&car).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0xff;
    let bad = tmp.path().join("bad.car");
    std::fs::write(&bad, bytes).unwrap();
    let fresh = tmp.path().join("fresh");
    fails(&fresh, &["car", "import", bad.to_str().unwrap()]);
    assert!(!fresh.join("tandem.redb").exists());
    fails(&fresh, &["state", "root"]);

    // A folder holding something else is not touched.
    let busy = tmp.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), "hello").unwrap();
    let err = fails(&busy, &["car", "import", car.to_str().unwrap()]);
    assert!(err.contains("not a Tandem data dir"), "{err}");
    assert!(!busy.join("tandem.redb").exists());

    // A missing key file is refused before anything is created.
    let err = fails(
        &fresh,
        &[
            "car",
            "import",
            car.to_str().unwrap(),
            "--keys",
            tmp.path().join("nope.json").to_str().unwrap(),
        ],
    );
    assert!(err.contains("no key file"), "{err}");
    assert!(!fresh.join("tandem.redb").exists());

    // The good snapshot then goes in.
    let imported = json(&fresh, &["car", "import", car.to_str().unwrap()]);
    assert_eq!(imported["created"], true);
    assert_eq!(root(&fresh), root(&src));
}
