//! The should-fail suite: each file under tests/should_fail holds a program and `// expect:`
//! lines that must appear in its rendered diagnostics (`// expect-count: N` for at least N
//! errors, `// expect-exactly: N` for exactly N: one per root cause, no cascade). Rendering checks also cover file:line:col, the source line and carets.

use std::path::Path;

#[test]
fn should_fail_fixtures_report_expected_diagnostics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/should_fail");
    let mut n = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        let text = std::fs::read_to_string(&path).expect("read");
        let name = path
            .file_name()
            .and_then(|s| s.to_str())
            .unwrap_or("x.tdm")
            .to_string();
        let out = tandem_lang_harness::compile_errors(&[(&name, &text)])
            .unwrap_or_else(|| panic!("{name} compiled but should fail"));
        for line in text.lines() {
            if let Some(want) = line.trim().strip_prefix("// expect:") {
                assert!(
                    out.contains(want.trim()),
                    "{name}: expected `{}` in:\n{out}",
                    want.trim()
                );
            }
            if let Some(k) = line.trim().strip_prefix("// expect-exactly:") {
                let k: usize = k.trim().parse().expect("count");
                assert_eq!(
                    out.matches("error[").count(),
                    k,
                    "{name}: expected exactly {k} errors (one per root cause) in:\n{out}"
                );
            }
            if let Some(k) = line.trim().strip_prefix("// expect-count:") {
                let k: usize = k.trim().parse().expect("count");
                assert!(
                    out.matches("error[").count() >= k,
                    "{name}: expected at least {k} errors in:\n{out}"
                );
            }
        }
        assert!(
            out.contains(&format!("{name}:")),
            "{name}: no file:line:col in:\n{out}"
        );
        assert!(out.contains('^'), "{name}: no caret in:\n{out}");
        n += 1;
    }
    assert!(n >= 9);
}

#[test]
fn random_input_never_panics() {
    let coin = include_str!("../../tests/fixtures/coin.tdm");
    let bytes = coin.as_bytes();
    let mut seed = 0x2545f4914f6cdd1du64;
    for _ in 0..300 {
        let mut s = bytes.to_vec();
        for _ in 0..4 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let i = (seed as usize) % s.len();
            match seed % 3 {
                0 => {
                    s.remove(i);
                }
                1 => s.insert(i, b"{}()<>;:,.=+-*/ x1\n"[(seed >> 8) as usize % 19]),
                _ => s.truncate(i.max(1)),
            }
        }
        let text = String::from_utf8_lossy(&s).to_string();
        let _ = tandem_lang_harness::compile(&[("Fuzz.tdm", &text)]);
    }
}
