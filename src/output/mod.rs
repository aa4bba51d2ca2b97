//! How the CLI prints: aligned tables for people, JSON for scripts.

pub mod job_report;
pub mod timeline;

use std::fmt::Write as _;

use unicode_width::UnicodeWidthStr as _;

use hostlife::lifecycle::health::Health;
use hostlife::lifecycle::report::{
    Decoded, EntryDetail, HistoryEntry, HostDetail, HostSummary, JobRunvar, StepInfo,
};
use hostlife::lifecycle::{self, display, suspects};
use hostlife::lifecycle::{JobRelation, Resolved, ResolvedKind, escape, escape_owned, job_view};
use hostlife::tabular;
use hostlife::timefmt::utc_zoned;

/// Text for the terminal, line by line: whatever came from the database
/// shows its control characters escaped (see [`escape`]), so no string
/// in the database can send the terminal a control sequence. Each
/// renderer below escapes the values it places itself, so that a newline
/// in one cannot split a line either; this is the net under them all.
pub fn terminal_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, end) = line
            .strip_suffix('\n')
            .map_or((line, ""), |body| (body, "\n"));
        out.push_str(&escape(body));
        out.push_str(end);
    }
    out
}

/// A plain text table with left-aligned columns, aligned by the width
/// the terminal gives each character (a CJK character takes two
/// columns), with every cell escaped; or the same cells, as they are, as
/// CSV (`--format csv`).
pub struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&'static str]) -> Table {
        Table {
            header: header.to_vec(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The same cells, whole (no padding, nothing cut), as CSV under the
    /// titles. Escaped as the table's are: CSV is read on terminals too,
    /// and only JSON keeps a control character exact.
    pub fn csv(&self) -> String {
        tabular::render(tabular::Format::Csv, &self.header, &self.cells())
    }

    pub fn header(&self) -> &[&'static str] {
        &self.header
    }

    /// The cells, escaped as the text shows them.
    pub fn cells(&self) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .map(|r| r.iter().cloned().map(escape_owned).collect())
            .collect()
    }

    /// The table as the command line set it to print ([`set_fit`]).
    pub fn render(&self) -> String {
        self.render_fit(*FIT.get().unwrap_or(&Fit::Table))
    }

    /// The table, or its rows as records when `fit` says so: a table too
    /// wide for the terminal wraps every line into an unreadable tangle,
    /// where records keep every cell whole (psql's `\x auto`).
    pub fn render_fit(&self, fit: Fit) -> String {
        let shown = self.cells();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.width()).collect();
        for row in &shown {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.width());
            }
        }
        let total = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
        match fit {
            Fit::Records(width) => return self.records(&shown, width),
            Fit::Width(width) if total > width => return self.records(&shown, Some(width)),
            Fit::Width(_) | Fit::Table => {}
        }
        let mut out = String::new();
        let line = |out: &mut String, cells: &mut dyn Iterator<Item = &str>| {
            let mut l = String::new();
            for (i, (cell, w)) in cells.zip(&widths).enumerate() {
                if i > 0 {
                    l.push_str("  ");
                }
                // `{:<w$}` pads by chars, not by columns.
                l.push_str(cell);
                l.extend(std::iter::repeat_n(' ', w.saturating_sub(cell.width())));
            }
            out.push_str(l.trim_end());
            out.push('\n');
        };
        line(&mut out, &mut self.header.iter().copied());
        for row in &shown {
            line(&mut out, &mut row.iter().map(String::as_str));
        }
        out
    }

    /// One record per row, a field per line: its title, then its cell,
    /// wrapped to `width` under itself; empty cells left out.
    fn records(&self, shown: &[Vec<String>], width: Option<usize>) -> String {
        let label = self.header.iter().map(|h| h.width()).max().unwrap_or(0);
        let room = width.map_or(usize::MAX, |w| w.saturating_sub(label + 2).max(20));
        let mut out = String::new();
        for (i, row) in shown.iter().enumerate() {
            let rule = format!("-[ {} of {} ]", i + 1, shown.len());
            let fill = width
                .unwrap_or(80)
                .min(label + 2 + 40)
                .saturating_sub(rule.width());
            out.push_str(&rule);
            out.extend(std::iter::repeat_n('-', fill.max(3)));
            out.push('\n');
            // An empty cell is a field the row does not have.
            for (title, cell) in self.header.iter().zip(row).filter(|(_, c)| !c.is_empty()) {
                let mut lines = wrap(cell, room).into_iter();
                let first = lines.next().unwrap_or_default();
                let line = format!("{title}{}  {first}", " ".repeat(label - title.width()));
                out.push_str(line.trim_end());
                out.push('\n');
                for more in lines {
                    let _ = writeln!(out, "{}{more}", " ".repeat(label + 2));
                }
            }
        }
        out
    }
}

