//! What a connection finds, once: whether osstest's tables have what
//! hostlife reads, and what the connected role may do.
//!
//! An operator points hostlife at a lab's database as whichever role they
//! have: `osstest` (the owner, which writes), `osstest_ro` (SELECT only),
//! or their own. Finding out up front turns "ERROR: permission denied for
//! table `host_lifecycle`" at the first keystroke into one line that says
//! what is missing and who can fix it, and lets the browser start
//! read-only instead of offering writes that must fail.

use postgres::GenericClient;
use serde::Serialize;

use super::error::Result;
use super::row::RowExt;

/// The tables and columns hostlife reads (spec section 2). A real
/// installation has more; hostlife depends on no others.
pub const REQUIRED: &[(&str, &[&str])] = &[
    (
        "tasks",
        &["taskid", "type", "refkey", "username", "comment", "live"],
    ),
    (
        "flights",
        &["flight", "started", "blessing", "branch", "intended"],
    ),
    ("jobs", &["flight", "job", "status"]),
    (
        "steps",
        &[
            "flight", "job", "stepno", "step", "status", "testid", "started", "finished",
        ],
    ),
    ("runvars", &["flight", "job", "name", "val", "synth"]),
    ("resources", &["restype", "resname", "shareix", "owntaskid"]),
    (
        "resource_sharing",
        &["restype", "resname", "sharetype", "state"],
    ),
    ("hostflags", &["hostname", "hostflag"]),
    (
        "resource_properties",
        &["restype", "resname", "name", "val"],
    ),
    (
        "host_lifecycle",
        &[
            "hostname", "lcseq", "taskid", "flight", "job", "stepno", "ident", "isprep",
        ],
    ),
];

/// What the probe found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Probe {
    /// The role the session acts as (`current_user`).
    pub user: String,
    /// The role that owns `runvars`, osstest's main table, if it exists.
    pub owner: Option<String>,
    /// Tables that do not exist, in [`REQUIRED`] order.
    pub missing_tables: Vec<String>,
    /// `table.column` for columns missing from tables that exist.
    pub missing_columns: Vec<String>,
    /// Existing tables the role may not SELECT from.
    pub unreadable: Vec<String>,
    /// Whether the role may write lifecycle records: INSERT and DELETE on
    /// `host_lifecycle`, INSERT and UPDATE on runvars (the listing is a
    /// runvar), INSERT on tasks (an operator's static task).
    pub can_write: bool,
}

impl Probe {
    /// Why the database cannot be read as it is, in one line, or `None`
    /// when it can. Says what to do and who can do it.
    pub fn unusable(&self) -> Option<String> {
        let owner = self.owner.as_deref().unwrap_or("the database's owner");
        if self.missing_tables == ["host_lifecycle"] && self.missing_columns.is_empty() {
            return Some(format!(
                "host_lifecycle is missing: run `hostlife db upgrade` as the owner of the database, {owner}"
            ));
        }
        if !self.missing_tables.is_empty() || !self.missing_columns.is_empty() {
            let mut missing: Vec<String> = self
                .missing_tables
                .iter()
                .map(|t| format!("table {t}"))
                .collect();
            missing.extend(self.missing_columns.iter().map(|c| format!("column {c}")));
            return Some(format!(
                "not an osstest database (or an older layout): missing {}; `hostlife db init` makes osstest's tables in an empty database",
                missing.join(", ")
            ));
        }
        if !self.unreadable.is_empty() {
            return Some(format!(
                "user {} may not read {}: ask {owner} to GRANT SELECT ON {} TO {}",
                self.user,
                self.unreadable.join(", "),
                self.unreadable.join(", "),
                self.user
            ));
        }
        None
    }

    /// Why writes are refused, or `None` when the role may write.
    pub fn read_only_reason(&self) -> Option<String> {
        (!self.can_write)
            .then(|| format!("user {} may read but not write host_lifecycle", self.user))
    }
}

const Q: &str = "schema probe";

/// The probe's one statement; `$1`, `$2`: [`params`].
pub(crate) const PROBE_SQL: &str = "WITH req AS (
             SELECT t, c, to_regclass(quote_ident(t)) AS rel, ord
               FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS x(t, c, ord)
         )
         SELECT t AS table_name, c AS column_name, rel IS NOT NULL AS table_exists,
                EXISTS (SELECT 1 FROM pg_attribute a
                         WHERE a.attrelid = rel AND a.attname = c
                           AND a.attnum > 0 AND NOT a.attisdropped) AS column_exists,
                CASE WHEN rel IS NULL THEN false ELSE has_table_privilege(rel, 'SELECT') END AS readable,
                current_user::text AS user_name,
                (SELECT pg_get_userbyid(relowner) FROM pg_class
                  WHERE oid = to_regclass('runvars')) AS owner,
                -- CASE, not AND: has_table_privilege fails on a table
                -- that does not exist, and AND may evaluate in any order.
                CASE WHEN to_regclass('host_lifecycle') IS NULL
                          OR to_regclass('runvars') IS NULL
                          OR to_regclass('tasks') IS NULL THEN false
                     ELSE has_table_privilege('host_lifecycle', 'INSERT')
                          AND has_table_privilege('host_lifecycle', 'DELETE')
                          AND has_table_privilege('runvars', 'INSERT')
                          AND has_table_privilege('runvars', 'UPDATE')
                          AND has_table_privilege('tasks', 'INSERT')
                END AS can_write
           FROM req ORDER BY ord";

/// The required (table, column) pairs as two arrays.
pub(crate) fn params() -> (Vec<&'static str>, Vec<&'static str>) {
    REQUIRED
        .iter()
        .flat_map(|(t, cols)| cols.iter().map(move |c| (*t, *c)))
        .unzip()
}

/// Probe the connected database: one statement.
pub fn probe(client: &mut impl GenericClient) -> Result<Probe> {
    let (tables, columns) = params();
    from_rows(&client.query(PROBE_SQL, &[&tables, &columns])?)
}

/// The probe from its statement's rows.
pub(crate) fn from_rows(rows: &[postgres::Row]) -> Result<Probe> {
    let mut probe = Probe {
        user: String::new(),
        owner: None,
        missing_tables: vec![],
        missing_columns: vec![],
        unreadable: vec![],
        can_write: false,
    };
    for r in rows {
        let table: String = r.col(Q, "table_name")?;
        let column: String = r.col(Q, "column_name")?;
        let table_exists: bool = r.col(Q, "table_exists")?;
        let column_exists: bool = r.col(Q, "column_exists")?;
        let readable: bool = r.col(Q, "readable")?;
        probe.user = r.col(Q, "user_name")?;
        probe.owner = r.col(Q, "owner")?;
        probe.can_write = r.col(Q, "can_write")?;
        if !table_exists {
            if !probe.missing_tables.contains(&table) {
                probe.missing_tables.push(table);
            }
            continue;
        }
        if !column_exists {
            probe.missing_columns.push(format!("{table}.{column}"));
        }
        if !readable && !probe.unreadable.contains(&table) {
            probe.unreadable.push(table);
        }
    }
    Ok(probe)
}
