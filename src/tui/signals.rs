//! SIGTERM, SIGHUP and SIGINT end the browser the way `q` does, so the
//! terminal is put back: the default action would kill the process with
//! the terminal still raw, on the alternate screen, capturing the mouse.
//!
//! A thread waits for the signals and asks the event loop to quit. Once
//! the loop has ended and everything is dropped (the terminal restored,
//! the demo's cluster stopped), `main` calls [`reraise`], so whoever sent
//! the signal sees the process end by it, as with any other program.
//! Ctrl-C does not come this way: in raw mode it is a key.

use std::io;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc::Sender;
use std::thread;
use std::time::Duration;

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::app::Event;

/// The signal that ended the browser; 0 for none.
static TERMINATED_BY: AtomicI32 = AtomicI32::new(0);

/// How long the loop has to wind down before the signal thread restores
/// the terminal itself and exits: a loop stuck writing to a terminal that
/// went away must not keep the process alive.
const GRACE: Duration = Duration::from_secs(3);

/// Catch the signals from now on; each sends [`Event::Terminate`].
pub fn spawn(tx: Sender<Event>) -> io::Result<()> {
    let mut signals = Signals::new([SIGTERM, SIGHUP, SIGINT])?;
    thread::Builder::new()
        .name("hostlife-signals".to_owned())
        .spawn(move || {
            let Some(signal) = signals.forever().next() else {
                return;
            };
            TERMINATED_BY.store(signal, Ordering::SeqCst);
            if tx.send(Event::Terminate).is_ok() {
                thread::sleep(GRACE);
            }
            // The loop is gone or stuck: restore here and end.
            super::terminal::restore();
            std::process::exit(128 + signal);
        })
        .map(|_| ())
}

/// If a signal ended the browser, end the process by it now (its default
/// action, with our handler removed). Call last, once all is dropped.
pub fn reraise() {
    let signal = TERMINATED_BY.load(Ordering::SeqCst);
    if signal != 0 {
        let _ = signal_hook::low_level::emulate_default_handler(signal);
        std::process::exit(128 + signal);
    }
}
