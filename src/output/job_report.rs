//! A job's report (`hostlife report`) as text, CSV or a standalone HTML
//! page: one table per ident and host, in runvar order.

use std::fmt::Write as _;

use hostlife::lifecycle::job_report::{HostSection, JobReport, ReportLine};
use hostlife::lifecycle::{Relation, Task, count, escape};
use hostlife::timefmt::utc_minutes;

use super::{Table, terminal_safe};

const HEADER: [&str; 8] = [
    "RELATION",
    "FLIGHT",
    "JOB",
    "ROLES",
    "PREP STARTED",
    "USE STARTED",
    "LAST STEP ENDED",
    "JOB STATUS",
];

fn time(t: Option<i64>) -> String {
    t.map_or_else(|| "-".to_owned(), utc_minutes)
}

fn task_words(taskid: i32, task: Option<&Task>) -> String {
    match task {
        Some(t) => format!(
            "task {taskid}: {} {}{}{}",
            t.kind,
            t.refkey,
            t.username
                .as_deref()
                .map_or_else(String::new, |u| format!(" ({u})")),
            if t.live { ", live" } else { "" }
        ),
        None => format!("task {taskid} (gone)"),
    }
}

/// A line's cells under [`HEADER`].
fn cells(line: &ReportLine) -> Vec<String> {
    match line {
        ReportLine::Job {
            relation,
            flight,
            job,
            own,
            roles,
            prep_started,
            use_started,
            last_ended,
            job_status,
        } => vec![
            if *own {
                "this job".to_owned()
            } else {
                relation.label().to_owned()
            },
            flight.to_string(),
            job.clone(),
            roles.join(" "),
            time(*prep_started),
            time(*use_started),
            time(*last_ended),
            job_status.clone().unwrap_or_else(|| "(gone)".to_owned()),
        ],
        ReportLine::Task {
            relation,
            taskid,
            task,
        } => {
            let mut c = vec![
                relation.label().to_owned(),
                "-".to_owned(),
                task_words(*taskid, task.as_ref()),
            ];
            c.resize(HEADER.len(), String::new());
            c
        }
        ReportLine::Elided { count: n } => {
            let mut c = vec![
                String::new(),
                String::new(),
                format!("{} elided", count(u64::from(*n), "earlier job")),
            ];
            c.resize(HEADER.len(), String::new());
            c
        }
    }
}

/// `host = h1`, and the runvar in full on its own line (it can be long).
fn section_title(s: &HostSection) -> String {
    format!(
        "{} = {}\n  {}_lifecycle = {}",
        s.ident,
        s.host.as_deref().unwrap_or("(no host runvar)"),
        s.ident,
        if s.runvar.is_empty() {
            "(empty)"
        } else {
            &s.runvar
        }
    )
}

/// What follows a section's table: a malformed runvar, an incomplete job.
fn section_notes(s: &HostSection) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(e) = &s.malformed {
        notes.push(format!("cannot read the runvar: {e}"));
    }
    if s.incomplete {
        notes.push("this job incomplete (its last call was not final)".to_owned());
    }
    notes
}

/// The report's title, its job and what it says of the job: one line on
/// a page, a line each in a terminal, where with a long job name one line
/// passes 80 columns and breaks mid-word.
fn heading(r: &JobReport) -> [String; 3] {
    [
        "Tasks which might have affected the host(s) of".to_owned(),
        format!("{}.{}", r.flight, r.job),
        format!("job {}; times UTC", r.job_status),
    ]
}

pub fn text(r: &JobReport) -> String {
    let mut out = String::new();
    for line in heading(r) {
        let _ = writeln!(out, "{}", escape(&line));
    }
    if r.hosts.is_empty() {
        out.push_str("\nno lifecycle runvars: this job recorded no host use\n");
    }
    for s in &r.hosts {
        let _ = writeln!(out, "\n{}", terminal_safe(&section_title(s)));
        if let Some(lines) = &s.lines {
            let mut t = Table::new(&HEADER);
            for l in lines {
                t.row(cells(l));
            }
            for l in t.render().lines() {
                let _ = writeln!(out, "  {l}");
            }
        }
        for n in section_notes(s) {
            let _ = writeln!(out, "  {}", escape(&n));
        }
    }
    out
}

/// One row per line, with the ident and host first.
pub fn csv(r: &JobReport) -> String {
    let mut titles = vec!["IDENT", "HOST"];
    titles.extend(HEADER);
    let mut t = Table::new(&titles);
    for s in &r.hosts {
        for l in s.lines.iter().flatten() {
            let mut row = vec![s.ident.clone(), s.host.clone().unwrap_or_default()];
            row.extend(cells(l));
            t.row(row);
        }
    }
    t.csv()
}

/// Markup quoted, and control characters shown escaped as the text does
/// (the page goes to stdout, which may be a terminal).
pub(super) fn html_escape(s: &str) -> String {
    let s = escape(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em}\
table{border-collapse:collapse;margin-bottom:.5em}\
th,td{border:1px solid #bbb;padding:.2em .6em;text-align:left;white-space:nowrap}\
th{background:#eee}tr.own td{font-weight:bold}\
tr.prep td:first-child{color:#8a4b00}tr.share td:first-child{color:#0050a0}\
p.note{font-style:italic}code{font-size:90%}";

/// A standalone page (no scripts, no links out) to attach to a bug.
pub fn html(r: &JobReport) -> String {
    let mut out = String::new();
    let [title, job, about] = heading(r);
    let title = html_escape(&format!("{title} {job} ({about})"));
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
    );
    if r.hosts.is_empty() {
        out.push_str("<p class=\"note\">no lifecycle runvars: this job recorded no host use</p>\n");
    }
    for s in &r.hosts {
        let _ = writeln!(
            out,
            "<h2>{} = {}</h2>\n<p><code>{}_lifecycle = {}</code></p>",
            html_escape(&s.ident),
            html_escape(s.host.as_deref().unwrap_or("(no host runvar)")),
            html_escape(&s.ident),
            html_escape(&s.runvar)
        );
        if let Some(lines) = &s.lines {
            out.push_str("<table>\n<tr>");
            for h in HEADER {
                let _ = write!(out, "<th>{}</th>", html_escape(&h.to_lowercase()));
            }
            out.push_str("</tr>\n");
            for l in lines {
                let class = match l {
                    ReportLine::Job { own: true, .. } => "own",
                    ReportLine::Elided { .. } => "elided",
                    l => match l.relation() {
                        Some(Relation::Prep) => "prep",
                        Some(Relation::Share) => "share",
                        Some(Relation::Reuse) => "reuse",
                        None => "",
                    },
                };
                let _ = write!(out, "<tr class=\"{class}\">");
                for c in cells(l) {
                    let _ = write!(out, "<td>{}</td>", html_escape(&c));
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</table>\n");
        }
        for n in section_notes(s) {
            let _ = writeln!(out, "<p class=\"note\">{}</p>", html_escape(&n));
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_markup() {
        assert_eq!(
            html_escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }
}
