//! Cancelling the statement a session is running so that the cancel can
//! only land on that statement, never on the one sent after it.
//!
//! A cancel request packet (libpq's `PQcancel`, the connection library's
//! `cancel_query`) is answered by a server process of its own, which
//! signals the session and exits. Up to PostgreSQL 17 it signals twice:
//! the process, then its process group. The library returns once the
//! packet is written, not once the server has acted on it, so when that
//! process is slow to get a core the second signal can arrive after the
//! cancelled statement has failed and the session has moved on, and
//! cancel the next statement instead: a write the operator asked for,
//! or the read that superseded the cancelled one.
//!
//! `pg_cancel_backend()` signals once, and has signalled when it returns.
//! So the cancel is asked for on a second connection, through the same
//! settings (TLS included), and the session is named by its process id
//! and its start time: a process id alone could be another session's, on
//! another of the listed hosts or after the worker's session ended. Only
//! when no such connection can be had (the server's connection limit)
//! does the cancel go as a packet.

use postgres::{CancelToken, Client};

use super::connect::Connector;
use super::row::RowExt;

/// A session that can be cancelled from another connection.
#[derive(Clone)]
pub struct Session {
    pid: i32,
    /// `backend_start` as text: it tells this session from a later one
    /// given the same process id.
    started: String,
    token: CancelToken,
}

/// How a cancel went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// Signalled from a second connection: the signal has arrived.
    Signalled,
    /// The session was not found where the second connection landed (it
    /// has ended, or that is another server): nothing was signalled.
    NotFound,
    /// Sent as a cancel packet, no second connection being had; whether
    /// and when the server acted on it is not known.
    Packet,
    /// Neither way reached the server.
    Failed,
}

impl Session {
    /// The session `client` is connected to.
    ///
    /// # Errors
    /// When the server cannot say (the connection failed).
    pub fn of(client: &mut Client) -> Result<Session, super::Error> {
        let row = client.query_one(
            "SELECT pid, backend_start::text FROM pg_stat_activity WHERE pid = pg_backend_pid()",
            &[],
        )?;
        Ok(Session {
            pid: row.col("session", 0)?,
            started: row.col("session", 1)?,
            token: client.cancel_token(),
        })
    }

    /// The server process serving the session.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Cancel the statement the session is running, if it is running one.
    pub fn cancel(&self, connector: &Connector) -> Cancelled {
        let Ok(mut second) = connector.blocking() else {
            return if connector.cancel_packet(&self.token) {
                Cancelled::Packet
            } else {
                Cancelled::Failed
            };
        };
        let found = second.query_opt(
            "SELECT pg_cancel_backend(pid) FROM pg_stat_activity
              WHERE pid = $1 AND backend_start::text = $2",
            &[&self.pid, &self.started],
        );
        match found {
            Ok(Some(_)) => Cancelled::Signalled,
            Ok(None) => Cancelled::NotFound,
            Err(_) => Cancelled::Failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::thread;
    use std::time::Duration;

    use postgres::error::SqlState;

    use super::*;
    use crate::db::testdb::TestDb;

    /// `statement` run on a thread of its own, on a new connection, with
    /// that connection's session; joined for its outcome.
    fn running(
        db: &TestDb,
        statement: &'static str,
    ) -> (Session, thread::JoinHandle<Result<(), postgres::Error>>) {
        let mut client = db.connect();
        let session = Session::of(&mut client).unwrap();
        let handle = thread::spawn(move || client.batch_execute(statement));
        // Until the server has it.
        let mut watch = db.connect();
        while watch
            .query_opt(
                "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active'",
                &[&session.pid],
            )
            .unwrap()
            .is_none()
        {
            thread::sleep(Duration::from_millis(10));
        }
        (session, handle)
    }

    #[test]
    fn cancels_the_statement_the_session_runs() {
        let db = TestDb::new();
        let (session, sleep) = running(&db, "SELECT pg_sleep(30)");
        let connector = db.connector();
        assert_eq!(session.cancel(&connector), Cancelled::Signalled);
        let failed = sleep.join().unwrap().expect_err("the sleep was cancelled");
        assert_eq!(failed.code(), Some(&SqlState::QUERY_CANCELED));
    }

    /// A process id alone could name another session: one of the same id
    /// started at another time is left alone.
    #[test]
    fn another_session_with_the_same_process_id_is_left_alone() {
        let db = TestDb::new();
        let (session, sleep) = running(&db, "SELECT pg_sleep(1)");
        let other = Session {
            started: "2001-01-01 00:00:00+00".into(),
            ..session
        };
        let connector = db.connector();
        assert_eq!(other.cancel(&connector), Cancelled::NotFound);
        sleep.join().unwrap().expect("the sleep ran to its end");
    }
}
