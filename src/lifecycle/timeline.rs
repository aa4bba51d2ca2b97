//! A host's timeline: every job that used it in a window of wall-clock
//! time as a bar from when it had the host to its last step's end, one
//! lane per job so that overlap shows; its install (prep.) part told from
//! its use; its outcome; install attempts and operators' out-of-job uses
//! as markers. Pure: `db::read::timeline` reads the parts, the CLI draws
//! it as SVG or HTML.

use serde::Serialize;

use super::health::Outcome;

/// One job's time on the host, as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobSpan {
    pub flight: i32,
    pub job: String,
    /// The idents it used the host as (`host`, `src_host`, …).
    pub idents: Vec<String>,
    /// When it had the host: the end of its host allocation, else its
    /// first step's start.
    pub start: i64,
    /// The end of its last `ts-host-install*` step, when it installed
    /// the host: the bar's prep. part runs from `start` to here.
    pub prep_end: Option<i64>,
    /// Its last step's end (or start, for a step still going).
    pub end: i64,
    pub status: String,
    /// A row of it in the lifecycle table has a live task: it holds the
    /// host now. A job osstest still calls running whose task has ended
    /// (its flight was killed) does not.
    pub live: bool,
    /// Its times are its steps'. Else none of its steps has a time, and
    /// it is placed (as a point) after the lifecycle row before its own,
    /// or at its flight's start.
    pub timed: bool,
    /// Its install attempts of the host: when each started, whether it
    /// failed.
    pub installs: Vec<(i64, bool)>,
}

/// An out-of-job use of the host by a task (an operator's, mostly),
/// from the lifecycle table. The table has no times: it is placed after
/// the row before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskUse {
    pub taskid: i32,
    /// `static ian@node`, while the task row exists.
    pub label: Option<String>,
    pub live: bool,
    /// The start of the step of the lifecycle row before it, if any.
    pub after: Option<i64>,
}

/// A bar: one job in its lane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bar {
    pub lane: usize,
    #[serde(flatten)]
    pub span: JobSpan,
    pub outcome: Outcome,
    /// Still running, its task live: the bar stays open to the window's
    /// end, which is then now.
    pub open: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkerKind {
    /// A good install: the host was reinstalled (and its table wiped).
    Install,
    FailedInstall,
    /// An out-of-job use by a task.
    Task,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Marker {
    pub at: i64,
    pub kind: MarkerKind,
    /// The job's lane for installs; none for tasks.
    pub lane: Option<usize>,
    pub label: String,
    /// A task still live: it holds the host to now, the window's end.
    pub open: bool,
}

/// The whole picture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Timeline {
    pub host: String,
    pub from: i64,
    pub to: i64,
    /// Oldest start first, one lane each.
    pub bars: Vec<Bar>,
    pub markers: Vec<Marker>,
    /// Jobs that used the host before the window (not drawn).
    pub earlier: usize,
    /// Jobs that used the host with no time to place them by: none of
    /// their steps has one, nor their flight, and the table has no row
    /// of them (not drawn).
    pub unplaced: usize,
}

/// The round spans, in seconds, a timeline's axis ticks at: the picture
/// picks the first that leaves room between its labels.
pub const TICK_STEPS: [i64; 14] = [
    60,
    300,
    900,
    1_800,
    3_600,
    3 * 3_600,
    6 * 3_600,
    12 * 3_600,
    86_400,
    2 * 86_400,
    7 * 86_400,
    14 * 86_400,
    28 * 86_400,
    56 * 86_400,
];

