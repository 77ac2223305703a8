//! Static check of a Jinja2 chat template for sandbox-escape patterns, without rendering.
//!
//! llama-cpp-python rendered `tokenizer.chat_template` with an unsandboxed Jinja2
//! environment (CVE-2024-34359), SGLang likewise (CVE-2026-5760): a template such as
//! `{{ cycler.__init__.__globals__.os.popen('id').read() }}` runs commands on the host
//! that loads the model (research B33). The template is parsed with minijinja's parser
//! (`minijinja::machinery`, feature `unstable_machinery`) and its AST walked for
//! attribute or item access to dunder names (also through string subscripts and the
//! `attr` filter), the Jinja2 globals whose `__init__.__globals__` reach `os`
//! (`cycler`, `joiner`, `lipsum`), and names of command or code execution (`os`,
//! `popen`, `system`, `subprocess`, `eval`, `exec`, `import`, `__import__`) used as
//! attributes, subscripts or variables. A template minijinja cannot parse (Jinja2 may
//! still accept it, e.g. Hugging Face's `{% generation %}` tag) falls back to a scan of
//! the raw text for the same words; its hits are marked [`Via::Text`].
//!
//! # Security
//!
//! Nothing is rendered or evaluated. minijinja bounds statement and primary-expression
//! nesting at 150, but builds left-deep trees for operator, attribute and filter chains
//! of any length, which a recursive walk or drop would overflow the stack on; the
//! template is therefore tokenized first and not parsed when a single tag holds more than
//! [`MAX_TAG_TOKENS`] tokens or the text exceeds [`MAX_PARSE_LEN`] bytes.

use minijinja::machinery::ast::{CallArg, Expr, Stmt};
use minijinja::machinery::{Token, WhitespaceConfig, parse, tokenize};
use minijinja::syntax::SyntaxConfig;

/// Templates longer than this (1 MiB) are scanned as text, not parsed; real chat
/// templates are under 64 KiB.
pub const MAX_PARSE_LEN: usize = 1 << 20;

/// Tokens one `{{ }}` or `{% %}` tag may hold before the template is scanned as text
/// instead of parsed; this bounds the depth of the AST.
pub const MAX_TAG_TOKENS: usize = 2048;

/// Hits kept per template.
pub const MAX_HITS: usize = 256;

/// Globals and names whose presence in a chat template has no use but an escape.
pub const DANGEROUS_NAMES: &[&str] = &[
    "cycler",
    "joiner",
    "lipsum",
    "os",
    "popen",
    "system",
    "subprocess",
    "eval",
    "exec",
    "import",
    "__import__",
    "builtins",
    "globals",
    "getattr",
    "func_globals",
    "f_globals",
    "f_back",
    "gi_frame",
];

/// How a hit was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// In minijinja's AST: the construct is really there.
    Ast,
    /// In the raw text, because the template did not parse: may be literal output text.
    Text,
}

/// What kind of escape pattern a hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitKind {
    /// Attribute or item access to a `__dunder__` name, or a dunder string.
    Dunder,
    /// One of [`DANGEROUS_NAMES`] as a variable, attribute or subscript.
    DangerousName,
    /// The `attr` filter, Jinja2's way around attribute checks.
    AttrFilter,
}

/// One sandbox-escape pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// What was found.
    pub kind: HitKind,
    /// The name or string, at most 64 bytes.
    pub name: String,
    /// Byte offset in the template text.
    pub offset: u32,
    /// How it was found.
    pub via: Via,
}

/// The outcome of [`check`].
#[derive(Debug, Clone, Default)]
pub struct TemplateCheck {
    /// `None` when minijinja parsed the template; else why not.
    pub unparsed: Option<String>,
    /// Escape patterns, at most [`MAX_HITS`].
    pub hits: Vec<Hit>,
}

/// Parses `text` without rendering it and reports sandbox-escape patterns.
// `SyntaxConfig` is a unit struct unless minijinja's `custom_syntax` feature is on.
#[allow(clippy::default_constructed_unit_structs)]
pub fn check(text: &str) -> TemplateCheck {
    let mut out = TemplateCheck::default();
    if text.len() > MAX_PARSE_LEN {
        out.unparsed = Some(format!(
            "template of {} bytes is too large to parse",
            text.len()
        ));
        text_scan(text, &mut out);
        return out;
    }
    let mut in_tag = 0usize;
    let mut worst = 0usize;
    for token in tokenize(
        text,
        false,
        SyntaxConfig::default(),
        WhitespaceConfig::default(),
    ) {
        match token {
            Ok((Token::VariableStart | Token::BlockStart, _)) => in_tag = 0,
            Ok(_) => {
                in_tag += 1;
                worst = worst.max(in_tag);
            }
            Err(e) => {
                out.unparsed = Some(format!("minijinja cannot tokenize it: {e}"));
                text_scan(text, &mut out);
                return out;
            }
        }
    }
    if worst > MAX_TAG_TOKENS {
        out.unparsed = Some(format!(
            "a tag holds {worst} tokens, over the {MAX_TAG_TOKENS} airlock parses"
        ));
        text_scan(text, &mut out);
        return out;
    }
    match parse(
        text,
        "chat_template",
        SyntaxConfig::default(),
        WhitespaceConfig::default(),
    ) {
        Ok(ast) => walk_stmt(&ast, &mut out),
        Err(e) => {
            out.unparsed = Some(format!(
                "minijinja cannot parse it (Jinja2 may still accept it): {e}"
            ));
            text_scan(text, &mut out);
        }
    }
    out
}

