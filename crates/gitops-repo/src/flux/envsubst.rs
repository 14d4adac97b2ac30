//! Flux's variable expansion (`fluxcd/pkg/envsubst`, a fork of drone/envsubst) on one string.
//!
//! Only `${…}` expressions expand; a bare `$var` stays as written, so scripts embedded in
//! `ConfigMaps` keep their shell variables. `$$` writes one `$`, which is how `$${var}` keeps a
//! literal `${var}`. The functions follow the fork, quirks included: every default form
//! (`${v=d}`, `${v:=d}`, `${v:-d}`) replaces an *empty* value, `${v-d}` is a syntax error,
//! `${#v}` counts bytes, and `#`/`%` patterns are globs whose `*` also matches `/`.
//!
//! An unset variable expands to the empty string, as kustomize-controller does without
//! `StrictPostBuildSubstitutions`; [`Expansion::unresolved`] names each one so a caller can warn
//! (default forms are not unresolved: their default is the intended value).

use super::FluxError;

/// The result of expanding one string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expansion {
    /// The expanded text.
    pub text: String,
    /// Variables referenced without a default and not set, in order of first use.
    pub unresolved: Vec<String>,
}

/// Expand every `${…}` in `input`, looking variables up with `lookup`.
///
/// ```
/// use gitops_repo::flux::envsubst::expand;
///
/// let vars = |name: &str| (name == "region").then_some("eu-west-1");
/// let out = expand("zone: ${region}-a, tier: ${tier:=gold}, raw: $${region}, ${missing}", vars)?;
/// assert_eq!(out.text, "zone: eu-west-1-a, tier: gold, raw: ${region}, ");
/// assert_eq!(out.unresolved, ["missing"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`FluxError::Expression`] when an expression is malformed (`${}`, `${a b}`, an unclosed
/// `${`…), as Flux fails the build then.
pub fn expand<'v>(
    input: &str,
    lookup: impl Fn(&str) -> Option<&'v str>,
) -> Result<Expansion, FluxError> {
    // Most manifests hold no expression at all: skip the parser for them.
    if !input.contains('$') {
        return Ok(Expansion {
            text: input.to_owned(),
            unresolved: Vec::new(),
        });
    }
    let nodes = Parser::new(input).text()?;
    let mut out = Expansion {
        text: String::with_capacity(input.len()),
        unresolved: Vec::new(),
    };
    for node in &nodes {
        let value = eval(node, &lookup, &mut out.unresolved);
        out.text.push_str(&value);
    }
    Ok(out)
}

/// A piece of parsed input.
#[derive(Debug)]
enum Node {
    Text(String),
    Expr(Expr),
}

/// `${name<op>args}`.
#[derive(Debug)]
struct Expr {
    name: String,
    op: String,
    args: Vec<Node>,
}

/// Operators that supply their own value when the variable is unset.
fn is_default_op(op: &str) -> bool {
    matches!(op, "-" | "+" | "=" | "?" | ":-" | ":+" | ":=" | ":?")
}

fn eval<'v>(
    node: &Node,
    lookup: &impl Fn(&str) -> Option<&'v str>,
    unresolved: &mut Vec<String>,
) -> String {
    match node {
        Node::Text(text) => text.clone(),
        Node::Expr(expr) => {
            let args: Vec<String> = expr
                .args
                .iter()
                .map(|a| eval(a, lookup, unresolved))
                .collect();
            let value = if let Some(v) = lookup(&expr.name) {
                v
            } else {
                if !is_default_op(&expr.op) && !unresolved.contains(&expr.name) {
                    unresolved.push(expr.name.clone());
                }
                ""
            };
            apply(&expr.op, value, &args)
        }
    }
}

