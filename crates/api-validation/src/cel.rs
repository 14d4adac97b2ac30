//! A small evaluator for the simple forms of CEL that CRDs put in `x-kubernetes-validations`.
//!
//! Supported (see `docs/schema-validation.md`): literals (integers, doubles, single- or
//! double-quoted strings, `true`, `false`, `null`, lists), `self`, field selection
//! (`self.spec.x`), indexing (`self.items[0]`, `self.labels['app']`), `has(self.x)`,
//! `size(x)` and `x.size()`, `! - * / % + -`, `< <= > >= == !=`, `in`, `&& ||` with CEL's
//! error-absorbing semantics, `c ? a : b`, the macros `all`, `exists`, `exists_one`, `filter`
//! and `map`, and the string methods `contains`, `startsWith`, `endsWith`, `matches`.
//! Anything else — other functions (`isIP`, `duration`, `format.…`), transition rules that
//! read `oldSelf`, `messageExpression` — leaves the rule unevaluated ([`Outcome::Skipped`]):
//! unstuck never reports a rule it cannot evaluate exactly.

use regex::Regex;
use serde_json::{Number, Value};

/// One `x-kubernetes-validations` entry.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    source: String,
    message: Option<String>,
    parsed: Option<Expr>,
}

/// What evaluating a rule against a value gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The rule holds.
    Passed,
    /// The rule is false; the message to report.
    Failed(String),
    /// The rule uses something this evaluator does not support, reads `oldSelf`, or the
    /// value still holds a Flux variable: nothing is reported.
    Skipped,
}

impl Rule {
    /// Reads `{rule, message}` from a schema; `None` when there is no rule text.
    pub(crate) fn from_schema(entry: &Value) -> Option<Rule> {
        let source = entry.get("rule")?.as_str()?.to_owned();
        let message = entry
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Some(Self::new(source, message))
    }

    pub(crate) fn new(source: String, message: Option<String>) -> Rule {
        let parsed = Parser::parse(&source)
            .ok()
            .filter(|expr| !expr.mentions("oldSelf"));
        Rule {
            source,
            message,
            parsed,
        }
    }

    /// Evaluates the rule with `self` bound to `value`.
    pub(crate) fn check(&self, value: &Value) -> Outcome {
        let Some(expr) = &self.parsed else {
            return Outcome::Skipped;
        };
        if holds_variable(value) {
            return Outcome::Skipped;
        }
        let mut scope = vec![("self".to_owned(), value.clone())];
        match eval(expr, &mut scope) {
            Ok(Value::Bool(true)) => Outcome::Passed,
            Ok(Value::Bool(false)) => Outcome::Failed(
                self.message
                    .clone()
                    .unwrap_or_else(|| format!("failed rule: {}", self.source)),
            ),
            _ => Outcome::Skipped,
        }
    }
}

