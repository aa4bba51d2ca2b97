//! The screens above the hosts list.

use super::history::HistoryView;
use super::host::HostView;
use super::keymap::Scope;
use super::runvars::RunvarsView;
use super::timeline::TimelineView;
use crate::db::worker::Request;

/// A drill-down screen. The hosts list is always below them.
#[allow(
    clippy::large_enum_variant,
    reason = "a handful live on the stack, one per level drilled into; never copied in bulk"
)]
#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
    Host(HostView),
    Runvars(RunvarsView),
    History(HistoryView),
    Timeline(TimelineView),
}

impl Screen {
    pub fn context(&self) -> Scope {
        match self {
            Screen::Host(_) => Scope::Host,
            Screen::Runvars(_) => Scope::Runvars,
            Screen::History(_) => Scope::History,
            Screen::Timeline(_) => Scope::Timeline,
        }
    }

    /// The request that (re)loads this screen.
    pub fn request(&self) -> Request {
        match self {
            Screen::Host(v) => Request::Show {
                host: v.host.clone(),
            },
            Screen::Runvars(v) => v.source.request(),
            Screen::History(v) => Request::History {
                host: v.host.clone(),
            },
            Screen::Timeline(v) => Request::Timeline {
                host: v.host.clone(),
                days: v.days,
            },
        }
    }

    /// A short name for the breadcrumb.
    pub fn crumb(&self) -> String {
        match self {
            Screen::Host(v) => v.host.clone(),
            Screen::Runvars(v) => v.source.label(),
            Screen::History(v) => format!("history {}", v.host),
            Screen::Timeline(v) => format!("timeline {}", v.host),
        }
    }

    pub fn updated(&self) -> Option<std::time::Instant> {
        match self {
            Screen::Host(v) => v.feed.updated,
            Screen::Runvars(v) => v.feed.updated,
            Screen::History(v) => v.feed.updated,
            Screen::Timeline(v) => v.feed.updated,
        }
    }
}
