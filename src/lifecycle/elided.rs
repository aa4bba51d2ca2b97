//! `[n]` expanded: which build jobs a runvar's placeholder stands for.
//!
//! The runvar keeps only the count. While the host's rows are in the
//! table, the listing is computed again for the job and the rows it
//! leaves out are the jobs, less those the runvar names: a job that ran
//! alongside when the runvar was written is named there, but its task has
//! ended since and today's listing would leave it out too. (A count that
//! still differs is said.) Once the job's own rows are gone, the host
//! was wiped since, and the passing install after the job says when.
//! Pure: `db::read::elided` reads the parts.

use serde::Serialize;

use super::listing::{ListingContext, listing};
use super::{DEFAULT_IDENT, ScanRow};
use crate::timefmt;

/// One job left out into the placeholder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ElidedJob {
    pub flight: i32,
    pub job: String,
    pub ident: String,
    pub stepno: i32,
    pub lcseq: i32,
    /// Its job status, while the job row exists.
    pub status: Option<String>,
}

/// The reinstall that wiped the rows, as the steps tell it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reinstall {
    pub flight: i32,
    pub job: String,
    pub finished: i64,
}

/// What the placeholder comes to now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Expansion {
    /// The job's rows are in the table: the listing computed again.
    Listed { jobs: Vec<ElidedJob> },
    /// The job's rows are gone: the host was wiped since, by `by` if a
    /// passing install of it after the job is known (else by hand).
    Wiped { by: Option<Reinstall> },
    /// The job's `<ident>` runvar names no host.
    NoHost,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Elided {
    pub flight: i32,
    pub job: String,
    /// The lifecycle runvar's name.
    pub name: String,
    pub host: Option<String>,
    /// The placeholder's count, as the runvar says.
    pub count: u32,
    pub expansion: Expansion,
}

/// The rows of `rows` (one host's, in lcseq order) that the listing for
/// `(flight, job)` leaves out into its placeholder, but for the jobs its
/// runvar names (`named`, as flight and job).
pub fn elided_rows(
    rows: &[ScanRow<'_>],
    flight: i32,
    job: &str,
    named: &[(i32, &str)],
) -> Vec<ElidedJob> {
    let l = listing(
        rows,
        ListingContext {
            flight: Some(flight),
            job,
            // Only a build host's listings have a placeholder.
            build_host: true,
        },
    );
    l.elided
        .iter()
        .filter_map(|&i| {
            let r = &rows[i];
            let j = r.job.as_ref()?;
            if named.contains(&(j.flight, &*j.job)) {
                return None;
            }
            Some(ElidedJob {
                flight: j.flight,
                job: j.job.to_string(),
                ident: j.ident.to_string(),
                stepno: j.stepno,
                lcseq: r.lcseq,
                status: None,
            })
        })
        .collect()
}

/// Whether `rows` hold any row of `(flight, job)`.
pub fn has_own_rows(rows: &[ScanRow<'_>], flight: i32, job: &str) -> bool {
    rows.iter().any(|r| {
        r.job
            .as_ref()
            .is_some_and(|j| j.flight == flight && j.job == job)
    })
}

impl Elided {
    /// The expansion as the report overlay shows it (which escapes what
    /// it draws: the names here are raw).
    pub fn lines(&self) -> Vec<String> {
        let host = self.host.clone().unwrap_or_else(|| "its host".to_owned());
        let mut out = vec![format!(
            "[{}] in {}.{} {}: build jobs that used {host} before it, not alongside",
            self.count, self.flight, self.job, self.name
        )];
        match &self.expansion {
            Expansion::NoHost => out.push(format!(
                "the job's {} runvar names no host: nothing to look up",
                self.name.strip_suffix("_lifecycle").unwrap_or(DEFAULT_IDENT)
            )),
            Expansion::Wiped { by } => out.push(match by {
                Some(r) => format!(
                    "wiped: {host} was reinstalled by {}.{} (install ended {}), and its rows went with it",
                    r.flight,
                    r.job,
                    timefmt::utc_zoned(r.finished)
                ),
                None => format!(
                    "wiped: the job's rows are no longer in the table ({host} was wiped since, by hand or by an install not on record)"
                ),
            }),
            Expansion::Listed { jobs } => {
                let n = u32::try_from(jobs.len()).unwrap_or(u32::MAX);
                if n != self.count {
                    out.push(format!(
                        "the table now gives {n}, not {}: its rows have changed since the runvar was written",
                        self.count
                    ));
                }
                out.push(String::new());
                for j in jobs {
                    let ident = if j.ident == DEFAULT_IDENT {
                        String::new()
                    } else {
                        format!(" as {}", j.ident)
                    };
                    let own = if (j.flight, j.job.as_str()) == (self.flight, self.job.as_str()) {
                        " (this job)"
                    } else {
                        ""
                    };
                    out.push(format!(
                        "  {}.{}{own}  step {}{ident}  row {}  {}",
                        j.flight,
                        j.job,
                        j.stepno,
                        j.lcseq,
                        j.status.as_deref().unwrap_or("(job gone)")
                    ));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::RowJob;

    fn row(lcseq: i32, taskid: i32, job: &str, isprep: bool) -> ScanRow<'static> {
        ScanRow {
            lcseq,
            taskid,
            live: false,
            job: Some(RowJob {
                flight: 5,
                job: job.to_owned().into(),
                ident: "host".into(),
                stepno: 2,
                isprep,
            }),
        }
    }

    /// Two earlier builds used the build host, one prepared it (shown),
    /// and the job itself: the placeholder is the two plain uses, and the
    /// job's own plain use too (its task is dead and it did not prepare
    /// the host: spec section 5, rule 7, does not spare own entries).
    #[test]
    fn the_placeholder_is_the_plain_earlier_uses() {
        let rows = [
            row(1, 10, "build-a", false),
            row(2, 11, "build-b", true),
            row(3, 11, "build-b", false),
            row(4, 12, "build-c", false),
            row(5, 13, "me", false),
        ];
        let got: Vec<_> = elided_rows(&rows, 5, "me", &[])
            .into_iter()
            .map(|j| (j.job, j.lcseq))
            .collect();
        assert_eq!(
            got,
            [
                ("build-a".to_owned(), 1),
                ("build-c".to_owned(), 4),
                ("me".to_owned(), 5)
            ]
        );
        // build-c named in the runvar (it ran alongside then): not
        // among what the placeholder stands for.
        let named: Vec<_> = elided_rows(&rows, 5, "me", &[(5, "build-c")])
            .into_iter()
            .map(|j| j.job)
            .collect();
        assert_eq!(named, ["build-a", "me"]);
        assert!(has_own_rows(&rows, 5, "me"));
        assert!(!has_own_rows(&rows, 6, "me"));
    }
}
