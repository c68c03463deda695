//! `tandem lsp`: the language server over stdio (docs/lsp.md).

use clap::Args;

#[derive(Args)]
pub struct LspArgs {
    /// Accepted for editors that pass it; stdio is the only transport.
    #[arg(long)]
    pub stdio: bool,
}

pub fn run(_args: LspArgs) -> anyhow::Result<()> {
    tandem_lang_lsp::run_stdio()
}
