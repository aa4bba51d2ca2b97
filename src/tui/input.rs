//! The input thread: terminal events, and a clock tick whenever none came
//! for a tick's time, all sent down the loop's one channel.

use std::io;
use std::sync::mpsc::Sender;
use std::thread;
use std::time::{Duration, Instant};

use crate::app::Event;

/// How often the clock ticks: often enough for a smooth spinner and an
/// "updated N s ago" that is never a second late.
const TICK: Duration = Duration::from_millis(250);

/// Start the input thread. It ends when the loop is gone (its channel
/// closed) or the terminal cannot be read.
pub fn spawn(tx: Sender<Event>) -> io::Result<()> {
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
