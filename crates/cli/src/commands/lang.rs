//! `tandem build` and `tandem init`: the language driver's commands.

pub use tandem_lang_driver::cli::{BuildArgs, InitArgs};

pub fn run_build(args: BuildArgs) -> anyhow::Result<()> {
    tandem_lang_driver::cli::run_build(&args)
}

pub fn run_init(args: InitArgs) -> anyhow::Result<()> {
    tandem_lang_driver::cli::run_init(&args)
}
