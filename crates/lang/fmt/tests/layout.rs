//! Snapshot tests of tricky layouts, data-driven: each `tests/layout/NAME.tdm` formats to
//! `tests/layout/NAME.out.tdm`. `UPDATE_EXPECT=1 cargo test -p tandem-lang-fmt` rewrites the
//! expectations (then review the diff).

use std::path::Path;

#[test]
fn layouts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/layout");
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            n.ends_with(".tdm") && !n.ends_with(".out.tdm")
        })
        .collect();
    names.sort();
    assert!(names.len() >= 8);
    let mut failures = Vec::new();
    for input in names {
        let src = std::fs::read_to_string(&input).unwrap();
        let got = tandem_lang_fmt::format_source(&src)
            .unwrap_or_else(|e| panic!("{}: {e}", input.display()));
        let expected_path = input.with_extension("out.tdm");
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if got != expected {
            if update {
                std::fs::write(&expected_path, &got).unwrap();
            } else {
                failures.push(format!(
                    "{}:\n--- expected\n{expected}\n--- got\n{got}",
                    input.display()
                ));
            }
        }
        // The expectation itself is formatted.
        assert_eq!(tandem_lang_fmt::format_source(&got).unwrap(), got);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
