//! Schema: the minimal osstest schema for a fresh database, and the
//! host-lifecycle part alone for an existing osstest database.
//!
//! The `host_lifecycle` DDL is exactly osstest's: a real installation and
//! a hostlife-made one are interchangeable.

use postgres::GenericClient;

use super::error::Result;

/// The host lifecycle table, its sequence and constraints, as osstest
/// defines them (schema/host-lifecycle.sql).
pub const HOST_LIFECYCLE_DDL: &str = r#"
CREATE SEQUENCE host_lifecycle_lcseq_seq
    NO CYCLE;

CREATE TABLE host_lifecycle (
    hostname     TEXT NOT NULL,
    lcseq        INTEGER NOT NULL DEFAULT nextval('host_lifecycle_lcseq_seq'),
    taskid       INTEGER NOT NULL, -- no constraint, tasks can get deleted
    flight       INTEGER,
    job          TEXT,
    stepno       INTEGER,
    ident        TEXT,
    isprep       BOOLEAN,
    PRIMARY KEY  (hostname, lcseq),
    FOREIGN KEY  (flight, job, stepno) REFERENCES steps(flight, job, stepno),
    CHECK ((
        flight       IS NOT NULL AND
        job          IS NOT NULL AND
        stepno       IS NOT NULL AND
        ident        IS NOT NULL AND
        isprep       IS NOT NULL
    ) OR (
        flight       IS     NULL AND
        job          IS     NULL AND
        stepno       IS     NULL AND
        ident        IS     NULL AND
        isprep       IS     NULL
    ))
);

ALTER SEQUENCE host_lifecycle_lcseq_seq
    OWNED BY host_lifecycle.lcseq;
"#;

/// The osstest tables hostlife reads, with the columns it uses (a real
/// osstest database has more), osstest's magic tasks, and the indexes
/// hostlife's queries want.
const BASE_DDL: &str = r#"
CREATE TABLE tasks (
    taskid    SERIAL PRIMARY KEY,
    type      TEXT NOT NULL,
    refkey    TEXT NOT NULL,
    username  TEXT,
    comment   TEXT,
    live      BOOLEAN NOT NULL,
    UNIQUE (type, refkey)
);

CREATE TABLE flights (
    flight    SERIAL PRIMARY KEY,
    started   BIGINT,
    blessing  TEXT,
    intended  TEXT,
    branch    TEXT
);

CREATE TABLE jobs (
    flight    INTEGER NOT NULL REFERENCES flights(flight),
    job       TEXT NOT NULL,
    recipe    TEXT NOT NULL,
    status    TEXT NOT NULL,
    PRIMARY KEY (flight, job)
);

CREATE TABLE steps (
    flight    INTEGER NOT NULL,
    job       TEXT NOT NULL,
    stepno    INTEGER NOT NULL,
    step      TEXT NOT NULL,
    status    TEXT NOT NULL,
    testid    TEXT,
    started   BIGINT,
    finished  BIGINT,
    PRIMARY KEY (flight, job, stepno),
    FOREIGN KEY (flight, job) REFERENCES jobs(flight, job)
);

CREATE TABLE runvars (
    flight    INTEGER NOT NULL,
    job       TEXT NOT NULL,
    name      TEXT NOT NULL,
    val       TEXT NOT NULL,
    synth     BOOLEAN NOT NULL,
    PRIMARY KEY (flight, job, name),
    FOREIGN KEY (flight, job) REFERENCES jobs(flight, job)
);

CREATE TABLE resources (
    restype   TEXT NOT NULL,
    resname   TEXT NOT NULL,
    shareix   INTEGER NOT NULL,
    owntaskid INTEGER NOT NULL,
    subtask   TEXT,
    PRIMARY KEY (restype, resname, shareix)
);

CREATE TABLE resource_sharing (
    restype   TEXT NOT NULL,
    resname   TEXT NOT NULL,
    sharetype TEXT NOT NULL,
    state     TEXT NOT NULL,
    wear      INTEGER,
    maxshares INTEGER,
    PRIMARY KEY (restype, resname)
);

