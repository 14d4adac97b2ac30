//! Turn a Flux, Helm or Kubernetes error message into a decision: which pattern it is, what to
//! do, how urgent it is, and which object it is about.
//!
//! Reconciliation errors arrive wrapped in text that changed across Flux, Helm and Kubernetes
//! releases (`X dry-run failed, reason: Invalid, error: …` became `X dry-run failed (Invalid): …`;
//! Helm adds `cannot patch "x" with kind K:`). The built-in patterns match the *inner* message the
//! API server or Helm wrote, so they survive wrapper changes; every *cause* pattern ranks above
//! every *wrapper* pattern (`Helm upgrade failed …`, `HelmChart … is not ready`), so the cause
//! inside a wrapper decides the action. All patterns are compiled into one [`regex::RegexSet`]
//! and tried most specific first. A failure no pattern matches is not dropped: [`PatternSet::verdict`]
//! gives it the documented [`Verdict::Unknown`] default, distinct from progress and success
//! messages ([`Verdict::NotAFailure`]). The object a message names is found by
//! plain substring scans ([`parse_target`]). Configuration follows the `recovery-patterns.yaml`
//! format, read strictly ([`PatternConfig`]). The retry policy ([`retry`]) is a pure state
//! machine fed with unix seconds, so it needs no clock and round-trips through serde.
//!
//! The library never prints, reads files or the clock.
//!
//! # Example: classify a message
//!
//! ```
//! use recovery_patterns::{Action, PatternSet, Severity};
//!
//! let patterns = PatternSet::builtin();
//! let message = r#"DaemonSet/jhub/eosfuse dry-run failed (Invalid): DaemonSet.apps "eosfuse" is invalid: spec.selector: Invalid value: v1.LabelSelector{}: field is immutable"#;
//! let found = patterns.classify(message, Some("Kustomization")).expect("a known message");
//! assert_eq!(found.action, Action::RecreateResource);
//! assert_eq!(found.severity, Severity::High);
//! let target = found.target.expect("the message names an object");
//! assert_eq!((target.kind.as_str(), target.namespace.as_deref(), target.name.as_str()), ("DaemonSet", Some("jhub"), "eosfuse"));
//! assert_eq!(target.field.as_deref(), Some("spec.selector"));
//!
//! // Progress and success messages match nothing.
//! assert!(patterns.classify("Reconciliation in progress", None).is_none());
//! ```
//!
//! # Example: the cause inside a wrapper decides, and nothing is silent
//!
//! ```
//! use recovery_patterns::{Action, Context, PatternSet, Verdict, UNKNOWN_SEVERITY};
//!
//! let patterns = PatternSet::builtin();
//! let chart = "HelmChart 'flux-system/apps-web' is not ready: invalid chart reference: failed to get chart version for remote reference: no 'web' chart with version matching '2.x' found";
//! assert_eq!(patterns.classify(chart, Some("HelmRelease")).unwrap().action, Action::FixInGit);
//!
//! let Verdict::Unknown(failure) = patterns.verdict(&Context::new("Could not determine release state: boom")) else {
//!     unreachable!("an unmatched failure gets the unknown default");
//! };
//! assert_eq!((failure.pattern.as_str(), failure.severity, failure.next_step.as_str()), ("unknown", UNKNOWN_SEVERITY, "investigate"));
//! assert_eq!(patterns.verdict(&Context::new("Applied revision: main@sha1:4f1c2b7d")), Verdict::NotAFailure);
//! ```
//!
//! # Example: user patterns over the built-ins
//!
//! ```
//! use recovery_patterns::{Action, PatternSet};
//!
//! let yaml = r#"
//! recovery_actions:
//!   page_oncall: {description: "Page the on-call engineer"}
//! patterns:
//!   - name: quota
//!     error_pattern: "exceeded quota"
//!     recovery_action: page_oncall
//!     severity: high
//!     max_retries: 1
//! "#;
//! let patterns = PatternSet::builtin_with_yaml(yaml)?;
//! let found = patterns.classify(r#"pods "x" is forbidden: exceeded quota: compute"#, None).unwrap();
//! assert_eq!(found.action, Action::Custom("page_oncall".into()));
//! // The built-ins are still there.
//! assert_eq!(patterns.classify("upgrade retries exhausted", None).unwrap().action, Action::ResetHelmRelease);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Example: a strict reader
//!
//! ```
//! use recovery_patterns::PatternConfig;
//!
//! let error = PatternConfig::from_yaml(
//!     "patterns:\n  - name: x\n    error_pattern: boom\n    recovery_action: restart_everything\n",
//! ).unwrap_err();
//! assert_eq!(error.line(), Some(4));
//! assert!(error.to_string().contains("unknown recovery action `restart_everything`"));
//! ```
//!
//! # Crate features
//!
//! None: the crate has no optional parts.

#![forbid(unsafe_code)]

mod action;
mod builtin;
mod config;
mod lines;
pub mod retry;
mod set;
mod target;
mod verdict;
mod yaml;

pub use action::{Action, Severity};
pub use config::{
    ActionDefinition, AdditionalConditions, ConfigError, ConfigErrorKind, MinOccurrences,
    PatternConfig, PatternEntry, CONFIGMAP_KEY,
};
pub use set::{Classification, Context, PatternSet, DEFAULT_MAX_RETRIES, DEFAULT_USER_PRIORITY};
pub use target::{parse_target, Target};
pub use verdict::{UnknownFailure, Verdict, UNKNOWN_NEXT_STEP, UNKNOWN_PATTERN, UNKNOWN_SEVERITY};

// The README (the crates.io page) is doctested too, so its example cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
