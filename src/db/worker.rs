//! The database worker: one thread that owns the `postgres::Client`, takes
//! typed requests tagged with an id and answers each with an event. (The
//! suspects ranking borrows a second connection for its read:
//! `Helper`.)
//!
//! The TUI never touches the connection itself, so a slow query or a lost
//! server cannot freeze the keyboard. Two rules keep views consistent:
//!
//! - Every request belongs to a [`Slot`]. When several reads for the same
//!   slot are queued, only the newest runs (the others would be answered
//!   with data nobody shows); the receiver also drops any answer whose id
//!   is not the newest it sent for that slot.
//! - Writes are never coalesced: each runs once, in the order sent. A
//!   write sent while a read runs cancels the read (PostgreSQL's cancel
//!   request, from a thread of its own) and goes first; the read is put
//!   back and runs after it, unanswered until then, so an operator's wipe
//!   never waits for a slow refresh. A newer read for the same slot
//!   cancels an older one running, likewise, which is then dropped.
//!
//! When the connection drops, the worker says so ([`Connection::Down`]),
//! answers requests with an error meanwhile, and reconnects with
//! exponential backoff; once back it says [`Connection::Up`], and what the
//! connection found ([`Event::Probed`]): a database without what hostlife
//! reads gets every request answered with that one line instead of an SQL
//! error, and a role that may not write gets its writes refused before
//! they are tried.
//!
//! A request that panics the worker (a bug, never the database's fault)
//! is caught: it is answered with the panic's message, the connection it
//! may have left mid-transaction is dropped, and the worker starts again
//! on a new one, with the same backoff as a lost connection. The browser
//! keeps its data throughout.

use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use postgres::Client;

use super::cancel::Session;
use super::connect::{self, Connector, Resolved};
use super::probe::{self, Probe};
use super::read;
use super::record::Recorder;
use super::txn;
use super::wipe;
use super::{Error, PgConfig, Result};
use crate::lifecycle::Failure;
use crate::lifecycle::blame::Blame;
use crate::lifecycle::call::{RecordCall, RecordOutcome};
use crate::lifecycle::call::{WipeCall, WipeOutcome, WipePlan};
use crate::lifecycle::health::Health;
use crate::lifecycle::report::{HistoryEntry, HostDetail, HostSummary, JobRunvar};
use crate::lifecycle::timeline::Timeline;

/// Identifies a request; ids grow, so a larger id is a newer request.
pub type RequestId = u64;

/// How many jobs the history view asks for.
pub const HISTORY_LIMIT: i64 = 500;

const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest a read may run. The worker serves one request at a time,
/// so a runaway read would hold back every later one (writes included)
/// and its answer would be many refreshes old anyway; past this the
/// server cancels it and the view says the refresh failed, keeping the
/// data it shows. The hosts list on a million rows takes about a second.
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Set on every connection the worker opens.
///
/// `max_parallel_workers_per_gather = 0`: the hosts query reads every
/// `host_lifecycle` row, and PostgreSQL would spread that scan over
/// parallel worker processes, one per core. On an operator's machine (or
/// a small server running the browser next to PostgreSQL) those take the
/// core the UI thread needs, and keys then wait behind a query that is
/// merely a background refresh. One backend per browser is enough: the
/// query is a little slower, the keyboard stays responsive.
/// How long the check before a write waits for the server's answer.
const LIVENESS_TIMEOUT: Duration = Duration::from_secs(5);
const SESSION_SETUP: &str = "SET max_parallel_workers_per_gather = 0";

/// What the worker can be asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// The hosts list, its rows not counted (quick: a few probes a host).
    Hosts,
    /// The hosts' row counts, asked for once the list has come.
    HostCounts,
    /// The health of these hosts at `now` (epoch seconds): asked for after
    /// the list, less often.
    HostHealth {
        hosts: Vec<String>,
        now: i64,
    },
    /// The suspects ranking (the hosts list marks the hosts it reports
    /// as problems): it reads every install, so it is asked for least
    /// often.
    Suspects,
    /// "Was it the host?" for a job.
    Blame {
        flight: i32,
        job: String,
    },
    Show {
        host: String,
    },
    History {
        host: String,
    },
    /// `[count]` in `(flight, job)`'s runvar `name`, expanded.
    Elided {
        flight: i32,
        job: String,
        name: String,
        count: u32,
    },
    /// A host's jobs over the `days` before its newest activity.
    Timeline {
        host: String,
        days: i64,
    },
    JobRunvars {
        flight: i32,
        job: String,
    },
    /// Decode a runvar given as text, as if it were (flight, job)'s.
    DecodeRunvar {
        flight: i32,
        job: String,
        runvar: String,
    },
    /// Whether a job exists: the palette flags one that does not before
    /// Enter.
    CheckJob {
        flight: i32,
        job: String,
    },
    /// What a manual wipe would do; writes nothing.
    PlanWipe(WipeCall),
    /// What a record call would do, rehearsed and rolled back.
    PlanRecord(RecordCall),
    Wipe(WipeCall),
    Record(RecordCall),
}

