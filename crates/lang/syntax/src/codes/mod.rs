//! The registry of diagnostic codes: every `E…` (error) and `W…` (warning) code the compiler
//! emits, with a page each — what it means, a minimal program that produces it, and how to
//! fix it. `tandem explain CODE` prints the page. The pages are Markdown in this folder, one
//! `# CODE: title` section each; a section's example is its first ```` ```tandem ```` block
//! (```` ```tandem,wasm ```` when only the WASM build refuses it), or a line starting
//! `No example:` that says why there is none.
//!
//! `crates/lang/driver/tests/diagnostics.rs` holds the registry to the compiler: every code in
//! the compiler's source has a page, and every example really produces its code.

const PAGES: &[&str] = &[
    include_str!("syntax.md"),
    include_str!("names_types.md"),
    include_str!("contracts.md"),
    include_str!("asm.md"),
    include_str!("warnings.md"),
];

/// One code's page.
#[derive(Clone, Debug)]
pub struct CodeInfo {
    pub code: &'static str,
    pub title: &'static str,
    /// The page's text after its heading (Markdown).
    pub page: &'static str,
}

impl CodeInfo {
    /// The minimal program that produces this code, if the page has one.
    pub fn example(&self) -> Option<&'static str> {
        self.example_block().map(|(_, text)| text)
    }

    /// Whether the example is refused only by the WASM build (```` ```tandem,wasm ````).
    pub fn example_needs_wasm(&self) -> bool {
        self.example_block()
            .is_some_and(|(info, _)| info.contains("wasm"))
    }

    fn example_block(&self) -> Option<(&'static str, &'static str)> {
        let start = self.page.find("```tandem")?;
        let rest = &self.page[start + 3..];
        let (info, body) = rest.split_once('\n')?;
        let end = body.find("```")?;
        Some((info, &body[..end]))
    }

    pub fn is_warning(&self) -> bool {
        self.code.starts_with('W')
    }

    /// The page as `tandem explain` prints it.
    pub fn render(&self) -> String {
        format!("{}: {}\n\n{}\n", self.code, self.title, self.page.trim())
    }
}

/// Every registered code, in the pages' order.
pub fn all() -> Vec<CodeInfo> {
    let mut out = Vec::new();
    for text in PAGES {
        let mut sections = text.split("\n# ");
        // Each file starts with a section, not with text before it.
        let first = sections.next().unwrap_or("").trim_start_matches("# ");
        for section in std::iter::once(first).chain(sections) {
            let (heading, page) = section.split_once('\n').unwrap_or((section, ""));
            let (code, title) = heading.split_once(": ").unwrap_or((heading, ""));
            out.push(CodeInfo {
                code: code.trim(),
                title: title.trim(),
                page: page.trim_matches('\n'),
            });
        }
    }
    out
}

/// The page of `code` (`E0400`, `e0400` and `0400` all find it).
pub fn lookup(code: &str) -> Option<CodeInfo> {
    let code = code.trim().to_ascii_uppercase();
    all()
        .into_iter()
        .find(|c| c.code == code || (c.code.starts_with('E') && c.code[1..] == code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_well_formed() {
        let all = all();
        assert!(all.len() >= 90, "{} codes", all.len());
        let mut seen = std::collections::HashSet::new();
        for c in &all {
            let ok = c.code.len() == 5
                && (c.code.starts_with('E') || c.code.starts_with('W'))
                && c.code[1..].chars().all(|ch| ch.is_ascii_digit());
            assert!(ok, "bad code heading {:?}", c.code);
            assert!(seen.insert(c.code), "{} registered twice", c.code);
            assert!(!c.title.is_empty(), "{} has no title", c.code);
            assert!(
                c.example().is_some() || c.page.contains("\nNo example:"),
                "{} has neither an example nor a reason for none",
                c.code
            );
            assert!(
                c.page.contains("\nFix: "),
                "{} says nothing about a fix",
                c.code
            );
        }
        assert_eq!(lookup("e0400").map(|c| c.code), Some("E0400"));
        assert_eq!(lookup("0400").map(|c| c.code), Some("E0400"));
        assert!(lookup("E9999").is_none());
        assert!(
            lookup("E0400").is_some_and(|c| c.render().starts_with("E0400: missing capability"))
        );
    }
}
