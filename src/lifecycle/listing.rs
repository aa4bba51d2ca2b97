//! The listing: the history of a host, as seen from one job, in the compact
//! text form stored in that job's `<ident>_lifecycle` runvar.
//!
//! Both passes are linear in the number of rows: `later_notprep` is one
//! backward sweep with a set, and the listing keeps the index of the entry
//! a bare step would continue instead of searching back for it. The sets
//! hash with `FxHash`: their keys are short and not attacker-chosen.

use rustc_hash::{FxBuildHasher, FxHashSet};

use super::text::{continues, is_passed_over};
use super::{DEFAULT_IDENT, ScanRow, Sigil};

/// Who is asking: the job whose runvar the listing becomes, and what kind
/// of host it is about.
#[derive(Debug, Clone, Copy)]
pub struct ListingContext<'a> {
    /// The caller's flight; `None` for an outside observer (no row is
    /// then its own, and every entry names its flight).
    pub flight: Option<i32>,
    pub job: &'a str,
    /// The host is shared with a share type starting `build-`: earlier,
    /// non-concurrent build jobs are then elided into a `[n]` placeholder.
    pub build_host: bool,
}

/// Per-row facts the listing derived, for views that explain a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListingFlags {
    pub later_notprep: bool,
    pub concurrent: bool,
    pub own: bool,
}

/// A computed listing: the runvar items in order, per scanned row the
/// flags that decided its entry, and the rows left out into the `[n]`
/// placeholder (build-host elision), which the runvar only counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub items: Vec<String>,
    pub flags: Vec<ListingFlags>,
    pub elided: Vec<usize>,
}

impl Listing {
    /// The runvar value: the items, then the sigil if any, joined by
    /// single spaces.
    pub fn runvar(&self, sigil: Option<Sigil>) -> String {
        let mut out = self.items.join(" ");
        if let Some(sigil) = sigil {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push(sigil.as_char());
        }
        out
    }
}

/// For each row, whether it is a prep row followed (greater lcseq) by a
/// non-prep row of the same flight, job, ident and task. Out-of-job rows
/// are never prep rows and never match.
pub fn later_notprep(rows: &[ScanRow<'_>]) -> Vec<bool> {
    // Sized up front: growing a set rehashes every key it holds so far.
    let mut used: FxHashSet<(i32, &str, &str, i32)> =
        FxHashSet::with_capacity_and_hasher(rows.len(), FxBuildHasher);
    let mut out = vec![false; rows.len()];
    for (i, row) in rows.iter().enumerate().rev() {
        let Some(j) = &row.job else { continue };
        let key = (j.flight, &*j.job, &*j.ident, row.taskid);
        if j.isprep {
            out[i] = used.contains(&key);
        } else {
            used.insert(key);
        }
    }
    out
}

/// The dedup key of a row: `[@]<who>` in the runvar's terms, kept as
/// borrowed parts so that no string is built for rows that are skipped.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Key<'a> {
    Task(i32),
    Job {
        prep: bool,
        /// `None`: the caller's own flight (not written).
        flight: Option<i32>,
        /// `None`: the caller's own job (not written).
        job: Option<&'a str>,
    },
}

/// Append `n` in decimal: `write!` goes through the formatting machinery,
/// which was a quarter of the listing's time.
fn push_int(out: &mut String, n: i32) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// `who` in the runvar's terms: `<flight>.` for another flight, the job
/// name for another job; reusing the caller's buffer.
#[inline]
fn write_who(who: &mut String, flight: Option<i32>, job: Option<&str>) {
    who.clear();
    if let Some(f) = flight {
        push_int(who, f);
        who.push('.');
    }
    if let Some(j) = job {
        who.push_str(j);
    }
}

