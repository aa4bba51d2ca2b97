//! A table's rows as text, with what every table offers on them: the
//! cursor, a filter typed after `/`, and a sort by any column (`s` picks
//! it from a menu, `S` reverses it).
//!
//! The texts are computed once when the data arrives (and are what the
//! table draws and the filter matches), so a key or a frame costs no
//! formatting. Rows keep their data order until a sort is chosen, and a
//! sort is stable, so equal values stay in data order.

use std::cmp::Ordering;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use super::cursor::Cursor;
use super::keymap::{self, Scope};

/// A sort: which column, which way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: usize,
    pub descending: bool,
}

/// What the app asks of the table that has the keyboard, whichever kind
/// it is (the hosts list keeps its own typed columns).
pub trait Sortable {
    /// The columns' titles, for the sort menu.
    fn titles(&self) -> Vec<&'static str>;
    fn sort(&self) -> Option<Sort>;
    /// Sort by `column`, or reverse the sort if it is already the key.
    fn sort_by(&mut self, column: usize);
    /// Whether the filter input has the keyboard.
    fn editing(&self) -> bool;
    /// A key while the filter input has the keyboard; always used, so
    /// typing never runs a command.
    fn filter_key(&mut self, key: &KeyEvent);
    /// The columns' headers and every row the filter keeps, in the
    /// sort's order, whole: what an export writes.
    fn rows_shown(&self) -> (Vec<&'static str>, Vec<Vec<String>>);
}

/// The rows of one table with their cursor, filter and sort.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table<const N: usize> {
    titles: [&'static str; N],
    texts: Vec<[String; N]>,
    pub cursor: Cursor,
    pub filter: String,
    editing: bool,
    sort: Option<Sort>,
    /// Indices into `texts` of the rows shown, in order.
    shown: Vec<usize>,
}

impl<const N: usize> Table<N> {
    pub fn new(titles: [&'static str; N]) -> Self {
        Table {
            titles,
            texts: Vec::new(),
            cursor: Cursor::default(),
            filter: String::new(),
            editing: false,
            sort: None,
            shown: Vec::new(),
        }
    }

    /// New data: its rows' texts, in data order. The filter, the sort and
    /// the cursor's position carry over.
    pub fn set_rows(&mut self, texts: Vec<[String; N]>) {
        self.texts = texts;
        self.reindex();
    }

    /// Every row's texts, in data order.
    pub fn texts(&self) -> &[[String; N]] {
        &self.texts
    }

    /// How many rows there are before the filter.
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// The data indices of the rows shown, filtered and sorted.
    pub fn shown(&self) -> &[usize] {
        &self.shown
    }

    /// The data index of the selected row.
    pub fn selected(&self) -> Option<usize> {
        self.shown.get(self.cursor.selected).copied()
    }

    /// Movement, `/`, `S`, and Esc while a filter is set (it clears the
    /// filter before it goes back). True when used.
    pub fn handle(&mut self, action: Action, page: usize) -> bool {
        if self.cursor.apply(action, self.shown.len(), page) {
            return true;
        }
        match action {
            Action::Filter => self.editing = true,
            Action::ReverseSort => {
                let sort = self.sort.get_or_insert(Sort {
                    column: 0,
                    descending: false,
                });
                sort.descending = !sort.descending;
                self.reindex();
            }
            Action::Back if !self.filter.is_empty() => {
                self.filter.clear();
                self.cursor = Cursor::default();
                self.reindex();
            }
            _ => return false,
        }
        true
    }

    fn reindex(&mut self) {
        let needle = self.filter.to_lowercase();
        let texts = &self.texts;
        let mut shown: Vec<usize> = (0..texts.len())
            .filter(|&i| {
                needle.is_empty() || texts[i].iter().any(|t| t.to_lowercase().contains(&needle))
            })
            .collect();
        if let Some(s) = self.sort.filter(|s| s.column < N) {
            shown.sort_by(|&a, &b| {
                let o = natural(&texts[a][s.column], &texts[b][s.column]);
                if s.descending { o.reverse() } else { o }
            });
        }
        self.shown = shown;
        self.cursor.clamp(self.shown.len());
    }
}

impl<const N: usize> Sortable for Table<N> {
    fn titles(&self) -> Vec<&'static str> {
        self.titles.to_vec()
    }

    fn sort(&self) -> Option<Sort> {
        self.sort
    }

    fn sort_by(&mut self, column: usize) {
        self.sort = Some(match self.sort {
            Some(s) if s.column == column => Sort {
                column,
                descending: !s.descending,
            },
            _ => Sort {
                column,
                descending: false,
            },
        });
        self.reindex();
    }

