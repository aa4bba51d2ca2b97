//! A host's timeline in the browser: its jobs as bars over wall-clock
//! time, one lane each, with a cursor on one job and a span of time shown
//! that zooms and pans. The picture itself is `lifecycle::timeline`'s;
//! this holds only what the operator moved.

use std::time::Instant;

use super::action::Action;
use super::loadable::Feed;
use super::reaction::{Reaction, Target};
use crate::lifecycle::Failure;
use crate::lifecycle::timeline::{Bar, Timeline};

/// How many days the view first asks for: the CLI's default.
pub const FIRST_DAYS: i64 = 3;
/// The widest window zooming out asks for.
pub const MAX_DAYS: i64 = 96;
/// The narrowest span shown: a few columns a minute at 80 columns.
pub const MIN_SPAN: i64 = 15 * 60;

#[derive(Debug, Clone, PartialEq)]
pub struct TimelineView {
    pub host: String,
    /// The window asked of the database, in days before the host's newest
    /// activity.
    pub days: i64,
    pub feed: Feed<Timeline>,
    /// The selected bar (its index in the timeline's bars).
    pub cursor: usize,
    /// The time shown, `(from, span)` in epoch seconds; `None` shows the
    /// whole window, following it as it moves on.
    pub range: Option<(i64, i64)>,
}

impl TimelineView {
    pub fn new(host: String) -> Self {
        TimelineView {
            host,
            days: FIRST_DAYS,
            feed: Feed::loading(),
            cursor: 0,
            range: None,
        }
    }

    /// Take an answer. The cursor stays on its job across a refresh (a
    /// new job's lane can come before it). An answer for the window
    /// before a zoom out never arrives here: the request for the wider
    /// one made it stale.
    pub fn accept(&mut self, result: Result<Timeline, Failure>, now: Instant) -> Option<Failure> {
        let key = self.selected().map(|b| (b.span.flight, b.span.job.clone()));
        let msg = self.feed.finish(result, now);
        if let Some(t) = self.feed.loaded() {
            self.cursor = key
                .and_then(|(f, j)| {
                    t.bars
                        .iter()
                        .position(|b| b.span.flight == f && b.span.job == j)
                })
                // First look: the newest job, where the trouble usually is.
                .unwrap_or_else(|| t.bars.len().saturating_sub(1));
        }
        msg
    }

    pub fn bars(&self) -> &[Bar] {
        self.feed.loaded().map_or(&[], |t| t.bars.as_slice())
    }

    pub fn selected(&self) -> Option<&Bar> {
        self.bars().get(self.cursor)
    }

    /// The time shown, `(from, to)`: unzoomed, from the first bar's start
    /// (or the window's, if earlier) to the window's end, so that a
    /// quiet start of the window does not squeeze the bars.
    pub fn shown(&self) -> Option<(i64, i64)> {
        let t = self.feed.loaded()?;
        if let Some((from, span)) = self.range {
            return Some((from, from + span));
        }
        let first = t.bars.iter().map(|b| b.span.start).min().unwrap_or(t.from);
        Some((first.clamp(t.from, t.to - 1), t.to))
    }

    pub fn handle(&mut self, action: Action, page: usize) -> Reaction {
        let len = self.bars().len();
        let last = len.saturating_sub(1);
        match action {
            Action::Up => self.move_to(self.cursor.saturating_sub(1)),
            Action::Down => self.move_to((self.cursor + 1).min(last)),
            Action::PageUp => self.move_to(self.cursor.saturating_sub(page.max(1))),
            Action::PageDown => self.move_to((self.cursor + page.max(1)).min(last)),
            Action::Top => self.move_to(0),
            Action::Bottom => self.move_to(last),
            Action::PanLeft => self.pan(-1),
            Action::PanRight => self.pan(1),
            Action::ZoomIn => self.zoom_in(),
            Action::ZoomOut => return self.zoom_out(),
            Action::ZoomAll => self.range = None,
            Action::Open => {
                return self.selected().map_or(Reaction::Used, |b| {
                    Reaction::Open(Target::Runvars {
                        flight: b.span.flight,
                        job: b.span.job.clone(),
                    })
                });
            }
            Action::Blame => {
                return self.selected().map_or(Reaction::Used, |b| Reaction::Blame {
                    flight: b.span.flight,
                    job: b.span.job.clone(),
                });
            }
            Action::Copy => {
                return self.selected().map_or(Reaction::Used, |b| {
                    Reaction::Copy(format!("{}\t{}", b.span.flight, b.span.job))
                });
            }
            _ => return Reaction::Ignored,
        }
        Reaction::Used
    }

    /// Select bar `i`, and bring it into view if it is outside the time
    /// shown: the operator follows the cursor, not the other way round.
    fn move_to(&mut self, i: usize) {
        self.cursor = i;
        let (Some((from, to)), Some(bar)) = (self.shown(), self.selected()) else {
            return;
        };
        let (start, end) = (bar.span.start, bar.span.end.max(bar.span.start));
        if end < from || start > to {
            let span = to - from;
            // Its start a tenth of the way in, so what ran just before
            // shows too.
            self.range = Some((start - span / 10, span));
        }
    }

    /// Move the time shown a quarter of its span earlier (-1) or later.
    fn pan(&mut self, direction: i64) {
        let Some((from, to)) = self.shown() else {
            return;
        };
        let span = to - from;
        self.range = Some((from + direction * (span / 4).max(1), span));
    }

