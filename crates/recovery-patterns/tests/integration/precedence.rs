//! The cause inside a wrapper decides the action: every wrapper of the audit around every cause.

use recovery_patterns::{Context, Verdict, UNKNOWN_PATTERN};

use crate::samples::{CAUSES, WRAPPERS};
use crate::support::{classify, BUILTIN};

#[test]
fn every_cause_sample_is_decided_by_its_pattern() {
    for (pattern, message) in CAUSES {
        assert_eq!(classify(message, None).pattern, *pattern, "{message}");
    }
    let causes: Vec<&str> = CAUSES.iter().map(|(name, _)| *name).collect();
    let wrappers: Vec<&str> = WRAPPERS.iter().map(|(name, _)| *name).collect();
    for entry in BUILTIN.patterns() {
        let priority = entry.priority.unwrap();
        let listed = if priority > 10 { &causes } else { &wrappers };
        assert!(
            listed.contains(&entry.name.as_str()),
            "{} has no sample",
            entry.name
        );
    }
}

#[test]
fn a_wrapper_alone_is_decided_by_itself_or_the_unknown_default() {
    for (pattern, template) in WRAPPERS {
        let message = template.replace("{}", "something broke");
        let said = match BUILTIN.verdict(&Context::new(&message)) {
            Verdict::Known(found) => found.pattern,
            Verdict::Unknown(failure) => failure.pattern,
            Verdict::NotAFailure => "not a failure".to_owned(),
        };
        assert_eq!(said, *pattern, "{message}");
    }
}

#[test]
fn the_cause_decides_whatever_wraps_it() {
    let mut wrong = Vec::new();
    for (_, template) in WRAPPERS {
        for (cause, inner) in CAUSES {
            let alone = classify(inner, None);
            let message = template.replace("{}", inner);
            let wrapped = classify(&message, None);
            // A more specific cause may name the same failure (a missing namespace inside a
            // values reference is a missing referenced object); a wrapper never decides.
            let decided_by_a_cause = wrapped.pattern == *cause
                || BUILTIN
                    .patterns()
                    .any(|p| p.name == wrapped.pattern && p.priority.unwrap() > 10);
            if wrapped.action != alone.action || !decided_by_a_cause {
                wrong.push(format!(
                    "{cause} inside {template:?}: {} → {} instead of {}",
                    wrapped.pattern, wrapped.action, alone.action
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_ne!(UNKNOWN_PATTERN, "helm-upgrade-failed");
}

#[test]
fn the_two_examples_of_the_issue() {
    let immutable = classify(
        r#"Helm upgrade failed for release apps/web with chart web@2.0.0: cannot patch "web" with kind Deployment: Deployment.apps "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{}: field is immutable"#,
        Some("HelmRelease"),
    );
    assert_eq!(
        immutable.action,
        recovery_patterns::Action::RecreateResource
    );
    let version = classify(
        "HelmChart 'flux-system/apps-web' is not ready: invalid chart reference: failed to get chart version for remote reference: no 'web' chart with version matching '2.x' found",
        Some("HelmRelease"),
    );
    assert_eq!(version.action, recovery_patterns::Action::FixInGit);
    assert_eq!(version.pattern, "source-ref-not-found");
}

#[test]
fn an_apply_change_log_never_decides_nor_names_the_target() {
    // kustomize-controller `apply`: the error, then one line per object that did apply.
    let message = "Job/apps/migrate dry-run failed (Invalid): Job.batch \"migrate\" is invalid: spec.template: Invalid value: core.PodTemplateSpec{}: field is immutable\nNamespace/apps-being-terminated created\nDeployment/apps/web configured\n";
    let found = classify(message, Some("Kustomization"));
    assert_eq!(found.pattern, "field-immutable");
    let target = found.target.unwrap();
    assert_eq!(target.to_string(), "Job/apps/migrate");
    assert_eq!(
        BUILTIN.meaningful_line(&Context::new(message)),
        message.lines().next().unwrap()
    );
    // A change log alone is what succeeded: not a failure.
    let applied = "Deployment/apps/web configured\nService/apps/web created";
    assert_eq!(
        BUILTIN.verdict(&Context::new(applied)),
        Verdict::NotAFailure
    );
}