/// How tables print: set once by the command line, for every table of
/// its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// As a table, however wide.
    Table,
    /// As records, wrapped to the width if known.
    Records(Option<usize>),
    /// As a table if it fits the width, else as records.
    Width(usize),
}

static FIT: std::sync::OnceLock<Fit> = std::sync::OnceLock::new();

/// Set how this process's tables print; the first setting stays.
pub fn set_fit(fit: Fit) {
    let _ = FIT.set(fit);
}

/// `text` in lines of at most `room` columns, broken after a space or a
/// comma where there is one (flag lists are comma-separated).
fn wrap(text: &str, room: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthChar as _;
    let mut lines = Vec::new();
    let mut rest = text;
    while rest.width() > room {
        let mut used = 0;
        let mut cut = 0;
        let mut soft = None;
        for (i, c) in rest.char_indices() {
            let w = c.width().unwrap_or(0);
            if used + w > room {
                break;
            }
            used += w;
            cut = i + c.len_utf8();
            if c == ' ' || c == ',' {
                soft = Some(cut);
            }
        }
        // A character wider than the room itself still goes somewhere.
        let at = soft
            .unwrap_or(cut)
            .max(rest.chars().next().map_or(1, char::len_utf8));
        lines.push(rest[..at].trim_end().to_owned());
        rest = &rest[at..];
    }
    if !rest.is_empty() || lines.is_empty() {
        lines.push(rest.to_owned());
    }
    lines
}

fn opt<T: ToString>(v: Option<&T>) -> String {
    v.map_or_else(|| "-".to_owned(), ToString::to_string)
}

fn yes(b: bool, word: &str) -> String {
    if b { word.to_owned() } else { String::new() }
}

fn when(t: Option<i64>) -> String {
    t.map_or_else(|| "-".to_owned(), utc_zoned)
}

/// The hosts list's table (also `hosts --format csv`).
pub fn hosts_table(hosts: &[HostSummary]) -> Table {
    let mut t = Table::new(&[
        "HOST",
        "SHARED",
        "STATE",
        "FLAGS",
        "HELD BY",
        "ROWS",
        "LIVE",
        "RECENT JOBS",
        "ON INSTALL",
        "BAD INSTALLS 7D",
        "LAST JOB",
        "LAST ACTIVITY",
    ]);
    for h in hosts {
        let health = h.health.as_ref();
        t.row(vec![
            h.host.clone(),
            match (&h.sharetype, h.shares) {
                (Some(s), Some(n)) => format!("{s} ×{n}"),
                _ => opt(h.sharetype.as_ref()),
            },
            opt(h.share_state.as_ref()),
            if h.flags.is_empty() {
                "-".into()
            } else {
                h.flags.join(",")
            },
            h.holder.as_ref().map_or("-".into(), |l| {
                let who = display::label_cell(l);
                if l.live { who } else { format!("{who} (dead)") }
            }),
            h.rows.map(|n| n.to_string()).unwrap_or_default(),
            h.live_tasks.to_string(),
            health.map_or_else(|| "-".to_owned(), Health::sparkline),
            health
                .and_then(|h| h.jobs_since_install)
                .map_or_else(|| "-".to_owned(), |n| n.to_string()),
            health.map_or_else(String::new, |h| h.failed_installs_recently.to_string()),
            opt(h.last_job.as_ref()),
            when(h.last_activity),
        ]);
    }
    t
}

pub fn hosts(hosts: &[HostSummary]) -> String {
    let t = hosts_table(hosts);
    let live = hosts.iter().filter(|h| h.live_tasks > 0).count();
    let mut out = format!(
        "{}{}, {live} with live tasks",
        t.render(),
        lifecycle::count(u64::try_from(hosts.len()).unwrap_or(u64::MAX), "host")
    );
    out.push_str(
        "\nRECENT JOBS: the newest 20, oldest first (▁ pass, █ fail, ▆ broken, · running, ▃ other); \
         ON INSTALL: jobs since the last good install; which hosts fail whatever ran before: \
         hostlife suspects\n",
    );
    out
}