INSERT INTO tasks (type, refkey, live, comment) VALUES
    ('magic', 'idle',        false, 'magic'),
    ('magic', 'allocatable', true,  'magic'),
    ('magic', 'shared',      true,  'magic'),
    ('magic', 'preparing',   true,  'magic');
"#;

/// Indexes for hostlife's own reads on the osstest tables, made only in a
/// fresh database. `history` looks runvars up by value (a host name).
/// A btree, for its deduplication: a few values (`amd64`, `xl`) repeat
/// hundreds of thousands of times, and a hash index walks a bucket's whole
/// chain of pages to insert one more of them, so building it grew with
/// the square of the copies. Partial: a btree entry has a size limit, and
/// lifecycle runvars, which the recorder rewrites at every call, never
/// hold a host name (and can outgrow the limit). `history`'s query
/// repeats the condition so that the planner can use the index.
const INDEX_DDL: &str = r#"
CREATE INDEX runvars_val_idx ON runvars (val)
    WHERE octet_length(val) <= 2000 AND name NOT LIKE '%\_lifecycle';
CREATE INDEX resources_owntaskid_idx ON resources (owntaskid);
"#;

/// Indexes for the lifecycle queries, beside osstest's own DDL: `wiped`
/// finds a task's first row on a host; the recorder and the hosts list
/// start from the few live tasks (a partial index, since most tasks in an
/// osstest database are long dead) and probe each on the host. `upgrade`
/// adds them too.
const LIFECYCLE_INDEX_DDL: &str = r#"
CREATE INDEX IF NOT EXISTS host_lifecycle_task_idx ON host_lifecycle (hostname, taskid, lcseq);
CREATE INDEX IF NOT EXISTS host_lifecycle_taskid_idx ON host_lifecycle (taskid);
CREATE INDEX IF NOT EXISTS tasks_live_idx ON tasks (taskid) WHERE live;
"#;

/// Create the minimal osstest schema, with host_lifecycle, in an empty
/// database. Fails (changing nothing) if any of the tables exists.
pub fn init(client: &mut impl GenericClient) -> Result<()> {
    let mut tx = client.transaction()?;
    tx.batch_execute(BASE_DDL)?;
    tx.batch_execute(HOST_LIFECYCLE_DDL)?;
    tx.batch_execute(INDEX_DDL)?;
    tx.batch_execute(LIFECYCLE_INDEX_DDL)?;
    tx.commit()?;
    Ok(())
}

/// What `upgrade` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Upgrade {
    /// host_lifecycle (table and sequence) was created.
    pub created_table: bool,
    /// hostlife's lifecycle indexes were created.
    pub created_indexes: bool,
}

fn lifecycle_indexes_present(tx: &mut impl GenericClient) -> Result<bool> {
    Ok(tx
        .query_one(
            "SELECT to_regclass('host_lifecycle_task_idx') IS NOT NULL
                AND to_regclass('host_lifecycle_taskid_idx') IS NOT NULL
                AND to_regclass('tasks_live_idx') IS NOT NULL",
            &[],
        )?
        .get(0))
}

/// Add host_lifecycle to an existing osstest database unless it is there,
/// and hostlife's lifecycle indexes (on it, and on the live tasks) unless they are.
pub fn upgrade(client: &mut impl GenericClient) -> Result<Upgrade> {
    let mut tx = client.transaction()?;
    // Serialise concurrent upgrades of the same database.
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('hostlife upgrade'))",
        &[],
    )?;
    let present: bool = tx
        .query_one("SELECT to_regclass('host_lifecycle') IS NOT NULL", &[])?
        .get(0);
    if !present {
        tx.batch_execute(HOST_LIFECYCLE_DDL)?;
    }
    let indexes = lifecycle_indexes_present(&mut tx)?;
    if !indexes {
        tx.batch_execute(LIFECYCLE_INDEX_DDL)?;
    }
    tx.commit()?;
    Ok(Upgrade {
        created_table: !present,
        created_indexes: !indexes,
    })
}
