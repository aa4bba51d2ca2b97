//! A connection that can have several statements in flight at once.
//!
//! The blocking `postgres` client waits for each statement's answer before
//! it sends the next, so a transaction of BEGIN, two reads, a write and
//! COMMIT costs five round trips. tokio-postgres sends every request as
//! soon as it is made: statements started together travel together, and
//! the server answers them in order. [`Pipelined`] is that client on a
//! runtime of its own, for callers that are otherwise synchronous.

use std::future::Future;

use tokio::runtime::{Builder, Runtime};
use tokio_postgres::{Client, NoTls};

use super::PgConfig;

/// An asynchronous client with the single-threaded runtime that drives it.
/// The connection runs only while [`Pipelined::block_on`] does, on the
/// calling thread: no thread of its own.
pub struct Pipelined {
    runtime: Runtime,
    client: Client,
}

impl Pipelined {
    /// Connect without TLS, as [`super::connect_blocking`] does.
    pub fn connect(config: &PgConfig) -> Result<Pipelined, tokio_postgres::Error> {
        #[expect(
            clippy::expect_used,
            reason = "building a current-thread runtime fails only when the process is out of resources"
        )]
        let runtime = Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime needs no resources that can run out");
        let (client, connection) = runtime.block_on(config.connect(NoTls))?;
        // A dead connection ends this task; the client's next request then
        // fails with the reason, so there is nothing to collect here.
        runtime.spawn(connection);
        Ok(Pipelined { runtime, client })
    }

    /// The client, for building the futures that [`Pipelined::block_on`]
    /// runs.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Run `future` (and the connection) to completion on this thread.
    pub fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
        self.runtime.block_on(future)
    }
}