/// Compute the listing of `rows` (one host's rows in lcseq order) as seen
/// by the job in `ctx`.
pub fn listing(rows: &[ScanRow<'_>], ctx: ListingContext<'_>) -> Listing {
    let lnp = later_notprep(rows);
    let mut items: Vec<String> = Vec::with_capacity(rows.len().min(1024));
    let mut flags = Vec::with_capacity(rows.len());
    let mut seen: FxHashSet<Key<'_>> =
        FxHashSet::with_capacity_and_hasher(rows.len(), FxBuildHasher);
    // The placeholder for elided build jobs (its index), and the rows it
    // stands for.
    let mut placeholder: Option<usize> = None;
    let mut elided = Vec::new();
    // The last item that is not passed over (see `text::is_passed_over`):
    // the only one a bare step may continue.
    let mut last_full: Option<usize> = None;
    let mut seen_us = false;
    // Reused for each row's `who`, to spare an allocation per row.
    let mut who = String::new();

    for (row, &later_notprep) in rows.iter().zip(&lnp) {
        // Any row after our own first row ran while we held the host, so it
        // counts as concurrent even if its task is dead by now.
        let concurrent = (seen_us || row.live) && !later_notprep;
        let own = row
            .job
            .as_ref()
            .is_some_and(|j| Some(j.flight) == ctx.flight && j.job == ctx.job);
        if own {
            seen_us = true;
        }
        flags.push(ListingFlags {
            later_notprep,
            concurrent,
            own,
        });
        let plus = concurrent && !own;
        let marks = match (plus, row.job.as_ref().is_some_and(|j| j.isprep)) {
            (false, false) => "",
            (true, false) => "+",
            (false, true) => "@",
            (true, true) => "+@",
        };

        let Some(job) = &row.job else {
            // Out-of-job use: a task token, never elided or compressed.
            if seen.insert(Key::Task(row.taskid)) {
                let mut item = String::with_capacity(marks.len() + 12);
                item.push_str(marks);
                item.push('?');
                push_int(&mut item, row.taskid);
                items.push(item);
            }
            continue;
        };
        let other_flight = (Some(job.flight) != ctx.flight).then_some(job.flight);
        let other_job = (job.job != ctx.job).then_some(&*job.job);
        let key = |prep| Key::Job {
            prep,
            flight: other_flight,
            job: other_job,
        };
        if !seen.insert(key(job.isprep)) {
            continue;
        }

        if marks.is_empty()
            && !concurrent
            && ctx.build_host
            // Do not elide a use whose prep we showed.
            && !seen.contains(&key(true))
        {
            // The count is written once, at the end: whatever it is, the
            // placeholder is neither continued nor passed over.
            elided.push(flags.len() - 1);
            if placeholder.is_none() {
                placeholder = Some(items.len());
                last_full = Some(items.len());
                items.push("[1]".to_owned());
            }
            continue;
        }

        write_who(&mut who, other_flight, other_job);
        let suffix = if job.ident == DEFAULT_IDENT {
            ""
        } else {
            &job.ident
        };
        let compressed = last_full.is_some_and(|at| continues(&items[at], &who, suffix));
        let mut item = String::with_capacity(marks.len() + who.len() + suffix.len() + 12);
        item.push_str(marks);
        if compressed {
            push_int(&mut item, job.stepno);
        } else {
            item.push_str(&who);
            item.push(':');
            push_int(&mut item, job.stepno);
            if !suffix.is_empty() {
                item.push(',');
                item.push_str(suffix);
            }
        }
        if !is_passed_over(&item) {
            last_full = Some(items.len());
        }
        items.push(item);
    }
    if let Some(at) = placeholder {
        items[at] = format!("[{}]", elided.len());
    }
    Listing {
        items,
        flags,
        elided,
    }
}

#[cfg(test)]
mod tests {
    use super::super::RowJob;
    use super::*;

    fn row(
        lcseq: i32,
        taskid: i32,
        live: bool,
        job: Option<(i32, &str, i32, &str, bool)>,
    ) -> ScanRow<'static> {
        ScanRow {
            lcseq,
            taskid,
            live,
            job: job.map(|(flight, job, stepno, ident, isprep)| RowJob {
                flight,
                job: job.to_owned().into(),
                stepno,
                ident: ident.to_owned().into(),
                isprep,
            }),
        }
    }

    fn ctx(flight: i32, job: &str, build_host: bool) -> ListingContext<'_> {
        ListingContext {
            flight: Some(flight),
            job,
            build_host,
        }
    }

    fn text(rows: &[ScanRow], c: ListingContext<'_>) -> String {
        listing(rows, c).items.join(" ")
    }

    #[test]
    fn spec_worked_example() {
        let rows = [
            row(1, 7, false, Some((100, "build-a", 2, "host", true))),
            row(2, 7, false, Some((100, "build-a", 5, "host", false))),
            row(3, 8, false, Some((100, "build-b", 3, "host", false))),
            row(4, 9, true, Some((100, "build-c", 3, "host", true))),
        ];
        let l = listing(&rows, ctx(100, "build-d", true));
        assert_eq!(
            l.runvar(Some(Sigil::Prep)),
            "@build-a:2 5 [1] +@build-c:3 @"
        );
    }

    #[test]
    fn prep_superseded_by_use_is_not_concurrent() {
        let rows = [
            row(1, 7, true, Some((100, "a", 2, "host", true))),
            row(2, 7, true, Some((100, "a", 5, "host", false))),
        ];
        assert_eq!(text(&rows, ctx(100, "b", false)), "@a:2 +5");
        let f = listing(&rows, ctx(100, "b", false)).flags;
        assert!(f[0].later_notprep && !f[0].concurrent);
        assert!(!f[1].later_notprep && f[1].concurrent);
    }

    #[test]
    fn later_notprep_needs_same_task_and_ident() {
        let rows = [
            row(1, 7, true, Some((100, "a", 2, "host", true))),
            row(2, 8, true, Some((100, "a", 3, "host", false))),
            row(3, 7, true, Some((100, "a", 4, "src_host", false))),
        ];
        assert_eq!(later_notprep(&rows), vec![false, false, false]);
    }

    #[test]
    fn own_rows_get_no_concurrent_mark_and_set_seen_us() {
        let rows = [
            row(1, 5, false, Some((100, "x", 2, "host", false))),
            row(2, 6, true, Some((100, "me", 2, "host", true))),
            row(3, 7, false, Some((100, "y", 3, "host", false))),
        ];
        // x ran before us and is dead: not concurrent; y came after our
        // first row: concurrent although its task is dead now.
        assert_eq!(text(&rows, ctx(100, "me", false)), "x:2 @:2 +y:3");
    }

    #[test]
    fn dedup_keeps_first_row_of_each_key() {
        let rows = [
            row(1, 5, true, Some((100, "x", 2, "host", true))),
            row(2, 5, true, Some((100, "x", 3, "host", true))),
            row(3, 5, true, Some((100, "x", 4, "host", false))),
            row(4, 5, true, Some((100, "x", 5, "host", false))),
        ];
        assert_eq!(text(&rows, ctx(100, "me", false)), "@x:2 +4");
    }

    #[test]
    fn task_tokens() {
        let rows = [
            row(1, 29, false, None),
            row(2, 5, true, None),
            row(3, 5, true, None),
        ];
        assert_eq!(text(&rows, ctx(100, "me", true)), "?29 +?5");
    }

    #[test]
    fn elision_placeholder_counts_in_place() {
        let rows = [
            row(1, 5, false, Some((200, "b1", 2, "host", false))),
            row(2, 6, false, Some((201, "b2", 2, "host", true))),
            row(3, 6, false, Some((201, "b2", 3, "host", false))),
            row(4, 7, false, Some((202, "b3", 2, "host", false))),
        ];
        assert_eq!(text(&rows, ctx(203, "b4", true)), "[2] @201.b2:2 3");
        // Not a build host: nothing is elided.
        assert_eq!(
            text(&rows, ctx(203, "b4", false)),
            "200.b1:2 @201.b2:2 3 202.b3:2"
        );
    }

    #[test]
    fn compression_respects_ident_suffix_and_dedup_ignores_it() {
        let rows = [
            row(1, 2, true, Some((300, "pair", 2, "src_host", true))),
            row(2, 2, true, Some((300, "pair", 3, "dst_host", true))),
            row(3, 2, true, Some((300, "pair", 4, "dst_host", false))),
            row(4, 2, true, Some((300, "pair", 4, "src_host", false))),
        ];
        // The dst_host prep and the src_host use repeat keys already given
        // an entry (the key has no ident), so they are skipped.
        assert_eq!(
            text(&rows, ctx(300, "xl", false)),
            "@pair:2,src_host +pair:4,dst_host"
        );
        let rows = [
            row(1, 2, true, Some((300, "pair", 2, "src_host", true))),
            row(2, 2, true, Some((300, "pair", 4, "src_host", false))),
        ];
        assert_eq!(text(&rows, ctx(300, "xl", false)), "@pair:2,src_host +4");
    }

    #[test]
    fn own_entries_are_passed_over_for_compression() {
        let rows = [
            row(1, 2, true, Some((100, "build-amd64", 2, "host", true))),
            row(2, 3, true, Some((100, "build-i386", 2, "host", false))),
            row(3, 2, true, Some((100, "build-amd64", 3, "host", false))),
        ];
        // `:2` is ours; `+3` continues build-amd64, the entry before it.
        assert_eq!(
            text(&rows, ctx(100, "build-i386", false)),
            "@build-amd64:2 :2 +3"
        );
    }

    #[test]
    fn cross_flight_who() {
        let rows = [
            row(1, 24, false, Some((699, "build-arm64", 2, "host", true))),
            row(2, 24, false, Some((699, "build-arm64", 3, "host", false))),
        ];
        assert_eq!(text(&rows, ctx(701, "build-arm64", true)), "@699.:2 3");
    }

    #[test]
    fn outside_observer_spells_out_every_flight() {
        let rows = [
            row(1, 7, false, Some((100, "a", 2, "host", true))),
            row(2, 7, true, Some((100, "a", 5, "host", false))),
            row(3, 9, true, None),
        ];
        let observer = ListingContext {
            flight: None,
            job: "",
            build_host: false,
        };
        assert_eq!(text(&rows, observer), "@100.a:2 +5 +?9");
    }

    #[test]
    fn empty_listing_and_sigils() {
        let l = listing(&[], ctx(1, "j", false));
        assert_eq!(l.runvar(None), "");
        assert_eq!(l.runvar(Some(Sigil::Use)), "+");
    }
}