fn step_cells(s: Option<&StepInfo>) -> [String; 3] {
    match s {
        Some(s) => [s.step.clone(), opt(s.testid.as_ref()), s.status.clone()],
        None => ["-".into(), "-".into(), "-".into()],
    }
}

/// A host's rows (also `show --format csv`).
pub fn show_table(d: &HostDetail) -> Table {
    let mut t = Table::new(&[
        "LCSEQ",
        "TASK",
        "LIVE",
        "FLIGHT",
        "JOB",
        "STEP",
        "IDENT",
        "PREP",
        "CONC",
        "STEP NAME",
        "TESTID",
        "STATUS",
    ]);
    for r in &d.rows {
        let task = display::task_cell(r.taskid, r.task.as_ref());
        let (flight, job, stepno, ident, prep) = match &r.job {
            Some(j) => (
                j.flight.to_string(),
                j.job.to_string(),
                j.stepno.to_string(),
                j.ident.to_string(),
                if j.isprep {
                    if r.later_notprep { "@ superseded" } else { "@" }
                } else {
                    ""
                },
            ),
            None => (
                "-".into(),
                "(out of job)".into(),
                "-".into(),
                "-".into(),
                "",
            ),
        };
        let [step, testid, status] = step_cells(r.step.as_ref());
        t.row(vec![
            r.lcseq.to_string(),
            task,
            if r.task.as_ref().is_some_and(|t| t.live) {
                "live"
            } else {
                "dead"
            }
            .into(),
            flight,
            job,
            stepno,
            ident,
            prep.into(),
            yes(r.concurrent, "+"),
            step,
            testid,
            status,
        ]);
    }
    t
}

pub fn show(d: &HostDetail) -> String {
    let t = show_table(d);
    let kind = if d.build_host {
        " (shared build host)"
    } else {
        ""
    };
    let mut about = String::new();
    if !d.flags.is_empty() {
        let _ = writeln!(about, "flags: {}", escape(&d.flags.join(" ")));
    }
    for p in &d.properties {
        let _ = writeln!(about, "{}: {}", escape(&p.name), escape(&p.val));
    }
    format!(
        "{}{kind}: {} since the last wipe\n{about}{}final listing now: {}\n",
        escape(&d.host),
        hostlife::lifecycle::count(d.rows.len() as u64, "row"),
        t.render(),
        if d.listing.is_empty() {
            "(empty)"
        } else {
            &d.listing
        }
    )
}

// Offline decoding without --flight/--job resolves against flight 0 and an
// empty job name, which no real job has: show those as the runvar's own.
fn flight_name(flight: i32) -> String {
    if flight == 0 {
        "(this)".into()
    } else {
        flight.to_string()
    }
}

fn job_name(job: &str) -> String {
    if job.is_empty() {
        "(this)".into()
    } else {
        job.to_owned()
    }
}

fn entry_cells(e: &Resolved) -> Vec<String> {
    match &e.kind {
        ResolvedKind::Step {
            flight,
            job,
            stepno,
            ident,
            prep,
            own,
        } => vec![
            flight_name(*flight),
            job_name(job),
            stepno.to_string(),
            ident.clone(),
            yes(*prep, "prep"),
            yes(e.concurrent, "concurrent"),
            yes(*own, "own"),
        ],
        ResolvedKind::Task { taskid } => vec![
            "-".into(),
            format!("(task {taskid})"),
            "-".into(),
            "-".into(),
            String::new(),
            yes(e.concurrent, "concurrent"),
            String::new(),
        ],
        ResolvedKind::Elided { count } => vec![
            "-".into(),
            format!("({count} left out)"),
            "-".into(),
            "-".into(),
            String::new(),
            String::new(),
            String::new(),
        ],
    }
}

const ENTRY_HEADER: [&str; 7] = [
    "FLIGHT",
    "JOB",
    "STEP",
    "IDENT",
    "PREP",
    "CONCURRENT",
    "OWN",
];

