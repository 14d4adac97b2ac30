//! `docs/recovery-patterns.md` lists every built-in pattern with its action and priority.

use recovery_patterns::PatternSet;

#[test]
fn the_pattern_table_matches_the_builtins() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/recovery-patterns.md"
    );
    let doc = std::fs::read_to_string(path).expect("docs/recovery-patterns.md is readable");
    let builtin = PatternSet::builtin();
    let documented: Vec<&str> = doc
        .lines()
        .filter(|line| line.starts_with("| `") && line.matches('|').count() >= 7)
        .collect();
    for entry in builtin.patterns() {
        let row = format!(
            "| `{}` | {} | `{}` | {} | {} | `{}` |",
            entry.name,
            entry.priority.unwrap(),
            entry.recovery_action,
            entry.severity,
            entry.max_retries.unwrap(),
            entry.error_pattern.replace('|', "\\|")
        );
        assert!(
            documented.iter().any(|line| *line == row),
            "missing or outdated row: {row}"
        );
    }
    assert_eq!(
        documented.len(),
        builtin.len(),
        "the table lists patterns that are not built in"
    );
}
