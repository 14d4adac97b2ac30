//! Edits to YAML files as text, so a plan's patches change only the lines they must and keep
//! the user's comments, order and quoting.

use kustomize_build::yaml::parse_json_documents;
use serde_json::Value;

/// The 0-based line range `[start, end)` of the YAML document holding 1-based `line`.
pub(crate) fn document_at(text: &str, line: usize) -> Option<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let index = line.checked_sub(1)?;
    if index >= lines.len() {
        return None;
    }
    let is_separator = |l: &str| l == "---" || l.starts_with("--- ");
    let start = (0..=index)
        .rev()
        .find(|&i| is_separator(lines[i]))
        .map_or(0, |i| i + 1);
    let end = (index + 1..lines.len())
        .find(|&i| is_separator(lines[i]))
        .unwrap_or(lines.len());
    Some((start, end))
}

/// The 0-based line ranges of every document of `text`.
pub(crate) fn documents(text: &str) -> Vec<(usize, usize)> {
    let count = text.lines().count();
    let mut out = Vec::new();
    let mut line = 1;
    while line <= count {
        let Some(range) = document_at(text, line) else {
            break;
        };
        if range.1 > range.0 {
            out.push(range);
        }
        line = range.1 + 2;
    }
    out
}

/// The lines of `range`, each ended by a newline.
pub(crate) fn lines_of(text: &str, (start, end): (usize, usize)) -> String {
    with_newlines(text.lines().skip(start).take(end - start))
}

/// `text` with the lines of `range` replaced by `replacement` (whole lines, newline-ended).
pub(crate) fn replace_lines(text: &str, (start, end): (usize, usize), replacement: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = with_newlines(&lines[..start]);
    out.push_str(replacement);
    out.push_str(&with_newlines(&lines[end..]));
    out
}

/// The document in `range` parsed, when it is one mapping.
pub(crate) fn parse_range(text: &str, (start, end): (usize, usize)) -> Option<Value> {
    let body = with_newlines(text.lines().skip(start).take(end - start));
    parse_json_documents(&body).ok()?.into_iter().next()
}

