//! Every example in `docs/language.md` compiles: fenced blocks tagged `tandem` must compile
//! (each block is one file), blocks tagged `tandem,fail` must be refused. A failure names
//! the block's line in the document.

use std::path::Path;

use tandem_lang_harness::compile;

struct Block {
    line: usize,
    must_fail: bool,
    text: String,
}

fn blocks(doc: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut current: Option<Block> = None;
    for (i, line) in doc.lines().enumerate() {
        let trimmed = line.trim_start();
        match (&mut current, trimmed.strip_prefix("```")) {
            (None, Some(info)) => {
                let tags: Vec<&str> = info.split(',').map(str::trim).collect();
                if tags.first() == Some(&"tandem") {
                    current = Some(Block {
                        line: i + 1,
                        must_fail: tags.contains(&"fail"),
                        text: String::new(),
                    });
                }
            }
            (Some(_), Some(_)) => out.extend(current.take()),
            (Some(b), None) => {
                b.text.push_str(line);
                b.text.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

#[test]
fn every_language_reference_example_compiles() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../docs/language.md");
    let doc = std::fs::read_to_string(&path).expect("docs/language.md");
    let blocks = blocks(&doc);
    assert!(
        blocks.len() >= 15,
        "the reference has {} examples",
        blocks.len()
    );
    let mut failures = Vec::new();
    for b in &blocks {
        let result = compile(&[("Example.tdm", b.text.as_str())]);
        match (b.must_fail, result) {
            (false, Err(e)) => failures.push(format!(
                "docs/language.md:{}: example does not compile:\n{e}",
                b.line
            )),
            (true, Ok(_)) => failures.push(format!(
                "docs/language.md:{}: example should be refused but compiles",
                b.line
            )),
            _ => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
