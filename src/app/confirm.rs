//! The confirmation every write goes through: exactly what will happen and
//! as which task, before anything is written.

use crossterm::event::KeyEvent;

use super::action::Action;
use super::keymap::{self, Scope};
use super::loadable::Loadable;
use crate::db::worker::Request;
use crate::lifecycle::call::{RecordCall, RecordOutcome};
use crate::lifecycle::call::{WipeCall, WipePlan};
use crate::lifecycle::report::HostDetail;

/// A write the operator asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    Wipe(WipeCall),
    Record(RecordCall),
}

impl Write {
    pub fn request(&self) -> Request {
        match self {
            Write::Wipe(c) => Request::Wipe(c.clone()),
            Write::Record(c) => Request::Record(c.clone()),
        }
    }

    pub fn host(&self) -> &str {
        match self {
            Write::Wipe(c) => &c.host,
            Write::Record(c) => &c.host,
        }
    }
}

/// What a manual wipe would remove and keep, with the rows it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WipePreview {
    pub plan: WipePlan,
    pub detail: HostDetail,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmView {
    pub write: Write,
    /// For a wipe, the plan (which also runs every check the wipe runs, so
    /// a refusal shows here and nothing is written).
    pub plan: Loadable<WipePreview>,
    /// For a record call, its rehearsal: the call's own checks and
    /// statements, rolled back, so the dialog says exactly what it will
    /// write (or why it would be refused) before anything is.
    pub rehearsal: Loadable<RecordOutcome>,
    /// Lines scrolled past, for a plan longer than the screen.
    pub scroll: u16,
}

/// What a key did to the dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmOutcome {
    Used,
    Cancel,
    Go,
}

impl ConfirmView {
    pub fn new(write: Write) -> Self {
        let (plan, rehearsal) = match write {
            Write::Wipe(_) => (Loadable::Loading, Loadable::Idle),
            Write::Record(_) => (Loadable::Idle, Loadable::Loading),
        };
        ConfirmView {
            write,
            plan,
            rehearsal,
            scroll: 0,
        }
    }

    /// The request that checks the write first.
    pub fn check(&self) -> Request {
        match &self.write {
            Write::Wipe(c) => Request::PlanWipe(c.clone()),
            Write::Record(c) => Request::PlanRecord(c.clone()),
        }
    }

    /// The check again, once the worker is connected again, if it failed
    /// only for want of a connection (the dialog said it would retry).
    pub fn recheck(&mut self) -> Option<Request> {
        let again = match self.write {
            Write::Wipe(_) => again_if_transient(&mut self.plan),
            Write::Record(_) => again_if_transient(&mut self.rehearsal),
        };
        again.then(|| self.check())
    }

    /// Whether confirming would do something: each write waits for its
    /// check, a refused one cannot be confirmed, and a call that would
    /// change nothing (the sigil is there already) has nothing to confirm.
    pub fn ready(&self) -> bool {
        match self.write {
            Write::Record(_) => matches!(
                self.rehearsal,
                Loadable::Loaded(RecordOutcome::Recorded { .. } | RecordOutcome::OutOfJob { .. })
            ),
            Write::Wipe(_) => matches!(self.plan, Loadable::Loaded(_)),
        }
    }

    pub fn key(&mut self, key: &KeyEvent) -> ConfirmOutcome {
        match keymap::lookup(Scope::Confirm, key) {
            Some(Action::Confirm) if self.ready() => ConfirmOutcome::Go,
            Some(Action::Deny) => ConfirmOutcome::Cancel,
            Some(Action::Up) => {
                self.scroll = self.scroll.saturating_sub(1);
                ConfirmOutcome::Used
            }
            Some(Action::Down) => {
                self.scroll = self.scroll.saturating_add(1);
                ConfirmOutcome::Used
            }
            _ => ConfirmOutcome::Used,
        }
    }
}

/// Back to loading if `check` failed only for want of a connection.
fn again_if_transient<T>(check: &mut Loadable<T>) -> bool {
    let again = matches!(check, Loadable::Failed(f) if f.is_transient());
    if again {
        *check = Loadable::Loading;
    }
    again
}
