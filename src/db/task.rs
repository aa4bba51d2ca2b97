//! Who is acting: resolving the caller's task, and describing tasks.

use postgres::GenericClient;
use postgres::types::Type;

use super::error::Result;
use super::row::RowExt;
use crate::lifecycle::Task;
use crate::lifecycle::TaskLabel;

use crate::lifecycle::call::{TaskRef, check_found};

/// The task of a row with the columns of [`COLUMNS`], by name.
pub(crate) fn from_row(row: &postgres::Row) -> Result<Task> {
    const Q: &str = "task";
    Ok(Task {
        taskid: row.col(Q, "taskid")?,
        kind: row.col(Q, "type")?,
        refkey: row.col(Q, "refkey")?,
        username: row.col(Q, "username")?,
        comment: row.col(Q, "comment")?,
        live: row.col(Q, "live")?,
    })
}

/// [`from_row`] for a row whose task columns may all be NULL (a left join
/// that found no task).
pub(crate) fn from_row_opt(row: &postgres::Row) -> Result<Option<Task>> {
    match row.col::<_, Option<i32>>("task", "taskid")? {
        Some(_) => from_row(row).map(Some),
        None => Ok(None),
    }
}

/// The label of the task holding a resource, from a row with the columns
/// `holder`, `holder_type`, `holder_refkey`, `holder_username` and
/// `holder_live` (never NULL); `None` when nothing holds it.
pub(crate) fn holder_from_row(
    row: &postgres::Row,
    query: &'static str,
) -> Result<Option<TaskLabel>> {
    match row.col::<_, Option<i32>>(query, "holder")? {
        Some(taskid) => Ok(Some(TaskLabel {
            taskid,
            kind: row.col(query, "holder_type")?,
            refkey: row.col(query, "holder_refkey")?,
            username: row.col(query, "holder_username")?,
            live: row.col(query, "holder_live")?,
        })),
        None => Ok(None),
    }
}

const COLUMNS: &str = "taskid, type, refkey, username, comment, live";

/// The comment on the static tasks hostlife creates, as an SQL literal.
/// (A macro, so that queries can `concat!` it.)
macro_rules! static_comment_sql {
    () => {
        "'static task (created by hostlife)'"
    };
}

/// Create an operator's static task, live, as osstest does on first use:
/// `$1` the refkey, `$2` the user. Returns the task's columns.
pub(crate) const CREATE_STATIC_SQL: &str = concat!(
    "INSERT INTO tasks (type, refkey, username, comment, live)
     VALUES ('static', $1, $2, ",
    static_comment_sql!(),
    ", true)
     RETURNING taskid, type, refkey, username, comment, live"
);

/// [`CREATE_STATIC_SQL`] for many tasks at once: `$1` the refkeys, `$2`
/// their users, in the order of the calls that name them. Those that exist
/// already are left alone. The rest get their ids in that order, as they
/// would from one [`resolve`] per call.
pub(crate) const CREATE_STATICS_SQL: &str = concat!(
    "INSERT INTO tasks (type, refkey, username, comment, live)
     SELECT 'static', n.refkey, n.username, ",
    static_comment_sql!(),
    ", true
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS n(refkey, username, ord)
      WHERE NOT EXISTS (SELECT 1 FROM tasks WHERE type = 'static' AND refkey = n.refkey)
   ORDER BY n.ord"
);

/// The user part of a static task's refkey (`user@node`).
pub(crate) fn static_user(refkey: &str) -> &str {
    refkey.split('@').next().unwrap_or(refkey)
}

/// Fetch a task by id.
pub fn get(client: &mut impl GenericClient, taskid: i32) -> Result<Option<Task>> {
    client
        .query_typed_opt(
            &format!("SELECT {COLUMNS} FROM tasks WHERE taskid = $1"),
            &[(&taskid, Type::INT4)],
        )?
        .map(|r| from_row(&r))
        .transpose()
}

/// A label for a task id that may no longer exist.
pub fn label(client: &mut impl GenericClient, taskid: i32) -> Result<TaskLabel> {
    Ok(match get(client, taskid)? {
        Some(t) => t.label(),
        None => TaskLabel {
            taskid,
            kind: None,
            refkey: None,
            username: None,
            live: false,
        },
    })
}

/// Find the caller's task. Static tasks are created when missing, live,
/// as osstest does for an operator's first use.
pub fn resolve(client: &mut impl GenericClient, task: &TaskRef) -> Result<Task> {
    match task {
        TaskRef::Id { taskid } | TaskRef::Spec { taskid, .. } => {
            Ok(check_found(task, get(client, *taskid)?)?)
        }
        TaskRef::Static { refkey } => {
            let sql = format!("SELECT {COLUMNS} FROM tasks WHERE type = 'static' AND refkey = $1");
            if let Some(row) = client.query_typed_opt(&sql, &[(refkey, Type::TEXT)])? {
                return from_row(&row);
            }
            let row = client.query_typed_one(
                CREATE_STATIC_SQL,
                &[(refkey, Type::TEXT), (&static_user(refkey), Type::TEXT)],
            )?;
            from_row(&row)
        }
    }
}

/// The default static task refkey: `user@<short host name>`.
pub fn default_static_refkey() -> String {
    let user = nix::unistd::User::from_uid(nix::unistd::geteuid())
        .ok()
        .flatten()
        .map(|u| u.name)
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".to_owned());
    let host = nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".to_owned());
    let short = host.split('.').next().unwrap_or(&host).to_owned();
    format!("{user}@{short}")
}
