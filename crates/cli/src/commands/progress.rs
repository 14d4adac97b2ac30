//! A progress bar for long builds, on stderr and only when stderr is a terminal: piped or CI
//! output stays exactly the report.

use std::io::IsTerminal as _;
use std::time::Duration;

use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Below this many targets a build is over before a bar would help.
const MIN_TARGETS: usize = 8;

/// Counts finished builds of one tree.
pub(crate) struct BuildProgress {
    bar: ProgressBar,
}

impl BuildProgress {
    /// A bar for `total` builds labelled `label` (`HEAD~1`, `building`…); hidden unless stderr
    /// is a terminal, `NO_PROGRESS` is unset and there are enough targets to wait for.
    pub(crate) fn start(label: &str, total: usize) -> Self {
        let visible = total >= MIN_TARGETS
            && std::io::stderr().is_terminal()
            && std::env::var_os("NO_PROGRESS").is_none();
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(total as u64), target);
        if let Ok(style) =
            ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {wide_msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(label.to_owned());
        bar.enable_steady_tick(Duration::from_millis(200));
        Self { bar }
    }

    /// One more target built.
    pub(crate) fn built(&self, name: &str) {
        self.bar.set_message(name.to_owned());
        self.bar.inc(1);
    }

    /// Remove the bar, leaving the terminal as it was.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// One bar per snapshot the library renders.
#[derive(Default)]
pub(crate) struct Bars {
    current: Mutex<Option<BuildProgress>>,
}

impl Bars {
    fn with_bar(&self, f: impl FnOnce(&mut Option<BuildProgress>)) {
        // A poisoned lock only means a build thread panicked; the bar is cosmetic.
        let mut current = self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut current);
    }
}

impl gitops_repo::Progress for Bars {
    fn start(&self, label: &str, total: usize) {
        self.with_bar(|bar| *bar = Some(BuildProgress::start(label, total)));
    }

    fn built(&self, name: &str) {
        self.with_bar(|bar| {
            if let Some(bar) = bar {
                bar.built(name);
            }
        });
    }

    fn finish(&self) {
        self.with_bar(|bar| {
            if let Some(bar) = bar.take() {
                bar.finish();
            }
        });
    }
}
