//! One report model for `validate` and `check`, printed in four formats.
//!
//! The commands only build a [`Report`]: the directories they built, the rule findings, and
//! warnings (Flux's unresolved variables, …). Each format is a module of its own: `human`
//! (coloured on a terminal), `json` (the documented keys), `sarif` (GitHub code scanning) and
//! `github` (workflow-command annotations). `diagnostic` flattens the model into located,
//! levelled messages for the formats that need one shape for everything.

mod diagnostic;
mod github;
mod human;
mod json;
mod sarif;
#[cfg(test)]
mod tests;

use std::io::Write as _;

/// `--format` and `--color`, shared by `validate` and `check`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct OutputArgs {
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,
    /// When to colour the human report: `auto` colours only on a terminal and honours
    /// `NO_COLOR` and `CLICOLOR_FORCE`.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,
}

/// Output formats of `validate` and `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// A readable report and a summary line.
    Human,
    /// A JSON document with stable keys (see docs/validate-and-check.md).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning (`github/codeql-action/upload-sarif`).
    Sarif,
    /// GitHub Actions workflow commands (`::error file=…,line=…::…`): annotations on the PR.
    Github,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ColorChoice {
    /// Colour when stdout is a terminal and `NO_COLOR` is not set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl From<ColorChoice> for anstream::ColorChoice {
    fn from(choice: ColorChoice) -> Self {
        match choice {
            ColorChoice::Auto => anstream::ColorChoice::Auto,
            ColorChoice::Always => anstream::ColorChoice::Always,
            ColorChoice::Never => anstream::ColorChoice::Never,
        }
    }
}

/// Which command the report is from: decides the JSON shape and the human summary.
#[derive(Debug, Clone)]
pub(crate) enum Subject {
    /// `unstuck validate PATH`.
    Validate,
    /// `unstuck check`: the change from `base` to `head` (as the user named them).
    Check {
        /// `HEAD~1`, a directory…
        base: String,
        /// `HEAD`, `the index`, a directory…
        head: String,
    },
}

/// Everything `validate` or `check` found, with how to name paths for each format.
///
/// What was found is the library's own report (`gitops_repo::Validation` or
/// `gitops_repo::Report`); the JSON format prints it as is. Units and kustomization files are
/// relative to PATH (the directory the user named); sources are relative to the compared tree
/// (the repository root, or the `--head-dir`). `repo_prefix` and `source_prefix` turn each into
/// a path relative to the repository root for SARIF and annotations. All paths are
/// `/`-separated.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    pub(crate) subject: Subject,
    /// PATH relative to the repository root (`""` when PATH is the root, else `apps/`…).
    pub(crate) repo_prefix: String,
    /// The compared tree relative to the repository root: `""` for git revisions, the
    /// `--head-dir` (`examples/gitops/after/`) when it lies inside a repository.
    pub(crate) source_prefix: String,
    /// PATH as the user gave it, for commands the report suggests.
    pub(crate) path_arg: String,
    /// What was found.
    pub(crate) outcome: Outcome,
}

/// The library's findings, for one command or the other.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// `validate`: every unit built.
    Validate(gitops_repo::Validation),
    /// `check`: violations and the units failing at the head.
    Check(gitops_repo::Report),
}

impl Report {
    /// A report of what `outcome` found about `subject`.
    pub(crate) fn new(
        subject: Subject,
        repo_prefix: String,
        path_arg: String,
        outcome: Outcome,
    ) -> Self {
        Self {
            subject,
            repo_prefix,
            source_prefix: String::new(),
            path_arg,
            outcome,
        }
    }

    /// `validate`: every unit built. `check`: the units failing at the head.
    pub(crate) fn builds(&self) -> &[Build] {
        match &self.outcome {
            Outcome::Validate(validation) => &validation.results,
            Outcome::Check(report) => &report.build_failures,
        }
    }

    /// `check`: the rule findings, most severe first.
    pub(crate) fn violations(&self) -> &[Violation] {
        match &self.outcome {
            Outcome::Validate(_) => &[],
            Outcome::Check(report) => &report.violations,
        }
    }

    /// `check`: the findings an acceptance covers, with it.
    pub(crate) fn accepted(&self) -> &[Accepted] {
        match &self.outcome {
            Outcome::Validate(_) => &[],
            Outcome::Check(report) => &report.accepted,
        }
    }

    /// Problems that never fail the run on their own (an unresolved Flux variable, …).
    pub(crate) fn warnings(&self) -> &[Warning] {
        match &self.outcome {
            Outcome::Validate(validation) => &validation.warnings,
            Outcome::Check(report) => &report.warnings,
        }
    }

    /// What the API server's schema check would refuse or warn about in each unit's objects:
    /// all of them for `validate`, those the change introduces for `check`.
    pub(crate) fn problems(&self) -> &[SchemaProblem] {
        match &self.outcome {
            Outcome::Validate(validation) => &validation.problems,
            Outcome::Check(report) => &report.problems,
        }
    }