/// The per-job view: what could have affected this job.
pub fn job_view_text(entries: &[Resolved], incomplete: bool) -> String {
    let mut out = String::new();
    for line in job_view(entries) {
        let _ = match line {
            JobRelation::Job {
                flight,
                job,
                own,
                relation,
                steps,
            } => writeln!(
                out,
                "  {:<6} {}{} ({} {})",
                relation.label(),
                display::job_label(flight, &job),
                if own && !(flight == 0 && job.is_empty()) {
                    " (this job)"
                } else {
                    ""
                },
                if steps.len() == 1 { "step" } else { "steps" },
                steps
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            JobRelation::Task { taskid, relation } => {
                writeln!(
                    out,
                    "  {:<6} task {taskid}, outside any flight",
                    relation.label()
                )
            }
            JobRelation::Elided { count } => writeln!(
                out,
                "  {count} earlier job{} left out",
                if count == 1 { "" } else { "s" }
            ),
        };
    }
    if incomplete {
        out.push_str("  this job incomplete (its last call was not final)\n");
    }
    out
}

/// A runvar's entries (also `decode --format csv`).
pub fn decoded_table(entries: &[Resolved]) -> Table {
    let mut t = Table::new(&ENTRY_HEADER);
    for e in entries {
        t.row(entry_cells(e));
    }
    t
}

pub fn decoded(entries: &[Resolved], incomplete: bool) -> String {
    format!(
        "{}\n{}",
        decoded_table(entries).render(),
        job_view_text(entries, incomplete)
    )
}

/// A runvar's entries looked up (also `decode --lookup --format csv`);
/// no rows when the runvar is malformed.
pub fn looked_up_table(r: &JobRunvar) -> Table {
    let mut header = ENTRY_HEADER.to_vec();
    header.extend([
        "STEP NAME",
        "TESTID",
        "STATUS",
        "STARTED",
        "JOB STATUS",
        "BLESSING",
    ]);
    let mut t = Table::new(&header);
    for EntryDetail {
        entry,
        step,
        job_status,
        blessing,
        task,
    } in r.entries.iter().flatten()
    {
        let mut cells = entry_cells(entry);
        let [s, testid, status] = step_cells(step.as_ref());
        cells.extend([
            s,
            testid,
            status,
            when(step.as_ref().and_then(|s| s.started)),
        ]);
        cells.push(opt(job_status.as_ref()));
        cells.push(opt(blessing.as_ref()));
        if let Some(task) = task {
            cells[1] = format!(
                "(task {} {} {}{})",
                task.taskid,
                task.kind,
                task.refkey,
                if task.live { ", live" } else { "" }
            );
        }
        t.row(cells);
    }
    t
}

pub fn looked_up(r: &JobRunvar) -> String {
    let entries = match &r.entries {
        Ok(e) => e,
        Err(e) => return format!("{e}\n"),
    };
    let t = looked_up_table(r);
    let plain: Vec<Resolved> = entries.iter().map(|e| e.entry.clone()).collect();
    format!(
        "{}.{} {} = {}\n{}\n{}",
        r.flight,
        escape(&r.job),
        escape(&r.name),
        escape(&r.runvar),
        t.render(),
        job_view_text(&plain, r.incomplete)
    )
}

/// `more` when older jobs than these also named the host (a page of a
/// longer history).
pub fn history(host: &str, entries: &[HistoryEntry], more: bool) -> String {
    let jobs = lifecycle::count(u64::try_from(entries.len()).unwrap_or(u64::MAX), "job");
    let mut out = if more {
        format!("{}: the newest {jobs} that named this host\n", escape(host))
    } else {
        format!("{}: {jobs} named this host\n", escape(host))
    };
    for e in entries {
        let _ = writeln!(
            out,
            "\n{}.{} as {} ({}; flight {}, {}) {}",
            e.flight,
            escape(&e.job),
            escape(&e.ident),
            escape(&e.job_status),
            escape(&opt(e.blessing.as_ref())),
            when(e.started),
            e.runvar
                .as_deref()
                .map_or("no lifecycle recorded".to_owned(), |v| format!(
                    "= {}",
                    escape(v)
                ))
        );
        match &e.decoded {
            Some(Decoded::Entries {
                entries,
                incomplete,
            }) => out.push_str(&job_view_text(entries, *incomplete)),
            Some(Decoded::Malformed(err)) => {
                let _ = writeln!(out, "  {err}");
            }
            None => {}
        }
    }
    out
}

fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// The ranked job names, the first `limit` with up to `evidence` failed
/// installs each (also `suspects --format csv`, every name and install).
pub fn suspects_table(
    r: &suspects::Report,
    by_relation: bool,
    limit: usize,
    evidence: usize,
) -> Table {
    let mut header = vec!["!", "SCORE", "RATE", "FAILED/USES", "LIFT", "JOB"];
    if by_relation {
        header.extend(["PREP.", "SHARE", "REUSE"]);
    }
    header.push("EVIDENCE (FLIGHT → INSTALL THAT FAILED)");
    let mut t = Table::new(&header);
    for s in r.suspects.iter().take(limit) {
        let mut cells = vec![
            yes(s.flagged, "!"),
            format!("{:.2}", s.score),
            percent(s.rate),
            format!("{}/{}", s.failures, s.uses),
            format!("{:.1}×", s.lift),
            s.job.clone(),
        ];
        if by_relation {
            for rel in ["prep.", "share", "reuse"] {
                cells.push(
                    s.by_relation
                        .get(rel)
                        .map_or_else(|| "-".to_owned(), |c| format!("{}/{}", c.failures, c.uses)),
                );
            }
        }
        let (mut ev, more) = s.evidence_words(evidence);
        if more > 0 {
            ev.push(format!("+{more} more"));
        }
        cells.push(ev.join(", "));
        t.row(cells);
    }
    t
}

/// `hostlife suspects`: the base rate, the job names most suspect first,
/// then the hosts whose installs fail.
pub fn suspects(r: &suspects::Report, by_relation: bool, limit: usize) -> String {
    let mut out = format!(
        "{} host install trials, {} failed ({})\n",
        r.trials,
        r.failed,
        percent(r.base_rate)
    );
    if r.trials == 0 {
        out.push_str("no ts-host-install step has run yet\n");
        return out;
    }
    let _ = writeln!(
        out,
        "\nJob names before failed installs, most suspect first. SCORE is the 95% lower \
         bound of the failure rate of the installs after the job; ! when even its bound at 99% over \
         all the names judged is half again {}, the rate of the installs ranked.",
        percent(r.ranked_base_rate)
    );
    if r.trials_on_flagged_hosts > 0 {
        let _ = writeln!(
            out,
            "({} trials on the hosts flagged below are left out: their installs fail whatever ran before.)",
            r.trials_on_flagged_hosts
        );
    }
    let t = suspects_table(r, by_relation, limit, 3);
    if r.suspects.is_empty() {
        out.push_str("no failed install had a job before it\n");
    } else {
        out.push_str(&t.render());
        if r.suspects.len() > limit {
            let _ = writeln!(
                out,
                "({} more; --limit, --format csv or --json for all)",
                r.suspects.len() - limit
            );
        }
    }
    suspect_hosts(r, &mut out);
    suspect_tasks(r, &mut out);
    out
}

/// The out-of-job tasks part of [`suspects`], when the runvars name any.
fn suspect_tasks(r: &suspects::Report, out: &mut String) {
    if r.tasks.is_empty() {
        return;
    }
    let _ = writeln!(*out, "\n{}", lifecycle::suspects_text::TASKS_HEADING);
    let mut t = Table::new(&[
        "TASK",
        "INSTALLS AFTER",
        "FAILED",
        "NEWEST INSTALLS AFTER IT",
    ]);
    for s in &r.tasks {
        t.row(vec![
            s.task.clone(),
            s.installs.to_string(),
            s.failed.to_string(),
            s.evidence_words(3).join(", "),
        ]);
    }
    out.push_str(&t.render());
}

/// The hosts part of [`suspects`].
fn suspect_hosts(r: &suspects::Report, out: &mut String) {
    let _ = writeln!(
        *out,
        "\nHosts with failed installs, worst first. UNEXPLAINED: the installs no flagged job \
         preceded, and how many failed; ! a host problem (those fail more than elsewhere, by \
         the bound at 99% over all the hosts judged); FAILING NOW: its newest installs failed in a row (\u{2265} {} is a stuck host).",
        suspects::CONSECUTIVE_FLAG
    );
    let mut t = Table::new(&[
        "!",
        "HOST",
        "FAILED/INSTALLS",
        "UNEXPLAINED",
        "SCORE",
        "LONGEST RUN",
        "FAILING NOW",
    ]);
    for h in &r.hosts {
        t.row(vec![
            yes(h.flagged, "!"),
            h.host.clone(),
            format!("{}/{}", h.failed_installs, h.installs),
            format!("{}/{}", h.unexplained.failures, h.unexplained.uses),
            format!("{:.2}", h.score),
            h.consecutive.to_string(),
            match h.failing_now {
                0 => "-".to_owned(),
                n if h.stuck => format!("{n} in a row: stuck"),
                n => format!("{n} in a row"),
            },
        ]);
    }
    if r.hosts.is_empty() {
        out.push_str("no host has a failed install\n");
    } else {
        out.push_str(&t.render());
    }
}

/// One row per host the job used (`blame --format csv`).
pub fn blame_table(b: &hostlife::lifecycle::blame::Blame) -> Table {
    let mut t = Table::new(&[
        "IDENT",
        "HOST",
        "VERDICT",
        "JOBS BEFORE",
        "HOST FAILED/ENDED",
        "SAME JOB FAILED/ENDED",
        "FLEET FAILED/ENDED",
        "LINE",
    ]);
    let tally = |t: hostlife::lifecycle::blame::Tally| format!("{}/{}", t.failed, t.ended);
    for h in &b.hosts {
        t.row(vec![
            h.ident.clone(),
            h.host.clone(),
            serde_json::to_value(h.verdict)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            h.before.len().to_string(),
            tally(h.recent_tally),
            tally(h.same_job_tally),
            tally(b.fleet),
            h.line.clone(),
        ]);
    }
    t
}

/// One row per job that named the host (`history --format csv`).
pub fn history_table(entries: &[HistoryEntry]) -> Table {
    let mut t = Table::new(&[
        "FLIGHT",
        "JOB",
        "IDENT",
        "JOB STATUS",
        "BLESSING",
        "STARTED",
        "RUNVAR",
    ]);
    for e in entries {
        t.row(vec![
            e.flight.to_string(),
            e.job.clone(),
            e.ident.clone(),
            e.job_status.clone(),
            opt(e.blessing.as_ref()),
            when(e.started),
            e.runvar.clone().unwrap_or_default(),
        ]);
    }
    t
}

/// `hostlife blame FLIGHT JOB` (see `Blame::lines`).
pub fn blame(b: &hostlife::lifecycle::blame::Blame) -> String {
    let mut out = b.lines().join("\n");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let mut t = Table::new(&["HOST", "FLAGS", "LAST JOB"]);
        t.row(vec![
            "italia0".into(),
            "arch-amd64,hvm,purpose-test".into(),
            "180001.build".into(),
        ]);
        t.row(vec!["宽主机".into(), String::new(), "-".into()]);
        t
    }

    #[test]
    fn a_table_too_wide_for_the_width_prints_as_records() {
        let t = table();
        let whole = "HOST     FLAGS                        LAST JOB\n\
                     italia0  arch-amd64,hvm,purpose-test  180001.build\n\
                     宽主机                                -\n";
        assert_eq!(t.render_fit(Fit::Table), whole);
        assert_eq!(t.render_fit(Fit::Width(50)), whole, "it fits");
        // 20 is the least room a field gets: a narrower terminal wraps.
        assert_eq!(
            t.render_fit(Fit::Width(30)),
            "-[ 1 of 2 ]-------------------\n\
             HOST      italia0\n\
             FLAGS     arch-amd64,hvm,\n\
             \x20         purpose-test\n\
             LAST JOB  180001.build\n\
             -[ 2 of 2 ]-------------------\n\
             HOST      宽主机\n\
             LAST JOB  -\n"
        );
        assert!(
            t.render_fit(Fit::Records(None))
                .contains("FLAGS     arch-amd64,hvm,purpose-test\n")
        );
    }

    #[test]
    fn wrap_breaks_after_commas_and_spaces_or_else_anywhere() {
        assert_eq!(wrap("a,bb,ccc", 5), ["a,bb,", "ccc"]);
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(wrap("宽宽宽", 4), ["宽宽", "宽"]);
        assert_eq!(wrap("宽", 1), ["宽"], "a character wider than the room");
        assert_eq!(wrap("", 5), [""]);
    }
}
