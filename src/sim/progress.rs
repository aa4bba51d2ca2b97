//! A terminal progress bar for seeding, for the CLI to use or not. It stays
//! hidden for the first second, so quick runs (tests, small seeds) print
//! nothing.

use std::cell::Cell;
use std::time::{Duration, Instant};

use indicatif::{ProgressDrawTarget, ProgressStyle};

use super::{Progress, Stage};

/// How long a run must take before the bar appears.
const SHOW_AFTER: Duration = Duration::from_secs(1);

/// A bar on stderr fed by [`super::seed`]'s progress callback:
/// `seed(config, &cfg, &|p| bar.report(p))`, then `bar.finish()`.
pub struct ProgressBar {
    bar: indicatif::ProgressBar,
    started: Instant,
    shown: Cell<bool>,
    stage: Cell<Option<Stage>>,
}

impl Default for ProgressBar {
    fn default() -> Self {
        Self::new()
    }
}

impl ProgressBar {
    pub fn new() -> ProgressBar {
        let bar = indicatif::ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        // The template is a constant: a failure here is a bug caught by
        // the unit test, and the default style is an acceptable fallback.
        if let Ok(style) =
            ProgressStyle::with_template("{msg:>10} [{bar:40}] {human_pos}/{human_len} {eta}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        ProgressBar {
            bar,
            started: Instant::now(),
            shown: Cell::new(false),
            stage: Cell::new(None),
        }
    }

    pub fn report(&self, p: Progress) {
        if !self.shown.get() && self.started.elapsed() >= SHOW_AFTER {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown.set(true);
        }
        if self.stage.get() != Some(p.stage) {
            self.stage.set(Some(p.stage));
            self.bar.reset();
            self.bar.set_message(match p.stage {
                Stage::Plan => "planning",
                Stage::Load => "loading",
                Stage::Record => "recording",
                Stage::Finish => "finishing",
            });
        }
        self.bar.set_length(p.total);
        self.bar.set_position(p.done);
    }

    /// Remove the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parses() {
        assert!(
            ProgressStyle::with_template("{msg:>10} [{bar:40}] {human_pos}/{human_len} {eta}")
                .is_ok()
        );
    }

    #[test]
    fn hidden_at_first() {
        let bar = ProgressBar::new();
        bar.report(Progress {
            stage: Stage::Record,
            done: 1,
            total: 2,
        });
        assert!(!bar.shown.get());
        assert_eq!(bar.bar.position(), 1);
    }
}
