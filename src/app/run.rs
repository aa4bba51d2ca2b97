//! The terminal and the event loop: the only place in `app` with I/O.
//!
//! One channel feeds the loop: an input thread sends keys, mouse, resizes
//! and clock ticks; the database worker sends answers. The loop applies
//! each event with [`update`], carries out the effects, and draws when the
//! channel is drained.

use std::io::{self, Write as _};
use std::sync::mpsc::{self, Sender};
use std::thread;
use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use super::{App, Config, Effect, Event, update};
use crate::db::task::TaskRef;
use crate::db::worker::{self, Worker};
use crate::render::{self, Theme};

/// How often the clock ticks: often enough for a smooth spinner and an
/// "updated N s ago" that is never a second late.
const TICK: Duration = Duration::from_millis(250);

/// What `hostlife tui` was asked for.
#[derive(Debug, Clone)]
pub struct Options {
    pub db: crate::db::Config,
    /// Where the database is, for the header (no password).
    pub db_label: String,
    pub read_only: bool,
    pub refresh: Duration,
    /// Who writes: the operator's task.
    pub operator_task: TaskRef,
    /// Start with mouse capture on (off keeps the terminal's text selection).
    pub mouse: bool,
}

/// Put the terminal back as it was. Safe to call more than once, and from
/// the panic hook.
fn restore() {
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
}

/// Restores the terminal when dropped: on quit, on error, and when a panic
/// unwinds through `run`.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Chain a panic hook that restores the terminal before the previous hook
/// (color-eyre's, installed by main) prints its report on a sane screen.
///
/// Not for the database worker's thread: the worker catches its panics,
/// reports them in the browser and starts again. Restoring the terminal
/// there would leave the browser running on a cooked terminal (keys
/// echoed and line-buffered, `q` waiting for Enter), and a report printed
/// over the alternate screen would only garble it.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if thread::current().name() == Some(worker::THREAD_NAME) {
            return;
        }
        restore();
        previous(info);
    }));
}

/// Run the TUI until the operator quits.
pub fn run(options: Options) -> Result<()> {
    install_panic_hook();
    let theme = Theme::from_env();
    let (tx, rx) = mpsc::channel::<Event>();

    let spawn_worker = {
        let tx = tx.clone();
        let db = options.db.clone();
        move || {
            let tx = tx.clone();
            Worker::spawn(db.clone(), move |e| tx.send(Event::Db(e)).is_ok())
                .wrap_err("starting the database thread")
        }
    };
    let mut worker = Workers {
        worker: spawn_worker()?,
        spawn: Box::new(spawn_worker),
    };

    enable_raw_mode().wrap_err("switching the terminal to raw mode")?;
    let _guard = TerminalGuard;
    execute!(io::stdout(), EnterAlternateScreen).wrap_err("entering the alternate screen")?;
    if options.mouse {
        execute!(io::stdout(), EnableMouseCapture).wrap_err("enabling mouse capture")?;
    }
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    terminal.clear()?;

    spawn_input(tx).wrap_err("starting the input thread")?;

    let config = Config {
        db_label: options.db_label,
        read_only: options.read_only,
        refresh: options.refresh,
        operator_task: options.operator_task,
    };
    let (mut app, effects) = App::new(config, options.mouse, Instant::now());
    let size = terminal.size()?;
    app.size = (size.width, size.height);
    if carry_out(effects, &mut worker)? {
        return Ok(());
    }
    terminal.draw(|f| render::draw(f, &app, &theme))?;

    while let Ok(event) = rx.recv() {
        if carry_out(update(&mut app, event), &mut worker)? {
            return Ok(());
        }
        // Apply everything already queued before drawing once, so a burst
        // of keys or answers does not lag behind.
        for event in rx.try_iter() {
            if carry_out(update(&mut app, event), &mut worker)? {
                return Ok(());
            }
        }
        terminal.draw(|f| render::draw(f, &app, &theme))?;
    }
    Ok(())
}

/// The database worker, and how to start a new one.
struct Workers {
    worker: Worker,
    spawn: Box<dyn Fn() -> Result<Worker>>,
}

impl Workers {
    /// Queue a request. A worker whose thread has ended (it catches its
    /// own panics, so this is a bug past that) is replaced by a new one,
    /// which takes the request: it connects, with its own backoff, and
    /// answers, so no view waits forever.
    fn send(&mut self, id: worker::RequestId, request: worker::Request) -> Result<()> {
        if !self.worker.send(id, request.clone()) {
            self.worker = (self.spawn)()?;
            self.worker.send(id, request);
        }
        Ok(())
    }
}

/// Do what `update` asked. True when it is time to quit.
fn carry_out(effects: Vec<Effect>, worker: &mut Workers) -> Result<bool> {
    for effect in effects {
        match effect {
            Effect::Request(id, request) => worker.send(id, request)?,
            Effect::Copy(text) => {
                let mut out = io::stdout();
                out.write_all(osc52(&text).as_bytes())?;
                out.flush()?;
            }
            Effect::SetMouse(true) => execute!(io::stdout(), EnableMouseCapture)?,
            Effect::SetMouse(false) => execute!(io::stdout(), DisableMouseCapture)?,
            Effect::Quit => return Ok(true),
        }
    }
    Ok(false)
}

/// The input thread: terminal events, and a tick whenever none came for
/// a tick's time. It ends when the loop is gone.
fn spawn_input(tx: Sender<Event>) -> io::Result<()> {
    thread::Builder::new()
        .name("hostlife-input".to_owned())
        .spawn(move || {
            let mut next_tick = Instant::now() + TICK;
            loop {
                let wait = next_tick.saturating_duration_since(Instant::now());
                let event = match crossterm::event::poll(wait) {
                    Ok(true) => match crossterm::event::read() {
                        Ok(crossterm::event::Event::Key(k)) => Some(Event::Key(k)),
                        Ok(crossterm::event::Event::Mouse(m)) => Some(Event::Mouse(m)),
                        Ok(crossterm::event::Event::Resize(w, h)) => Some(Event::Resize(w, h)),
                        Ok(_) => None,
                        Err(_) => return,
                    },
                    Ok(false) => None,
                    Err(_) => return,
                };
                if let Some(event) = event
                    && tx.send(event).is_err()
                {
                    return;
                }
                if Instant::now() >= next_tick {
                    next_tick = Instant::now() + TICK;
                    if tx.send(Event::Tick(Instant::now())).is_err() {
                        return;
                    }
                }
            }
        })
        .map(|_| ())
}

/// The OSC 52 sequence that asks the terminal to put `text` on the
/// clipboard. Terminals, tmux (with `set-clipboard on`) and ssh pass it
/// through, so copying works on a remote session.
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", base64(text.as_bytes()))
}

/// Standard base64 with padding; a dozen lines rather than a dependency.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
        assert_eq!(osc52("foo"), "\x1b]52;c;Zm9v\x07");
    }
}
