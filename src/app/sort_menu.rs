//! The sort menu (`s`): the focused table's columns, one to pick. Picking
//! the column that already sorts reverses it.

use crossterm::event::KeyEvent;

use super::action::Action;
use super::keymap::{self, Scope};
use super::table::Sort;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortMenu {
    pub titles: Vec<&'static str>,
    /// The sort in force when the menu opened.
    pub current: Option<Sort>,
    pub cursor: usize,
}

/// What a key in the menu asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOutcome {
    Used,
    Close,
    /// Sort by this column.
    Pick(usize),
}

impl SortMenu {
    /// The menu on the sorting column, or the first.
    pub fn new(titles: Vec<&'static str>, current: Option<Sort>) -> Self {
        let cursor = current.map_or(0, |s| s.column.min(titles.len().saturating_sub(1)));
        SortMenu {
            titles,
            current,
            cursor,
        }
    }

    pub fn key(&mut self, key: &KeyEvent) -> SortOutcome {
        let last = self.titles.len().saturating_sub(1);
        match keymap::lookup(Scope::Sort, key) {
            Some(Action::Up) => self.cursor = self.cursor.saturating_sub(1),
            Some(Action::Down) => self.cursor = (self.cursor + 1).min(last),
            Some(Action::Top) => self.cursor = 0,
            Some(Action::Bottom) => self.cursor = last,
            Some(Action::Submit) if !self.titles.is_empty() => {
                return SortOutcome::Pick(self.cursor);
            }
            Some(Action::Cancel) => return SortOutcome::Close,
            _ => {}
        }
        SortOutcome::Used
    }
}

/// Column titles for the menu: a column with no header (a glyph column)
/// takes `blank` instead.
pub fn titles<const N: usize>(
    headers: [&'static str; N],
    blank: &'static str,
) -> [&'static str; N] {
    headers.map(|t| if t.is_empty() { blank } else { t })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn press(m: &mut SortMenu, code: KeyCode) -> SortOutcome {
        m.key(&KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn opens_on_the_sorting_column_and_picks_the_one_under_the_cursor() {
        let current = Some(Sort {
            column: 1,
            descending: false,
        });
        let mut m = SortMenu::new(vec!["host", "rows", "job"], current);
        assert_eq!(m.cursor, 1);
        assert_eq!(press(&mut m, KeyCode::Down), SortOutcome::Used);
        assert_eq!(press(&mut m, KeyCode::Down), SortOutcome::Used);
        assert_eq!(press(&mut m, KeyCode::Enter), SortOutcome::Pick(2));
        assert_eq!(press(&mut m, KeyCode::Esc), SortOutcome::Close);
        assert_eq!(titles(["", "lcseq"], "live"), ["live", "lcseq"]);
    }
}
