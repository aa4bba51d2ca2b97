//! A connection that can have several statements in flight at once.
//!
//! The blocking `postgres` client waits for each statement's answer before
//! it sends the next, so a transaction of BEGIN, two reads, a write and
//! COMMIT costs five round trips. tokio-postgres sends every request as
//! soon as it is made: statements started together travel together, and
//! the server answers them in order. [`Pipelined`] is that client on a
//! runtime of its own, for callers that are otherwise synchronous.

use std::future::Future;
use std::time::Duration;

use postgres_openssl::MakeTlsConnector;
use tokio::runtime::{Builder, Runtime};
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{Client, NoTls, Socket};

use super::PgConfig;

/// Why [`Pipelined::open`] failed.
#[derive(Debug)]
pub enum OpenError {
    Pg(tokio_postgres::Error),
    /// The whole startup (TCP, TLS, authentication) took longer than this.
    TimedOut(Duration),
}

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
        let runtime = Self::runtime();
        let (client, connection) = runtime.block_on(config.connect(NoTls))?;
        // A dead connection ends this task; the client's next request then
        // fails with the reason, so there is nothing to collect here.
        runtime.spawn(connection);
        Ok(Pipelined { runtime, client })
    }

    /// Connect with `tls` (none: plaintext), the whole startup bounded by
    /// `timeout`. For [`super::connect::Connector`], which picks both.
    pub(crate) fn open(
        config: &PgConfig,
        tls: Option<MakeTlsConnector>,
        timeout: Option<Duration>,
    ) -> Result<Pipelined, OpenError> {
        let runtime = Self::runtime();
        let client = match tls {
            Some(tls) => runtime.block_on(start(&runtime, config, tls, timeout)),
            None => runtime.block_on(start(&runtime, config, NoTls, timeout)),
        }?;
        Ok(Pipelined { runtime, client })
    }

    fn runtime() -> Runtime {
        #[expect(
            clippy::expect_used,
            reason = "building a current-thread runtime fails only when the process is out of resources"
        )]
        let runtime = Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime needs no resources that can run out");
        runtime
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

async fn start<T>(
    runtime: &Runtime,
    config: &PgConfig,
    tls: T,
    timeout: Option<Duration>,
) -> Result<Client, OpenError>
where
    T: MakeTlsConnect<Socket>,
    T::Stream: Send + 'static,
{
    let connecting = config.connect(tls);
    let (client, connection) = match timeout {
        Some(t) => tokio::time::timeout(t, connecting)
            .await
            .map_err(|_| OpenError::TimedOut(t))?,
        None => connecting.await,
    }
    .map_err(OpenError::Pg)?;
    // As in [`Pipelined::connect`]: a dead connection ends this task.
    runtime.spawn(connection);
    Ok(client)
}
