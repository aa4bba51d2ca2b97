//! The one home of key bindings: which key means which action where, and
//! how each is described. Help is generated from this table.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::Action;

/// Where a binding applies. A screen's keys are its own context, then
/// `List`, then `Global`; dialogs and inputs take keys before screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Global,
    List,
    Hosts,
    Host,
    Runvars,
    History,
    Timeline,
    Filter,
    Palette,
    Confirm,
    Help,
    Messages,
    Sort,
    /// A report overlay ("was it the host?").
    Report,
}

impl Scope {
    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "anywhere",
            Scope::List => "lists",
            Scope::Hosts => "hosts",
            Scope::Host => "host",
            Scope::Runvars => "runvars",
            Scope::History => "history",
            Scope::Timeline => "timeline",
            Scope::Filter => "filter input",
            Scope::Palette => "command palette",
            Scope::Confirm => "confirmation",
            Scope::Help => "help",
            Scope::Messages => "messages",
            Scope::Sort => "sort menu",
            Scope::Report => "report",
        }
    }
}

/// A key as bound: a code and the modifiers that must be held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn ch(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::NONE,
    }
}

const fn code(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}

impl Key {
    /// Whether a key event is this key. Shift is part of the character
    /// (`G`), so it is ignored for characters; terminals differ in
    /// reporting it.
    pub fn matches(&self, ev: &KeyEvent) -> bool {
        let mods = match ev.code {
            KeyCode::Char(_) => ev.modifiers - KeyModifiers::SHIFT,
            _ => ev.modifiers,
        };
        self.code == ev.code && self.mods == mods
    }

    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_owned(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".to_owned(),
            KeyCode::Esc => "Esc".to_owned(),
            KeyCode::Tab => "Tab".to_owned(),
            KeyCode::BackTab => "S-Tab".to_owned(),
            KeyCode::Backspace => "Bksp".to_owned(),
            KeyCode::Up => "↑".to_owned(),
            KeyCode::Down => "↓".to_owned(),
            KeyCode::Left => "←".to_owned(),
            KeyCode::Right => "→".to_owned(),
            KeyCode::PageUp => "PgUp".to_owned(),
            KeyCode::PageDown => "PgDn".to_owned(),
            KeyCode::Home => "Home".to_owned(),
            KeyCode::End => "End".to_owned(),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("C-{base}")
        } else {
            base
        }
    }
}

/// One binding: keys, what they do, in which context, and the help text.
#[derive(Debug)]
pub struct Binding {
    pub context: Scope,
    pub keys: &'static [Key],
    pub action: Action,
    pub help: &'static str,
}

const fn bind(context: Scope, keys: &'static [Key], action: Action, help: &'static str) -> Binding {
    Binding {
        context,
        keys,
        action,
        help,
    }
}

use Scope as C;

