//! What a key can mean. Logic branches on these, never on key names or
//! strings; the keymap binds keys to them per context.

/// One thing the operator asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    // Moving in a list.
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    // Screens.
    Open,
    Back,
    NextPane,
    PrevRunvar,
    NextRunvar,
    Filter,
    Sort,
    ReverseSort,
    Copy,
    History,
    /// The host's timeline.
    Timeline,
    // In the timeline: the time shown.
    PanLeft,
    PanRight,
    ZoomIn,
    ZoomOut,
    /// Show the whole window again.
    ZoomAll,
    /// Wipe the selected host (after the confirmation).
    Wipe,
    /// Open the palette with a record call for the selection.
    Record,
    /// "Was it the host?" for the selected job.
    Blame,
    /// Write the table's rows (filtered, sorted) to a file.
    ExportCsv,
    ExportJson,
    // Anywhere.
    Help,
    Palette,
    Messages,
    /// The whole suspects ranking.
    Suspects,
    Quit,
    ToggleMouse,
    Pause,
    Refresh,
    // Text inputs (filter, palette, help's filter).
    Submit,
    Cancel,
    Complete,
    HistoryPrev,
    HistoryNext,
    DeleteChar,
    ClearInput,
    // Confirmation dialog.
    Confirm,
    Deny,
}