/// Which answer a request's answer replaces: a newer request for the same
/// slot makes older ones stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slot {
    Hosts,
    HostCounts,
    HostHealth,
    Suspects,
    Blame,
    Host,
    History,
    Timeline,
    Elided,
    Runvars,
    Check,
    Plan,
    Write,
}

impl Request {
    pub fn slot(&self) -> Slot {
        match self {
            Request::Hosts => Slot::Hosts,
            Request::HostCounts => Slot::HostCounts,
            Request::HostHealth { .. } => Slot::HostHealth,
            Request::Suspects => Slot::Suspects,
            Request::Blame { .. } => Slot::Blame,
            Request::Show { .. } => Slot::Host,
            Request::History { .. } => Slot::History,
            Request::Timeline { .. } => Slot::Timeline,
            Request::Elided { .. } => Slot::Elided,
            Request::JobRunvars { .. } | Request::DecodeRunvar { .. } => Slot::Runvars,
            Request::CheckJob { .. } => Slot::Check,
            Request::PlanWipe(_) | Request::PlanRecord(_) => Slot::Plan,
            Request::Wipe(_) | Request::Record(_) => Slot::Write,
        }
    }

    pub fn is_write(&self) -> bool {
        self.slot() == Slot::Write
    }
}

/// A request's answer, typed by its request: each carries what the
/// request named, so the receiver can tell whether it still wants it, and
/// the result, so a view gets exactly the data it asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Hosts(Outcome<Vec<HostSummary>>),
    HostCounts(Outcome<HashMap<String, i64>>),
    HostHealth(Outcome<HashMap<String, Health>>),
    Suspects(Outcome<crate::lifecycle::suspects::Report>),
    Blame {
        flight: i32,
        job: String,
        result: Outcome<Blame>,
    },
    Host {
        host: String,
        result: Outcome<HostDetail>,
    },
    /// The newest [`HISTORY_LIMIT`] or so jobs, and whether older flights
    /// name the host too.
    History {
        host: String,
        result: Outcome<(Vec<HistoryEntry>, bool)>,
    },
    /// For [`Request::Elided`], echoed.
    Elided {
        request: Request,
        result: Outcome<crate::lifecycle::elided::Elided>,
    },
    /// The window asked for is echoed: a wider one replaces a narrower.
    Timeline {
        host: String,
        days: i64,
        result: Outcome<Timeline>,
    },
    /// For [`Request::JobRunvars`] and [`Request::DecodeRunvar`], echoed.
    Runvars {
        request: Request,
        result: Outcome<Vec<JobRunvar>>,
    },
    /// Whether the job exists (one that does not is a refusal).
    JobChecked {
        flight: i32,
        job: String,
        result: Outcome<()>,
    },
    /// The plan, and the host's rows so the plan can name their jobs.
    WipePlan {
        call: WipeCall,
        result: Outcome<(WipePlan, HostDetail)>,
    },
    RecordPlan {
        call: RecordCall,
        result: Outcome<RecordOutcome>,
    },
    Wiped {
        call: WipeCall,
        result: Outcome<WipeOutcome>,
    },
    Recorded {
        call: RecordCall,
        result: Outcome<RecordOutcome>,
    },
}

/// What a request came to.
pub type Outcome<T> = std::result::Result<T, Failure>;

impl Reply {
    /// `request`'s answer when it failed as a whole: refused before it
    /// ran, not connected, or the worker failed running it.
    pub fn failed(request: Request, failure: Failure) -> Reply {
        let f = failure;
        match request {
            Request::Hosts => Reply::Hosts(Err(f)),
            Request::HostCounts => Reply::HostCounts(Err(f)),
            Request::HostHealth { .. } => Reply::HostHealth(Err(f)),
            Request::Suspects => Reply::Suspects(Err(f)),
            Request::Blame { flight, job } => Reply::Blame {
                flight,
                job,
                result: Err(f),
            },
            Request::Show { host } => Reply::Host {
                host,
                result: Err(f),
            },
            Request::History { host } => Reply::History {
                host,
                result: Err(f),
            },
            Request::Timeline { host, days } => Reply::Timeline {
                host,
                days,
                result: Err(f),
            },
            request @ Request::Elided { .. } => Reply::Elided {
                request,
                result: Err(f),
            },
            request @ (Request::JobRunvars { .. } | Request::DecodeRunvar { .. }) => {
                Reply::Runvars {
                    request,
                    result: Err(f),
                }
            }
            Request::CheckJob { flight, job } => Reply::JobChecked {
                flight,
                job,
                result: Err(f),
            },
            Request::PlanWipe(call) => Reply::WipePlan {
                call,
                result: Err(f),
            },
            Request::PlanRecord(call) => Reply::RecordPlan {
                call,
                result: Err(f),
            },
            Request::Wipe(call) => Reply::Wiped {
                call,
                result: Err(f),
            },
            Request::Record(call) => Reply::Recorded {
                call,
                result: Err(f),
            },
        }
    }

