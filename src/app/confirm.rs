//! The confirmation every write goes through: exactly what will happen and
//! as which task, before anything is written.

use crossterm::event::KeyEvent;

use super::action::Action;
use super::keymap::{self, Scope};
use super::loadable::Loadable;
use crate::db::worker::Request;
use crate::lifecycle::call::RecordCall;
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
    /// a refusal shows here and nothing is written). Records need none.
    pub plan: Loadable<WipePreview>,
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
        let plan = match write {
            Write::Wipe(_) => Loadable::Loading,
            Write::Record(_) => Loadable::Idle,
        };
        ConfirmView { write, plan }
    }

    /// Whether confirming would do something: a wipe waits for its plan,
    /// and a refused plan cannot be confirmed.
    pub fn ready(&self) -> bool {
        match self.write {
            Write::Record(_) => true,
            Write::Wipe(_) => matches!(self.plan, Loadable::Loaded(_)),
        }
    }

    pub fn key(&self, key: &KeyEvent) -> ConfirmOutcome {
        match keymap::lookup(Scope::Confirm, key) {
            Some(Action::Confirm) if self.ready() => ConfirmOutcome::Go,
            Some(Action::Deny) => ConfirmOutcome::Cancel,
            _ => ConfirmOutcome::Used,
        }
    }
}
