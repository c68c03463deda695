//! A small Wadler-style document and its printer: groups print flat when they fit in the
//! line width, otherwise every `Line` in them becomes a line break.

#[derive(Clone, Debug)]
pub enum Doc {
    Text(String),
    /// A space, or a line break when the enclosing group breaks.
    Line,
    /// Nothing, or a line break when the enclosing group breaks.
    SoftLine,
    /// Always a line break; the enclosing groups break.
    HardLine,
    /// A line break unless the current line is still empty; the enclosing groups break.
    FreshLine,
    Concat(Vec<Doc>),
    Group {
        doc: Box<Doc>,
        hard: bool,
    },
    Indent(Box<Doc>),
    /// Text when the enclosing group breaks, other text when it is flat.
    IfBreak(&'static str, &'static str),
    /// Text printed just before the next line break (a comment at the end of a line).
    LineSuffix(String),
    /// Makes the enclosing groups break.
    BreakParent,
}

pub fn text(s: impl Into<String>) -> Doc {
    Doc::Text(s.into())
}

pub fn concat(v: Vec<Doc>) -> Doc {
    Doc::Concat(v)
}

pub fn indent(d: Doc) -> Doc {
    Doc::Indent(Box::new(d))
}

pub fn group(d: Doc) -> Doc {
    let hard = has_hard(&d);
    Doc::Group {
        doc: Box::new(d),
        hard,
    }
}

fn has_hard(d: &Doc) -> bool {
    match d {
        Doc::HardLine | Doc::FreshLine | Doc::BreakParent => true,
        Doc::Text(s) => s.contains('\n'),
        Doc::Concat(v) => v.iter().any(has_hard),
        Doc::Group { hard, .. } => *hard,
        Doc::Indent(d) => has_hard(d),
        Doc::Line | Doc::SoftLine | Doc::IfBreak(..) | Doc::LineSuffix(_) => false,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Flat,
    Break,
}

pub const INDENT: usize = 4;

/// Prints `doc` within `width` columns. No line ends in spaces.
pub fn print(doc: &Doc, width: usize) -> String {
    let mut p = Printer {
        out: String::new(),
        col: 0,
        pending_indent: Some(0),
        suffix: Vec::new(),
    };
    let mut cmds: Vec<(usize, Mode, &Doc)> = vec![(0, Mode::Break, doc)];
    while let Some((ind, mode, d)) = cmds.pop() {
        match d {
            Doc::Text(s) => p.text(s),
            Doc::Line => match mode {
                Mode::Flat => p.text(" "),
                Mode::Break => p.newline(ind),
            },
            Doc::SoftLine => {
                if mode == Mode::Break {
                    p.newline(ind)
                }
            }
            Doc::HardLine => p.newline(ind),
            Doc::FreshLine => {
                if p.pending_indent.is_none() {
                    p.newline(ind)
                }
            }
            Doc::Concat(v) => {
                for d in v.iter().rev() {
                    cmds.push((ind, mode, d));
                }
            }
            Doc::Group { doc, hard } => {
                let m = if mode == Mode::Flat
                    || (!hard && fits(doc, &cmds, width.saturating_sub(p.col())))
                {
                    Mode::Flat
                } else {
                    Mode::Break
                };
                cmds.push((ind, m, doc));
            }
            Doc::Indent(d) => cmds.push((ind + INDENT, mode, d)),
            Doc::IfBreak(b, f) => p.text(if mode == Mode::Break { b } else { f }),
            Doc::LineSuffix(s) => p.suffix.push(s.clone()),
            Doc::BreakParent => {}
        }
    }
    p.flush_suffix();
    while p.out.ends_with(' ') || p.out.ends_with('\n') {
        p.out.pop();
    }
    p.out.push('\n');
    p.out
}

/// Whether `doc`, flat, and what follows it up to the next possible line break fit in `w`.
fn fits(doc: &Doc, rest: &[(usize, Mode, &Doc)], w: usize) -> bool {
    let mut w = w as isize;
    let mut stack: Vec<(Mode, &Doc)> = vec![(Mode::Flat, doc)];
    let mut rest_idx = rest.len();
    loop {
        let (mode, d) = match stack.pop() {
            Some(x) => x,
            None => {
                if rest_idx == 0 {
                    return true;
                }
                rest_idx -= 1;
                (rest[rest_idx].1, rest[rest_idx].2)
            }
        };
        match d {
            Doc::Text(s) => {
                if s.contains('\n') {
                    return false;
                }
                w -= s.chars().count() as isize;
            }
            Doc::Line => match mode {
                Mode::Flat => w -= 1,
                Mode::Break => return true,
            },
            Doc::SoftLine => {
                if mode == Mode::Break {
                    return true;
                }
            }
            Doc::HardLine | Doc::FreshLine => return true,
            Doc::Concat(v) => {
                for d in v.iter().rev() {
                    stack.push((mode, d));
                }
            }
            Doc::Group { doc, hard } => {
                stack.push((if *hard { Mode::Break } else { mode }, doc));
            }
            Doc::Indent(d) => stack.push((mode, d)),
            Doc::IfBreak(b, f) => {
                w -= if mode == Mode::Break {
                    b.len()
                } else {
                    f.len()
                } as isize;
            }
            Doc::LineSuffix(_) | Doc::BreakParent => {}
        }
        if w < 0 {
            return false;
        }
    }
}

struct Printer {
    out: String,
    col: usize,
    /// The indentation to write before the next text on this line (none yet written).
    pending_indent: Option<usize>,
    suffix: Vec<String>,
}

impl Printer {
    fn col(&self) -> usize {
        self.pending_indent.unwrap_or(self.col)
    }
    fn text(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        if let Some(i) = self.pending_indent.take() {
            self.out.extend(std::iter::repeat_n(' ', i));
            self.col = i;
        }
        self.out.push_str(s);
        match s.rfind('\n') {
            Some(k) => self.col = s[k + 1..].chars().count(),
            None => self.col += s.chars().count(),
        }
    }
    fn flush_suffix(&mut self) {
        for s in std::mem::take(&mut self.suffix) {
            self.text(&s);
        }
    }
    fn newline(&mut self, ind: usize) {
        self.flush_suffix();
        while self.out.ends_with(' ') {
            self.out.pop();
        }
        self.out.push('\n');
        self.col = 0;
        self.pending_indent = Some(ind);
    }
}