    fn editing(&self) -> bool {
        self.editing
    }

    fn filter_key(&mut self, key: &KeyEvent) {
        edit_filter(&mut self.filter, &mut self.editing, key);
        // What is shown changed; start at the top.
        self.cursor = Cursor::default();
        self.reindex();
    }

    fn rows_shown(&self) -> (Vec<&'static str>, Vec<Vec<String>>) {
        (
            self.titles.to_vec(),
            self.shown.iter().map(|&i| self.texts[i].to_vec()).collect(),
        )
    }
}

/// A key typed into a filter: Enter keeps it, Esc clears it, both end
/// the editing.
pub fn edit_filter(filter: &mut String, editing: &mut bool, key: &KeyEvent) {
    match keymap::lookup(Scope::Filter, key) {
        Some(Action::Submit) => *editing = false,
        Some(Action::Cancel) => {
            *editing = false;
            filter.clear();
        }
        Some(Action::DeleteChar) => {
            filter.pop();
        }
        Some(Action::ClearInput) => filter.clear(),
        _ => {
            if let KeyCode::Char(c) = key.code
                && !key.modifiers.contains(KeyModifiers::CONTROL)
            {
                filter.push(c);
            }
        }
    }
}

/// Text order with runs of digits compared as numbers, so that `9` comes
/// before `10`, `h2` before `h10` and `99.build` before `100.build`; an
/// empty value sorts before any other.
pub fn natural(left: &str, right: &str) -> Ordering {
    let (mut left, mut right) = (left, right);
    loop {
        match (left.chars().next(), right.chars().next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(l), Some(r)) if l.is_ascii_digit() && r.is_ascii_digit() => {
                let (ldigits, lrest) = split_digits(left);
                let (rdigits, rrest) = split_digits(right);
                let (lnum, rnum) = (
                    ldigits.trim_start_matches('0'),
                    rdigits.trim_start_matches('0'),
                );
                let o = lnum.len().cmp(&rnum.len()).then_with(|| lnum.cmp(rnum));
                if o != Ordering::Equal {
                    return o;
                }
                (left, right) = (lrest, rrest);
            }
            (Some(l), Some(r)) => {
                if l != r {
                    return l.cmp(&r);
                }
                (left, right) = (&left[l.len_utf8()..], &right[r.len_utf8()..]);
            }
        }
    }
}

fn split_digits(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[[&str; 2]]) -> Table<2> {
        let mut t = Table::new(["job", "status"]);
        t.set_rows(rows.iter().map(|r| r.map(str::to_owned)).collect());
        t
    }

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn natural_order_reads_numbers_as_numbers() {
        let mut v = vec!["h10", "h2", "", "100.build", "99.build", "h02", "b"];
        v.sort_by(|a, b| natural(a, b));
        assert_eq!(v, ["", "99.build", "100.build", "b", "h2", "h02", "h10"]);
    }

    #[test]
    fn the_filter_matches_any_cell_case_insensitively() {
        let mut t = table(&[
            ["build-amd64", "pass"],
            ["test-xl", "FAIL"],
            ["build-arm", "fail"],
        ]);
        assert!(t.handle(Action::Filter, 10));
        assert!(t.editing());
        for c in "fail".chars() {
            t.filter_key(&key(c));
        }
        assert_eq!(t.shown(), [1, 2]);
        t.filter_key(&KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        assert!(!t.editing());
        assert_eq!(t.selected(), Some(1));
        // Esc clears the filter before anything else.
        assert!(t.handle(Action::Back, 10));
        assert_eq!(t.shown(), [0, 1, 2]);
        assert!(!t.handle(Action::Back, 10));
    }

    #[test]
    fn sorting_is_stable_and_reverses_on_the_same_column() {
        let mut t = table(&[["b", "pass"], ["a", "fail"], ["c", "pass"]]);
        assert_eq!(t.shown(), [0, 1, 2]);
        t.sort_by(1);
        assert_eq!(t.shown(), [1, 0, 2]);
        t.sort_by(1);
        assert_eq!(
            t.sort(),
            Some(Sort {
                column: 1,
                descending: true
            })
        );
        assert_eq!(t.shown(), [0, 2, 1]);
        t.sort_by(0);
        assert_eq!(t.shown(), [1, 0, 2]);
        t.handle(Action::ReverseSort, 10);
        assert_eq!(t.shown(), [2, 0, 1]);
        // New data keeps the sort and the filter.
        t.set_rows(vec![
            ["x".into(), "pass".into()],
            ["y".into(), "fail".into()],
        ]);
        assert_eq!(t.shown(), [1, 0]);
    }
}