/// The lines, each ended by a newline.
fn with_newlines<S: AsRef<str>>(lines: impl IntoIterator<Item = S>) -> String {
    let mut out = String::new();
    for line in lines {
        out.push_str(line.as_ref());
        out.push('\n');
    }
    out
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_content(line: &str) -> bool {
    let trimmed = line.trim();
    !trimmed.is_empty() && !trimmed.starts_with('#')
}

/// `text` with lines inserted before 0-based line `at`.
fn insert_lines(text: &str, at: usize, block: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(|l| format!("{l}\n")).collect();
    lines.insert(at.min(lines.len()), block.to_owned());
    lines.concat()
}

/// Add `key: value` to `metadata.annotations` of the document in `range` (top-level keys at
/// column 0). Returns the new text and the block inserted; `None` when the document's metadata
/// is not written in block style.
pub(crate) fn add_annotation(
    text: &str,
    range: (usize, usize),
    key: &str,
    value: &str,
) -> Option<(String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let metadata = (range.0..range.1).find(|&i| lines[i].trim_end() == "metadata:")?;
    let children: Vec<usize> = (metadata + 1..range.1)
        .take_while(|&i| !is_content(lines[i]) || indent(lines[i]) > 0)
        .filter(|&i| is_content(lines[i]))
        .collect();
    let child_indent = children.first().map(|&i| indent(lines[i]))?;
    let pad = " ".repeat(child_indent);
    let annotations = children.iter().copied().find(|&i| {
        indent(lines[i]) == child_indent && lines[i].trim_start().starts_with("annotations:")
    });
    let block = match annotations {
        Some(i) if lines[i].trim_end().ends_with("annotations:") => {
            let entry_indent = lines
                .get(i + 1)
                .filter(|l| is_content(l) && indent(l) > child_indent)
                .map_or(child_indent * 2, |l| indent(l));
            let block = format!("{}{key}: {value}\n", " ".repeat(entry_indent));
            return Some((insert_lines(text, i + 1, &block), block));
        }
        Some(_) => return None,
        None => format!("{pad}annotations:\n{pad}{pad}{key}: {value}\n"),
    };
    Some((insert_lines(text, metadata + 1, &block), block))
}

/// Add one entry (lines starting with `- `, relative indentation) to the top-level `patches:`
/// list of a kustomization file, creating the list when there is none. Returns the new text
/// and the block inserted; `None` when `patches` is written in flow style.
pub(crate) fn add_patch_entry(text: &str, entry: &str) -> Option<(String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    match lines.iter().position(|l| l.starts_with("patches:")) {
        Some(i) if lines[i].trim_end() == "patches:" => {
            let item_indent = lines[i + 1..]
                .iter()
                .find(|l| is_content(l))
                .filter(|l| l.trim_start().starts_with('-'))
                .map_or(0, |l| indent(l));
            let pad = " ".repeat(item_indent);
            let block = with_newlines(entry.lines().map(|l| format!("{pad}{l}")));
            Some((insert_lines(text, i + 1, &block), block))
        }
        Some(_) => None,
        None => {
            let mut out = text.to_owned();
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            let block = format!("patches:\n{entry}");
            out.push_str(&block);
            Some((out, block))
        }
    }
}

/// `text` without the first occurrence of `block` (what an `add_*` inserted).
#[cfg(test)]
pub(crate) fn remove_block(text: &str, block: &str) -> Option<String> {
    replace_block(text, block, "")
}

/// `text` with the first occurrence of `block` replaced by `replacement`.
pub(crate) fn replace_block(text: &str, block: &str, replacement: &str) -> Option<String> {
    text.contains(block)
        .then(|| text.replacen(block, replacement, 1))
}

/// The lines where `a` and `b` differ (from the first differing line to the last), as they
/// are in each: replacing the first in `a` gives `b`.
pub(crate) fn changed_region(a: &str, b: &str) -> (String, String) {
    let (old, new): (Vec<&str>, Vec<&str>) = (
        a.split_inclusive('\n').collect(),
        b.split_inclusive('\n').collect(),
    );
    let prefix = old.iter().zip(&new).take_while(|(x, y)| x == y).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    (
        old[prefix..old.len() - suffix].concat(),
        new[prefix..new.len() - suffix].concat(),
    )
}

/// Add `value` to the comma-separated annotation `key` of the document in `range` when the
/// document already has it (block-style metadata, a plain scalar on one line), else add the
/// annotation. Returns the new text.
pub(crate) fn add_to_annotation(
    text: &str,
    range: (usize, usize),
    key: &str,
    value: &str,
) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let existing = (range.0..range.1).find(|&i| {
        lines[i]
            .trim_start()
            .strip_prefix(key)
            .is_some_and(|rest| rest.starts_with(':'))
            && indent(lines[i]) > 0
    });
    let Some(i) = existing else {
        return add_annotation(text, range, key, value).map(|(after, _)| after);
    };
    let (_, current) = lines[i].split_once(": ")?;
    let current = current.trim();
    if current.is_empty() || current.starts_with(['"', '\'', '|', '>', '{', '[']) {
        return None;
    }
    let line = format!("{}{key}: {current},{value}\n", " ".repeat(indent(lines[i])));
    Some(replace_lines(text, (i, i + 1), &line))
}

/// Widen the `matchLabels` entry `key: old` at 1-based `line` of `text` to a
/// `matchExpressions` item `key In [old, new]` (added to the selector's `matchExpressions`,
/// or as a new list after `matchLabels`; a `matchLabels` left empty goes). `None` when the
/// line is not that entry under a block-style `matchLabels`, or the selector's
/// `matchExpressions` is written in flow style.
pub(crate) fn widen_match_label(
    text: &str,
    line: usize,
    key: &str,
    old: &str,
    new: &str,
) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let index = line.checked_sub(1)?;
    let (written_key, written_value) = lines.get(index)?.split_once(':')?;
    let unquoted = written_value.trim().trim_matches(|c| c == '"' || c == '\'');
    if written_key.trim() != key || unquoted != old {
        return None;
    }
    let entry_indent = indent(lines[index]);
    let parent = (0..index)
        .rev()
        .find(|&i| is_content(lines[i]) && indent(lines[i]) < entry_indent)?;
    if lines[parent].trim() != "matchLabels:" {
        return None;
    }
    let sibling_indent = indent(lines[parent]);
    let is_separator = |l: &str| l == "---" || l.starts_with("--- ");
    let block_end = (parent + 1..lines.len())
        .find(|&i| {
            is_separator(lines[i]) || (is_content(lines[i]) && indent(lines[i]) <= sibling_indent)
        })
        .unwrap_or(lines.len());
    let others = (parent + 1..block_end).any(|i| i != index && is_content(lines[i]));
    // The selector's other keys: up to the first line less indented than `matchLabels`.
    let selector_start = (0..parent)
        .rev()
        .find(|&i| is_content(lines[i]) && indent(lines[i]) < sibling_indent)
        .map_or(0, |i| i + 1);
    let selector_end = (parent + 1..lines.len())
        .find(|&i| {
            is_separator(lines[i]) || (is_content(lines[i]) && indent(lines[i]) < sibling_indent)
        })
        .unwrap_or(lines.len());
    let expressions = (selector_start..selector_end).find(|&i| {
        indent(lines[i]) == sibling_indent && lines[i].trim_start().starts_with("matchExpressions:")
    });
    let quote = |v: &str| serde_json::to_string(v).unwrap_or_default();
    let item = |pad: &str| {
        format!(
            "{pad}- key: {key}\n{pad}  operator: In\n{pad}  values: [{}, {}]\n",
            quote(old),
            quote(new)
        )
    };
    let mut out: Vec<String> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if i == index || (i == parent && !others) {
            continue;
        }
        if Some(i) == expressions {
            if lines[i].trim_end() != format!("{}matchExpressions:", " ".repeat(sibling_indent)) {
                return None;
            }
            out.push(format!("{l}\n"));
            let item_indent = lines[i + 1..]
                .iter()
                .find(|l| is_content(l))
                .filter(|l| l.trim_start().starts_with('-'))
                .map_or(sibling_indent, |l| indent(l));
            out.push(item(&" ".repeat(item_indent)));
            continue;
        }
        if i == block_end && expressions.is_none() {
            let pad = " ".repeat(sibling_indent);
            out.push(format!("{pad}matchExpressions:\n{}", item(&pad)));
        }
        out.push(format!("{l}\n"));
    }
    if block_end == lines.len() && expressions.is_none() {
        let pad = " ".repeat(sibling_indent);
        out.push(format!("{pad}matchExpressions:\n{}", item(&pad)));
    }
    Some(out.concat())
}

