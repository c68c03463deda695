//! `tandem fmt [paths]`: rewrites Tandem sources in the canonical style (docs/fmt.md);
//! `--check` writes nothing, lists the files that would change and fails if there are any.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use tandem_lang_fmt::{FmtError, format_source};
use tandem_lang_syntax::SourceMap;

#[derive(Args)]
pub struct FmtArgs {
    /// `.tdm` files, or folders searched for them (skipping hidden folders, `target` and
    /// `out`). Default: the current folder.
    pub paths: Vec<PathBuf>,
    /// Change nothing: list the files that are not formatted and exit non-zero if any.
    #[arg(long)]
    pub check: bool,
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if path.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(path)
        .with_context(|| format!("reading {}", path.display()))?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            if !name.starts_with('.') && name != "target" && name != "out" {
                collect(&p, out)?;
            }
        } else if name.ends_with(".tdm") {
            out.push(p);
        }
    }
    Ok(())
}

pub fn run(args: FmtArgs) -> anyhow::Result<()> {
    let roots = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let mut files = Vec::new();
    for r in &roots {
        if !r.exists() {
            bail!("{}: no such file or folder", r.display());
        }
        collect(r, &mut files)?;
    }
    let mut changed = Vec::new();
    let mut failed = 0usize;
    for f in &files {
        let src = std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        match format_source(&src) {
            Ok(out) if out == src => {}
            Ok(out) => {
                if args.check {
                    println!("{}", f.display());
                } else {
                    write_atomically(f, &out)?;
                    println!("formatted {}", f.display());
                }
                changed.push(f.clone());
            }
            Err(FmtError::Syntax(diags)) => {
                let mut map = SourceMap::new();
                map.add(f.display().to_string(), src.clone());
                eprint!("{}", map.render_all(&diags));
                eprintln!("{}: not formatted (syntax errors)", f.display());
                failed += 1;
            }
            Err(e) => {
                eprintln!("{}: not formatted: {e}", f.display());
                failed += 1;
            }
        }
    }
    if failed > 0 {
        bail!("{failed} file(s) could not be formatted and were left unchanged");
    }
    if args.check && !changed.is_empty() {
        bail!("{} file(s) would be reformatted", changed.len());
    }
    Ok(())
}

/// Writes beside the file and renames over it, so a crash leaves the old or the new text.
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = path.with_file_name(format!(".{name}.fmt-tmp"));
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))
}