fn apply(op: &str, value: &str, args: &[String]) -> String {
    match op {
        "" => value.to_owned(),
        "," => map_first(value, |c| c.to_lowercase().collect()),
        ",," => value.to_lowercase(),
        "^" => map_first(value, |c| c.to_uppercase().collect()),
        "^^" => value.to_uppercase(),
        "#" if args.is_empty() => value.len().to_string(),
        "#" => args
            .first()
            .map_or_else(|| value.to_owned(), |p| trim_prefix(value, p, false)),
        "##" => args
            .first()
            .map_or_else(|| value.to_owned(), |p| trim_prefix(value, p, true)),
        "%" => args
            .first()
            .map_or_else(|| value.to_owned(), |p| trim_suffix(value, p, false)),
        "%%" => args
            .first()
            .map_or_else(|| value.to_owned(), |p| trim_suffix(value, p, true)),
        ":" => substring(value, args),
        "/" | "//" => {
            let Some(pattern) = args.first() else {
                return value.to_owned();
            };
            let replacement = args.get(1).map_or("", String::as_str);
            if op == "/" {
                value.replacen(pattern.as_str(), replacement, 1)
            } else {
                value.replace(pattern.as_str(), replacement)
            }
        }
        "/#" => match args {
            [pattern, replacement] if value.starts_with(pattern.as_str()) => {
                format!("{replacement}{}", &value[pattern.len()..])
            }
            _ => value.to_owned(),
        },
        "/%" => match args {
            [pattern, replacement] if value.ends_with(pattern.as_str()) => {
                format!("{}{replacement}", &value[..value.len() - pattern.len()])
            }
            _ => value.to_owned(),
        },
        // Every default form, and any other casing combination, keeps a non-empty value and
        // otherwise concatenates the arguments.
        _ => {
            if value.is_empty() && !args.is_empty() {
                args.concat()
            } else {
                value.to_owned()
            }
        }
    }
}

fn map_first(value: &str, f: impl Fn(char) -> String) -> String {
    let mut chars = value.chars();
    match chars.next() {
        Some(first) => f(first) + chars.as_str(),
        None => String::new(),
    }
}

/// `${v:pos}` / `${v:pos:len}` on bytes, with bash's negative offsets and lengths.
fn substring(value: &str, args: &[String]) -> String {
    let bytes = value.as_bytes();
    let len = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    let Some(Ok(mut pos)) = args.first().map(|a| a.parse::<i64>()) else {
        return value.to_owned();
    };
    if pos < 0 {
        pos = (len + pos).max(0);
    }
    let slice = |from: i64, to: i64| {
        let from = usize::try_from(from).unwrap_or(0).min(bytes.len());
        let to = usize::try_from(to).unwrap_or(0).clamp(from, bytes.len());
        String::from_utf8_lossy(&bytes[from..to]).into_owned()
    };
    let Some(length) = args.get(1) else {
        return if pos < len {
            slice(pos, len)
        } else {
            String::new()
        };
    };
    let Ok(length) = length.parse::<i64>() else {
        return value.to_owned();
    };
    if length < 0 {
        let end = len + length;
        return if end < pos {
            String::new()
        } else {
            slice(pos, end)
        };
    }
    if pos + length >= len {
        return if pos < len {
            slice(pos, len)
        } else {
            String::new()
        };
    }
    slice(pos, pos + length)
}

/// Remove the shortest (or longest) prefix matching the glob `pattern`; the empty prefix is
/// never tried, as in the fork.
fn trim_prefix(value: &str, pattern: &str, longest: bool) -> String {
    let mut ends: Vec<usize> = value
        .char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .collect();
    if longest {
        ends.reverse();
    }
    let mut matched = None;
    for end in ends {
        match glob_match(pattern, &value[..end]) {
            None => return value.to_owned(),
            Some(true) => {
                // Ends are tried from the shortest (or the longest) prefix: the first match wins.
                matched = Some(end);
                break;
            }
            Some(false) => {}
        }
    }
    matched.map_or_else(|| value.to_owned(), |end| value[end..].to_owned())
}

/// The fork trims suffixes by reversing both the value and the pattern.
fn trim_suffix(value: &str, pattern: &str, longest: bool) -> String {
    let reversed: String = value.chars().rev().collect();
    let pattern: String = pattern.chars().rev().collect();
    trim_prefix(&reversed, &pattern, longest)
        .chars()
        .rev()
        .collect()
}

