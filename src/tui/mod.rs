//! The browser's I/O: the terminal, the input thread and the event loop.
//!
//! One channel feeds the loop: the input thread sends keys, mouse,
//! resizes and clock ticks; the database worker sends answers; the signal
//! thread sends termination requests. The loop
//! applies each event with [`app::update`], carries out the effects, and
//! draws with [`render::draw`] when the channel is drained. `app` and
//! `render` stay free of I/O; this is where they meet the terminal.

mod input;
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
    let mut workers = Workers {
        worker: spawn_worker()?,
        spawn: Box::new(spawn_worker),
    };

    // Before the screen is set up, so no signal finds it half done.
    signals::spawn(tx.clone()).wrap_err("catching termination signals")?;
    let mut screen = Screen::enter(mouse).wrap_err("setting up the terminal")?;
    input::spawn(tx).wrap_err("starting the input thread")?;

    let (mut app, effects) = App::new(config, mouse, Instant::now());
    app.warn(&warnings);
    let size = screen.terminal.size()?;
    app.size = (size.width, size.height);
    if carry_out(effects, &mut workers, &mut screen)? {
        return Ok(());
    }
    screen.terminal.draw(|f| render::draw(f, &app, &theme))?;

    while let Ok(event) = rx.recv() {
        if carry_out(app::update(&mut app, event), &mut workers, &mut screen)? {
            return Ok(());
        }
        // Apply everything already queued before drawing once, so a burst
        // of keys or answers does not lag behind.
        for event in rx.try_iter() {
            if carry_out(app::update(&mut app, event), &mut workers, &mut screen)? {
                return Ok(());
            }
        }
        screen.terminal.draw(|f| render::draw(f, &app, &theme))?;
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
fn carry_out(effects: Vec<Effect>, workers: &mut Workers, screen: &mut Screen) -> Result<bool> {
    for effect in effects {
        match effect {
            Effect::Request(id, request) => workers.send(id, request)?,
            Effect::Copy(text) => screen.copy(&text)?,
            Effect::SetMouse(on) => screen.set_mouse(on)?,
            Effect::Quit => return Ok(true),
        }
    }
    Ok(false)
}
