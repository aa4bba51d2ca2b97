//! Loading as a value: every view's data is one of these, and each state
//! is drawn (a spinner, the data, or the error).

use std::time::Instant;

use crate::lifecycle::Failure;

/// Data fetched from the database.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Loadable<T> {
    /// Nothing asked for yet.
    #[default]
    Idle,
    Loading,
    Loaded(T),
    /// The last answer failed and there is nothing older to show.
    Failed(Failure),
}

impl<T> Loadable<T> {
    pub fn loaded(&self) -> Option<&T> {
        match self {
            Loadable::Loaded(t) => Some(t),
            _ => None,
        }
    }
}

/// A view's data and when it last arrived. A refresh that fails keeps the
/// data on screen: a flaky connection should not blank the view.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Feed<T> {
    pub data: Loadable<T>,
    pub updated: Option<Instant>,
}

impl<T> Feed<T> {
    pub fn loading() -> Self {
        Feed {
            data: Loadable::Loading,
            updated: None,
        }
    }

    pub fn loaded(&self) -> Option<&T> {
        self.data.loaded()
    }

    /// Take an answer. On failure with data already shown, the data stays
    /// and the error is returned for the status bar.
    pub fn finish(&mut self, result: Result<T, Failure>, now: Instant) -> Option<Failure> {
        match result {
            Ok(t) => {
                self.data = Loadable::Loaded(t);
                self.updated = Some(now);
                None
            }
            Err(e) if matches!(self.data, Loadable::Loaded(_)) => Some(e),
            Err(e) => {
                self.data = Loadable::Failed(e);
                None
            }
        }
    }
}
