//! The language server alone (`tandem lsp` without the rest of the CLI), so this crate's
//! latency benchmark can drive a real server process over stdio.

fn main() -> anyhow::Result<()> {
    tandem_lang_lsp::run_stdio()
}