/// The fork's glob: `*` matches any run of characters (`/` included, unlike `path.Match`), `?`
/// one character, `[…]` a class (`^` negates, `a-z` ranges), `\` escapes. `None` for a
/// malformed pattern.
fn glob_match(pattern: &str, name: &str) -> Option<bool> {
    let tokens = glob_tokens(pattern)?;
    let name: Vec<char> = name.chars().collect();
    // The classic two-pointer wildcard match: `*` matches anything, so only the last `*`
    // ever needs backtracking, and the match stays linear-ish whatever the pattern.
    let (mut t, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match tokens.get(t) {
            Some(Glob::Star) => {
                star = Some((t, n));
                t += 1;
            }
            Some(token) if token.matches(name[n]) => {
                t += 1;
                n += 1;
            }
            _ => match star {
                Some((star_t, star_n)) => {
                    t = star_t + 1;
                    n = star_n + 1;
                    star = Some((star_t, star_n + 1));
                }
                None => return Some(false),
            },
        }
    }
    Some(tokens[t..].iter().all(|token| matches!(token, Glob::Star)))
}

/// One element of a glob pattern.
enum Glob {
    Star,
    Any,
    Literal(char),
    /// `[…]`: ranges, and whether the class is negated.
    Class(Vec<(char, char)>, bool),
}

impl Glob {
    fn matches(&self, c: char) -> bool {
        match self {
            Self::Star | Self::Any => true,
            Self::Literal(l) => *l == c,
            Self::Class(ranges, negated) => {
                ranges.iter().any(|(lo, hi)| *lo <= c && c <= *hi) != *negated
            }
        }
    }
}

/// The pattern's elements; `None` when it is malformed (an unclosed class, a trailing `\`).
fn glob_tokens(pattern: &str) -> Option<Vec<Glob>> {
    let mut tokens = Vec::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '*' => Glob::Star,
            '?' => Glob::Any,
            '\\' => Glob::Literal(chars.next()?),
            '[' => {
                let negated = chars.next_if_eq(&'^').is_some();
                let mut ranges = Vec::new();
                let mut first = true;
                loop {
                    let mut lo = chars.next()?;
                    if lo == ']' && !first {
                        break;
                    }
                    first = false;
                    if lo == '\\' {
                        lo = chars.next()?;
                    }
                    let mut hi = lo;
                    if chars.peek() == Some(&'-') {
                        let mut ahead = chars.clone();
                        ahead.next();
                        if let Some(&h) = ahead.peek() {
                            if h != ']' {
                                chars.next();
                                hi = chars.next()?;
                            }
                        }
                    }
                    ranges.push((lo, hi));
                }
                Glob::Class(ranges, negated)
            }
            literal => Glob::Literal(literal),
        });
    }
    Some(tokens)
}

/// A recursive-descent parser over the fork's grammar.
struct Parser<'a> {
    input: &'a str,
    pos: usize,
    /// How many expressions enclose the one being parsed.
    depth: usize,
}

/// Expressions nest in defaults (`${a=${b=${c}}}`); hostile input must not exhaust the stack.
const MAX_DEPTH: usize = 64;

impl<'a> Parser<'a> {
    fn new(input: &'a str) -> Self {
        Self {
            input,
            pos: 0,
            depth: 0,
        }
    }

