//! `$(VAR)` expansion with kustomize's (and Kubernetes') rules.
//!
//! `$(NAME)` is replaced when `NAME` has a scalar value; a string that is exactly `$(NAME)`
//! takes the value's type (so `port: $(PORT)` becomes an integer), otherwise the value is
//! printed into the string. `$$` is an escaped `$`. Unknown names, names whose value is a
//! mapping, list or null, and unterminated `$(` are left as written.

use std::collections::BTreeMap;

use crate::value::Value;

/// Expand `input`. `values` maps var names to their values; `used` collects the names that were
/// substituted at least once.
pub(crate) fn expand(
    input: &str,
    values: &BTreeMap<String, Value>,
    used: &mut BTreeMap<String, usize>,
) -> Value {
    let mut out = String::with_capacity(input.len());
    let bytes = input.as_bytes();
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < bytes.len() {
        if bytes[cursor] == b'$' && cursor + 1 < bytes.len() {
            out.push_str(&input[checkpoint..cursor]);
            let rest = &input[cursor + 1..];
            let advance = match rest.as_bytes()[0] {
                b'$' => {
                    out.push('$');
                    1
                }
                b'(' => {
                    if let Some(close) = rest.find(')') {
                        let name = &rest[1..close];
                        let mapped = lookup(name, values, used);
                        if input.len() == name.len() + 3 {
                            // The whole string is one reference: keep the value's type.
                            return mapped;
                        }
                        out.push_str(&go_format(&mapped));
                        close + 1
                    } else {
                        out.push_str("$(");
                        1
                    }
                }
                _ => {
                    // Not a reference: keep `$` and the character after it.
                    let next = rest.chars().next().map_or(1, char::len_utf8);
                    out.push('$');
                    out.push_str(&rest[..next]);
                    next
                }
            };
            cursor += advance;
            checkpoint = cursor + 1;
        }
        cursor += 1;
    }
    if checkpoint < input.len() {
        out.push_str(&input[checkpoint..]);
    }
    Value::String(out)
}

/// The value substituted for `name`: its scalar value, or the reference itself.
fn lookup(
    name: &str,
    values: &BTreeMap<String, Value>,
    used: &mut BTreeMap<String, usize>,
) -> Value {
    match values.get(name) {
        Some(value @ (Value::String(_) | Value::Number(_) | Value::Bool(_))) => {
            *used.entry(name.to_owned()).or_default() += 1;
            value.clone()
        }
        _ => Value::String(format!("$({name})")),
    }
}

/// A scalar as Go's `%v` prints it.
fn go_format(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (None, Some(u), _) => u.to_string(),
            (None, None, Some(f)) => go_float(f),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// Go's `%v` for a float64: shortest digits, exponent form below 1e-4 or from 1e6 on.
fn go_float(f: f64) -> String {
    if f == 0.0 || !f.is_finite() {
        return f.to_string();
    }
    let exponent = f.abs().log10().floor();
    if (-4.0..6.0).contains(&exponent) {
        f.to_string()
    } else {
        // Rust prints `1.5e22`; Go prints `1.5e+22`.
        let text = format!("{f:e}");
        match text.split_once('e') {
            Some((mantissa, exp)) => {
                let (sign, digits) = match exp.strip_prefix('-') {
                    Some(d) => ('-', d),
                    None => ('+', exp),
                };
                format!("{mantissa}e{sign}{digits:0>2}")
            }
            None => text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn run(input: &str) -> (Value, Vec<String>) {
        let values: BTreeMap<String, Value> = [
            ("SVC", json!("p-svc")),
            ("PORT", json!(8080)),
            ("ON", json!(true)),
            ("MAP", json!({"a": 1})),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let mut used = BTreeMap::new();
        let out = expand(input, &values, &mut used);
        (out, used.into_keys().collect())
    }

    #[test]
    fn whole_references_keep_the_type() {
        assert_eq!(run("$(PORT)").0, json!(8080));
        assert_eq!(run("$(ON)").0, json!(true));
        assert_eq!(run("$(SVC)").0, json!("p-svc"));
    }

    #[test]
    fn embedded_references_are_printed() {
        assert_eq!(
            run("x-$(PORT)-$(NOPE)-$$(SVC)-$(SVC").0,
            json!("x-8080-$(NOPE)-$(SVC)-$(SVC")
        );
        assert_eq!(run("$(SVC).ns.svc:$(PORT)").0, json!("p-svc.ns.svc:8080"));
        assert_eq!(run("a$b $").0, json!("a$b $"));
        assert_eq!(run("héllo $é").0, json!("héllo $é"));
    }

    #[test]
    fn collections_and_unknown_names_stay_and_are_not_counted() {
        assert_eq!(run("$(MAP)"), (json!("$(MAP)"), vec![]));
        assert_eq!(run("$(NOPE)"), (json!("$(NOPE)"), vec![]));
        assert_eq!(run("$(SVC)$(PORT)").1, vec!["PORT", "SVC"]);
    }

    #[test]
    fn floats_print_like_go() {
        assert_eq!(go_float(1.5), "1.5");
        assert_eq!(go_float(1.5e22), "1.5e+22");
        assert_eq!(go_float(0.00001), "1e-05");
        assert_eq!(go_float(1_000_000.0), "1e+06");
        assert_eq!(go_float(123_456.5), "123456.5");
    }

    proptest::proptest! {
        #[test]
        fn expansion_never_panics_and_leaves_plain_text_alone(input in "\\PC{0,40}") {
            let (out, _) = run(&input);
            if !input.contains('$') {
                proptest::prop_assert_eq!(out, Value::String(input));
            }
        }

        #[test]
        fn escaped_dollars_become_one(text in "[a-z(){} ]{0,20}") {
            let escaped = text.replace('$', "");
            let input = format!("$${escaped}");
            let (out, used) = run(&input);
            proptest::prop_assert_eq!(out, Value::String(format!("${escaped}")));
            proptest::prop_assert!(used.is_empty());
        }
    }
}