fn holds_variable(value: &Value) -> bool {
    match value {
        Value::String(s) => crate::check::holds_flux_variable(s),
        Value::Array(items) => items.iter().any(holds_variable),
        Value::Object(map) => map.values().any(holds_variable),
        _ => false,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Literal(Value),
    Ident(String),
    Select(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    Has(Box<Expr>),
    Call(Option<Box<Expr>>, String, Vec<Expr>),
    Not(Box<Expr>),
    Negate(Box<Expr>),
    Binary(Op, Box<Expr>, Box<Expr>),
    Conditional(Box<Expr>, Box<Expr>, Box<Expr>),
    List(Vec<Expr>),
}

impl Expr {
    fn mentions(&self, name: &str) -> bool {
        match self {
            Expr::Literal(_) => false,
            Expr::Ident(ident) => ident == name,
            Expr::Select(inner, _) | Expr::Has(inner) | Expr::Not(inner) | Expr::Negate(inner) => {
                inner.mentions(name)
            }
            Expr::Index(a, b) | Expr::Binary(_, a, b) => a.mentions(name) || b.mentions(name),
            Expr::Call(target, _, args) => {
                target.as_ref().is_some_and(|t| t.mentions(name))
                    || args.iter().any(|a| a.mentions(name))
            }
            Expr::Conditional(a, b, c) => a.mentions(name) || b.mentions(name) || c.mentions(name),
            Expr::List(items) => items.iter().any(|i| i.mentions(name)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Int(i64),
    Double(f64),
    Str(String),
    Ident(String),
    Punct(&'static str),
}

const PUNCTUATION: [&str; 24] = [
    "&&", "||", "==", "!=", "<=", ">=", "<", ">", "!", "+", "-", "*", "/", "%", "?", ":", ".", ",",
    "(", ")", "[", "]", "{", "}",
];

fn tokenize(text: &str) -> Result<Vec<Token>, ()> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let literal: String = chars[start..i].iter().collect();
            tokens.push(if literal.contains('.') {
                Token::Double(literal.parse().map_err(|_| ())?)
            } else {
                Token::Int(literal.parse().map_err(|_| ())?)
            });
        } else if matches!(c, 'r' | 'R') && matches!(chars.get(i + 1), Some('\'' | '"')) {
            // A raw string: backslashes are literal (regexes in `matches`).
            let (literal, next) = quoted(&chars, i + 1, true)?;
            tokens.push(Token::Str(literal));
            i = next;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(Token::Ident(chars[start..i].iter().collect()));
        } else if c == '\'' || c == '"' {
            let (literal, next) = quoted(&chars, i, false)?;
            tokens.push(Token::Str(literal));
            i = next;
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let punct = PUNCTUATION
                .iter()
                .find(|p| rest.starts_with(**p))
                .ok_or(())?;
            tokens.push(Token::Punct(punct));
            i += punct.len();
        }
    }
    Ok(tokens)
}

/// The string literal opening at `start` (a quote, or three for a triple-quoted one) and the
/// index after it. Escapes: `\n`, `\t`, `\\`, and quotes; any other escape (a regex's `\.`)
/// stays as written. Raw strings keep every backslash.
fn quoted(chars: &[char], start: usize, raw: bool) -> Result<(String, usize), ()> {
    let quote = chars[start];
    let triple = chars.get(start + 1) == Some(&quote) && chars.get(start + 2) == Some(&quote);
    let closing = if triple { 3 } else { 1 };
    let closes_at = |i: usize| (0..closing).all(|k| chars.get(i + k) == Some(&quote));
    let mut literal = String::new();
    let mut i = start + closing;
    loop {
        match chars.get(i) {
            None => return Err(()),
            Some(_) if closes_at(i) => return Ok((literal, i + closing)),
            Some('\\') if !raw => {
                let escaped = *chars.get(i + 1).ok_or(())?;
                match escaped {
                    'n' => literal.push('\n'),
                    't' => literal.push('\t'),
                    '\\' | '\'' | '"' => literal.push(escaped),
                    other => {
                        literal.push('\\');
                        literal.push(other);
                    }
                }
                i += 2;
            }
            Some(&other) => {
                literal.push(other);
                i += 1;
            }
        }
    }
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

type Parsed = Result<Expr, ()>;

impl Parser {
    fn parse(text: &str) -> Parsed {
        let mut parser = Parser {
            tokens: tokenize(text)?,
            at: 0,
        };
        let expr = parser.conditional()?;
        if parser.at == parser.tokens.len() {
            Ok(expr)
        } else {
            Err(())
        }
    }

    fn peek_punct(&self, punct: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Punct(p)) if *p == punct)
    }

    fn eat(&mut self, punct: &str) -> bool {
        let found = self.peek_punct(punct);
        if found {
            self.at += 1;
        }
        found
    }

    fn expect(&mut self, punct: &str) -> Result<(), ()> {
        if self.eat(punct) {
            Ok(())
        } else {
            Err(())
        }
    }

    fn conditional(&mut self) -> Parsed {
        let condition = self.binary(0)?;
        if self.eat("?") {
            let then = self.conditional()?;
            self.expect(":")?;
            let otherwise = self.conditional()?;
            return Ok(Expr::Conditional(
                Box::new(condition),
                Box::new(then),
                Box::new(otherwise),
            ));
        }
        Ok(condition)
    }

    /// Precedence climbing over CEL's binary operators, loosest first.
    fn binary(&mut self, level: usize) -> Parsed {
        const LEVELS: [&[(&str, Op)]; 5] = [
            &[("||", Op::Or)],
            &[("&&", Op::And)],
            &[
                ("==", Op::Eq),
                ("!=", Op::Ne),
                ("<=", Op::Le),
                (">=", Op::Ge),
                ("<", Op::Lt),
                (">", Op::Gt),
            ],
            &[("+", Op::Add), ("-", Op::Sub)],
            &[("*", Op::Mul), ("/", Op::Div), ("%", Op::Rem)],
        ];
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut left = self.binary(level + 1)?;
        loop {
            let op = LEVELS[level]
                .iter()
                .find(|(p, _)| self.peek_punct(p))
                .map(|(_, op)| *op);
            let op = match op {
                Some(op) => {
                    self.at += 1;
                    op
                }
                None if level == 2
                    && matches!(self.tokens.get(self.at), Some(Token::Ident(i)) if i == "in") =>
                {
                    self.at += 1;
                    Op::In
                }
                None => return Ok(left),
            };
            let right = self.binary(level + 1)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Parsed {
        if self.eat("!") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.eat("-") {
            return Ok(Expr::Negate(Box::new(self.unary()?)));
        }
        self.member()
    }

    fn member(&mut self) -> Parsed {
        let mut expr = self.primary()?;
        loop {
            if self.eat(".") {
                let Some(Token::Ident(name)) = self.tokens.get(self.at).cloned() else {
                    return Err(());
                };
                self.at += 1;
                if self.eat("(") {
                    let args = self.arguments()?;
                    expr = Expr::Call(Some(Box::new(expr)), name, args);
                } else {
                    expr = Expr::Select(Box::new(expr), name);
                }
            } else if self.eat("[") {
                let index = self.conditional()?;
                self.expect("]")?;
                expr = Expr::Index(Box::new(expr), Box::new(index));
            } else {
                return Ok(expr);
            }
        }
    }

    fn arguments(&mut self) -> Result<Vec<Expr>, ()> {
        let mut args = Vec::new();
        if self.eat(")") {
            return Ok(args);
        }
        loop {
            args.push(self.conditional()?);
            if self.eat(")") {
                return Ok(args);
            }
            self.expect(",")?;
        }
    }

    fn primary(&mut self) -> Parsed {
        let token = self.tokens.get(self.at).cloned().ok_or(())?;
        self.at += 1;
        Ok(match token {
            Token::Int(i) => Expr::Literal(Value::from(i)),
            Token::Double(d) => Expr::Literal(Number::from_f64(d).map(Value::Number).ok_or(())?),
            Token::Str(s) => Expr::Literal(Value::String(s)),
            Token::Ident(name) => match name.as_str() {
                "true" => Expr::Literal(Value::Bool(true)),
                "false" => Expr::Literal(Value::Bool(false)),
                "null" => Expr::Literal(Value::Null),
                _ if self.eat("(") => {
                    let mut args = self.arguments()?;
                    if name == "has" {
                        match args.pop() {
                            Some(select @ Expr::Select(..)) if args.is_empty() => {
                                Expr::Has(Box::new(select))
                            }
                            _ => return Err(()),
                        }
                    } else {
                        Expr::Call(None, name, args)
                    }
                }
                _ => Expr::Ident(name),
            },
            Token::Punct("(") => {
                let inner = self.conditional()?;
                self.expect(")")?;
                inner
            }
            Token::Punct("[") => {
                let mut items = Vec::new();
                if !self.eat("]") {
                    loop {
                        items.push(self.conditional()?);
                        if self.eat("]") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                Expr::List(items)
            }
            Token::Punct(_) => return Err(()),
        })
    }
}

/// Evaluation fails for unsupported functions and CEL runtime errors alike; either way the
/// rule is skipped.
type Eval = Result<Value, ()>;

fn eval(expr: &Expr, scope: &mut Vec<(String, Value)>) -> Eval {
    match expr {
        Expr::Literal(value) => Ok(value.clone()),
        Expr::Ident(name) => scope
            .iter()
            .rev()
            .find(|(bound, _)| bound == name)
            .map(|(_, value)| value.clone())
            .ok_or(()),
        Expr::Select(target, field) => match eval(target, scope)? {
            Value::Object(map) => map.get(field).cloned().ok_or(()),
            _ => Err(()),
        },
        Expr::Has(select) => {
            let Expr::Select(target, field) = select.as_ref() else {
                return Err(());
            };
            match eval(target, scope)? {
                Value::Object(map) => Ok(Value::Bool(map.contains_key(field))),
                _ => Err(()),
            }
        }
        Expr::Index(target, index) => {
            let (target, index) = (eval(target, scope)?, eval(index, scope)?);
            match (&target, &index) {
                (Value::Array(items), Value::Number(n)) => {
                    let i = usize::try_from(n.as_i64().ok_or(())?).map_err(|_| ())?;
                    items.get(i).cloned().ok_or(())
                }
                (Value::Object(map), Value::String(key)) => map.get(key).cloned().ok_or(()),
                _ => Err(()),
            }
        }
        Expr::Not(inner) => match eval(inner, scope)? {
            Value::Bool(b) => Ok(Value::Bool(!b)),
            _ => Err(()),
        },
        Expr::Negate(inner) => match eval(inner, scope)? {
            Value::Number(n) => negate(&n),
            _ => Err(()),
        },
        Expr::Conditional(condition, then, otherwise) => match eval(condition, scope)? {
            Value::Bool(true) => eval(then, scope),
            Value::Bool(false) => eval(otherwise, scope),
            _ => Err(()),
        },
        Expr::List(items) => items
            .iter()
            .map(|i| eval(i, scope))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        Expr::Binary(Op::And, left, right) => {
            logical(eval(left, scope), || eval(right, scope), false)
        }
        Expr::Binary(Op::Or, left, right) => {
            logical(eval(left, scope), || eval(right, scope), true)
        }
        Expr::Binary(op, left, right) => binary(*op, &eval(left, scope)?, &eval(right, scope)?),
        Expr::Call(target, name, args) => call(target.as_deref(), name, args, scope),
    }
}

/// `&&` and `||` are commutative over errors in CEL: `error || true` is `true`.
fn logical(left: Eval, right: impl FnOnce() -> Eval, short: bool) -> Eval {
    if left == Ok(Value::Bool(short)) {
        return Ok(Value::Bool(short));
    }
    let right = right();
    if right == Ok(Value::Bool(short)) {
        return Ok(Value::Bool(short));
    }
    match (left?, right?) {
        (Value::Bool(_), Value::Bool(_)) => Ok(Value::Bool(!short)),
        _ => Err(()),
    }
}

fn negate(n: &Number) -> Eval {
    if let Some(i) = n.as_i64() {
        return i.checked_neg().map(Value::from).ok_or(());
    }
    Number::from_f64(-n.as_f64().ok_or(())?)
        .map(Value::Number)
        .ok_or(())
}

fn size(value: &Value) -> Eval {
    let length = match value {
        Value::String(s) => s.chars().count(),
        Value::Array(items) => items.len(),
        Value::Object(map) => map.len(),
        _ => return Err(()),
    };
    Ok(Value::from(i64::try_from(length).map_err(|_| ())?))
}

fn binary(op: Op, left: &Value, right: &Value) -> Eval {
    use std::cmp::Ordering;
    let order = || -> Result<Ordering, ()> {
        match (left, right) {
            (Value::Number(a), Value::Number(b)) => {
                if let (Some(a), Some(b)) = (a.as_i64(), b.as_i64()) {
                    return Ok(a.cmp(&b));
                }
                a.as_f64()
                    .ok_or(())?
                    .partial_cmp(&b.as_f64().ok_or(())?)
                    .ok_or(())
            }
            (Value::String(a), Value::String(b)) => Ok(a.cmp(b)),
            (Value::Bool(a), Value::Bool(b)) => Ok(a.cmp(b)),
            _ => Err(()),
        }
    };
    let equal = || match (left, right) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => left == right,
    };
    Ok(Value::Bool(match op {
        Op::Eq => equal(),
        Op::Ne => !equal(),
        Op::Lt => order()? == Ordering::Less,
        Op::Le => order()? != Ordering::Greater,
        Op::Gt => order()? == Ordering::Greater,
        Op::Ge => order()? != Ordering::Less,
        Op::In => match right {
            Value::Array(items) => items
                .iter()
                .any(|item| binary(Op::Eq, left, item) == Ok(Value::Bool(true))),
            Value::Object(map) => left.as_str().is_some_and(|key| map.contains_key(key)),
            _ => return Err(()),
        },
        Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Rem => return arithmetic(op, left, right),
        Op::And | Op::Or => return Err(()),
    }))
}

fn arithmetic(op: Op, left: &Value, right: &Value) -> Eval {
    match (left, right) {
        (Value::String(a), Value::String(b)) if op == Op::Add => {
            Ok(Value::String(format!("{a}{b}")))
        }
        (Value::Array(a), Value::Array(b)) if op == Op::Add => {
            Ok(Value::Array(a.iter().chain(b).cloned().collect()))
        }
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_i64().ok_or(())?, b.as_i64().ok_or(())?);
            let result = match op {
                Op::Add => a.checked_add(b),
                Op::Sub => a.checked_sub(b),
                Op::Mul => a.checked_mul(b),
                Op::Div => a.checked_div(b),
                _ => a.checked_rem(b),
            };
            result.map(Value::from).ok_or(())
        }
        _ => Err(()),
    }
}

fn call(
    target: Option<&Expr>,
    name: &str,
    args: &[Expr],
    scope: &mut Vec<(String, Value)>,
) -> Eval {
    let Some(target) = target else {
        return match (name, args) {
            ("size", [arg]) => size(&eval(arg, scope)?),
            _ => Err(()),
        };
    };
    if let ("all" | "exists" | "exists_one" | "filter" | "map", [Expr::Ident(variable), body]) =
        (name, args)
    {
        return comprehension(name, &eval(target, scope)?, variable, body, scope);
    }
    let receiver = eval(target, scope)?;
    let argument = |scope: &mut Vec<(String, Value)>| match args {
        [arg] => eval(arg, scope),
        _ => Err(()),
    };
    match (name, &receiver) {
        ("size", _) if args.is_empty() => size(&receiver),
        ("contains" | "startsWith" | "endsWith" | "matches", Value::String(text)) => {
            let Value::String(arg) = argument(scope)? else {
                return Err(());
            };
            Ok(Value::Bool(match name {
                "contains" => text.contains(&arg),
                "startsWith" => text.starts_with(&arg),
                "endsWith" => text.ends_with(&arg),
                _ => Regex::new(&arg).map_err(|_| ())?.is_match(text),
            }))
        }
        _ => Err(()),
    }
}

fn comprehension(
    name: &str,
    range: &Value,
    variable: &str,
    body: &Expr,
    scope: &mut Vec<(String, Value)>,
) -> Eval {
    let elements: Vec<Value> = match range {
        Value::Array(items) => items.clone(),
        Value::Object(map) => map.keys().cloned().map(Value::String).collect(),
        _ => return Err(()),
    };
    let mut results = Vec::with_capacity(elements.len());
    for element in &elements {
        scope.push((variable.to_owned(), element.clone()));
        let result = eval(body, scope);
        scope.pop();
        results.push(result);
    }
    let truth = |r: &Eval| match r {
        Ok(Value::Bool(b)) => Ok(*b),
        _ => Err(()),
    };
    match name {
        // `all` is false if any element is false, even when another errs; likewise `exists`.
        "all" => {
            if results.iter().any(|r| r == &Ok(Value::Bool(false))) {
                return Ok(Value::Bool(false));
            }
            results.iter().try_for_each(|r| truth(r).map(|_| ()))?;
            Ok(Value::Bool(true))
        }
        "exists" => {
            if results.iter().any(|r| r == &Ok(Value::Bool(true))) {
                return Ok(Value::Bool(true));
            }
            results.iter().try_for_each(|r| truth(r).map(|_| ()))?;
            Ok(Value::Bool(false))
        }
        "exists_one" => {
            let mut count = 0;
            for r in &results {
                count += usize::from(truth(r)?);
            }
            Ok(Value::Bool(count == 1))
        }
        "filter" => {
            let mut kept = Vec::new();
            for (element, r) in elements.into_iter().zip(&results) {
                if truth(r)? {
                    kept.push(element);
                }
            }
            Ok(Value::Array(kept))
        }
        _ => results
            .into_iter()
            .collect::<Result<_, _>>()
            .map(Value::Array),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn outcome(rule: &str, value: &Value) -> Outcome {
        Rule::new(rule.to_owned(), Some("nope".to_owned())).check(value)
    }

    #[test]
    fn the_forms_real_crds_use_evaluate() {
        let listeners = json!([{"name": "a", "protocol": "TCP"}, {"name": "b", "protocol": "UDP"}]);
        assert_eq!(
            outcome(
                "self.all(x, self.exists_one(y, x.name == y.name))",
                &listeners
            ),
            Outcome::Passed
        );
        assert_eq!(
            outcome("self.all(l, l.protocol in ['TCP', 'UDP'])", &listeners),
            Outcome::Passed
        );
        assert_eq!(
            outcome(
                "self.filter(f, f.protocol == 'TCP').size() <= 1",
                &listeners
            ),
            Outcome::Passed
        );
        let duplicated = json!([{"name": "a"}, {"name": "a"}]);
        assert_eq!(
            outcome(
                "self.all(x, self.exists_one(y, x.name == y.name))",
                &duplicated
            ),
            Outcome::Failed("nope".into())
        );
        let spec = json!({"minCount": 3, "count": 2, "kind": "Service", "group": ""});
        assert_eq!(
            outcome(
                "has(self.minCount) ? self.minCount <= self.count : true",
                &spec
            ),
            Outcome::Failed("nope".into())
        );
        assert_eq!(
            outcome("(size(self.group) == 0 && self.kind == 'Service')", &spec),
            Outcome::Passed
        );
        assert_eq!(
            outcome(
                "!has(self.topologyName) || self.nodeLabels.size() >= 1",
                &spec
            ),
            Outcome::Passed
        );
        assert_eq!(
            outcome(
                "!self.endsWith('.cluster.local')",
                &json!("a.cluster.local")
            ),
            Outcome::Failed("nope".into())
        );
        assert_eq!(
            outcome("self.matches('^[a-z]+$')", &json!("abc")),
            Outcome::Passed
        );
        assert_eq!(
            outcome(
                "self.items[1] - 1 == 2 * 1 && self.m['k'] == 'v'",
                &json!({"items": [0, 3], "m": {"k": "v"}})
            ),
            Outcome::Passed
        );
    }

    #[test]
    fn raw_and_escaped_strings() {
        let raw = r#"self.matches(r"""^(\*\.)?[a-z0-9]+(\.[a-z0-9]+)*$""")"#;
        assert_eq!(outcome(raw, &json!("*.example.com")), Outcome::Passed);
        assert_eq!(
            outcome(raw, &json!("Bad_Host")),
            Outcome::Failed("nope".into())
        );
        assert_eq!(outcome(r"self == 'it\'s'", &json!("it's")), Outcome::Passed);
        assert_eq!(
            outcome(r"self.matches('^a\.b$')", &json!("a.b")),
            Outcome::Passed
        );
    }

    #[test]
    fn error_absorption_follows_cel() {
        // `self.missing` is a "no such key" error; `|| true` absorbs it.
        assert_eq!(
            outcome("self.missing == 1 || true", &json!({})),
            Outcome::Passed
        );
        assert_eq!(outcome("self.missing == 1", &json!({})), Outcome::Skipped);
    }

    #[test]
    fn unsupported_forms_transition_rules_and_flux_variables_are_skipped() {
        assert_eq!(outcome("self == oldSelf", &json!(1)), Outcome::Skipped);
        assert_eq!(
            outcome("self.all(h, !isIP(h))", &json!(["1.2.3.4"])),
            Outcome::Skipped
        );
        assert_eq!(
            outcome("duration(self) > duration('0s')", &json!("1s")),
            Outcome::Skipped
        );
        assert_eq!(
            outcome("self.size() < 3", &json!("${LONG_NAME}")),
            Outcome::Skipped
        );
        assert_eq!(outcome("self.x ==", &json!({})), Outcome::Skipped);
    }

    #[test]
    fn a_rule_without_message_names_itself() {
        let rule = Rule::new("self > 1".to_owned(), None);
        assert_eq!(
            rule.check(&json!(0)),
            Outcome::Failed("failed rule: self > 1".into())
        );
    }
}
/// Every rule of the CRDs in `../shared/conformance/real` parses, except transition rules.
#[cfg(test)]
mod real_rules {
    use serde_json::Value;

    #[test]
    fn every_rule_of_the_real_corpus_parses_except_transition_rules() {
        let expected = |path: &std::path::Path| path.ends_with("expected.yaml");
        let Some(documents) = crate::real_corpus::documents("_expected", expected) else {
            return;
        };
        let found = crate::real_corpus::strings_in(&documents, |map| {
            map.get("x-kubernetes-validations")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|entry| entry.get("rule").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        });
        let unparsed: Vec<&String> = found
            .iter()
            .filter(|rule| super::Parser::parse(rule).is_err())
            .collect();
        let transition = found.iter().filter(|rule| rule.contains("oldSelf")).count();
        assert!(found.len() > 100, "{} rules", found.len());
        assert_eq!(unparsed, Vec::<&String>::new());
        assert!(
            transition > 0 && transition < found.len() / 4,
            "{transition}"
        );
    }
}