    fn rest(&self) -> &'a str {
        &self.input[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn error(&self, reason: &'static str, start: usize) -> FluxError {
        // Show the expression from its `${` up to a reasonable length.
        let excerpt: String = self.input[start..].chars().take(40).collect();
        FluxError::Expression {
            expression: excerpt,
            reason,
        }
    }

    /// Top-level text: literal runs with `$$` escapes, and `${…}` expressions.
    fn text(&mut self) -> Result<Vec<Node>, FluxError> {
        let mut nodes = Vec::new();
        let mut literal = String::new();
        while let Some(c) = self.peek() {
            if self.rest().starts_with("$$") {
                literal.push('$');
                self.pos += 2;
            } else if self.rest().starts_with("${") {
                if !literal.is_empty() {
                    nodes.push(Node::Text(std::mem::take(&mut literal)));
                }
                nodes.push(self.expression()?);
            } else {
                literal.push(c);
                self.pos += c.len_utf8();
            }
        }
        if !literal.is_empty() {
            nodes.push(Node::Text(literal));
        }
        Ok(nodes)
    }

    /// `${…}`, with the parser at the `$`.
    fn expression(&mut self) -> Result<Node, FluxError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error("expressions nested too deeply", self.pos));
        }
        self.depth += 1;
        let node = self.expression_body();
        self.depth -= 1;
        node
    }

    fn expression_body(&mut self) -> Result<Node, FluxError> {
        let start = self.pos;
        self.pos += 2;
        if self.peek() == Some('#') {
            self.bump();
            let name = self.ident();
            if name.is_empty() {
                return Err(self.error("bad substitution", start));
            }
            self.close(start)?;
            return Ok(expr(name, "#", Vec::new()));
        }
        let name = self.ident();
        if name.is_empty() {
            return Err(self.error("unable to parse variable name", start));
        }
        match self.peek() {
            Some('}') => {
                self.bump();
                Ok(expr(name, "", Vec::new()))
            }
            Some(':') => {
                let after = self.rest()[1..].chars().next();
                if matches!(after, Some('=' | '-' | '?' | '+')) {
                    self.pos += 2;
                    let op = format!(":{}", after.unwrap_or_default());
                    self.default_args(name, &op, start)
                } else {
                    self.bump();
                    self.substring_args(name, start)
                }
            }
            Some('=') => {
                self.bump();
                self.default_args(name, "=", start)
            }
            Some(',' | '^') => {
                let op = self.run(|c, i| (c == ',' || c == '^') && i < 2);
                self.close(start)?;
                Ok(expr(name, &op, Vec::new()))
            }
            Some('/') => self.replace_args(name, start),
            Some(c @ ('#' | '%')) => {
                let op = self.run(|x, i| x == c && i < 2);
                let pattern = self.param(|x| x != '}', false, start)?;
                self.close(start)?;
                Ok(expr(name, &op, vec![pattern]))
            }
            _ => Err(self.error("missing closing brace", start)),
        }
    }

    /// Letters, digits and `_` (the fork accepts a leading digit too).
    fn ident(&mut self) -> String {
        self.run(|c, _| c.is_alphanumeric() || c == '_')
    }

    /// The longest run of characters accepted by `accept(char, index)`.
    fn run(&mut self, accept: impl Fn(char, usize) -> bool) -> String {
        let mut out = String::new();
        let mut i = 0;
        while let Some(c) = self.peek() {
            if !accept(c, i) {
                break;
            }
            out.push(c);
            self.bump();
            i += 1;
        }
        out
    }

    fn close(&mut self, start: usize) -> Result<(), FluxError> {
        if self.bump() == Some('}') {
            Ok(())
        } else {
            Err(self.error("bad substitution", start))
        }
    }

    /// One function parameter: a nested expression, or a run of accepted characters (where
    /// `escapes` turns `\/` and `\\` into `/` and `\`). Stops before `${`.
    fn param(
        &mut self,
        accept: impl Fn(char) -> bool,
        escapes: bool,
        start: usize,
    ) -> Result<Node, FluxError> {
        if self.rest().starts_with("${") {
            return self.expression();
        }
        let mut text = String::new();
        loop {
            let rest = self.rest();
            if rest.is_empty() || rest.starts_with("${") {
                break;
            }
            if escapes && (rest.starts_with("\\/") || rest.starts_with("\\\\")) {
                self.bump();
                text.push(self.bump().unwrap_or_default());
                continue;
            }
            let c = self.peek().unwrap_or_default();
            if !accept(c) {
                break;
            }
            text.push(c);
            self.bump();
        }
        if text.is_empty() {
            return Err(self.error("unable to parse substitution within function", start));
        }
        Ok(Node::Text(text))
    }

    /// `${v=…}`, `${v:=…}`…: any number of parameters up to the closing brace.
    fn default_args(&mut self, name: String, op: &str, start: usize) -> Result<Node, FluxError> {
        let mut args = Vec::new();
        loop {
            match self.peek() {
                Some('}') => {
                    self.bump();
                    return Ok(expr(name, op, args));
                }
                None => return Err(self.error("bad substitution", start)),
                Some(_) => args.push(self.param(|c| c != '}', false, start)?),
            }
        }
    }

    /// `${v:pos}` or `${v:pos:len}`, after the first `:`.
    fn substring_args(&mut self, name: String, start: usize) -> Result<Node, FluxError> {
        let mut args = vec![self.param(|c| c != ':' && c != '}', false, start)?];
        match self.bump() {
            Some('}') => return Ok(expr(name, ":", args)),
            Some(':') => {}
            _ => return Err(self.error("bad substitution", start)),
        }
        args.push(self.param(|c| c != '}', false, start)?);
        self.close(start)?;
        Ok(expr(name, ":", args))
    }

    /// `${v/p/r}`, `${v//p/r}`, `${v/#p/r}`, `${v/%p/r}`, with the parser at the first `/`.
    fn replace_args(&mut self, name: String, start: usize) -> Result<Node, FluxError> {
        let op = self.run(|c, i| (i == 0 && c == '/') || (i == 1 && matches!(c, '/' | '#' | '%')));
        let pattern = if self.peek() == Some('/') {
            Node::Text(String::new())
        } else {
            self.param(|c| c != '/', true, start)?
        };
        if self.bump() != Some('/') {
            return Err(self.error("bad substitution", start));
        }
        let mut args = vec![pattern];
        if self.peek() != Some('}') {
            args.push(self.param(|c| c != '}', true, start)?);
        }
        self.close(start)?;
        Ok(expr(name, &op, args))
    }
}

