//! `db upgrade`: add what hostlife needs to a live osstest database
//! without getting in osstest's way.
//!
//! It runs while osstest writes, so nothing it does may hold a lock that
//! stops osstest's writers for more than a moment:
//!
//! - Only additive, and idempotent: it works out what is missing (the
//!   plan) and does only that; `--dry-run` prints the plan's SQL.
//! - Indexes on existing tables are built with `CREATE INDEX
//!   CONCURRENTLY`, outside a transaction: it takes SHARE UPDATE
//!   EXCLUSIVE, which does not conflict with the ROW EXCLUSIVE of
//!   osstest's inserts and updates. An invalid index left by an
//!   interrupted build is dropped (concurrently) and built again.
//! - An index is "there" when an index of the same definition exists
//!   under any name: osstest's own `runvars_host_idx` is used, never
//!   doubled. Definitions are compared as the server prints them, for an
//!   index built on a temporary copy of the table, so the comparison holds
//!   on any server version.
//! - DDL that needs a real lock (creating `host_lifecycle`, whose foreign
//!   key locks `steps`; the grants) waits at most [`LOCK_TIMEOUT`] and is
//!   retried a few times, saying so, rather than queueing osstest's
//!   writers behind it.
//! - It runs as the owner of osstest's tables (or as a member of that
//!   role, taking it on), so that what it creates belongs to the same
//!   role; `host_lifecycle` gets the grants `runvars` has.

use std::time::Duration;

use postgres::Client;
use postgres::error::SqlState;
use serde::Serialize;

use super::error::{Error, Result};
use super::row::RowExt;
use super::schema::{HOST_LIFECYCLE_DDL, WANTED, Wanted};
use super::txn;
use crate::lifecycle::Refusal;

/// The longest a DDL statement waits for a lock before it gives up (and
/// is retried): short, because osstest's writers queue behind a waiting
/// lock request.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(2);
/// How many times a DDL step is tried.
const LOCK_TRIES: u32 = 5;

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// What it does, for people.
    pub what: String,
    /// Its statements, in order.
    pub sql: Vec<String>,
    /// Run outside a transaction, one statement at a time (`CONCURRENTLY`);
    /// otherwise in one transaction under [`LOCK_TIMEOUT`].
    pub concurrent: bool,
}

/// What `db upgrade` did, or with `--dry-run` would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub dry_run: bool,
    /// The role that owns osstest's tables, which the upgrade acts as.
    pub owner: String,
    /// The steps done (or, dry, to do), in order.
    pub steps: Vec<Step>,
    /// What it found and used, and any lock waits it retried.
    pub notes: Vec<String>,
}

impl Report {
    pub fn nothing_to_do(&self) -> bool {
        self.steps.is_empty()
    }
}

