//! Unified diffs of whole-file edits, in the form `git apply` reads.

/// The unified diff turning `before` into `after` for the file `path` (relative to the tree):
/// one hunk from the first to the last changed line, with up to three lines of context. An
/// empty string when nothing changes.
pub(crate) fn unified(path: &str, before: &str, after: &str) -> String {
    if before == after {
        return String::new();
    }
    let old: Vec<&str> = before.split_inclusive('\n').collect();
    let new: Vec<&str> = after.split_inclusive('\n').collect();
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let start = prefix.saturating_sub(3);
    let old_end = (old.len() - suffix + 3).min(old.len());
    let new_end = (new.len() - suffix + 3).min(new.len());
    let mut out = format!("diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n");
    out.push_str("@@ -");
    out.push_str(&range(start, old_end - start));
    out.push_str(" +");
    out.push_str(&range(start, new_end - start));
    out.push_str(" @@\n");
    let mut line = |sign: char, text: &str| {
        out.push(sign);
        out.push_str(text);
        if !text.ends_with('\n') {
            out.push_str("\n\\ No newline at end of file\n");
        }
    };
    for text in &old[start..prefix] {
        line(' ', text);
    }
    for text in &old[prefix..old.len() - suffix] {
        line('-', text);
    }
    for text in &new[prefix..new.len() - suffix] {
        line('+', text);
    }
    for text in &old[old.len() - suffix..old_end] {
        line(' ', text);
    }
    out
}

/// A hunk range: `start,count` counted from 1, or the line before an empty range.
fn range(start: usize, count: usize) -> String {
    if count == 0 {
        format!("{start},0")
    } else {
        format!("{},{count}", start + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::unified;

    #[test]
    fn a_middle_insertion_has_context_on_both_sides() {
        let before = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let after = "a\nb\nc\nd\nX\ne\nf\ng\nh\n";
        assert_eq!(
            unified("k.yaml", before, after),
            "diff --git a/k.yaml b/k.yaml\n--- a/k.yaml\n+++ b/k.yaml\n@@ -2,6 +2,7 @@\n b\n c\n d\n+X\n e\n f\n g\n"
        );
    }

    #[test]
    fn an_append_to_an_unterminated_file_says_so() {
        let diff = unified("k.yaml", "a", "a\nb\n");
        assert!(
            diff.ends_with("@@ -1,1 +1,2 @@\n-a\n\\ No newline at end of file\n+a\n+b\n"),
            "{diff}"
        );
    }

    /// Apply a one-hunk diff made by [`unified`] to `before`, as `git apply` would.
    fn apply(before: &str, diff: &str) -> String {
        let lines: Vec<&str> = before.split_inclusive('\n').collect();
        let hunk = diff.split("@@ -").nth(1).unwrap();
        let start: usize = hunk.split([',', ' ']).next().unwrap().parse().unwrap();
        let body = &hunk[hunk.find("@@\n").unwrap() + 3..];
        let mut out: Vec<String> = lines[..start.saturating_sub(1)]
            .iter()
            .map(|l| (*l).to_owned())
            .collect();
        let mut consumed = start.saturating_sub(1);
        let mut last: Option<char> = None;
        for line in body.split_inclusive('\n') {
            if line.starts_with('\\') {
                // The previous line had no newline at the end.
                if last == Some('+') || last == Some(' ') {
                    let previous = out.last_mut().unwrap();
                    previous.pop();
                }
                continue;
            }
            let (sign, text) = line.split_at(1);
            last = sign.chars().next();
            match sign {
                " " => {
                    out.push(text.to_owned());
                    consumed += 1;
                }
                "-" => consumed += 1,
                "+" => out.push(text.to_owned()),
                _ => unreachable!(),
            }
        }
        out.extend(lines[consumed..].iter().map(|l| (*l).to_owned()));
        out.concat()
    }

    proptest::proptest! {
        #[test]
        fn the_diff_turns_before_into_after(
            before in proptest::collection::vec("[a-c]{0,2}", 0..12),
            after in proptest::collection::vec("[a-c]{0,2}", 0..12),
        ) {
            let before = before.join("\n") + if before.is_empty() { "" } else { "\n" };
            let after = after.join("\n") + if after.is_empty() { "" } else { "\n" };
            let diff = unified("f", &before, &after);
            if before == after {
                proptest::prop_assert!(diff.is_empty());
            } else {
                proptest::prop_assert_eq!(apply(&before, &diff), after);
            }
        }
    }

    #[test]
    fn no_change_no_diff() {
        assert_eq!(unified("k.yaml", "a\n", "a\n"), "");
    }
}