/// Lay `jobs` and `tasks` out over `[to - window, to]`: bars in order of
/// start, one lane each. `to` is `now` while a job runs with its task
/// live, or an out-of-job task is live (they hold the host to now), else
/// the newest time among them, so that a host idle for a while still
/// shows its last jobs.
pub fn build(
    host: &str,
    mut jobs: Vec<JobSpan>,
    tasks: Vec<TaskUse>,
    window: i64,
    now: i64,
) -> Timeline {
    let newest = jobs
        .iter()
        .map(|j| j.end)
        .chain(tasks.iter().filter_map(|t| t.after))
        .max()
        .unwrap_or(0);
    let running = |j: &JobSpan| j.live && Outcome::of(&j.status) == Outcome::Running;
    let to = if jobs.iter().any(running) || tasks.iter().any(|t| t.live) {
        newest.max(now)
    } else {
        newest
    };
    let from = to - window.max(1);
    let before = jobs.len();
    jobs.retain(|j| j.end >= from || running(j));
    let earlier = before - jobs.len();
    jobs.sort_by(|a, b| (a.start, a.flight, &a.job).cmp(&(b.start, b.flight, &b.job)));
    let mut markers = Vec::new();
    let bars: Vec<Bar> = jobs
        .into_iter()
        .enumerate()
        .map(|(lane, span)| {
            for &(at, failed) in &span.installs {
                markers.push(Marker {
                    at,
                    kind: if failed {
                        MarkerKind::FailedInstall
                    } else {
                        MarkerKind::Install
                    },
                    lane: Some(lane),
                    label: format!(
                        "{} {}.{}",
                        if failed { "failed install" } else { "install" },
                        span.flight,
                        span.job
                    ),
                    open: false,
                });
            }
            let outcome = Outcome::of(&span.status);
            Bar {
                lane,
                open: outcome == Outcome::Running && span.live,
                outcome,
                span,
            }
        })
        .collect();
    for t in tasks {
        let at = t.after.unwrap_or(from).max(from);
        markers.push(Marker {
            at,
            kind: MarkerKind::Task,
            lane: None,
            label: format!(
                "task {}{}{}",
                t.taskid,
                t.label.map_or_else(String::new, |l| format!(" {l}")),
                if t.live { ", live" } else { "" }
            ),
            open: t.live,
        });
    }
    markers.sort_by_key(|m| m.at);
    Timeline {
        host: host.to_owned(),
        from,
        to,
        bars,
        markers,
        earlier,
        unplaced: 0,
    }
}

impl Bar {
    /// The bar's end as drawn: open bars reach the window's end.
    pub fn drawn_end(&self, t: &Timeline) -> i64 {
        if self.open { t.to } else { self.span.end }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(job: &str, start: i64, end: i64, status: &str) -> JobSpan {
        JobSpan {
            flight: 1,
            job: job.into(),
            idents: vec!["host".into()],
            start,
            prep_end: None,
            end,
            live: status == "running",
            timed: true,
            status: status.into(),
            installs: vec![],
        }
    }

    #[test]
    fn lanes_by_start_and_the_window_cuts_old_jobs() {
        let mut b = span("b", 500, 900, "running");
        b.installs = vec![(510, true), (600, false)];
        let t = build(
            "h1",
            vec![b, span("a", 100, 700, "pass"), span("old", 10, 20, "fail")],
            vec![TaskUse {
                taskid: 9,
                label: Some("static ian@x".into()),
                live: true,
                after: Some(650),
            }],
            1000,
            950,
        );
        assert_eq!((t.from, t.to, t.earlier), (-50, 950, 0), "to now: b runs");
        let t2 = build(
            "h1",
            vec![span("a", 100, 700, "pass"), span("old", 10, 20, "fail")],
            vec![],
            600,
            5000,
        );
        assert_eq!(
            (t2.from, t2.to, t2.bars.len(), t2.earlier),
            (100, 700, 1, 1),
            "nothing holds the host: the window ends at its newest activity"
        );
        // A job running since long before the window is still drawn.
        let t3 = build(
            "h1",
            vec![
                span("stuck", 10, 20, "running"),
                span("a", 100, 700, "pass"),
            ],
            vec![],
            600,
            5000,
        );
        let open: Vec<_> = t3
            .bars
            .iter()
            .map(|b| (b.span.job.as_str(), b.open))
            .collect();
        assert_eq!((t3.from, t3.to), (4400, 5000));
        assert_eq!(open, [("stuck", true)]);
        assert_eq!(t3.bars[0].drawn_end(&t3), 5000);
        // Its task has ended (the flight was killed): it holds nothing.
        let mut dead = span("stuck", 10, 20, "running");
        dead.live = false;
        let t4 = build(
            "h1",
            vec![dead, span("a", 100, 700, "pass")],
            vec![],
            600,
            5000,
        );
        let open: Vec<_> = t4
            .bars
            .iter()
            .map(|b| (b.span.job.as_str(), b.open))
            .collect();
        assert_eq!((t4.to, t4.earlier), (700, 1));
        assert_eq!(open, [("a", false)]);
        let jobs: Vec<_> = t
            .bars
            .iter()
            .map(|b| (b.lane, b.span.job.as_str(), b.open))
            .collect();
        assert_eq!(jobs, [(0, "old", false), (1, "a", false), (2, "b", true)]);
        let kinds: Vec<_> = t.markers.iter().map(|m| (m.at, m.kind, m.lane)).collect();
        assert_eq!(
            kinds,
            [
                (510, MarkerKind::FailedInstall, Some(2)),
                (600, MarkerKind::Install, Some(2)),
                (650, MarkerKind::Task, None)
            ]
        );
        assert_eq!(t.markers[2].label, "task 9 static ian@x, live");
        assert!(t.markers[2].open && !t.markers[1].open);
    }
}