/// A changed region: 0-based line ranges `(old, new)`.
pub(crate) type Hunk = ((usize, usize), (usize, usize));

/// Where 1-based `line` of the text before an edit with these `hunks` is after it: moved by
/// the lines added or removed above it; a line inside a changed region goes to that region's
/// start in the new text.
pub(crate) fn moved_line(hunks: &[Hunk], line: usize) -> usize {
    let index = line.saturating_sub(1);
    let mut moved = index;
    for &((old_start, old_end), (new_start, new_end)) in hunks {
        if old_end <= index {
            moved = index - old_end + new_end;
        } else if old_start <= index {
            moved = new_start + (index - old_start).min(new_end.saturating_sub(new_start + 1));
        } else {
            break;
        }
    }
    moved + 1
}

/// The changed regions between two texts, as 0-based line ranges `(old, new)`, from a
/// longest-common-subsequence line diff; lines replaced one for one are a region each.
pub(crate) fn hunks(old: &str, new: &str) -> Vec<Hunk> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
            continue;
        }
        let (start_a, start_b) = (i, j);
        while (i < a.len() || j < b.len()) && !(i < a.len() && j < b.len() && a[i] == b[j]) {
            if j >= b.len() || (i < a.len() && lcs[i + 1][j] >= lcs[i][j + 1]) {
                i += 1;
            } else {
                j += 1;
            }
        }
        if i - start_a == j - start_b {
            // Lines changed one for one: each is an edit of its own.
            out.extend((0..i - start_a).map(|k| {
                (
                    (start_a + k, start_a + k + 1),
                    (start_b + k, start_b + k + 1),
                )
            }));
        } else {
            out.push(((start_a, i), (start_b, j)));
        }
    }
    out
}