fn q(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Find out what is missing and, unless `dry_run`, add it.
pub fn upgrade(client: &mut Client, dry_run: bool) -> Result<Report> {
    let owner = take_owner_role(client)?;
    // One upgrade at a time per database; a session lock, since the
    // concurrent builds cannot run inside a transaction.
    client.batch_execute("SELECT pg_advisory_lock(hashtext('hostlife upgrade'))")?;
    let outcome = plan(client).and_then(|(steps, mut notes)| {
        if !dry_run {
            for step in &steps {
                run(client, step, &mut notes)?;
            }
        }
        Ok(Report {
            dry_run,
            owner: owner.clone(),
            steps,
            notes,
        })
    });
    // On error the session ends anyway; on success leave it as found.
    let _ = client.batch_execute(
        "SELECT pg_advisory_unlock(hashtext('hostlife upgrade')); RESET ROLE; RESET lock_timeout",
    );
    outcome
}

/// Act as the role that owns `runvars`: refuse a role that is not it and
/// may not become it.
fn take_owner_role(client: &mut Client) -> Result<String> {
    const Q: &str = "upgrade owner";
    let row = client.query_one(
        "SELECT current_user::text,
                (SELECT pg_get_userbyid(relowner)::text FROM pg_class
                  WHERE oid = to_regclass('runvars')),
                (SELECT pg_has_role(current_user, relowner, 'MEMBER') FROM pg_class
                  WHERE oid = to_regclass('runvars'))",
        &[],
    )?;
    let user: String = row.col(Q, 0)?;
    let Some(owner) = row.col::<_, Option<String>>(Q, 1)? else {
        return Err(Refusal::NotOsstest.into());
    };
    if !row.col::<_, Option<bool>>(Q, 2)?.unwrap_or(false) {
        return Err(Refusal::NotOwner { owner, user }.into());
    }
    if owner != user {
        client.batch_execute(&format!("SET ROLE {}", q(&owner)))?;
    }
    Ok(owner)
}

/// What is missing, as steps, and what was found.
fn plan(client: &mut Client) -> Result<(Vec<Step>, Vec<String>)> {
    let mut steps = Vec::new();
    let mut notes = Vec::new();
    let have_table: bool = client
        .query_one("SELECT to_regclass('host_lifecycle') IS NOT NULL", &[])?
        .col("upgrade table", 0)?;
    if !have_table {
        steps.push(Step {
            what: "create host_lifecycle and its sequence".to_owned(),
            sql: vec![HOST_LIFECYCLE_DDL.trim().to_owned()],
            concurrent: false,
        });
    }
    if let Some(step) = grants(client, have_table)? {
        steps.push(step);
    }
    for want in WANTED {
        let table_exists = want.table != "host_lifecycle" || have_table;
        let create = format!(
            "CREATE INDEX CONCURRENTLY {} ON {} {}",
            want.name, want.table, want.definition
        );
        if !table_exists {
            steps.push(Step {
                what: format!("build {} ({})", want.name, want.why),
                sql: vec![create],
                concurrent: true,
            });
            continue;
        }
        let found = equivalents(client, want)?;
        if let Some((name, _)) = found.iter().find(|(_, valid)| *valid) {
            notes.push(format!("{}: uses {name}", want.name));
            continue;
        }
        let mut sql: Vec<String> = found
            .iter()
            .map(|(name, _)| format!("DROP INDEX CONCURRENTLY {}", q(name)))
            .collect();
        let rebuilt = !found.is_empty();
        let taken: bool = client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&want.name])?
            .col("upgrade index name", 0)?;
        if taken && !found.iter().any(|(n, _)| n == want.name) {
            notes.push(format!(
                "{}: an index of that name exists with another definition; not building it \
                 (reads that need it will be slow): drop or rename it and run again",
                want.name
            ));
            continue;
        }
        sql.push(create);
        steps.push(Step {
            what: if rebuilt {
                format!(
                    "rebuild {} (an interrupted build left it invalid: {})",
                    want.name,
                    found
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                format!("build {} ({})", want.name, want.why)
            },
            sql,
            concurrent: true,
        });
    }
    Ok((steps, notes))
}

/// The indexes on `want.table` whose definition is `want`'s, with whether
/// each is valid. The definition to compare with is the server's own
/// rendering of `want` on a temporary copy of the table (rolled back).
fn equivalents(client: &mut Client, want: &Wanted) -> Result<Vec<(String, bool)>> {
    const Q: &str = "upgrade indexes";
    // Everything after "USING": the access method, keys and predicate.
    const TAIL: &str = "regexp_replace(pg_get_indexdef(i.indexrelid), '^.*? USING ', '')";
    txn::rehearse(client, |tx| {
        tx.batch_execute(&format!(
            "CREATE TEMP TABLE hostlife_upgrade_probe (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP;
         CREATE INDEX hostlife_upgrade_probe_idx ON hostlife_upgrade_probe {}",
            want.table, want.definition
        ))?;
        let rows = tx.query(
            &format!(
                "WITH wanted AS (
                 SELECT {TAIL} AS tail FROM pg_index i
                  WHERE i.indexrelid = 'hostlife_upgrade_probe_idx'::regclass)
             SELECT c.relname::text, i.indisvalid
               FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid, wanted
              WHERE i.indrelid = to_regclass($1) AND {TAIL} = wanted.tail
              ORDER BY i.indisvalid DESC, c.relname = $2 DESC, c.relname"
            ),
            &[&want.table, &want.name],
        )?;
        rows.iter()
            .map(|r| Ok((r.col(Q, 0)?, r.col(Q, 1)?)))
            .collect::<Result<Vec<_>>>()
    })
}

