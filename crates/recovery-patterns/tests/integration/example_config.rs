//! The example configuration in the seed format (`examples/recovery-patterns.yaml`): it reads,
//! round-trips, and its entries behave as documented when merged over the built-ins.

use recovery_patterns::{Action, Context, PatternConfig, PatternSet, Severity, CONFIGMAP_KEY};

fn example_text() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/recovery-patterns.yaml"
    );
    std::fs::read_to_string(path).expect("examples/recovery-patterns.yaml is readable")
}

#[test]
fn reads_every_key_of_the_format() {
    let config = PatternConfig::from_yaml(&example_text()).unwrap();
    let names: Vec<_> = config.patterns.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "resource-quota-exceeded",
            "job-template-changed",
            "image-automation-push-rejected",
            "immutable-after-creation"
        ]
    );
    let quota = &config.patterns[0];
    assert_eq!(
        quota.recovery_action,
        Action::Custom("page_oncall".to_owned())
    );
    assert_eq!(quota.applies_to, ["Kustomization", "HelmRelease"]);
    let automation = &config.patterns[2];
    let conditions = automation.additional_conditions.as_ref().unwrap();
    assert_eq!(
        conditions.min_occurrences.map(|m| (m.count, m.time_window)),
        Some((3, 600))
    );
    assert_eq!(conditions.namespace, ["flux-system"]);
    assert_eq!(config.recovery_actions.len(), 2);
    assert_eq!(config.settings.as_ref().unwrap()["stuck_threshold"], 300);
}

#[test]
fn round_trips_through_yaml() {
    let config = PatternConfig::from_yaml(&example_text()).unwrap();
    let written = config.to_yaml();
    let again = PatternConfig::from_yaml(&written).unwrap();
    assert_eq!(again, config);
    // And writing is stable.
    assert_eq!(again.to_yaml(), written);
}

#[test]
fn bare_document_equals_the_configmap_payload() {
    let text = example_text();
    let wrapped = PatternConfig::from_yaml(&text).unwrap();
    let start = text.find(&format!("{CONFIGMAP_KEY}: |")).unwrap();
    let body: String = text[start..]
        .lines()
        .skip(1)
        .map(|line| line.strip_prefix("    ").unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(PatternConfig::from_yaml(&body).unwrap(), wrapped);
}

#[test]
fn merged_over_builtins_behaves_as_documented() {
    let patterns = PatternSet::builtin_with_yaml(&example_text()).unwrap();

    // The override replaces the built-in of the same name.
    let pvc = patterns
        .classify(r#"PersistentVolumeClaim "data" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests for bound claims"#, None)
        .unwrap();
    assert_eq!(pvc.pattern, "immutable-after-creation");
    assert_eq!(
        pvc.action,
        Action::Custom("escalate_storage_change".to_owned())
    );
    assert_eq!(pvc.severity, Severity::Critical);
    assert_eq!(pvc.max_retries, 0);
    assert!(pvc.validation_required);
    assert!(!pvc.builtin);

    // A user pattern (default priority 100) wins over the built-in `field-immutable`, and its
    // named group supplies the name.
    let job = patterns
        .classify(r#"Job.batch "migrate" is invalid: spec.template: Invalid value: core.PodTemplateSpec{}: field is immutable"#, Some("Kustomization"))
        .unwrap();
    assert_eq!(job.pattern, "job-template-changed");
    assert_eq!(
        job.target.as_ref().map(|t| t.name.as_str()),
        Some("migrate")
    );

    // `applies_to: [Job]` rules the pattern out when neither the carrier nor the target is a Job.
    let deployment = patterns
        .classify(r#"Deployment.apps "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{}: field is immutable"#, Some("Kustomization"))
        .unwrap();
    assert_eq!(deployment.pattern, "field-immutable");
    assert!(deployment.builtin);

    // Namespace and reason conditions.
    let message = "failed to push to remote: ! [rejected] main -> main (non-fast-forward)";
    let mut context = Context {
        message,
        carrier_kind: Some("ImageUpdateAutomation"),
        namespace: Some("flux-system"),
        reason: Some("ReconciliationFailed"),
    };
    let found = patterns.classify_with(&context).unwrap();
    assert_eq!(found.pattern, "image-automation-push-rejected");
    assert_eq!(found.min_occurrences.map(|m| m.count), Some(3));
    context.namespace = Some("team-a");
    assert!(patterns.classify_with(&context).is_none());
    context.namespace = Some("flux-system");
    context.reason = Some("Progressing");
    assert!(patterns.classify_with(&context).is_none());
    context.carrier_kind = Some("Kustomization");
    context.reason = None;
    assert!(patterns.classify_with(&context).is_none());
}

#[test]
fn user_only_set_has_no_builtins() {
    let patterns = PatternSet::from_yaml(&example_text()).unwrap();
    assert_eq!(patterns.len(), 4);
    assert!(patterns
        .classify("upgrade retries exhausted", None)
        .is_none());
}

#[test]
fn builtin_config_is_itself_a_valid_document() {
    let text = PatternSet::builtin_config().to_yaml();
    let config = PatternConfig::from_yaml(&text).unwrap();
    assert_eq!(config, PatternSet::builtin_config());
    assert_eq!(
        PatternSet::from_config(config).unwrap().len(),
        PatternSet::builtin().len()
    );
}

#[test]
fn patterns_are_ordered_by_priority_then_specificity() {
    let yaml = "patterns:\n  - name: short\n    error_pattern: boom\n    recovery_action: fix_in_git\n  - name: long\n    error_pattern: big boom\n    recovery_action: request_reconcile\n  - name: low\n    error_pattern: very big boom indeed\n    recovery_action: retry_source\n    priority: 1\n";
    let patterns = PatternSet::from_yaml(yaml).unwrap();
    let order: Vec<_> = patterns.patterns().map(|p| p.name.as_str()).collect();
    assert_eq!(order, ["long", "short", "low"]);
    assert_eq!(
        patterns
            .classify("a very big boom indeed", None)
            .unwrap()
            .pattern,
        "long"
    );
    assert_eq!(patterns.classify("boom", None).unwrap().pattern, "short");
    let builtin: Vec<i32> = PatternSet::builtin()
        .patterns()
        .map(|p| p.priority.unwrap())
        .collect();
    assert!(builtin.windows(2).all(|w| w[0] >= w[1]), "{builtin:?}");
}

#[test]
fn configurations_built_in_code_are_checked_too() {
    let mut config = PatternSet::builtin_config();
    config.patterns.push(config.patterns[0].clone());
    let error = PatternSet::from_config(config).unwrap_err();
    assert_eq!(error.to_string(), "pattern `namespace-terminating`: pattern name `namespace-terminating` is used more than once");
    let mut config = PatternSet::builtin_config();
    config.patterns[0].error_pattern = "(?<=x)".to_owned();
    assert!(PatternSet::from_config(config)
        .unwrap_err()
        .to_string()
        .contains("not a valid regex"));
    let mut config = PatternSet::builtin_config();
    config.patterns[0].recovery_action = Action::Custom("nobody_knows".to_owned());
    assert!(PatternSet::from_config(config)
        .unwrap_err()
        .to_string()
        .contains("unknown recovery action `nobody_knows`"));
}