    /// The slot of the request this answers.
    pub fn slot(&self) -> Slot {
        match self {
            Reply::Hosts(_) => Slot::Hosts,
            Reply::HostCounts(_) => Slot::HostCounts,
            Reply::HostHealth(_) => Slot::HostHealth,
            Reply::Suspects(_) => Slot::Suspects,
            Reply::Blame { .. } => Slot::Blame,
            Reply::Host { .. } => Slot::Host,
            Reply::History { .. } => Slot::History,
            Reply::Timeline { .. } => Slot::Timeline,
            Reply::Elided { .. } => Slot::Elided,
            Reply::Runvars { .. } => Slot::Runvars,
            Reply::JobChecked { .. } => Slot::Check,
            Reply::WipePlan { .. } | Reply::RecordPlan { .. } => Slot::Plan,
            Reply::Wiped { .. } | Reply::Recorded { .. } => Slot::Write,
        }
    }

    /// The failure, if the request failed.
    pub fn failure(&self) -> Option<&Failure> {
        fn err<T>(r: &Outcome<T>) -> Option<&Failure> {
            r.as_ref().err()
        }
        match self {
            Reply::Hosts(r) => err(r),
            Reply::HostCounts(r) => err(r),
            Reply::HostHealth(r) => err(r),
            Reply::Suspects(r) => err(r),
            Reply::Blame { result, .. } => err(result),
            Reply::Host { result, .. } => err(result),
            Reply::History { result, .. } => err(result),
            Reply::Timeline { result, .. } => err(result),
            Reply::Elided { result, .. } => err(result),
            Reply::Runvars { result, .. } => err(result),
            Reply::JobChecked { result, .. } => err(result),
            Reply::WipePlan { result, .. } => err(result),
            Reply::Wiped { result, .. } => err(result),
            Reply::RecordPlan { result, .. } | Reply::Recorded { result, .. } => err(result),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        match e {
            Error::Refused(r) => Failure::Refused(r),
            other => Failure::Failed(other.to_string()),
        }
    }
}

/// The answer to one request, by its id.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub id: RequestId,
    pub reply: Reply,
}

/// The state of the worker's connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    Up,
    Down { error: String, retry_in: Duration },
}

/// What the worker reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Boxed: answers carry whole result sets, connection news is small.
    Answer(Box<Answer>),
    Connection(Connection),
    /// What a new connection found: sent after each [`Connection::Up`].
    Probed(Probe),
}

/// The thread's name, which the browser's panic hook knows: a panic there
/// is caught and reported by the worker, not the end of the program.
pub const THREAD_NAME: &str = "hostlife-db";

/// The handle to a running worker. Dropping it stops the worker once its
/// current query finishes.
pub struct Worker {
    tx: Sender<(RequestId, Request)>,
    running: Shared,
    /// Where cancels are asked for from ([`Session::cancel`]).
    connector: Connector,
}

/// What the worker's thread is running, shared with its handle, so that a
/// write sent while a read runs can cancel the read rather than wait for
/// it. The read is then run again after the write.
#[derive(Default)]
struct Running {
    /// The session of the worker's connection.
    session: Option<Session>,
    /// The session of the second connection a read has open for the
    /// while ([`Helper`]).
    helper: Option<Session>,
    /// The read now running, if one is, and its slot.
    read: Option<(RequestId, Slot)>,
    /// The read cancelled for a write.
    cancelled: Option<RequestId>,
}

type Shared = Arc<Mutex<Running>>;

