//! The words the CLI and the browser both print for the same thing: a
//! task in a table cell, a job's name in a listing, what an entry of a
//! listing means. One wording each, so `hostlife show` and the host view
//! never disagree.

use super::{Resolved, ResolvedKind, Task, TaskLabel, escape};

/// A row's task as a table cell: `taskid type refkey`, or `taskid
/// (deleted)` when the task row is gone.
pub fn task_cell(taskid: i32, task: Option<&Task>) -> String {
    match task {
        Some(t) => format!("{} {} {}", t.taskid, escape(&t.kind), escape(&t.refkey)),
        None => format!("{taskid} (deleted)"),
    }
}

/// A task label (a holder, a refusal's task) as a table cell, worded as
/// [`task_cell`].
pub fn label_cell(l: &TaskLabel) -> String {
    match (&l.kind, &l.refkey) {
        (Some(kind), Some(refkey)) => format!("{} {} {}", l.taskid, escape(kind), escape(refkey)),
        _ => format!("{} (deleted)", l.taskid),
    }
}

/// A job of a decoded runvar: `flight.job`, where an own entry (flight 0,
/// or no job name) stands for the job whose runvar it is.
pub fn job_label(flight: i32, job: &str) -> String {
    match (flight, job) {
        (0, "") => "(this job)".into(),
        (0, job) => job.into(),
        (flight, "") => format!("{flight}.(this job)"),
        (flight, job) => format!("{flight}.{job}"),
    }
}

/// What an entry of a listing means for the job it was listed for.
pub fn entry_meaning(e: &Resolved) -> String {
    match &e.kind {
        ResolvedKind::Step { own: true, .. } => "this job".into(),
        ResolvedKind::Step { prep, .. } => match (prep, e.concurrent) {
            (true, true) => "prep, concurrent",
            (true, false) => "prep",
            (false, true) => "concurrent",
            (false, false) => "earlier",
        }
        .into(),
        ResolvedKind::Task { .. } => "task, out of job".into(),
        ResolvedKind::Elided { count } => format!(
            "{count} earlier job{} left out",
            if *count == 1 { "" } else { "s" }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deleted_task_reads_the_same_from_a_row_and_a_label() {
        let label = TaskLabel {
            taskid: 7,
            kind: None,
            refkey: None,
            username: None,
            live: false,
        };
        assert_eq!(task_cell(7, None), label_cell(&label));
        let task = Task {
            taskid: 7,
            kind: "static".into(),
            refkey: "ian@host".into(),
            username: None,
            comment: None,
            live: true,
        };
        assert_eq!(task_cell(7, Some(&task)), "7 static ian@host");
        assert_eq!(label_cell(&task.label()), "7 static ian@host");
    }

    #[test]
    fn own_entries_name_this_job() {
        assert_eq!(job_label(0, ""), "(this job)");
        assert_eq!(job_label(5, ""), "5.(this job)");
        assert_eq!(job_label(5, "build-amd64"), "5.build-amd64");
    }
}
