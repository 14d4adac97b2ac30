//! `GitTreeFs` against real repositories made with the `git` command line.
#![cfg(feature = "git")]

use std::path::Path;
use std::process::Command;

use kustomize_build::fs::{Filesystem, GitTreeFs};

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?} failed");
}

fn repo_with_two_commits() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    std::fs::create_dir_all(root.join("apps/base")).unwrap();
    std::fs::write(
        root.join("apps/base/kustomization.yaml"),
        "resources: [cm.yaml]\n",
    )
    .unwrap();
    std::fs::write(root.join("apps/base/cm.yaml"), "old\n").unwrap();
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "one"]);
    std::fs::write(root.join("apps/base/cm.yaml"), "new\n").unwrap();
    std::os::unix::fs::symlink("base", root.join("apps/link")).unwrap();
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "two"]);
    dir
}

#[test]
fn reads_each_revision_without_a_checkout() {
    let repo = repo_with_two_commits();
    let mount = Path::new("/repo");
    let head = GitTreeFs::at_revision(repo.path(), "HEAD", mount).unwrap();
    let previous = GitTreeFs::at_revision(repo.path(), "HEAD~1", mount).unwrap();
    assert_eq!(
        head.read(Path::new("/repo/apps/base/cm.yaml")).unwrap(),
        b"new\n"
    );
    assert_eq!(
        previous.read(Path::new("/repo/apps/base/cm.yaml")).unwrap(),
        b"old\n"
    );
    assert_eq!(
        head.read_dir(Path::new("/repo/apps")).unwrap(),
        vec!["base", "link"]
    );
    assert!(head.is_dir(Path::new("/repo/apps/base")));
    assert!(!previous.exists(Path::new("/repo/apps/link")));
}

#[test]
fn follows_symbolic_links_stored_in_the_tree() {
    let repo = repo_with_two_commits();
    let head = GitTreeFs::at_revision(repo.path(), "HEAD", Path::new("/repo")).unwrap();
    assert!(head.is_dir(Path::new("/repo/apps/link")));
    assert_eq!(
        head.canonicalize(Path::new("/repo/apps/link/cm.yaml"))
            .unwrap(),
        Path::new("/repo/apps/base/cm.yaml")
    );
    assert_eq!(
        head.read(Path::new("/repo/apps/link/cm.yaml")).unwrap(),
        b"new\n"
    );
}

#[test]
fn reads_the_index_for_staged_changes() {
    let repo = repo_with_two_commits();
    std::fs::write(repo.path().join("apps/base/cm.yaml"), "staged\n").unwrap();
    git(repo.path(), &["add", "apps/base/cm.yaml"]);
    std::fs::write(repo.path().join("apps/base/cm.yaml"), "unstaged\n").unwrap();
    let index = GitTreeFs::from_index(repo.path(), Path::new("/repo")).unwrap();
    assert_eq!(
        index.read(Path::new("/repo/apps/base/cm.yaml")).unwrap(),
        b"staged\n"
    );
}

#[test]
fn unknown_revision_is_a_clear_error() {
    let repo = repo_with_two_commits();
    let error =
        GitTreeFs::at_revision(repo.path(), "no-such-branch", Path::new("/repo")).unwrap_err();
    assert!(error.to_string().contains("no-such-branch"), "{error}");
}

#[test]
fn blob_ids_identify_content_across_revisions() {
    use kustomize_build::fs::{ContentId, RecordingFs};
    let repo = repo_with_two_commits();
    let mount = Path::new("/repo");
    let head = GitTreeFs::at_revision(repo.path(), "HEAD", mount).unwrap();
    let previous = GitTreeFs::at_revision(repo.path(), "HEAD~1", mount).unwrap();
    let kustomization = Path::new("/repo/apps/base/kustomization.yaml");
    let cm = Path::new("/repo/apps/base/cm.yaml");
    assert!(matches!(head.content_id(cm), Some(ContentId::GitSha1(_))));
    assert_eq!(
        head.content_id(kustomization),
        previous.content_id(kustomization)
    );
    assert_ne!(head.content_id(cm), previous.content_id(cm));
    // Through the symbolic link: the blob of the file it points to.
    assert_eq!(
        head.content_id(Path::new("/repo/apps/link/cm.yaml")),
        head.content_id(cm)
    );
    assert_eq!(head.content_id(Path::new("/repo/apps")), None);

    // A recording of the old revision's reads replays on the new one only where the files it
    // read are unchanged.
    let only_kustomization = RecordingFs::new(&previous);
    only_kustomization.read(kustomization).unwrap();
    let trace = only_kustomization.into_trace();
    assert!(trace.replays_on(&head));
    let both = RecordingFs::new(&previous);
    both.read(kustomization).unwrap();
    both.read(cm).unwrap();
    let trace = both.into_trace();
    assert!(!trace.replays_on(&head));
    assert!(trace.replays_on(&previous));
}