fn lock(shared: &Shared) -> MutexGuard<'_, Running> {
    // The state stays consistent whoever panicked holding it: each field
    // is written whole.
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Worker {
    /// Start the worker thread. `sink` receives every event and returns false once
    /// nobody listens any more, which stops the worker.
    pub fn spawn(
        config: PgConfig,
        sink: impl FnMut(Event) -> bool + Send + 'static,
    ) -> std::io::Result<Worker> {
        Self::start(Connector::plain(config), None, sink)
    }

    /// [`Worker::spawn`] on resolved settings: a failure to connect is
    /// explained as the CLI explains it ([`connect::explain`]).
    pub fn spawn_resolved(
        resolved: Resolved,
        sink: impl FnMut(Event) -> bool + Send + 'static,
    ) -> std::io::Result<Worker> {
        Self::start(resolved.connector.clone(), Some(resolved), sink)
    }

    fn start(
        connector: Connector,
        resolved: Option<Resolved>,
        sink: impl FnMut(Event) -> bool + Send + 'static,
    ) -> std::io::Result<Worker> {
        let config = connector.with_default_timeout(CONNECT_TIMEOUT);
        let (tx, rx) = mpsc::channel();
        let running = Shared::default();
        let shared = running.clone();
        let connector = config.clone();
        thread::Builder::new()
            .name(THREAD_NAME.to_owned())
            .spawn(move || {
                let mut runner = Runner::new(config, sink, execute);
                runner.resolved = resolved;
                runner.running = shared;
                runner.run(&rx);
            })?;
        Ok(Worker {
            tx,
            running,
            connector,
        })
    }

    /// Queue a request. False when the worker has stopped. A write
    /// cancels the read running ahead of it, which runs again after it; a
    /// newer read for the same slot cancels the older, whose answer nobody
    /// would show.
    pub fn send(&self, id: RequestId, request: Request) -> bool {
        let (write, slot) = (request.is_write(), request.slot());
        // The palette's job checks come a keystroke apart and take a
        // millisecond: cancelling one would cost more than it saves.
        let supersedes = move |(read, read_slot): (RequestId, Slot)| {
            write || (read_slot == slot && slot != Slot::Check && read < id)
        };
        let sent = self.tx.send((id, request)).is_ok();
        // A glance without waiting (the caller is the browser's loop): a
        // cancel on its way holds the lock.
        let worth = match self.running.try_lock() {
            Ok(r) => r.read.is_some_and(supersedes),
            Err(_) => true,
        };
        if sent && worth {
            // On a thread of its own: cancelling opens a connection to the
            // server. The lock is held throughout, so that the worker
            // cannot move on to the next request before the cancel has
            // landed, which could then hit that request instead.
            let running = self.running.clone();
            let connector = self.connector.clone();
            thread::spawn(move || {
                let mut r = lock(&running);
                if let (Some(read), Some(session)) = (r.read, r.session.clone())
                    && supersedes(read)
                    && r.cancelled != Some(read.0)
                {
                    r.cancelled = Some(read.0);
                    session.cancel(&connector);
                    if let Some(helper) = &r.helper {
                        helper.cancel(&connector);
                    }
                }
            });
        }
        sent
    }
}

/// Keep only what is worth running from a batch of queued requests: every
/// write, and of the reads the newest per slot. Order is kept.
pub fn coalesce(batch: Vec<(RequestId, Request)>) -> Vec<(RequestId, Request)> {
    let newest = |slot: Slot| {
        batch
            .iter()
            .filter(|(_, r)| r.slot() == slot)
            .map(|(id, _)| *id)
            .max()
    };
    let keep: Vec<bool> = batch
        .iter()
        .map(|(id, r)| r.is_write() || newest(r.slot()) == Some(*id))
        .collect();
    batch
        .into_iter()
        .zip(keep)
        .filter_map(|(x, keep)| keep.then_some(x))
        .collect()
}

/// How the worker carries out a request on its connection.
type Execute = fn(&mut Client, &mut Writes, &Helper, &Request) -> Reply;

/// A second connection for a read that goes faster on two (the suspects
/// ranking: its costliest part is read on the second while the first
/// reads the rest, on one snapshot). Opened for the read and closed
/// after it, so a browser holds one connection while idle; a cancel of
/// the read cancels its statement too.
struct Helper {
    config: Connector,
    running: Shared,
}

impl Helper {
    /// `read` given a second connection, or none when one cannot be had
    /// now (the server's connection limit, say): the read then goes on
    /// the worker's alone, slower.
    fn lend<T>(&self, read: impl FnOnce(Option<&mut Client>) -> T) -> T {
        let mut opened = self.config.blocking().ok().and_then(|mut c| {
            c.batch_execute(SESSION_SETUP).ok()?;
            let session = Session::of(&mut c).ok()?;
            Some((c, session))
        });
        lock(&self.running).helper = opened.as_ref().map(|(_, s)| s.clone());
        let out = read(opened.as_mut().map(|(c, _)| c));
        lock(&self.running).helper = None;
        out
    }
}

struct Runner<S> {
    config: Connector,
    /// The settings as resolved, when known: they explain a failure to
    /// connect.
    resolved: Option<Resolved>,
    sink: S,
    execute: Execute,
    client: Option<Client>,
    /// What the current connection found.
    probe: Option<Probe>,
    writes: Writes,
    /// Why the last connection attempt failed, and when to try again.
    down: Option<(String, Instant)>,
    backoff: Duration,
    running: Shared,
    /// Requests put back by a cancelled read: it, and the rest of its
    /// batch, to run after what has arrived since.
    deferred: Vec<(RequestId, Request)>,
}

/// What serving a request came to.
enum Served {
    Answered,
    /// Cancelled for a write: run again later, unanswered.
    PutBack,
    /// Nobody listens any more.
    Stop,
}

