//! Where a failed build points: the file and line to fix, read from the error's root cause, so
//! annotations land on the line that needs the edit rather than on the directory.

use std::path::Path;

use crate::discover::TargetError;
use crate::flux::FluxError;
use kustomize_build::fs::Filesystem;
use kustomize_build::kustomization::FILE_NAMES;
use kustomize_build::BuildError;

use crate::discover::relative_name;

/// The file (relative to `root`) and 1-based line a failed build points at: the malformed
/// file and the line the parser names, or the kustomization line naming a missing resource.
/// `None` when the error names no place under `root`; the report then points at the
/// directory's kustomization file.
fn failure_location(
    fs: &dyn Filesystem,
    root: &Path,
    dir: &Path,
    error: &BuildError,
) -> Option<(String, usize)> {
    let (file, line) = match error.root_cause() {
        BuildError::MalformedYaml { path, message }
        | BuildError::InvalidKustomization { path, message } => {
            (path.clone(), line_in_message(message).unwrap_or(1))
        }
        BuildError::NotFound { path, .. } => {
            // The entry naming it is in this directory's kustomization, or (for a base's own
            // resource) in the kustomization next to the missing path.
            let name = path.file_name()?.to_string_lossy().into_owned();
            [Some(dir), path.parent()]
                .into_iter()
                .flatten()
                .find_map(|candidate| line_naming(fs, candidate, &name))?
        }
        _ => return None,
    };
    file.starts_with(root)
        .then(|| (relative_name(root, &file), line))
}

/// [`failure_location`] for a target: also a Flux Kustomization whose generated kustomization
/// lists a manifest that is not valid YAML.
pub(crate) fn target_failure_location(
    fs: &dyn Filesystem,
    root: &Path,
    dir: &Path,
    error: &TargetError,
) -> Option<(String, usize)> {
    if let TargetError::Flux(FluxError::Manifest { file, message, .. }) = error {
        let line = line_in_message(message).unwrap_or(1);
        return file
            .starts_with(root)
            .then(|| (relative_name(root, file), line));
    }
    failure_location(fs, root, dir, build_error(error)?)
}

/// The kustomize error inside a target's error: the error itself for a directory, the build
/// error a Flux Kustomization's build ran into, if any.
fn build_error(error: &TargetError) -> Option<&BuildError> {
    if let TargetError::Build(error) = error {
        return Some(error);
    }
    let mut cause = std::error::Error::source(error);
    while let Some(error) = cause {
        if let Some(build) = error.downcast_ref::<BuildError>() {
            return Some(build);
        }
        cause = error.source();
    }
    None
}

/// `line 6, column 1: …` → 6.
fn line_in_message(message: &str) -> Option<usize> {
    let rest = &message[message.find("line ")? + "line ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().filter(|&line| line > 0)
}

/// The kustomization file of `dir` and the first line of it that mentions `name`.
fn line_naming(fs: &dyn Filesystem, dir: &Path, name: &str) -> Option<(std::path::PathBuf, usize)> {
    FILE_NAMES.iter().find_map(|file_name| {
        let file = dir.join(file_name);
        let text = String::from_utf8(fs.read(&file).ok()?).ok()?;
        let index = text.lines().position(|line| line.contains(name))?;
        Some((file, index + 1))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kustomize_build::fs::MemFs;
    use kustomize_build::{build, BuildOptions};

    fn locate(files: &[(&str, &str)], dir: &str) -> Option<(String, usize)> {
        let mut fs = MemFs::new();
        for (path, content) in files {
            fs.add_file(format!("/repo/{path}"), content.as_bytes());
        }
        let dir = Path::new("/repo").join(dir);
        let error = build(&fs, &dir, &BuildOptions::new()).expect_err("the build fails");
        failure_location(&fs, Path::new("/repo"), &dir, &error)
    }

    #[test]
    fn a_missing_resource_points_at_the_entry_naming_it() {
        let files = [
            (
                "base/kustomization.yaml",
                "resources:\n  - cm.yaml\n  - missing.yaml\n",
            ),
            (
                "base/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
            ),
            (
                "prod/kustomization.yaml",
                "namespace: p\nresources:\n- ../base\n",
            ),
        ];
        let expected = Some(("base/kustomization.yaml".to_owned(), 3));
        assert_eq!(locate(&files, "base"), expected);
        // Through an overlay, the entry is still the base's.
        assert_eq!(locate(&files, "prod"), expected);
    }

    #[test]
    fn a_missing_base_points_at_the_overlay_line() {
        let files = [(
            "prod/kustomization.yaml",
            "namespace: p\nresources:\n- ../gone\n",
        )];
        assert_eq!(
            locate(&files, "prod"),
            Some(("prod/kustomization.yaml".to_owned(), 3))
        );
    }

    #[test]
    fn malformed_yaml_points_at_the_parser_line() {
        let files = [
            ("a/kustomization.yaml", "resources: [cm.yaml]\n"),
            (
                "a/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  bad: [\n",
            ),
            ("b/kustomization.yml", "resources: [\n"),
        ];
        assert_eq!(locate(&files, "a"), Some(("a/cm.yaml".to_owned(), 6)));
        assert_eq!(
            locate(&files, "b"),
            Some(("b/kustomization.yml".to_owned(), 2))
        );
    }

    #[test]
    fn other_errors_have_no_place() {
        let files = [(
            "a/kustomization.yaml",
            "resources: [https://example.com/x.yaml]\n",
        )];
        assert_eq!(locate(&files, "a"), None);
    }
}