/// Whether `s` is a `__name__`.
fn is_dunder(s: &str) -> bool {
    s.len() > 4
        && s.starts_with("__")
        && s.ends_with("__")
        && s.bytes().all(|b| b == b'_' || b.is_ascii_alphanumeric())
}

fn hit(out: &mut TemplateCheck, kind: HitKind, name: &str, offset: u32, via: Via) {
    if out.hits.len() < MAX_HITS {
        let mut end = name.len().min(64);
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        out.hits.push(Hit {
            kind,
            name: name.get(..end).unwrap_or_default().to_string(),
            offset,
            via,
        });
    }
}

/// A name used as an attribute or subscript.
fn check_member(out: &mut TemplateCheck, name: &str, offset: u32) {
    if is_dunder(name) {
        hit(out, HitKind::Dunder, name, offset, Via::Ast);
    } else if DANGEROUS_NAMES.contains(&name) {
        hit(out, HitKind::DangerousName, name, offset, Via::Ast);
    }
}

fn walk_stmts(stmts: &[Stmt<'_>], out: &mut TemplateCheck) {
    for s in stmts {
        walk_stmt(s, out);
    }
}

fn walk_stmt(stmt: &Stmt<'_>, out: &mut TemplateCheck) {
    match stmt {
        Stmt::Template(t) => walk_stmts(&t.children, out),
        Stmt::EmitExpr(e) => walk_expr(&e.expr, out),
        Stmt::EmitRaw(_) => {}
        Stmt::ForLoop(f) => {
            walk_expr(&f.target, out);
            walk_expr(&f.iter, out);
            if let Some(e) = &f.filter_expr {
                walk_expr(e, out);
            }
            walk_stmts(&f.body, out);
            walk_stmts(&f.else_body, out);
        }
        Stmt::IfCond(i) => {
            walk_expr(&i.expr, out);
            walk_stmts(&i.true_body, out);
            walk_stmts(&i.false_body, out);
        }
        Stmt::WithBlock(w) => {
            for (a, b) in &w.assignments {
                walk_expr(a, out);
                walk_expr(b, out);
            }
            walk_stmts(&w.body, out);
        }
        Stmt::Set(s) => {
            walk_expr(&s.target, out);
            walk_expr(&s.expr, out);
        }
        Stmt::SetBlock(s) => {
            walk_expr(&s.target, out);
            if let Some(e) = &s.filter {
                walk_expr(e, out);
            }
            walk_stmts(&s.body, out);
        }
        Stmt::AutoEscape(a) => {
            walk_expr(&a.enabled, out);
            walk_stmts(&a.body, out);
        }
        Stmt::FilterBlock(f) => {
            walk_expr(&f.filter, out);
            walk_stmts(&f.body, out);
        }
        Stmt::Block(b) => walk_stmts(&b.body, out),
        Stmt::Import(i) => {
            walk_expr(&i.expr, out);
            walk_expr(&i.name, out);
        }
        Stmt::FromImport(i) => {
            walk_expr(&i.expr, out);
            for (a, b) in &i.names {
                walk_expr(a, out);
                if let Some(b) = b {
                    walk_expr(b, out);
                }
            }
        }
        Stmt::Extends(e) => walk_expr(&e.name, out),
        Stmt::Include(i) => walk_expr(&i.name, out),
        Stmt::Macro(m) => {
            walk_exprs(&m.args, out);
            walk_exprs(&m.defaults, out);
            walk_stmts(&m.body, out);
        }
        Stmt::CallBlock(c) => {
            walk_expr(&c.call.expr, out);
            walk_args(&c.call.args, out);
            walk_exprs(&c.macro_decl.args, out);
            walk_exprs(&c.macro_decl.defaults, out);
            walk_stmts(&c.macro_decl.body, out);
        }
        Stmt::Continue(_) | Stmt::Break(_) => {}
        Stmt::Do(d) => {
            walk_expr(&d.call.expr, out);
            walk_args(&d.call.args, out);
        }
    }
}

fn walk_exprs(exprs: &[Expr<'_>], out: &mut TemplateCheck) {
    for e in exprs {
        walk_expr(e, out);
    }
}

fn walk_args(args: &[CallArg<'_>], out: &mut TemplateCheck) {
    for a in args {
        match a {
            CallArg::Pos(e)
            | CallArg::Kwarg(_, e)
            | CallArg::PosSplat(e)
            | CallArg::KwargSplat(e) => {
                walk_expr(e, out);
            }
        }
    }
}

fn const_str<'e>(e: &'e Expr<'_>) -> Option<&'e str> {
    match e {
        Expr::Const(c) => c.value.as_str(),
        _ => None,
    }
}

fn walk_expr(expr: &Expr<'_>, out: &mut TemplateCheck) {
    let offset = expr.span().start_offset;
    match expr {
        Expr::Var(v) => {
            if is_dunder(v.id) {
                hit(out, HitKind::Dunder, v.id, offset, Via::Ast);
            } else if matches!(
                v.id,
                "cycler"
                    | "joiner"
                    | "lipsum"
                    | "os"
                    | "subprocess"
                    | "eval"
                    | "exec"
                    | "__import__"
            ) {
                hit(out, HitKind::DangerousName, v.id, offset, Via::Ast);
            }
        }
        Expr::Const(c) => {
            if let Some(s) = c.value.as_str()
                && is_dunder(s)
            {
                hit(out, HitKind::Dunder, s, offset, Via::Ast);
            }
        }
        Expr::Slice(s) => {
            walk_expr(&s.expr, out);
            for e in [&s.start, &s.stop, &s.step].into_iter().flatten() {
                walk_expr(e, out);
            }
        }
        Expr::UnaryOp(u) => walk_expr(&u.expr, out),
        Expr::BinOp(b) => {
            walk_expr(&b.left, out);
            walk_expr(&b.right, out);
        }
        Expr::Compare(c) => {
            walk_expr(&c.expr, out);
            for op in &c.ops {
                walk_expr(&op.expr, out);
            }
        }
        Expr::IfExpr(i) => {
            walk_expr(&i.test_expr, out);
            walk_expr(&i.true_expr, out);
            if let Some(e) = &i.false_expr {
                walk_expr(e, out);
            }
        }
        Expr::Filter(f) => {
            if f.name == "attr" {
                let arg = f.args.first().and_then(|a| match a {
                    CallArg::Pos(e) => const_str(e),
                    _ => None,
                });
                hit(
                    out,
                    HitKind::AttrFilter,
                    arg.unwrap_or("attr"),
                    offset,
                    Via::Ast,
                );
                if let Some(name) = arg {
                    check_member(out, name, offset);
                }
            }
            if let Some(e) = &f.expr {
                walk_expr(e, out);
            }
            walk_args(&f.args, out);
        }
        Expr::Test(t) => {
            walk_expr(&t.expr, out);
            walk_args(&t.args, out);
        }
        Expr::GetAttr(g) => {
            check_member(out, g.name, offset);
            walk_expr(&g.expr, out);
        }
        Expr::GetItem(g) => {
            // A dunder subscript is reported as its string constant below.
            if let Some(name) = const_str(&g.subscript_expr)
                && !is_dunder(name)
            {
                check_member(out, name, offset);
            }
            walk_expr(&g.expr, out);
            walk_expr(&g.subscript_expr, out);
        }
        Expr::Call(c) => {
            walk_expr(&c.expr, out);
            walk_args(&c.args, out);
        }
        Expr::List(l) => walk_exprs(&l.items, out),
        Expr::Map(m) => {
            walk_exprs(&m.keys, out);
            walk_exprs(&m.values, out);
        }
    }
}

/// Fallback for a template that did not parse: dunder words and the names of the
/// escape globals anywhere in the text.
fn text_scan(text: &str, out: &mut TemplateCheck) {
    let bytes = text.as_bytes();
    let is_word = |b: u8| b == b'_' || b.is_ascii_alphanumeric();
    let mut i = 0usize;
    while i < bytes.len() {
        let Some(&b) = bytes.get(i) else { break };
        if !is_word(b) {
            i += 1;
            continue;
        }
        let start = i;
        while bytes.get(i).is_some_and(|&b| is_word(b)) {
            i += 1;
        }
        let word = text.get(start..i).unwrap_or_default();
        let offset = u32::try_from(start).unwrap_or(u32::MAX);
        if is_dunder(word) {
            hit(out, HitKind::Dunder, word, offset, Via::Text);
        } else if matches!(
            word,
            "cycler" | "joiner" | "lipsum" | "popen" | "subprocess"
        ) {
            hit(out, HitKind::DangerousName, word, offset, Via::Text);
        }
    }
}