impl<S: FnMut(Event) -> bool> Runner<S> {
    fn new(config: Connector, sink: S, execute: Execute) -> Self {
        Runner {
            sink,
            execute,
            client: None,
            probe: None,
            writes: Writes::new(&config),
            config,
            resolved: None,
            down: None,
            backoff: FIRST_BACKOFF,
            running: Shared::default(),
            deferred: Vec::new(),
        }
    }

    fn run(mut self, rx: &Receiver<(RequestId, Request)>) {
        if !self.connect() {
            return;
        }
        loop {
            // While down, wake up to reconnect even if nobody asks. With
            // requests put back, take only what has already arrived.
            let first = match &self.down {
                _ if !self.deferred.is_empty() => None,
                Some((_, at)) => {
                    match rx.recv_timeout(at.saturating_duration_since(Instant::now())) {
                        Ok(x) => Some(x),
                        Err(RecvTimeoutError::Timeout) => {
                            if !self.connect() {
                                return;
                            }
                            continue;
                        }
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
                None => match rx.recv() {
                    Ok(x) => Some(x),
                    Err(_) => return,
                },
            };
            // What arrived (a write that cancelled a read among it) goes
            // before what was put back.
            let mut batch: Vec<_> = first.into_iter().chain(rx.try_iter()).collect();
            batch.append(&mut self.deferred);
            let mut batch = coalesce(batch).into_iter();
            while let Some((id, request)) = batch.next() {
                match self.serve(id, request.clone()) {
                    Served::Answered => {}
                    Served::PutBack => {
                        self.deferred.push((id, request));
                        self.deferred.extend(batch.by_ref());
                    }
                    Served::Stop => return,
                }
            }
        }
    }

    /// Try to connect and probe; report the outcome. False when the sink
    /// is gone.
    fn connect(&mut self) -> bool {
        let connected = self
            .config
            .blocking()
            .map_err(|e| match &self.resolved {
                Some(r) => connect::explain(&e, r),
                None => e.to_string(),
            })
            .and_then(|mut client| match client.batch_execute(SESSION_SETUP) {
                Ok(()) => Ok(client),
                Err(e) => Err(format!(
                    "setting up the session: {}",
                    super::error::describe_pg(&e)
                )),
            })
            .and_then(|mut client| match probe::probe(&mut client) {
                Ok(p) => Ok((client, p)),
                Err(e) => Err(format!("probing the database: {e}")),
            })
            .and_then(|(mut client, p)| match Session::of(&mut client) {
                Ok(session) => Ok((client, p, session)),
                Err(e) => Err(format!("identifying the session: {e}")),
            });
        match connected {
            Ok((client, probe, session)) => {
                lock(&self.running).session = Some(session);
                self.client = Some(client);
                self.probe = Some(probe.clone());
                self.down = None;
                self.backoff = FIRST_BACKOFF;
                (self.sink)(Event::Connection(Connection::Up)) && (self.sink)(Event::Probed(probe))
            }
            Err(error) => self.went_down(error),
        }
    }

    fn went_down(&mut self, error: String) -> bool {
        self.client = None;
        self.probe = None;
        self.writes.reset();
        let retry_in = self.backoff;
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        self.down = Some((error.clone(), Instant::now() + retry_in));
        (self.sink)(Event::Connection(Connection::Down { error, retry_in }))
    }

    fn serve(&mut self, id: RequestId, request: Request) -> Served {
        // A request arriving when the retry is due reconnects first.
        if self
            .down
            .as_ref()
            .is_some_and(|(_, at)| *at <= Instant::now())
            && !self.connect()
        {
            return Served::Stop;
        }
        // A write is not risked on a connection the server may have
        // closed since the last request (a restart, an idle timeout): one
        // empty round trip tells, and a lost one is replaced first.
        if request.is_write()
            && let Some(client) = &mut self.client
            && client.is_valid(LIVENESS_TIMEOUT).is_err()
            && !self.connect()
        {
            return Served::Stop;
        }
        let mut panicked = None;
        let Some(mut outcome) = self.attempt(id, &request, &mut panicked) else {
            return Served::PutBack;
        };
        // A read that failed because the server had closed the connection
        // since the last request (a restart, an idle timeout, a backend
        // terminated by an administrator) is asked again on a new one:
        // reading twice is harmless, and the operator should not have to
        // press `R` to learn the server is back. Writes are not repeated
        // here; they checked the connection first (above), and the
        // recorder redoes only what it knows was not committed.
        let lost_before = !request.is_write()
            && panicked.is_none()
            && outcome.as_ref().map_or(true, |r| r.failure().is_some())
            && self.client.as_ref().is_some_and(Client::is_closed);
        if lost_before {
            if !self.connect() {
                return Served::Stop;
            }
            let Some(again) = self.attempt(id, &request, &mut panicked) else {
                return Served::PutBack;
            };
            outcome = again;
        }
        let reply = outcome.unwrap_or_else(|f| Reply::failed(request, f));
        let lost = self.client.as_ref().is_some_and(Client::is_closed);
        let answered = (self.sink)(Event::Answer(Box::new(Answer { id, reply })));
        let going = if let Some(why) = panicked {
            answered && self.went_down(format!("the database worker failed ({why})"))
        } else if lost {
            self.went_down("the connection to the server was lost".to_owned())
        } else {
            answered
        };
        if going {
            Served::Answered
        } else {
            Served::Stop
        }
    }

    /// Run `request` once on the current connection (or say why it
    /// cannot). `None`: a write was cancelled and goes back in the queue.
    fn attempt(
        &mut self,
        id: RequestId,
        request: &Request,
        panicked: &mut Option<String>,
    ) -> Option<Result<Reply, Failure>> {
        let refusal = self
            .probe
            .as_ref()
            .and_then(|p| p.unusable().map(Failure::Unusable));
        let refusal = refusal.or_else(|| {
            let why = request
                .is_write()
                .then(|| self.probe.as_ref()?.read_only_reason())?;
            why.map(Failure::ReadOnly)
        });
        Some(match (&mut self.client, &self.down, refusal) {
            (Some(_), _, Some(refusal)) => Err(refusal),
            (Some(client), _, None) => {
                let execute = self.execute;
                let writes = &mut self.writes;
                let helper = Helper {
                    config: self.config.clone(),
                    running: self.running.clone(),
                };
                lock(&self.running).read = (!request.is_write()).then_some((id, request.slot()));
                // The client and the recorder are dropped below if this
                // unwinds, so nothing half-done is used again.
                let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
                    execute(client, writes, &helper, request)
                }));
                let cancelled = {
                    let mut r = lock(&self.running);
                    r.read = None;
                    r.cancelled.take() == Some(id)
                };
                match outcome {
                    Ok(reply) if cancelled && reply.failure().is_some() => return None,
                    Ok(reply) => Ok(reply),
                    Err(payload) => {
                        let why = panic_message(payload.as_ref());
                        *panicked = Some(why.clone());
                        Err(Failure::Failed(format!(
                            "internal error in the database worker: {why}; it starts again on a new connection"
                        )))
                    }
                }
            }
            (None, Some((error, at)), _) => Err(Failure::NotConnected {
                cause: Some(error.clone()),
                retry_in: Some(at.saturating_duration_since(Instant::now())),
            }),
            (None, None, _) => Err(Failure::NotConnected {
                cause: None,
                retry_in: None,
            }),
        })
    }
}