fn expr(name: String, op: &str, args: Vec<Node>) -> Node {
    Node::Expr(Expr {
        name,
        op: op.to_owned(),
        args,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn run(input: &str, vars: &[(&str, &str)]) -> Result<Expansion, FluxError> {
        let vars: HashMap<&str, &str> = vars.iter().copied().collect();
        expand(input, |name| vars.get(name).copied())
    }

    fn text(input: &str, vars: &[(&str, &str)]) -> String {
        run(input, vars).unwrap().text
    }

    #[test]
    fn plain_variables_and_text() {
        assert_eq!(text("abcdEFGH28ij", &[]), "abcdEFGH28ij");
        assert_eq!(text("a ${v} b", &[("v", "x")]), "a x b");
        assert_eq!(text("${a}${b}", &[("a", "1"), ("b", "2")]), "12");
        assert_eq!(
            text("cost: $5 and $HOME", &[("HOME", "no")]),
            "cost: $5 and $HOME"
        );
    }

    #[test]
    fn escapes_keep_a_literal_expression() {
        let vars = [("var01", "abcdEFGH28ij")];
        assert_eq!(text("$${var01}", &vars), "${var01}");
        assert_eq!(
            text("some text ${var01}$${var$${var01}$var01${var01}", &vars),
            "some text abcdEFGH28ij${var${var01}$var01abcdEFGH28ij"
        );
        assert_eq!(text("a$$b", &[]), "a$b");
        assert_eq!(
            text(
                "something $${var=${default_var}}",
                &[("default_var", "foo")]
            ),
            "something ${var=foo}"
        );
    }

    #[test]
    fn defaults_replace_unset_and_empty_values() {
        assert_eq!(text("${var=xyz}", &[("var", "abc")]), "abc");
        assert_eq!(text("${var=xyz}", &[]), "xyz");
        assert_eq!(text("${var:=xyz}", &[]), "xyz");
        assert_eq!(text("${var:-xyz}", &[("var", "")]), "xyz");
        assert_eq!(
            text("foo: ${var=prefix${d}-suffix}", &[("d", "foo1")]),
            "foo: prefixfoo1-suffix"
        );
        assert_eq!(text("${var=${v1^^}}", &[("v1", "abc")]), "ABC");
        // A default is the intended value: nothing is unresolved.
        assert!(run("${var:=xyz}", &[]).unwrap().unresolved.is_empty());
    }

    #[test]
    fn string_functions() {
        let v = [("v", "abcdEFGH28ij")];
        assert_eq!(text("${#v}", &v), "12");
        assert_eq!(text("${v^}", &v), "AbcdEFGH28ij");
        assert_eq!(text("${v^^}", &v), "ABCDEFGH28IJ");
        assert_eq!(text("${v,,}", &[("v", "ABC")]), "abc");
        assert_eq!(text("${v,}", &[("v", "ABC")]), "aBC");
        let p = [("p", "/home/bozo/ideas/thoughts.for.today")];
        assert_eq!(text("${p:11}", &p), "ideas/thoughts.for.today");
        assert_eq!(text("${p:11:5}", &p), "ideas");
        assert_eq!(text("${p:-5}", &p), p[0].1);
        assert_eq!(text("${p:2:-2}", &p), "ome/bozo/ideas/thoughts.for.tod");
        let s = [("s", "abcABC123ABCabc")];
        assert_eq!(text("${s/%abc/XYZ}", &s), "abcABC123ABCXYZ");
        assert_eq!(text("${s/#abc/XYZ}", &s), "XYZABC123ABCabc");
        assert_eq!(text("${s//abc/xyz}", &s), "xyzABC123ABCxyz");
        assert_eq!(text("${s/abc/xyz}", &s), "xyzABC123ABCabc");
        assert_eq!(text("${s/#/pre-}", &[("s", "v")]), "pre-v");
        assert_eq!(text("${s/%/-suf}", &[("s", "v")]), "v-suf");
        assert_eq!(text(r"${s/\//-}", &[("s", "foo/bar")]), "foo-bar");
        assert_eq!(text(r"${s//\//-}", &[("s", "a/b/c")]), "a-b-c");
        assert_eq!(text("${s/./}", &[("s", "foo.bar")]), "foobar");
        let f = [("f", "bash.string.txt")];
        assert_eq!(text("${f#*.}", &f), "string.txt");
        assert_eq!(text("${f##*.}", &f), "txt");
        assert_eq!(text("${f%.*}", &f), "bash.string");
        assert_eq!(text("${f%%.*}", &f), "bash");
        assert_eq!(text("${f#*/}", &[("f", "path/to/file")]), "to/file");
        assert_eq!(text("${f##*/}", &[("f", "/path/to/file")]), "file");
    }

    #[test]
    fn unset_variables_expand_empty_and_are_reported_once() {
        let out = run("a: ${X}\nb: ${X}\nc: ${#Y}\nd: ${Z:=z}", &[]).unwrap();
        assert_eq!(out.text, "a: \nb: \nc: 0\nd: z");
        assert_eq!(out.unresolved, ["X", "Y"]);
    }

    #[test]
    fn malformed_expressions_are_errors() {
        for bad in ["${}", "${a b}", "${a", "${a-b}", "${a:}", "${a/b}", "${ }"] {
            let error = run(bad, &[("a", "1")]).unwrap_err();
            assert!(
                matches!(error, FluxError::Expression { .. }),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn globs_match_like_the_fork() {
        assert_eq!(glob_match("*", "abc"), Some(true));
        assert_eq!(glob_match("*", "a/c"), Some(true));
        assert_eq!(glob_match("a*", "b"), Some(false));
        assert_eq!(glob_match("a?c", "abc"), Some(true));
        assert_eq!(glob_match("[a-c]x", "bx"), Some(true));
        assert_eq!(glob_match("[^a-c]x", "bx"), Some(false));
        assert_eq!(glob_match(r"\*", "*"), Some(true));
        assert_eq!(glob_match("[a", "a"), None);
        assert_eq!(
            glob_match("*a*b*c*d*e*f*g*h*z", &"ab".repeat(5000)),
            Some(false)
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let input = format!("{}x{}", "${a=".repeat(10_000), "}".repeat(10_000));
        let error = run(&input, &[]).unwrap_err();
        assert!(error.to_string().contains("nested too deeply"), "{error}");
        let ok = format!("{}x{}", "${a=".repeat(10), "}".repeat(10));
        assert_eq!(text(&ok, &[]), "x");
    }

    proptest::proptest! {
        #[test]
        fn text_without_dollar_is_unchanged(input in "[^$]*") {
            let out = expand(&input, |_| Some("value")).unwrap();
            proptest::prop_assert_eq!(out.text, input);
            proptest::prop_assert!(out.unresolved.is_empty());
        }

        #[test]
        fn any_input_expands_or_fails_cleanly(input in r"[a-z${}:=#%/,^\\*?\[\] -]{0,40}") {
            let _ = expand(&input, |name| (name.len() % 2 == 0).then_some("v/x"));
        }

        #[test]
        fn escaped_expressions_survive(name in "[A-Za-z_][A-Za-z0-9_]{0,10}") {
            let out = expand(&format!("$${{{name}}}"), |_| Some("value")).unwrap();
            proptest::prop_assert_eq!(out.text, format!("${{{name}}}"));
        }
    }
}
