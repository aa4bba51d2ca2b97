//! Schema: the minimal osstest schema for a fresh database, and the
//! host-lifecycle part alone for an existing osstest database.
//!
//! The `host_lifecycle` DDL is exactly osstest's: a real installation and
//! a hostlife-made one are interchangeable.

use postgres::GenericClient;

use super::error::Result;

/// The host lifecycle table, its sequence and constraints, as osstest
/// defines them (schema/host-lifecycle.sql).
pub const HOST_LIFECYCLE_DDL: &str = r"
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
";

/// osstest's own tables, exactly as its production schema has them (spec
/// section 2): the types (`integer`, `character varying`), nullability,
/// defaults, constraints and indexes, osstest's `runvars_host_idx`
/// included, and its magic tasks. A real installation has more tables and
/// columns; hostlife depends on none of them.
pub const BASE_DDL: &str = r"
CREATE SEQUENCE tasks_taskid_seq;

CREATE TABLE tasks (
    taskid    integer NOT NULL DEFAULT nextval('tasks_taskid_seq'::regclass),
    type      text NOT NULL,
    refkey    text NOT NULL,
    username  text,
    comment   text,
    live      boolean NOT NULL,
    refinfo   text,
    CONSTRAINT tasks_pkey PRIMARY KEY (taskid)
);
ALTER SEQUENCE tasks_taskid_seq OWNED BY tasks.taskid;
CREATE UNIQUE INDEX tasks_type_refkey_live_index ON tasks (type, refkey) WHERE live;
CREATE INDEX tasks_type_taskid ON tasks (type, taskid);

CREATE SEQUENCE flights_flight_seq;

CREATE TABLE flights (
    flight    integer NOT NULL DEFAULT nextval('flights_flight_seq'::regclass),
    started   integer NOT NULL DEFAULT 0,
    blessing  text NOT NULL DEFAULT 'unknown'::text,
    branch    text NOT NULL,
    intended  text,
    CONSTRAINT flights_pkey PRIMARY KEY (flight)
);
ALTER SEQUENCE flights_flight_seq OWNED BY flights.flight;

CREATE TABLE jobs (
    flight    integer NOT NULL,
    job       character varying NOT NULL,
    recipe    text,
    status    text NOT NULL DEFAULT 'stopped'::text,
    CONSTRAINT jobs_pkey PRIMARY KEY (flight, job)
);

CREATE TABLE steps (
    flight    integer NOT NULL,
    job       character varying NOT NULL,
    stepno    integer NOT NULL,
    step      character varying NOT NULL,
    status    character varying NOT NULL,
    testid    text,
    started   integer,
    finished  integer,
    CONSTRAINT steps_pkey PRIMARY KEY (flight, job, stepno),
    CONSTRAINT steps_flight_job_testid_key UNIQUE (flight, job, testid),
    CONSTRAINT steps_flight_job_fkey FOREIGN KEY (flight, job) REFERENCES jobs(flight, job)
);

CREATE TABLE runvars (
    flight    integer NOT NULL,
    job       character varying NOT NULL,
    name      character varying NOT NULL,
    val       character varying,
    synth     boolean NOT NULL,
    CONSTRAINT runvars_pkey PRIMARY KEY (flight, job, name)
);
CREATE INDEX runvars_host_idx ON runvars (val, flight)
    WHERE name::text = 'host'::text OR name::text ~~ '%\_host'::text;

CREATE TABLE resources (
    restype   text NOT NULL,
    resname   text NOT NULL,
    shareix   integer NOT NULL DEFAULT 0,
    owntaskid integer NOT NULL,
    subtask   text NOT NULL DEFAULT ''::text,
    CONSTRAINT resources_pkey PRIMARY KEY (restype, resname, shareix),
    CONSTRAINT resources_owntaskid_fkey FOREIGN KEY (owntaskid) REFERENCES tasks(taskid),
    CONSTRAINT resources_shareix_check CHECK (shareix = 0 OR restype ~~ 'share-%'::text)
);

CREATE TABLE resource_sharing (
    restype   text NOT NULL,
    resname   text NOT NULL,
    sharetype text NOT NULL,
    wear      integer NOT NULL DEFAULT 0,
    state     text NOT NULL,
    harness   character varying,
    CONSTRAINT resource_sharing_pkey PRIMARY KEY (restype, resname)
);

CREATE TABLE hostflags (
    hostname  text NOT NULL,
    hostflag  text NOT NULL,
    CONSTRAINT hostflags_pkey PRIMARY KEY (hostname, hostflag)
);
CREATE INDEX hostflags_by_hostflag ON hostflags (hostflag);

