//! Crash safety of the real binary: a `kill -9` in the middle of many commits, and a disk
//! that fills up, both leave the last committed state readable and consistent.

use crate::common;

use common::{BIN, json, tandem};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const VALUE: u128 = 7;

fn init(dir: &Path) -> (String, String, u128) {
    let genesis = json(dir, &["chain", "init", "--accounts", "2"]);
    let a = genesis["accounts"][0]["address"]
        .as_str()
        .unwrap()
        .to_string();
    let b = genesis["accounts"][1]["address"]
        .as_str()
        .unwrap()
        .to_string();
    let balance: u128 = genesis["accounts"][1]["balance"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    (a, b, balance)
}

/// The sender's nonce says how many transfers committed; the receiver's balance must agree.
fn assert_consistent(dir: &Path, a: &str, b: &str, b_start: u128) -> u64 {
    let sender = json(dir, &["state", "actor", a]);
    let receiver = json(dir, &["state", "actor", b]);
    let nonce = sender["nonce"].as_u64().unwrap();
    let balance: u128 = receiver["balance"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        balance,
        b_start + VALUE * nonce as u128,
        "balance and nonce disagree"
    );
    nonce
}

fn send_args<'a>(a: &'a str, b: &'a str) -> Vec<&'a str> {
    vec![
        "send", "--from", a, "--to", b, "--value", "7", "--repeat", "1000000",
    ]
}

#[test]
fn kill_9_mid_write_keeps_the_last_committed_state() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chain");
    let (a, b, b_start) = init(&dir);
    let mut child = Command::new(BIN)
        .arg("--data-dir")
        .arg(&dir)
        .args(send_args(&a, &b))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Let it commit a good number of messages, then kill it without warning.
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(1500) {
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();

    let root_before = json(&dir, &["state", "root"])["state_root"].clone();
    let committed = assert_consistent(&dir, &a, &b, b_start);
    assert!(committed > 0, "nothing was committed before the kill");
    // Reading again gives the same root, and the chain carries on with the right nonce.
    assert_eq!(json(&dir, &["state", "root"])["state_root"], root_before);
    let sent = json(&dir, &["send", "--from", &a, "--to", &b, "--value", "7"]);
    assert_eq!(sent["exit_code"], 0);
    assert_eq!(assert_consistent(&dir, &a, &b, b_start), committed + 1);
}

#[test]
fn a_full_disk_gives_an_error_and_loses_nothing_committed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chain");
    let (a, b, b_start) = init(&dir);
    let size = std::fs::metadata(dir.join("tandem.redb")).unwrap().len();
    // Cap the file size a little above the current size (ulimit -f counts 512-byte blocks);
    // writes past it fail with EFBIG, as on a full disk.
    let limit_blocks = size / 512 + 256;
    let script = format!(
        "trap '' XFSZ; ulimit -f {limit_blocks}; exec \"$0\" --data-dir \"$1\" send --from \"$2\" --to \"$3\" --value 7 --repeat 1000000"
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg(BIN)
        .arg(&dir)
        .arg(&a)
        .arg(&b)
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "the send loop should stop with an error"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error"), "a clear error, got: {stderr}");
    assert!(!stderr.contains("panicked"), "no panic: {stderr}");
    // Everything committed before the failure is intact.
    let committed = assert_consistent(&dir, &a, &b, b_start);
    assert!(committed > 0);
    let sent = json(&dir, &["send", "--from", &a, "--to", &b, "--value", "7"]);
    assert_eq!(sent["exit_code"], 0);
    assert_eq!(assert_consistent(&dir, &a, &b, b_start), committed + 1);
}

#[test]
fn a_directory_that_is_not_tandems_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("notes.txt"), "hello").unwrap();
    let out = tandem(tmp.path(), &["state", "root"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a Tandem data dir"));
    // A file named like our store but holding something else.
    std::fs::write(tmp.path().join("tandem.redb"), vec![0xabu8; 4096]).unwrap();
    let out = tandem(tmp.path(), &["state", "root"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error") && !err.contains("panicked"), "{err}");
}

#[test]
fn car_round_trip_and_corrupt_car() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chain");
    let (a, b, _) = init(&dir);
    json(&dir, &["send", "--from", &a, "--to", &b, "--value", "7"]);
    let root = json(&dir, &["state", "root"])["state_root"].clone();
    let car = tmp.path().join("state.car");
    json(&dir, &["car", "export", car.to_str().unwrap()]);

    // Into a fresh chain: the head becomes the exported root.
    let other = tmp.path().join("other");
    init(&other);
    let imported = json(&other, &["car", "import", car.to_str().unwrap()]);
    assert_eq!(imported["head"], root);
    assert_eq!(json(&other, &["state", "root"])["state_root"], root);

    // A flipped byte in a block is refused and the head stays.
    let mut bytes = std::fs::read(&car).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0xff;
    let bad = tmp.path().join("bad.car");
    std::fs::write(&bad, bytes).unwrap();
    let third = tmp.path().join("third");
    init(&third);
    let head = json(&third, &["state", "root"])["state_root"].clone();
    let out = tandem(&third, &["car", "import", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert_eq!(json(&third, &["state", "root"])["state_root"], head);
}
