//! A host's health at a glance: how its recent jobs ended, how long its
//! current install has lasted, and its recent failed installs. Pure:
//! `db::insight::host_health` reads it, the hosts list shows it.

use serde::Serialize;

/// How a job ended, as `jobs.status` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    Broken,
    /// Not ended yet (running, queued, preparing, ...).
    Running,
    /// Ended otherwise (blocked, truncated, aborted, ...).
    Other,
}

impl Outcome {
    pub fn of(status: &str) -> Outcome {
        match status {
            "pass" => Outcome::Pass,
            "fail" => Outcome::Fail,
            "broken" => Outcome::Broken,
            "running" | "queued" | "preparing" | "play" => Outcome::Running,
            _ => Outcome::Other,
        }
    }

    /// The outcome as a word, as JSON spells it.
    pub const fn word(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Broken => "broken",
            Outcome::Running => "running",
            Outcome::Other => "other",
        }
    }

    /// One column of a sparkline: failures stand tall, passes low, so a
    /// run of failures reads as a wall.
    pub const fn glyph(self) -> char {
        match self {
            Outcome::Pass => '▁',
            Outcome::Fail => '█',
            Outcome::Broken => '▆',
            Outcome::Running => '·',
            Outcome::Other => '▃',
        }
    }
}

/// How many of a host's jobs its sparkline shows.
pub const RECENT_JOBS: usize = 20;

/// How far back "failed installs recently" looks.
pub const RECENT_DAYS: i64 = 7;

/// A host's health.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    /// Its newest [`RECENT_JOBS`] jobs' outcomes, oldest first.
    pub outcomes: Vec<Outcome>,
    /// The flight of its newest good install, if it ever had one.
    pub install_flight: Option<i32>,
    /// Jobs that used it from that flight on (the installer included).
    pub jobs_since_install: Option<i64>,
    /// Its failed installs in the last [`RECENT_DAYS`] days.
    pub failed_installs_recently: i64,
    /// `hostlife suspects` flags it: its installs fail whatever ran
    /// before.
    pub suspect: bool,
}

impl Health {
    /// The outcomes as a sparkline, oldest on the left.
    pub fn sparkline(&self) -> String {
        self.outcomes.iter().map(|o| o.glyph()).collect()
    }

    /// Of its recent jobs that ended, those that failed or broke.
    pub fn failures(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Fail | Outcome::Broken))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sparkline_reads_oldest_first_with_failures_tall() {
        let h = Health {
            outcomes: ["pass", "fail", "broken", "blocked", "running"]
                .map(Outcome::of)
                .to_vec(),
            install_flight: Some(7),
            jobs_since_install: Some(2),
            failed_installs_recently: 0,
            suspect: false,
        };
        assert_eq!(h.sparkline(), "▁█▆▃·");
        assert_eq!(h.failures(), 2);
        assert_eq!(
            serde_json::to_value(&h).unwrap()["outcomes"],
            serde_json::json!(["pass", "fail", "broken", "other", "running"])
        );
    }
}