CREATE TABLE resource_properties (
    restype   text NOT NULL,
    resname   text NOT NULL,
    name      text NOT NULL,
    val       text NOT NULL,
    CONSTRAINT resource_properties_pkey PRIMARY KEY (restype, resname, name)
);

INSERT INTO tasks (type, refkey, live, comment) VALUES
    ('magic', 'idle',        false, 'magic'),
    ('magic', 'allocatable', true,  'magic'),
    ('magic', 'shared',      true,  'magic'),
    ('magic', 'preparing',   true,  'magic');
";

/// An index hostlife reads through.
pub(super) struct Wanted {
    pub name: &'static str,
    pub table: &'static str,
    /// What follows `ON table` in `CREATE INDEX`.
    pub definition: &'static str,
    pub why: &'static str,
    /// osstest's own (part of its layout, which `db init` makes), rather
    /// than hostlife's.
    pub osstest: bool,
}

/// The indexes hostlife reads through: their one home. `db init` makes
/// hostlife's own with the rest of the layout; `db upgrade` adds any that
/// a live database lacks.
pub(super) const WANTED: &[Wanted] = &[
    Wanted {
        name: "runvars_host_idx",
        table: "runvars",
        definition: "(val, flight) WHERE name = 'host' OR name LIKE '%\\_host'",
        why: "osstest's index of the ident runvars, which `history` reads",
        osstest: true,
    },
    Wanted {
        name: "resources_owntaskid_idx",
        table: "resources",
        definition: "(owntaskid)",
        why: "the shares a task holds, for the wipe's holder check",
        osstest: false,
    },
    Wanted {
        name: "host_lifecycle_task_idx",
        table: "host_lifecycle",
        definition: "(hostname, taskid, lcseq)",
        why: "a task's first row on a host, for `wiped`",
        osstest: false,
    },
    Wanted {
        name: "host_lifecycle_taskid_idx",
        table: "host_lifecycle",
        definition: "(taskid)",
        why: "a task's rows, for the hosts list",
        osstest: false,
    },
    Wanted {
        name: "runvars_lifecycle_tasks_idx",
        table: "runvars",
        definition: "(flight, job) WHERE name LIKE '%\\_lifecycle' AND val LIKE '%?%'",
        why: "the lifecycle runvars that name out-of-job tasks, for `suspects`",
        osstest: false,
    },
    Wanted {
        name: "tasks_live_idx",
        table: "tasks",
        definition: "(taskid) WHERE live",
        why: "the live tasks, for the recorder and the hosts list",
        osstest: false,
    },
];

/// Create the minimal osstest schema, with `host_lifecycle`, in an empty
/// database. Fails (changing nothing) if any of the tables exists.
pub fn init(client: &mut impl GenericClient) -> Result<()> {
    super::txn::committed(client, |tx| {
        tx.batch_execute(BASE_DDL)?;
        tx.batch_execute(HOST_LIFECYCLE_DDL)?;
        // hostlife's own indexes, as `db upgrade` would add them.
        for w in WANTED.iter().filter(|w| !w.osstest) {
            tx.batch_execute(&format!(
                "CREATE INDEX {} ON {} {}",
                w.name, w.table, w.definition
            ))?;
        }
        Ok(())
    })
}

/// The role that owns osstest's tables and that osstest runs as.
pub const OWNER_ROLE: &str = "osstest";
/// The role with SELECT on every table and nothing else.
pub const READ_ONLY_ROLE: &str = "osstest_ro";

/// Make osstest's two roles, as an administrator, unless they exist.
/// For throwaway clusters and test servers: a real installation has them.
pub fn create_roles(admin: &mut impl GenericClient) -> Result<()> {
    admin.batch_execute(&format!(
        "DO $$ BEGIN
             IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OWNER_ROLE}') THEN
                 CREATE ROLE {OWNER_ROLE} LOGIN;
             END IF;
             IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{READ_ONLY_ROLE}') THEN
                 CREATE ROLE {READ_ONLY_ROLE} LOGIN;
             END IF;
         END $$"
    ))?;
    Ok(())
}

/// Give the read-only role SELECT on every table, as a real installation
/// does. Run by the tables' owner, after [`init`].
pub fn grant_read_only(owner: &mut impl GenericClient) -> Result<()> {
    owner.batch_execute(&format!(
        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READ_ONLY_ROLE}"
    ))?;
    Ok(())
}