/// `new` with the change from `old` that touches 1-based line `line` of `new` undone (a line
/// removed from `old` right before it counts too), and with every other change that makes the
/// very same edit (the same lines, whatever their indentation, changed the same way: a label
/// renamed in a selector and in the pod template). `None` when no change touches the line.
pub(crate) fn revert_at(old: &str, new: &str, line: usize) -> Option<String> {
    let index = line.checked_sub(1)?;
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let all = hunks(old, new);
    let touched = all
        .iter()
        .find(|(_, (start, end))| (*start..(*end).max(start + 1)).contains(&index))?;
    let trimmed =
        |lines: &[&str]| -> Vec<String> { lines.iter().map(|l| l.trim().to_owned()).collect() };
    let same_edit =
        |((old_start, old_end), (new_start, new_end)): &((usize, usize), (usize, usize))| {
            trimmed(&a[*old_start..*old_end]) == trimmed(&a[touched.0 .0..touched.0 .1])
                && trimmed(&b[*new_start..*new_end]) == trimmed(&b[touched.1 .0..touched.1 .1])
        };
    let mut lines: Vec<&str> = Vec::new();
    let mut next = 0;
    for hunk in all.iter().filter(|h| same_edit(h)) {
        let ((old_start, old_end), (new_start, new_end)) = *hunk;
        lines.extend_from_slice(&b[next..new_start]);
        lines.extend_from_slice(&a[old_start..old_end]);
        next = new_end;
    }
    lines.extend_from_slice(&b[next..]);
    Some(with_newlines(lines))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPLOYMENT: &str = "# web\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    app: web\nspec:\n  replicas: 1\n";

    #[test]
    fn an_annotation_is_added_under_metadata() {
        let (text, block) = add_annotation(DEPLOYMENT, (0, 9), "a/b", "enabled").unwrap();
        assert_eq!(block, "  annotations:\n    a/b: enabled\n");
        assert!(text.contains("metadata:\n  annotations:\n    a/b: enabled\n  name: web\n"));
        assert_eq!(remove_block(&text, &block).unwrap(), DEPLOYMENT);
    }

    #[test]
    fn an_annotation_joins_existing_ones() {
        let text = "kind: X\nmetadata:\n    annotations:\n        x: y\n    name: a\n";
        let (text, _) = add_annotation(text, (0, 5), "k", "v").unwrap();
        assert_eq!(
            text,
            "kind: X\nmetadata:\n    annotations:\n        k: v\n        x: y\n    name: a\n"
        );
        assert!(add_annotation("metadata:\n  annotations: {a: b}\n", (0, 2), "k", "v").is_none());
    }

    #[test]
    fn a_match_label_is_widened_to_the_old_and_the_new_value() {
        let pdb = "kind: PodDisruptionBudget\nspec:\n  selector:\n    matchLabels:\n      app: web\n  minAvailable: 1\n";
        assert_eq!(
            widen_match_label(pdb, 5, "app", "web", "shop").unwrap(),
            "kind: PodDisruptionBudget\nspec:\n  selector:\n    matchExpressions:\n    - key: app\n      operator: In\n      values: [\"web\", \"shop\"]\n  minAvailable: 1\n"
        );
        // Other labels stay; an existing list gets the item.
        let both = "spec:\n  selector:\n    matchLabels:\n      app: web\n      tier: front\n    matchExpressions:\n      - {key: x, operator: Exists}\n";
        assert_eq!(
            widen_match_label(both, 4, "app", "web", "shop").unwrap(),
            "spec:\n  selector:\n    matchLabels:\n      tier: front\n    matchExpressions:\n      - key: app\n        operator: In\n        values: [\"web\", \"shop\"]\n      - {key: x, operator: Exists}\n"
        );
        // Not the entry named, or a flow-style list: no edit.
        assert!(widen_match_label(pdb, 5, "app", "api", "shop").is_none());
        let flow =
            "spec:\n  selector:\n    matchLabels:\n      app: web\n    matchExpressions: []\n";
        assert!(widen_match_label(flow, 4, "app", "web", "shop").is_none());
    }

    proptest::proptest! {
        /// Widening any entry of a budget's labels selects exactly the pods with either value,
        /// keeps the other labels, and step 2's region swap gives the plain rename.
        #[test]
        fn a_widened_selector_means_old_or_new_and_narrows_to_the_rename(
            labels in proptest::collection::btree_map("[a-d]{1,3}", "[a-z0-9]{1,4}", 1..5),
            pick in 0usize..5,
            new in "[a-z]{5}",
            after_selector in proptest::bool::ANY,
        ) {
            let (key, old) = labels.iter().nth(pick % labels.len()).unwrap();
            let entries: Vec<String> =
                labels.iter().map(|(k, v)| format!("      {k}: \"{v}\"\n")).collect();
            let mut text = format!("spec:\n  selector:\n    matchLabels:\n{}", entries.concat());
            let line = 4 + labels.keys().position(|k| k == key).unwrap();
            if after_selector {
                text.push_str("  minAvailable: 1\n");
            }
            let widened = widen_match_label(&text, line, key, old, &new).unwrap();
            let doc = parse_json_documents(&widened).unwrap().remove(0);
            let selector = &doc["spec"]["selector"];
            let mut others = labels.clone();
            others.remove(key);
            for (k, v) in &others {
                proptest::prop_assert_eq!(selector["matchLabels"][k].as_str(), Some(v.as_str()));
            }
            proptest::prop_assert_eq!(
                selector["matchLabels"].as_object().map_or(0, serde_json::Map::len),
                others.len()
            );
            proptest::prop_assert_eq!(
                &selector["matchExpressions"],
                &serde_json::json!([{"key": key, "operator": "In", "values": [old, new]}])
            );
            let renamed = text.replacen(&format!("      {key}: \"{old}\"\n"), &format!("      {key}: \"{new}\"\n"), 1);
            let (now, then) = changed_region(&widened, &renamed);
            proptest::prop_assert_eq!(replace_block(&widened, &now, &then), Some(renamed));
        }
    }

    #[test]
    fn an_option_joins_an_existing_annotation() {
        let text = "kind: X\nmetadata:\n  name: a\n  annotations:\n    o/sync: Prune=false\n";
        assert_eq!(
            add_to_annotation(text, (0, 5), "o/sync", "Force=true").unwrap(),
            "kind: X\nmetadata:\n  name: a\n  annotations:\n    o/sync: Prune=false,Force=true\n"
        );
        let (a, b) = changed_region("x\ny\nz\n", "x\nY\nQ\nz\n");
        assert_eq!((a.as_str(), b.as_str()), ("y\n", "Y\nQ\n"));
    }

    #[test]
    fn lines_move_past_insertions_and_removals_above_them() {
        let before = "a\nb\nc\nd\n";
        let after = "a\nX\nY\nb\nd\n";
        let changes = hunks(before, after);
        assert_eq!(moved_line(&changes, 1), 1);
        assert_eq!(moved_line(&changes, 2), 4);
        assert_eq!(moved_line(&changes, 4), 5);
    }

    #[test]
    fn documents_are_listed_and_replaced() {
        let text = "a: 1\n---\nb: 2\nc: 3\n---\nd: 4\n";
        assert_eq!(documents(text), [(0, 1), (2, 4), (5, 6)]);
        assert_eq!(lines_of(text, (2, 4)), "b: 2\nc: 3\n");
        assert_eq!(
            replace_lines(text, (2, 4), "x: 0\n"),
            "a: 1\n---\nx: 0\n---\nd: 4\n"
        );
    }

    #[test]
    fn the_document_of_a_line_is_found() {
        let text = "a: 1\n---\nb: 2\nc: 3\n---\nd: 4\n";
        assert_eq!(document_at(text, 4), Some((2, 4)));
        assert_eq!(document_at(text, 1), Some((0, 1)));
        assert_eq!(parse_range(text, (2, 4)).unwrap()["c"], 3);
    }

    #[test]
    fn a_patch_entry_joins_or_creates_the_list() {
        let entry = "- path: x.yaml\n";
        let (text, _) =
            add_patch_entry("resources: [a]\npatches:\n  - path: y.yaml\n", entry).unwrap();
        assert_eq!(
            text,
            "resources: [a]\npatches:\n  - path: x.yaml\n  - path: y.yaml\n"
        );
        let (text, block) = add_patch_entry("resources: [a]", entry).unwrap();
        assert_eq!(text, "resources: [a]\npatches:\n- path: x.yaml\n");
        assert_eq!(block, "patches:\n- path: x.yaml\n");
    }

    proptest::proptest! {
        #[test]
        fn reverting_a_single_change_gives_the_old_text_back(
            old in proptest::collection::vec("[a-d]{1,2}", 0..10),
            at in 0usize..10,
            removed in 0usize..3,
            inserted in proptest::collection::vec("[a-d]{1,2}", 0..3),
        ) {
            let at = at.min(old.len());
            let removed = removed.min(old.len() - at);
            let mut new = old.clone();
            new.splice(at..at + removed, inserted);
            let (old, new) = (with_newlines(&old), with_newlines(&new));
            let changes = hunks(&old, &new);
            proptest::prop_assume!(changes.len() == 1);
            let ((_, _), (start, _)) = changes[0];
            proptest::prop_assert_eq!(revert_at(&old, &new, start + 1), Some(old));
        }
    }

    #[test]
    fn only_the_change_at_the_line_is_reverted() {
        let old = "a\nb\nc\nd\n";
        let new = "a\nB\nc\nd\nE\n";
        assert_eq!(revert_at(old, new, 2).unwrap(), "a\nb\nc\nd\nE\n");
        assert_eq!(revert_at(old, new, 5).unwrap(), "a\nB\nc\nd\n");
        assert_eq!(revert_at(old, new, 3), None);
        let added = "a\nb\nx\ny\nc\nd\n";
        assert_eq!(revert_at(old, added, 4).unwrap(), old);
        // The same edit elsewhere goes with it; another edit stays.
        let labels = "s:\n  app: web\nt:\n    app: web\nimage: 1\n";
        let changed = "s:\n  app: shop\nt:\n    app: shop\nimage: 2\n";
        assert_eq!(
            revert_at(labels, changed, 2).unwrap(),
            "s:\n  app: web\nt:\n    app: web\nimage: 2\n"
        );
    }
}