/// Every binding. Order within a context is the order help lists them.
pub static BINDINGS: &[Binding] = &[
    bind(
        C::Global,
        &[ch('?')],
        Action::Help,
        "show the keys of this view",
    ),
    bind(
        C::Global,
        &[ch(':')],
        Action::Palette,
        "open the command palette",
    ),
    bind(C::Global, &[ch('q'), ctrl('c')], Action::Quit, "quit"),
    bind(
        C::Global,
        &[ch('R'), code(KeyCode::F(5))],
        Action::Refresh,
        "refresh now",
    ),
    bind(
        C::Global,
        &[ch('p')],
        Action::Pause,
        "pause / resume auto-refresh",
    ),
    bind(
        C::Global,
        &[ch('!')],
        Action::Suspects,
        "which jobs break hosts? (the suspects ranking)",
    ),
    bind(
        C::Global,
        &[ch('m')],
        Action::Messages,
        "the messages of this session",
    ),
    bind(
        C::Global,
        &[ch('M')],
        Action::ToggleMouse,
        "mouse capture on / off (off: select text)",
    ),
    bind(C::List, &[code(KeyCode::Up), ch('k')], Action::Up, "up"),
    bind(
        C::List,
        &[code(KeyCode::Down), ch('j')],
        Action::Down,
        "down",
    ),
    bind(
        C::List,
        &[code(KeyCode::PageUp), ctrl('b')],
        Action::PageUp,
        "page up",
    ),
    bind(
        C::List,
        &[code(KeyCode::PageDown), ctrl('f')],
        Action::PageDown,
        "page down",
    ),
    bind(
        C::List,
        &[ch('g'), code(KeyCode::Home)],
        Action::Top,
        "first row",
    ),
    bind(
        C::List,
        &[ch('G'), code(KeyCode::End)],
        Action::Bottom,
        "last row",
    ),
    bind(
        C::List,
        &[ch('/')],
        Action::Filter,
        "filter the rows (any column)",
    ),
    bind(C::List, &[ch('s')], Action::Sort, "sort by a column (menu)"),
    bind(C::List, &[ch('S')], Action::ReverseSort, "reverse the sort"),
    bind(
        C::List,
        &[ch('e')],
        Action::ExportCsv,
        "export the rows (filtered, sorted) as CSV, here",
    ),
    bind(
        C::List,
        &[ch('E')],
        Action::ExportJson,
        "export the rows (filtered, sorted) as JSON, here",
    ),
    bind(
        C::Hosts,
        &[code(KeyCode::Enter)],
        Action::Open,
        "show the host's lifecycle",
    ),
    bind(
        C::Hosts,
        &[ch('h')],
        Action::History,
        "show the host's history",
    ),
    bind(
        C::Hosts,
        &[ch('t')],
        Action::Timeline,
        "show the host's timeline",
    ),
    bind(
        C::Hosts,
        &[ch('w')],
        Action::Wipe,
        "wiped: I reinstalled this host (asks first)",
    ),
    bind(
        C::Hosts,
        &[ch('r')],
        Action::Record,
        "record a call on this host (palette)",
    ),
    bind(C::Hosts, &[ch('y')], Action::Copy, "copy the row"),
    bind(
        C::Hosts,
        &[code(KeyCode::Esc)],
        Action::Back,
        "clear the filter",
    ),
    bind(
        C::Host,
        &[code(KeyCode::Enter)],
        Action::Open,
        "show the job's runvars",
    ),
    bind(
        C::Host,
        &[code(KeyCode::Tab)],
        Action::NextPane,
        "rows / listing",
    ),
    bind(
        C::Host,
        &[ch('h')],
        Action::History,
        "show the host's history",
    ),
    bind(
        C::Host,
        &[ch('t')],
        Action::Timeline,
        "show the host's timeline",
    ),
    bind(
        C::Host,
        &[ch('w')],
        Action::Wipe,
        "wiped: I reinstalled this host (asks first)",
    ),
    bind(
        C::Host,
        &[ch('r')],
        Action::Record,
        "record a call for the row's job (palette)",
    ),
    bind(
        C::Host,
        &[ch('b')],
        Action::Blame,
        "was it the host? (the row's job)",
    ),
    bind(C::Host, &[ch('y')], Action::Copy, "copy the row"),
    bind(C::Host, &[code(KeyCode::Esc)], Action::Back, "back"),
    bind(
        C::Runvars,
        &[code(KeyCode::Enter)],
        Action::Open,
        "follow to that job's runvars; on [n], the build jobs it stands for",
    ),
    bind(
        C::Runvars,
        &[code(KeyCode::Tab)],
        Action::NextPane,
        "jobs / entries",
    ),
    bind(
        C::Runvars,
        &[code(KeyCode::Left)],
        Action::PrevRunvar,
        "previous runvar",
    ),
    bind(
        C::Runvars,
        &[code(KeyCode::Right)],
        Action::NextRunvar,
        "next runvar",
    ),
    bind(
        C::Runvars,
        &[ch('b')],
        Action::Blame,
        "was it the host? (this job)",
    ),
    bind(C::Runvars, &[ch('y')], Action::Copy, "copy the runvar"),
    bind(C::Runvars, &[code(KeyCode::Esc)], Action::Back, "back"),
    bind(
        C::History,
        &[code(KeyCode::Enter)],
        Action::Open,
        "show the job's runvars",
    ),
    bind(C::History, &[ch('y')], Action::Copy, "copy the row"),
    bind(C::History, &[code(KeyCode::Esc)], Action::Back, "back"),
    bind(
        C::Timeline,
        &[code(KeyCode::Up), ch('k')],
        Action::Up,
        "previous job",
    ),
    bind(
        C::Timeline,
        &[code(KeyCode::Down), ch('j')],
        Action::Down,
        "next job",
    ),
    bind(
        C::Timeline,
        &[code(KeyCode::PageUp), ctrl('b')],
        Action::PageUp,
        "a page of jobs up",
    ),
    bind(
        C::Timeline,
        &[code(KeyCode::PageDown), ctrl('f')],
        Action::PageDown,
        "a page of jobs down",
    ),
    bind(
        C::Timeline,
        &[ch('g'), code(KeyCode::Home)],
        Action::Top,
        "first job",
    ),
    bind(
        C::Timeline,
        &[ch('G'), code(KeyCode::End)],
        Action::Bottom,
        "last job",
    ),
    bind(
        C::Timeline,
        &[code(KeyCode::Left), ch('h')],
        Action::PanLeft,
        "earlier (a quarter of the span)",
    ),
    bind(
        C::Timeline,
        &[code(KeyCode::Right), ch('l')],
        Action::PanRight,
        "later (a quarter of the span)",
    ),
    bind(
        C::Timeline,
        &[ch('+'), ch('=')],
        Action::ZoomIn,
        "zoom in (half the span)",
    ),
    bind(
        C::Timeline,
        &[ch('-')],
        Action::ZoomOut,
        "zoom out (past the window: twice the days)",
    ),
    bind(C::Timeline, &[ch('0')], Action::ZoomAll, "the whole window"),
    bind(
        C::Timeline,
        &[code(KeyCode::Enter)],
        Action::Open,
        "show the job's runvars",
    ),
    bind(
        C::Timeline,
        &[ch('b')],
        Action::Blame,
        "was it the host? (this job)",
    ),
    bind(
        C::Timeline,
        &[ch('y')],
        Action::Copy,
        "copy the flight and job",
    ),
    bind(C::Timeline, &[code(KeyCode::Esc)], Action::Back, "back"),
    bind(
        C::Filter,
        &[code(KeyCode::Enter)],
        Action::Submit,
        "keep the filter",
    ),
    bind(
        C::Filter,
        &[code(KeyCode::Esc)],
        Action::Cancel,
        "clear the filter",
    ),
    bind(
        C::Filter,
        &[code(KeyCode::Backspace)],
        Action::DeleteChar,
        "delete a character",
    ),
    bind(
        C::Filter,
        &[ctrl('u')],
        Action::ClearInput,
        "clear the input",
    ),
    bind(
        C::Palette,
        &[code(KeyCode::Enter)],
        Action::Submit,
        "run the command",
    ),
    bind(C::Palette, &[code(KeyCode::Esc)], Action::Cancel, "close"),
    bind(
        C::Palette,
        &[code(KeyCode::Tab)],
        Action::Complete,
        "complete",
    ),
    bind(
        C::Palette,
        &[code(KeyCode::Up)],
        Action::HistoryPrev,
        "older command",
    ),
    bind(
        C::Palette,
        &[code(KeyCode::Down)],
        Action::HistoryNext,
        "newer command",
    ),
    bind(
        C::Palette,
        &[code(KeyCode::Backspace)],
        Action::DeleteChar,
        "delete a character",
    ),
    bind(
        C::Palette,
        &[ctrl('u')],
        Action::ClearInput,
        "clear the input",
    ),
    bind(
        C::Confirm,
        &[code(KeyCode::Enter), ch('y')],
        Action::Confirm,
        "do it",
    ),
    bind(
        C::Confirm,
        &[code(KeyCode::Esc), ch('n')],
        Action::Deny,
        "cancel",
    ),
    bind(
        C::Confirm,
        &[code(KeyCode::Up), ch('k')],
        Action::Up,
        "scroll up",
    ),
    bind(
        C::Confirm,
        &[code(KeyCode::Down), ch('j')],
        Action::Down,
        "scroll down",
    ),
    bind(
        C::Help,
        &[code(KeyCode::Esc)],
        Action::Cancel,
        "clear the filter, then close",
    ),
    bind(
        C::Messages,
        &[code(KeyCode::Esc), ch('q'), ch('m')],
        Action::Cancel,
        "close",
    ),
    bind(
        C::Messages,
        &[code(KeyCode::Up), ch('k')],
        Action::Up,
        "scroll up",
    ),
    bind(
        C::Messages,
        &[code(KeyCode::Down), ch('j')],
        Action::Down,
        "scroll down",
    ),
    bind(C::Messages, &[ch('g')], Action::Top, "newest"),
    bind(
        C::Report,
        &[code(KeyCode::Esc), ch('q'), ch('b'), ch('!')],
        Action::Cancel,
        "close",
    ),
    bind(
        C::Report,
        &[code(KeyCode::Up), ch('k')],
        Action::Up,
        "scroll up",
    ),
    bind(
        C::Report,
        &[code(KeyCode::Down), ch('j')],
        Action::Down,
        "scroll down",
    ),
    bind(
        C::Report,
        &[code(KeyCode::PageUp), ctrl('b')],
        Action::PageUp,
        "page up",
    ),
    bind(
        C::Report,
        &[code(KeyCode::PageDown), ctrl('f'), ch(' ')],
        Action::PageDown,
        "page down",
    ),
    bind(C::Report, &[ch('g')], Action::Top, "top"),
    bind(
        C::Sort,
        &[code(KeyCode::Up), ch('k')],
        Action::Up,
        "previous column",
    ),
    bind(
        C::Sort,
        &[code(KeyCode::Down), ch('j')],
        Action::Down,
        "next column",
    ),
    bind(
        C::Sort,
        &[ch('g'), code(KeyCode::Home)],
        Action::Top,
        "first column",
    ),
    bind(
        C::Sort,
        &[ch('G'), code(KeyCode::End)],
        Action::Bottom,
        "last column",
    ),
    bind(
        C::Sort,
        &[code(KeyCode::Enter)],
        Action::Submit,
        "sort by it (again: reverse)",
    ),
    bind(
        C::Sort,
        &[code(KeyCode::Esc), ch('q'), ch('s')],
        Action::Cancel,
        "close",
    ),
    bind(C::Help, &[code(KeyCode::Up)], Action::Up, "scroll up"),
    bind(C::Help, &[code(KeyCode::Down)], Action::Down, "scroll down"),
    bind(
        C::Help,
        &[code(KeyCode::Backspace)],
        Action::DeleteChar,
        "delete a character",
    ),
];

