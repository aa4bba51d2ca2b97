//! The help overlay: the keys of the current view, generated from the
//! keymap, and the palette's commands, filtered as you type.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use super::keymap::{self, BINDINGS, Scope};
use super::palette::VERBS;

/// One line of help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpLine {
    pub section: &'static str,
    pub keys: String,
    /// A command's arguments (empty for a key).
    pub args: &'static str,
    pub help: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpView {
    /// The contexts of the view help was opened on, most specific first.
    pub contexts: Vec<Scope>,
    pub filter: String,
    pub scroll: usize,
}

/// Whether help is still open after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelpOutcome {
    Used,
    Close,
}

impl HelpView {
    pub fn new(contexts: Vec<Scope>) -> Self {
        HelpView {
            contexts,
            filter: String::new(),
            scroll: 0,
        }
    }

    /// The lines to show: bindings of each context, then the palette's
    /// commands; only those matching the filter (case-insensitive).
    pub fn lines(&self) -> Vec<HelpLine> {
        let keys = self.contexts.iter().flat_map(|&c| {
            BINDINGS
                .iter()
                .filter(move |b| b.context == c)
                .map(|b| HelpLine {
                    section: b.context.title(),
                    keys: keymap::keys_label(b),
                    args: "",
                    help: b.help.to_owned(),
                })
        });
        let commands = VERBS.iter().map(|v| HelpLine {
            section: "commands (:)",
            keys: v.name.to_owned(),
            args: v.args,
            help: v.help.to_owned(),
        });
        let needle = self.filter.to_lowercase();
        keys.chain(commands)
            .filter(|l| {
                needle.is_empty()
                    || l.keys.to_lowercase().contains(&needle)
                    || l.help.to_lowercase().contains(&needle)
                    || l.args.to_lowercase().contains(&needle)
            })
            .collect()
    }

    pub fn key(&mut self, key: &KeyEvent) -> HelpOutcome {
        match keymap::lookup(Scope::Help, key) {
            Some(Action::Cancel) if self.filter.is_empty() => return HelpOutcome::Close,
            Some(Action::Cancel) => self.filter.clear(),
            Some(Action::Up) => self.scroll = self.scroll.saturating_sub(1),
            Some(Action::Down) => {
                self.scroll = (self.scroll + 1).min(self.lines().len().saturating_sub(1));
            }
            Some(Action::DeleteChar) => {
                self.filter.pop();
            }
            _ => {
                if let KeyCode::Char(c) = key.code
                    && !key.modifiers.contains(KeyModifiers::CONTROL)
                {
                    self.filter.push(c);
                    self.scroll = 0;
                }
            }
        }
        HelpOutcome::Used
    }
}