    /// Halve the span shown, about the selected bar's start when it is
    /// in view, else about the middle.
    fn zoom_in(&mut self) {
        let Some((from, to)) = self.shown() else {
            return;
        };
        let span = to - from;
        if span <= MIN_SPAN {
            return;
        }
        let new = (span / 2).max(MIN_SPAN);
        let about = self
            .selected()
            .map(|b| b.span.start)
            .filter(|s| (from..=to).contains(s))
            .unwrap_or(from + span / 2);
        // Keep `about` where it is on the screen.
        let new_from = about - (about - from) * new / span;
        self.range = Some((new_from, new));
    }

    /// Double the span shown, up to all of the window; from there, ask
    /// for twice the days.
    fn zoom_out(&mut self) -> Reaction {
        let Some((from, to)) = self.shown() else {
            return Reaction::Used;
        };
        let Some(_) = self.range.take() else {
            if self.days >= MAX_DAYS {
                return Reaction::Used;
            }
            self.days = (self.days * 2).min(MAX_DAYS);
            return Reaction::Reload;
        };
        let span = to - from;
        let whole = self.shown().map_or(0, |(f, t)| t - f);
        if span * 2 < whole {
            self.range = Some((from - span / 2, span * 2));
        }
        Reaction::Used
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::timeline::{self, JobSpan};

    fn span(flight: i32, job: &str, start: i64, end: i64) -> JobSpan {
        JobSpan {
            flight,
            job: job.into(),
            idents: vec!["host".into()],
            start,
            prep_end: None,
            end,
            status: "pass".into(),
            live: false,
            timed: true,
            installs: vec![],
        }
    }

    fn loaded(jobs: Vec<JobSpan>) -> TimelineView {
        let mut v = TimelineView::new("h1".into());
        let t = timeline::build("h1", jobs, vec![], 86_400, 0);
        assert_eq!(v.accept(Ok(t), Instant::now()), None);
        v
    }

    #[test]
    fn the_cursor_starts_on_the_newest_job_and_stays_on_its_job() {
        let mut v = loaded(vec![span(1, "a", 100, 200), span(2, "b", 300, 400)]);
        assert_eq!(v.selected().map(|b| b.span.job.as_str()), Some("b"));
        v.handle(Action::Up, 10);
        let t = timeline::build(
            "h1",
            vec![
                span(0, "new-first", 50, 60),
                span(1, "a", 100, 200),
                span(2, "b", 300, 400),
            ],
            vec![],
            86_400,
            0,
        );
        v.accept(Ok(t), Instant::now());
        assert_eq!(v.selected().map(|b| b.span.job.as_str()), Some("a"));
        assert_eq!(v.cursor, 1);
    }

    #[test]
    fn zoom_keeps_the_selected_start_in_place_and_pan_moves_a_quarter() {
        let mut v = loaded(vec![
            span(1, "a", 40_000, 50_000),
            span(2, "b", 80_000, 86_400),
        ]);
        assert_eq!(
            v.shown(),
            Some((40_000, 86_400)),
            "unzoomed: from the first start"
        );
        v.handle(Action::Top, 10);
        v.range = Some((0, 86_400));
        v.handle(Action::Bottom, 10);
        v.handle(Action::ZoomIn, 10);
        assert_eq!(v.shown(), Some((40_000, 83_200)));
        v.handle(Action::PanLeft, 10);
        assert_eq!(v.shown(), Some((40_000 - 10_800, 83_200 - 10_800)));
        v.handle(Action::ZoomOut, 10);
        assert_eq!(
            v.shown(),
            Some((40_000, 86_400)),
            "twice the span is past all of it"
        );
        v.handle(Action::ZoomIn, 10);
        v.handle(Action::ZoomIn, 10);
        v.handle(Action::ZoomOut, 10);
        assert_eq!(
            v.shown(),
            Some((64_200, 87_400)),
            "doubled about the middle"
        );
        v.handle(Action::ZoomAll, 10);
        assert_eq!(v.shown(), Some((40_000, 86_400)));
    }

    #[test]
    fn moving_to_a_bar_out_of_view_brings_it_in() {
        let mut v = loaded(vec![
            span(1, "a", 1_000, 2_000),
            span(2, "b", 80_000, 86_400),
        ]);
        v.range = Some((70_000, 10_000));
        v.handle(Action::Up, 10);
        assert_eq!(v.shown(), Some((0, 10_000)));
        v.handle(Action::Down, 10);
        assert_eq!(v.shown(), Some((79_000, 89_000)));
    }

    #[test]
    fn zooming_out_past_the_window_asks_for_more_days() {
        let mut v = loaded(vec![span(1, "a", 1_000, 86_400)]);
        assert_eq!(v.handle(Action::ZoomOut, 10), Reaction::Reload);
        assert_eq!(v.days, FIRST_DAYS * 2);
        v.days = MAX_DAYS;
        assert_eq!(v.handle(Action::ZoomOut, 10), Reaction::Used);
    }

    #[test]
    fn enter_opens_the_selected_jobs_runvars() {
        let mut v = loaded(vec![span(7, "job-x", 100, 200)]);
        assert_eq!(
            v.handle(Action::Open, 10),
            Reaction::Open(Target::Runvars {
                flight: 7,
                job: "job-x".into()
            })
        );
    }
}
