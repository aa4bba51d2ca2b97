//! What a view's handling of an action asks of the app: its own module,
//! so that the views and the screen stack that holds them do not import
//! each other.

/// Where a screen wants to go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Host(String),
    History(String),
    Timeline(String),
    Runvars { flight: i32, job: String },
}

/// Whether a screen used an action, and what it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reaction {
    Ignored,
    Used,
    Open(Target),
    Copy(String),
    /// Ask to wipe this host: the confirmation, as `wiped HOST` opens it.
    Wipe(String),
    /// Open the palette with this line typed, for the operator to finish.
    Prefill(String),
    /// "Was it the host?" for this job.
    Blame {
        flight: i32,
        job: String,
    },
    /// What `[count]` in this runvar stands for.
    Expand {
        flight: i32,
        job: String,
        name: String,
        count: u32,
    },
    /// The screen now wants other data (a wider window): ask again.
    Reload,
}