    /// `check`: what the change does to each unit it touches.
    pub(crate) fn impact(&self) -> &[gitops_repo::impact::Impact] {
        match &self.outcome {
            Outcome::Validate(_) => &[],
            Outcome::Check(report) => &report.impact,
        }
    }

    /// Extra lines for `--verbose` (human format only).
    pub(crate) fn notes(&self) -> &[String] {
        match &self.outcome {
            Outcome::Validate(validation) => &validation.notes,
            Outcome::Check(report) => &report.notes,
        }
    }

    /// Whether the run fails (exit 1): a build the change broke (every failure, for
    /// `validate`) or an `error` finding or schema problem. Warnings and `info` never fail it.
    pub(crate) fn failed(&self) -> bool {
        match &self.outcome {
            Outcome::Validate(validation) => validation.failed(),
            Outcome::Check(report) => report.failed(),
        }
    }

    /// A path relative to PATH, made relative to the repository root.
    pub(crate) fn repo_path(&self, relative: &str) -> String {
        match (self.repo_prefix.as_str(), relative) {
            ("", path) => path.to_owned(),
            (prefix, ".") => prefix.trim_end_matches('/').to_owned(),
            (prefix, path) => format!("{prefix}{path}"),
        }
    }

    /// A source file (relative to the compared tree), made relative to the repository root.
    pub(crate) fn source_path(&self, source: &Source) -> String {
        format!("{}{}", self.source_prefix, source.file)
    }

    /// The command that reproduces one target's build, as the user would type it: `unstuck
    /// build DIR` for a directory; `unstuck validate PATH` for a Flux Kustomization
    /// (`file#namespace/name`), which only a whole-repository run builds.
    pub(crate) fn build_command(&self, dir: &str) -> String {
        if dir.contains('#') {
            let path = match self.path_arg.as_str() {
                "" => ".",
                path => path,
            };
            return format!("unstuck validate {path}");
        }
        let dir = match (self.path_arg.trim_end_matches('/'), dir) {
            ("." | "", dir) => dir.to_owned(),
            (root, ".") => root.to_owned(),
            (root, dir) => format!("{root}/{dir}"),
        };
        format!("unstuck build {dir}")
    }
}

pub(crate) use gitops_repo::accept::Accepted;
/// One unit's build.
pub(crate) use gitops_repo::report::UnitBuild as Build;
pub(crate) use gitops_repo::report::{SchemaProblem, Source, Violation, Warning};

/// Print the report on stdout in the chosen format. `verbose` adds detail to the human
/// format. A closed pipe (`unstuck check | head`) is not an error.
pub(crate) fn print(report: &Report, output: &OutputArgs, verbose: bool) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let result = match output.format {
        Format::Human => {
            let mut out = anstream::AutoStream::new(stdout.lock(), output.color.into());
            human::write(&mut out, report, verbose).and_then(|()| out.flush())
        }
        Format::Json => json::write(&mut stdout.lock(), report),
        Format::Sarif => sarif::write(&mut stdout.lock(), report),
        Format::Github => github::write(&mut stdout.lock(), report),
    };
    match result {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// `1 error`, `2 errors`.
pub(crate) fn plural(count: usize, singular: &str, plural: &str) -> String {
    format!("{count} {}", if count == 1 { singular } else { plural })
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn plural_agrees_with_the_count() {
        assert_eq!(plural(0, "error", "errors"), "0 errors");
        assert_eq!(plural(1, "error", "errors"), "1 error");
        assert_eq!(plural(2, "directory", "directories"), "2 directories");
    }

    #[test]
    fn paths_become_relative_to_the_repository() {
        let mut report = Report::new(
            Subject::Validate,
            String::new(),
            ".".to_owned(),
            Outcome::Validate(gitops_repo::Validation::default()),
        );
        assert_eq!(report.repo_path("apps/prod"), "apps/prod");
        assert_eq!(report.build_command("apps/prod"), "unstuck build apps/prod");
        report.repo_prefix = "deploy/".to_owned();
        report.path_arg = "deploy/".to_owned();
        assert_eq!(report.repo_path("apps/prod"), "deploy/apps/prod");
        assert_eq!(report.repo_path("."), "deploy");
        assert_eq!(report.build_command("."), "unstuck build deploy");
        assert_eq!(report.build_command("a"), "unstuck build deploy/a");
        assert_eq!(
            report.build_command("clusters/prod/apps.yaml#flux-system/apps"),
            "unstuck validate deploy/"
        );
        let source = Source {
            file: "deploy/a/kustomization.yaml".to_owned(),
            line: 3,
            writer: Some("commonLabels".to_owned()),
        };
        assert_eq!(report.source_path(&source), "deploy/a/kustomization.yaml");
        assert_eq!(
            source.to_string(),
            "deploy/a/kustomization.yaml:3 (commonLabels)"
        );
    }
}