/// A panic's message, as `panic!` was given it.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    match (
        payload.downcast_ref::<&str>(),
        payload.downcast_ref::<String>(),
    ) {
        (Some(s), _) => (*s).to_owned(),
        (_, Some(s)) => s.clone(),
        _ => "a panic without a message".to_owned(),
    }
}

/// The connections writes go on, each made by the first request that
/// needs it (most sessions never write): the recorder's own, and, when
/// reads come from a standby, one to the primary for wipes and their
/// previews. A recorder is dropped when a call fails other than by
/// refusing, so that the next one reconnects.
struct Writes {
    /// For the recorder: aimed at a server that accepts writes when the
    /// reads are not.
    config: Connector,
    recorder: Option<Recorder>,
    /// `Some` when reads go to a standby (`target_session_attrs=read-only`):
    /// wipes then need a connection of their own to the primary.
    primary: Option<Primary>,
}

struct Primary {
    config: Connector,
    client: Option<Client>,
}

impl Writes {
    fn new(reads: &Connector) -> Self {
        let writes = reads.for_writes();
        Writes {
            config: writes.clone().unwrap_or_else(|| reads.clone()),
            recorder: None,
            primary: writes.map(|config| Primary {
                config,
                client: None,
            }),
        }
    }

    /// Forget every connection: the next write connects anew.
    fn reset(&mut self) {
        self.recorder = None;
        if let Some(p) = &mut self.primary {
            p.client = None;
        }
    }

    /// The connection a wipe (or its preview) runs on: the reads' own,
    /// unless they come from a standby; then the primary's, checked
    /// alive first (as the reads' is before a write) and made anew if not.
    fn client<'a>(&'a mut self, reads: &'a mut Client) -> Result<&'a mut Client> {
        let Some(primary) = &mut self.primary else {
            return Ok(reads);
        };
        if primary
            .client
            .as_mut()
            .is_some_and(|c| c.is_valid(LIVENESS_TIMEOUT).is_err())
        {
            primary.client = None;
        }
        let client = match primary.client.take() {
            Some(c) => c,
            None => primary.config.blocking().map_err(|e| {
                Error::Other(format!("connecting to a server that accepts writes: {e}"))
            })?,
        };
        Ok(primary.client.insert(client))
    }

    fn record(&mut self, call: &RecordCall) -> Result<RecordOutcome> {
        self.with_recorder(|r| r.record(call))
    }