/// The action a key has in a context, if any.
pub fn lookup(context: Scope, ev: &KeyEvent) -> Option<Action> {
    if ev.kind == KeyEventKind::Release {
        return None;
    }
    BINDINGS
        .iter()
        .find(|b| b.context == context && b.keys.iter().any(|k| k.matches(ev)))
        .map(|b| b.action)
}

/// The first key bound to an action in a context, for hints.
pub fn key_for(context: Scope, action: Action) -> Option<&'static Key> {
    BINDINGS
        .iter()
        .find(|b| b.context == context && b.action == action)
        .and_then(|b| b.keys.first())
}

/// A key pressed, named as help names keys.
pub fn event_label(ev: &KeyEvent) -> String {
    let mods = match ev.code {
        KeyCode::Char(_) => ev.modifiers - KeyModifiers::SHIFT,
        _ => ev.modifiers,
    };
    Key {
        code: ev.code,
        mods,
    }
    .label()
}

/// The keys of a binding, as help shows them.
pub fn keys_label(b: &Binding) -> String {
    b.keys.iter().map(Key::label).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_bound_twice_in_one_context() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for b in &BINDINGS[i + 1..] {
                if a.context == b.context {
                    for k in a.keys {
                        assert!(!b.keys.contains(k), "{:?} twice in {:?}", k, a.context);
                    }
                }
            }
        }
    }

    #[test]
    fn shifted_letters_match_with_or_without_shift_reported() {
        let g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(lookup(Scope::List, &g), Some(Action::Bottom));
        let g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::NONE);
        assert_eq!(lookup(Scope::List, &g), Some(Action::Bottom));
    }
}
