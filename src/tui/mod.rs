//! The browser's I/O: the terminal, the input thread and the event loop.
//!
//! One channel feeds the loop: the input thread sends keys, mouse,
//! resizes and clock ticks; the database worker sends answers; the signal
//! thread sends termination requests. The loop
//! applies each event with [`app::update`], carries out the effects, and
//! draws with [`render::draw`] when the channel is drained. `app` and
//! `render` stay free of I/O; this is where they meet the terminal.

mod export_file;
mod input;
mod recall;
mod signals;
mod terminal;

use std::sync::mpsc;
use std::time::Instant;

use color_eyre::eyre::{Result, WrapErr};

use crate::app::{self, App, Effect, Event};
use crate::db::connect::Resolved;
use crate::db::worker::{self, Worker};
use crate::render::{self, Theme};
pub use signals::reraise;
use terminal::Screen;

/// Run the browser on the resolved database until the operator quits;
/// `mouse` starts it with mouse capture on (off keeps the terminal's text
/// selection). Resolution's warnings go to the status line.
pub fn run(db: Resolved, config: app::Settings, mouse: bool) -> Result<()> {
    let theme = Theme::from_env();
    let (tx, rx) = mpsc::channel::<Event>();
    let warnings = db.warnings.clone();

    let spawn_worker = {
        let tx = tx.clone();
        move || {
            let tx = tx.clone();
            Worker::spawn_resolved(db.clone(), move |e| tx.send(Event::Db(e)).is_ok())
                .wrap_err("starting the database thread")
        }
    };
    let workers = Workers {
        worker: spawn_worker()?,
        spawn: Box::new(spawn_worker),
    };

    // Before the screen is set up, so no signal finds it half done.
    signals::spawn(tx.clone()).wrap_err("catching termination signals")?;
    let screen = Screen::enter(mouse).wrap_err("setting up the terminal")?;
    input::spawn(tx).wrap_err("starting the input thread")?;

    let started = Instant::now();
    let (mut app, effects) = App::new(config, mouse, started);
    app.set_wall_clock(started, crate::timefmt::now());
    app.warn(&warnings);
    let mut history = History::open();
    app.commands = history.load(&mut app);
    let size = screen.terminal.size()?;
    app.size = (size.width, size.height);
    let mut io = Io {
        workers,
        screen,
        history,
    };
    if io.carry_out(effects, &mut app)? {
        return Ok(());
    }
    io.screen.terminal.draw(|f| render::draw(f, &app, &theme))?;

    while let Ok(event) = rx.recv() {
        let effects = app::update(&mut app, event);
        if io.carry_out(effects, &mut app)? {
            return Ok(());
        }
        // Apply everything already queued before drawing once, so a burst
        // of keys or answers does not lag behind.
        for event in rx.try_iter() {
            let effects = app::update(&mut app, event);
            if io.carry_out(effects, &mut app)? {
                return Ok(());
            }
        }
        io.screen.terminal.draw(|f| render::draw(f, &app, &theme))?;
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

/// What the loop does I/O with.
struct Io {
    workers: Workers,
    screen: Screen,
    history: History,
}

impl Io {
    /// Do what `update` asked. True when it is time to quit.
    fn carry_out(&mut self, effects: Vec<Effect>, app: &mut App) -> Result<bool> {
        for effect in effects {
            match effect {
                Effect::Request(id, request) => self.workers.send(id, request)?,
                Effect::Copy(text) => self.screen.copy(&text)?,
                Effect::SetMouse(on) => self.screen.set_mouse(on)?,
                Effect::Remember(line) => self.history.append(&line, app),
                Effect::Export {
                    name,
                    content,
                    rows,
                } => app.exported(
                    &name,
                    rows,
                    std::env::current_dir()
                        .and_then(|dir| export_file::write_new(&dir, &name, &content)),
                ),
                Effect::Quit => return Ok(true),
            }
        }
        Ok(false)
    }
}

/// The palette's history file, while it works: after its first failure
/// (said once on the status line) the session goes on without it.
struct History {
    path: Option<std::path::PathBuf>,
}

impl History {
    fn open() -> History {
        History {
            path: recall::path(),
        }
    }

    fn load(&mut self, app: &mut App) -> Vec<String> {
        let Some(path) = self.path.take() else {
            return Vec::new();
        };
        match recall::load(&path) {
            Ok(lines) => {
                self.path = Some(path);
                lines
            }
            Err(e) => {
                app.warn(&[format!("palette history {} not read: {e}", path.display())]);
                Vec::new()
            }
        }
    }

    fn append(&mut self, line: &str, app: &mut App) {
        let Some(path) = &self.path else { return };
        if let Err(e) = recall::append(path, line) {
            app.warn(&[format!(
                "palette history {} not written: {e}",
                path.display()
            )]);
            self.path = None;
        }
    }
}