    fn rehearse(&mut self, call: &RecordCall) -> Result<RecordOutcome> {
        self.with_recorder(|r| r.rehearse(call))
    }

    fn with_recorder(
        &mut self,
        f: impl FnOnce(&mut Recorder) -> Result<RecordOutcome>,
    ) -> Result<RecordOutcome> {
        // A connection the server has closed since (a restart, an idle
        // timeout) is replaced before the call rather than failing it.
        if self.recorder.as_ref().is_some_and(Recorder::is_closed) {
            self.recorder = None;
        }
        let recorder = if let Some(r) = &mut self.recorder {
            r
        } else {
            let conn = self
                .config
                .pipelined()
                .map_err(|e| Error::Other(format!("connecting the recorder: {e}")))?;
            self.recorder
                .insert(Recorder::new(conn)?.reconnecting_with(self.config.clone()))
        };
        let outcome = f(recorder);
        if outcome.as_ref().is_err_and(|e| !e.is_refusal()) {
            self.recorder = None;
        }
        outcome
    }
}

fn execute(client: &mut Client, writes: &mut Writes, helper: &Helper, request: &Request) -> Reply {
    fn out<T>(r: Result<T>) -> Outcome<T> {
        r.map_err(Failure::from)
    }
    match request {
        Request::Hosts => Reply::Hosts(out(read_only(client, |c| read::hosts_listed(c)))),
        Request::HostCounts => {
            Reply::HostCounts(out(read_only(client, |c| read::host_row_counts(c))))
        }
        Request::HostHealth { hosts, now } => Reply::HostHealth(out(read_only(client, |c| {
            crate::db::insight::host_health(c, hosts, *now)
        }))),
        Request::Suspects => {
            Reply::Suspects(out(helper.lend(|second| {
                read_only(client, |c| crate::db::insight::suspects(c, second))
            })))
        }
        Request::Blame { flight, job } => Reply::Blame {
            flight: *flight,
            job: job.clone(),
            result: out(read_only(client, |c| {
                crate::db::insight::blame(c, *flight, job)
            })),
        },
        Request::Show { host } => Reply::Host {
            host: host.clone(),
            result: out(read_only(client, |c| read::show(c, host))),
        },
        Request::History { host } => Reply::History {
            host: host.clone(),
            result: out(read_only(client, |c| {
                read::history_page(c, host, HISTORY_LIMIT, None)
            })),
        },
        Request::Timeline { host, days } => Reply::Timeline {
            host: host.clone(),
            days: *days,
            result: out(read_only(client, |c| {
                crate::db::timeline::timeline(c, host, days.saturating_mul(86_400))
            })),
        },
        Request::Elided {
            flight,
            job,
            name,
            count,
        } => Reply::Elided {
            request: request.clone(),
            result: out(read_only(client, |c| {
                crate::db::insight::elided(c, *flight, job, name, *count)
            })),
        },
        Request::JobRunvars { flight, job } => Reply::Runvars {
            request: request.clone(),
            result: out(read_only(client, |c| read::job_runvars(c, *flight, job))),
        },
        Request::DecodeRunvar {
            flight,
            job,
            runvar,
        } => {
            let name = format!("{}_lifecycle", crate::lifecycle::DEFAULT_IDENT);
            Reply::Runvars {
                request: request.clone(),
                result: out(read_only(client, |c| {
                    read::decode_job_runvar(c, *flight, job, &name, runvar)
                }))
                .map(|r| vec![r]),
            }
        }
        Request::CheckJob { flight, job } => Reply::JobChecked {
            flight: *flight,
            job: job.clone(),
            result: out(read_only(client, |c| {
                read::check_job_known(c, *flight, job)
            })),
        },
        Request::PlanWipe(call) => Reply::WipePlan {
            call: call.clone(),
            result: out(writes
                .client(client)
                .and_then(|c| wipe::preview_manual(c, call))),
        },
        Request::Wipe(call) => Reply::Wiped {
            call: call.clone(),
            result: out(writes
                .client(client)
                .and_then(|c| wipe::wipe_manual(c, call))),
        },
        Request::Record(call) => Reply::Recorded {
            call: call.clone(),
            result: out(writes.record(call)),
        },
        Request::PlanRecord(call) => Reply::RecordPlan {
            call: call.clone(),
            result: out(writes.rehearse(call)),
        },
    }
}

