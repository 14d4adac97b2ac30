//! Property tests: arbitrary input never panics, and classification is deterministic.

use proptest::prelude::*;
use recovery_patterns::retry::{RetryPolicy, RetryState};
use recovery_patterns::{parse_target, PatternConfig};

use crate::support::BUILTIN;

/// Pieces of real messages, recombined to reach the target parser's edge cases.
const FRAGMENTS: &[&str] = &[
    " dry-run failed",
    " is invalid: ",
    " is forbidden: ",
    "cannot patch \"",
    "\" with kind ",
    "Source '",
    "timeout waiting for: [",
    "dependency '",
    "in namespace ",
    " because it is being terminated",
    ": Invalid value",
    ": field is immutable",
    ": Forbidden",
    "Deployment/",
    "apps/",
    "web",
    "\"",
    "'",
    "/",
    " ",
    "é",
    "\u{3000}",
    "[",
    "]",
    "spec.selector",
    "The ",
    "Service",
    ".apps",
    "field is immutable",
];

fn fragment_message() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..24).prop_map(|parts| parts.concat())
}

proptest! {
    #[test]
    fn classify_never_panics_on_arbitrary_text(message in any::<String>(), carrier in prop::option::of("[A-Za-z]{0,12}")) {
        let patterns = &*BUILTIN;
        let first = patterns.classify(&message, carrier.as_deref());
        prop_assert_eq!(first, patterns.classify(&message, carrier.as_deref()));
    }

    #[test]
    fn verdict_agrees_with_classify_and_never_panics(message in any::<String>(), reason in prop::option::of("[A-Za-z]{0,16}")) {
        let context = recovery_patterns::Context { message: &message, reason: reason.as_deref(), ..recovery_patterns::Context::default() };
        let verdict = BUILTIN.verdict(&context);
        let classified = BUILTIN.classify_with(&context);
        prop_assert_eq!(verdict.classification(), classified.as_ref());
        let line = BUILTIN.meaningful_line(&context);
        prop_assert!(message.contains(line));
    }

    #[test]
    fn target_parser_never_panics_on_recombined_fragments(message in fragment_message()) {
        let _ = parse_target(&message, Some("Kustomization"));
        let _ = BUILTIN.classify(&message, None);
    }

    #[test]
    fn config_reader_never_panics(text in any::<String>()) {
        let _ = PatternConfig::from_yaml(&text);
    }

    #[test]
    fn config_reader_never_panics_on_yamlish_text(text in "(patterns|name|error_pattern|recovery_action|max_retries|: |\n|  - |\\[|\\]|\\{|\\}|fix_in_git|\\(|x|1|-1|'|\"|kind: ConfigMap|data)*") {
        let _ = PatternConfig::from_yaml(&text);
    }

    #[test]
    fn retry_state_never_acts_beyond_max_retries(times in prop::collection::vec(0u64..10_000, 1..60), max in 0u32..5) {
        let policy = RetryPolicy { max_retries: max, ..RetryPolicy::default() };
        let mut state = RetryState::new("Kustomization/a/b", "p");
        let mut acted = 0;
        for now in times {
            if let recovery_patterns::retry::RetryDecision::Act { attempt } = state.observe(now, &policy) {
                prop_assert_eq!(attempt, acted + 1);
                state.record_attempt(now, &policy);
                acted += 1;
            }
        }
        prop_assert!(acted <= max);
        let json = serde_json::to_string(&state).unwrap();
        prop_assert_eq!(serde_json::from_str::<RetryState>(&json).unwrap(), state);
    }
}
