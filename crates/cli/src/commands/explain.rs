//! `tandem explain CODE`: the page of a diagnostic code (what it means, a minimal program that
//! produces it, how to fix it), from the registry in `tandem_lang_syntax::codes`.
//! `tandem explain --list` lists every code with its title.

use clap::Args;

#[derive(Args)]
pub struct ExplainArgs {
    /// The code, as the compiler prints it (`E0400`, `W0001`; `e0400` and `0400` work too).
    #[arg(required_unless_present = "list")]
    pub code: Option<String>,
    /// List every code with its title.
    #[arg(long)]
    pub list: bool,
}

pub fn run(args: ExplainArgs) -> anyhow::Result<()> {
    use tandem_lang_syntax::codes;
    if args.list {
        for c in codes::all() {
            println!("{}  {}", c.code, c.title);
        }
        return Ok(());
    }
    let code = args.code.unwrap_or_default();
    match codes::lookup(&code) {
        Some(c) => {
            print!("{}", c.render());
            Ok(())
        }
        None => {
            anyhow::bail!("no diagnostic code `{code}` (`tandem explain --list` lists them all)")
        }
    }
}