/// Run a read in a read-only snapshot, cancelled after [`READ_TIMEOUT`].
fn read_only<T>(
    client: &mut Client,
    read: impl FnOnce(&mut postgres::Transaction<'_>) -> Result<T>,
) -> Result<T> {
    txn::read_only(client, Some(READ_TIMEOUT), read)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testdb::TestDb;

    /// [`execute`], but a request to show host `boom` panics, as a bug
    /// in reading an answer would.
    fn execute_or_panic(
        client: &mut Client,
        writes: &mut Writes,
        helper: &Helper,
        request: &Request,
    ) -> Reply {
        if matches!(request, Request::Show { host } if host == "boom") {
            panic!("a bug in reading boom");
        }
        execute(client, writes, helper, request)
    }

    /// The suspects ranking borrows a second connection for its read: it
    /// is there while the read runs (its statement cancelled with the
    /// read's) and gone after; the answer is the one-connection answer.
    #[test]
    fn the_ranking_reads_on_a_second_connection_cancelled_with_it() {
        let db = TestDb::new();
        let cfg = crate::sim::SeedConfig::scale(crate::sim::Scale::Small);
        crate::sim::seed(&db.connector(), &cfg, &|_| {}).unwrap();
        let running = Shared::default();
        let helper = Helper {
            config: Connector::plain(db.config().clone()),
            running: running.clone(),
        };
        let mut client = db.connect();
        let pid =
            |c: &mut Client| -> i32 { c.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0) };
        let ours = pid(&mut client);
        let started = Instant::now();
        let slept = helper.lend(|second| {
            let second = second.expect("a second connection");
            assert_ne!(pid(second), ours);
            let session = lock(&running)
                .helper
                .clone()
                .expect("its session, while lent");
            assert_eq!(session.pid(), pid(second));
            // As the worker's cancel does, from a thread of its own.
            let connector = helper.config.clone();
            let cancel = thread::spawn(move || {
                thread::sleep(Duration::from_millis(200));
                session.cancel(&connector)
            });
            let slept = second.batch_execute("SELECT pg_sleep(30)");
            assert_eq!(
                cancel.join().unwrap(),
                crate::db::cancel::Cancelled::Signalled
            );
            slept
        });
        assert!(slept.is_err(), "the sleep was cancelled");
        assert!(started.elapsed() < Duration::from_secs(20));
        assert!(lock(&running).helper.is_none(), "cleared after the read");

        let mut writes = Writes::new(&helper.config);
        let Reply::Suspects(Ok(lent)) =
            execute(&mut client, &mut writes, &helper, &Request::Suspects)
        else {
            panic!("no ranking")
        };
        let alone = crate::db::insight::suspects(&mut db.connect(), None).unwrap();
        assert!(lent.trials > 10, "{}", lent.trials);
        assert_eq!(lent, alone);
    }

    /// A panic in a request is answered, the connection is replaced, and
    /// the next request is served as if nothing happened.
    #[test]
    fn a_panicking_request_is_answered_and_the_worker_starts_again() {
        let db = TestDb::new();
        let (tx, events) = mpsc::channel();
        let (requests, rx) = mpsc::channel();
        let config = Connector::plain(db.config().clone());
        let runner = thread::Builder::new()
            .name(THREAD_NAME.to_owned())
            .spawn(move || {
                Runner::new(config, move |e| tx.send(e).is_ok(), execute_or_panic).run(&rx);
            })
            .unwrap();
        let next = || events.recv_timeout(Duration::from_secs(20)).unwrap();
        assert_eq!(next(), Event::Connection(Connection::Up));
        assert!(matches!(next(), Event::Probed(_)));

        requests.send((1, show("boom"))).unwrap();
        let Event::Answer(a) = next() else {
            panic!("no answer")
        };
        let failure = a.reply.failure().expect("a failure").clone();
        assert!(
            matches!(&failure, Failure::Failed(m) if m.contains("a bug in reading boom")),
            "{failure:?}"
        );
        let Event::Connection(Connection::Down { error, .. }) = next() else {
            panic!("the connection was kept")
        };
        assert!(error.contains("a bug in reading boom"), "{error}");

        // After the backoff, a new connection, and the next request works.
        requests.send((2, Request::Hosts)).unwrap();
        loop {
            match next() {
                Event::Answer(a) if a.id == 2 && a.reply.failure().is_none() => break,
                Event::Answer(a) if a.id == 2 => {
                    // Sent before the retry was due: answered "not
                    // connected"; ask again.
                    requests.send((2, Request::Hosts)).unwrap();
                    let _ = a;
                }
                _ => {}
            }
        }
        drop(requests);
        runner.join().expect("the worker thread ended by itself");
    }

    fn show(host: &str) -> Request {
        Request::Show {
            host: host.to_owned(),
        }
    }

    #[test]
    fn coalesce_keeps_newest_read_per_slot_and_every_write() {
        let wipe = Request::Wipe(WipeCall {
            host: "h".into(),
            task: crate::lifecycle::call::TaskRef::Id { taskid: 1 },
            job: None,
        });
        let batch = vec![
            (1, show("a")),
            (2, Request::Hosts),
            (3, wipe.clone()),
            (4, show("b")),
            (5, wipe.clone()),
        ];
        assert_eq!(
            coalesce(batch),
            vec![
                (2, Request::Hosts),
                (3, wipe.clone()),
                (4, show("b")),
                (5, wipe)
            ]
        );
    }
}
