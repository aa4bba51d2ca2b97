//! The suspects ranking as lines of words, whole: what the browser's
//! overlay shows (wrapped to its width) where the CLI prints a table.
//! Each line stands alone, so a narrow screen wraps it without losing a
//! number.

use super::suspects::{CONSECUTIVE_FLAG, HostProblem, Report, Suspect, TaskBefore};

/// How many failed installs a flagged job name's line names.
const EVIDENCE_SHOWN: usize = 3;

/// A line's role, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Heading,
    /// A flagged job name, or a host problem.
    Flagged,
    /// The evidence under a line.
    Detail,
}

fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

impl Report {
    /// Every job name and every host with a failed install, most suspect
    /// first, each with its counts.
    pub fn lines(&self) -> Vec<(Tone, String)> {
        let mut out = vec![(
            Tone::Plain,
            format!(
                "{} host install trials, {} failed ({}).",
                self.trials,
                self.failed,
                percent(self.base_rate)
            ),
        )];
        if self.trials == 0 {
            out.push((Tone::Plain, "No ts-host-install step has run yet.".into()));
            return out;
        }
        out.push((Tone::Plain, String::new()));
        out.push((
            Tone::Heading,
            format!(
                "Job names before failed installs, most suspect first; ! when even the bound of \
                 the failure rate after them at 99% over all the names judged is half again {}, \
                 the rate of the installs ranked.",
                percent(self.ranked_base_rate)
            ),
        ));
        if self.trials_on_flagged_hosts > 0 {
            out.push((
                Tone::Plain,
                format!(
                    "({} trials on the hosts flagged below are left out: their installs fail \
                     whatever ran before.)",
                    self.trials_on_flagged_hosts
                ),
            ));
        }
        if self.suspects.is_empty() {
            out.push((Tone::Plain, "No failed install had a job before it.".into()));
        }
        for s in &self.suspects {
            out.extend(suspect(s));
        }
        out.push((Tone::Plain, String::new()));
        out.push((
            Tone::Heading,
            format!(
                "Hosts with failed installs, worst first; ! a host problem (its installs that no \
                 flagged job preceded fail more than elsewhere, by the bound at 99% over all the hosts \
                 judged); stuck: its \
                 newest {CONSECUTIVE_FLAG} or more installs failed in a row."
            ),
        ));
        if self.hosts.is_empty() {
            out.push((Tone::Plain, "No host has a failed install.".into()));
        }
        out.extend(self.hosts.iter().map(host));
        out.extend(self.task_lines());
        out
    }

    /// The out-of-job tasks part, when the runvars name any.
    fn task_lines(&self) -> Vec<(Tone, String)> {
        if self.tasks.is_empty() {
            return Vec::new();
        }
        let mut out = vec![
            (Tone::Plain, String::new()),
            (Tone::Heading, TASKS_HEADING.to_owned()),
        ];
        for t in &self.tasks {
            out.push((
                Tone::Plain,
                format!(
                    "  {}: before {} installs, {} of them failed",
                    t.task, t.installs, t.failed
                ),
            ));
            out.push((
                Tone::Detail,
                format!(
                    "    newest: {}",
                    t.evidence_words(EVIDENCE_SHOWN).join(", ")
                ),
            ));
        }
        out
    }
}

/// What the tasks part is, for the browser and the CLI alike.
pub const TASKS_HEADING: &str = "Out-of-job tasks (an operator's, mostly) before installs, as \
     the lifecycle runvars of the jobs before each install name them; most installs first. \
     Counted, not scored: a runvar keeps a task only until a good install wipes the table, so \
     the tasks seen are mostly those before failed installs, and their failures say nothing of \
     the task.";

impl TaskBefore {
    /// Its newest `shown` installs, each as "host flight.job ✗|✓".
    pub fn evidence_words(&self, shown: usize) -> Vec<String> {
        self.evidence
            .iter()
            .take(shown)
            .map(|e| {
                format!(
                    "{} {}.{} {}",
                    e.host,
                    e.install_flight,
                    e.job,
                    if e.failed { "✗" } else { "✓" }
                )
            })
            .collect()
    }
}

fn suspect(s: &Suspect) -> Vec<(Tone, String)> {
    let line = format!(
        "{} {}: {} of {} installs after it failed ({}, {:.1}× the rate), score {:.2}",
        if s.flagged { "!" } else { " " },
        s.job,
        s.failures,
        s.uses,
        percent(s.rate),
        s.lift,
        s.score
    );
    if !s.flagged {
        return vec![(Tone::Plain, line)];
    }
    let (mut evidence, more) = s.evidence_words(EVIDENCE_SHOWN);
    if more > 0 {
        evidence.push(format!("{more} more"));
    }
    vec![
        (Tone::Flagged, line),
        (
            Tone::Detail,
            format!(
                "    its run → the install that failed: {}",
                evidence.join(", ")
            ),
        ),
    ]
}

impl Suspect {
    /// Its newest `shown` failed installs, each as "its flight → host
    /// install's flight.job", and how many more it preceded.
    pub fn evidence_words(&self, shown: usize) -> (Vec<String>, u64) {
        let words: Vec<String> = self
            .evidence
            .iter()
            .take(shown)
            .map(|e| format!("{} → {} {}.{}", e.flight, e.host, e.install_flight, e.job))
            .collect();
        let more = self.failures.saturating_sub(words.len() as u64);
        (words, more)
    }
}

fn host(h: &HostProblem) -> (Tone, String) {
    let now = match h.failing_now {
        0 => String::new(),
        n if h.stuck => format!("; stuck: its newest {n} failed in a row"),
        1 => "; its newest failed".to_owned(),
        n => format!("; its newest {n} failed in a row"),
    };
    (
        if h.flagged || h.stuck {
            Tone::Flagged
        } else {
            Tone::Plain
        },
        format!(
            "{} {}: {} of {} installs failed, {} of the {} no flagged job preceded \
             (score {:.2}), longest run {}{now}",
            if h.flagged { "!" } else { " " },
            h.host,
            h.failed_installs,
            h.installs,
            h.unexplained.failures,
            h.unexplained.uses,
            h.score,
            h.consecutive
        ),
    )
}
