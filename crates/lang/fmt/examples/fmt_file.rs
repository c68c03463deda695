//! Prints a file formatted (for trying the formatter by hand).
fn main() {
    let path = std::env::args().nth(1).expect("a path");
    let src = std::fs::read_to_string(&path).expect("readable");
    match tandem_lang_fmt::format_source(&src) {
        Ok(out) => print!("{out}"),
        Err(e) => {
            eprintln!("{e}");
            let root = tandem_lang_syntax::parse_lossless(0, &src).syntax();
            print!("{}", tandem_lang_fmt::format_tree(&root));
            std::process::exit(1);
        }
    }
}