/// The grants `runvars` has that `host_lifecycle` lacks (all of them for
/// a table about to be made), and USAGE on the sequence for those that
/// may insert.
fn grants(client: &mut Client, have_table: bool) -> Result<Option<Step>> {
    const Q: &str = "upgrade grants";
    let acl = |table: &str| {
        format!(
            "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee)::text END,
                    a.privilege_type::text
               FROM pg_class c, aclexplode(c.relacl) a
              WHERE c.oid = to_regclass('{table}') AND a.grantee <> c.relowner"
        )
    };
    let sql = if have_table {
        format!(
            "({}) EXCEPT ({}) ORDER BY 1, 2",
            acl("runvars"),
            acl("host_lifecycle")
        )
    } else {
        format!("{} ORDER BY 1, 2", acl("runvars"))
    };
    let missing: Vec<(String, String)> = client
        .query(&sql, &[])?
        .iter()
        .map(|r| Ok((r.col(Q, 0)?, r.col(Q, 1)?)))
        .collect::<Result<_>>()?;
    let writers: Vec<String> = client
        .query(
            &format!(
                "SELECT g FROM ({}) x(g, p) WHERE p = 'INSERT'
                 EXCEPT
                 SELECT g FROM ({}) y(g, p) WHERE p = 'USAGE'
                 ORDER BY 1",
                acl("runvars"),
                acl("host_lifecycle_lcseq_seq")
            ),
            &[],
        )?
        .iter()
        .map(|r| r.col(Q, 0))
        .collect::<Result<_>>()?;
    if missing.is_empty() && writers.is_empty() {
        return Ok(None);
    }
    let grantee = |g: &str| match g {
        "PUBLIC" => "PUBLIC".to_owned(),
        g => q(g),
    };
    let mut sql: Vec<String> = missing
        .iter()
        .map(|(g, p)| format!("GRANT {p} ON host_lifecycle TO {}", grantee(g)))
        .collect();
    sql.extend(writers.iter().map(|g| {
        format!(
            "GRANT USAGE, SELECT ON SEQUENCE host_lifecycle_lcseq_seq TO {}",
            grantee(g)
        )
    }));
    let mut who: Vec<&str> = missing
        .iter()
        .map(|(g, _)| g.as_str())
        .chain(writers.iter().map(String::as_str))
        .collect();
    who.sort_unstable();
    who.dedup();
    Ok(Some(Step {
        what: format!(
            "give host_lifecycle the grants runvars has ({})",
            who.join(", ")
        ),
        sql,
        concurrent: false,
    }))
}

/// Carry out one step.
fn run(client: &mut Client, step: &Step, notes: &mut Vec<String>) -> Result<()> {
    if step.concurrent {
        // A concurrent build waits for the transactions already writing
        // to the table to end; that wait blocks nobody, so no timeout.
        client.batch_execute("SET lock_timeout = 0")?;
        for sql in &step.sql {
            client.batch_execute(sql)?;
        }
        return Ok(());
    }
    client.batch_execute(&format!("SET lock_timeout = {}", LOCK_TIMEOUT.as_millis()))?;
    let mut attempt = 1;
    loop {
        let outcome = txn::committed(client, |tx| {
            step.sql.iter().try_for_each(|sql| tx.batch_execute(sql))
        });
        match outcome {
            Ok(()) => return Ok(()),
            Err(e) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) && attempt < LOCK_TRIES => {
                attempt += 1;
                notes.push(format!(
                    "{}: a lock was not free within {} s (osstest busy); tried again ({attempt} of {LOCK_TRIES})",
                    step.what,
                    LOCK_TIMEOUT.as_secs(),
                ));
                std::thread::sleep(LOCK_TIMEOUT);
            }
            Err(e) => return Err(Error::from(e)),
        }
    }
}
