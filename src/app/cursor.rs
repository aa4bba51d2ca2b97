//! The selected row of a list, moved by the list actions.

use super::action::Action;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cursor {
    pub selected: usize,
}

impl Cursor {
    /// Move for a list action over `len` rows with `page` rows visible.
    /// False when the action is not a movement.
    pub fn apply(&mut self, action: Action, len: usize, page: usize) -> bool {
        let last = len.saturating_sub(1);
        let page = page.max(1);
        self.selected = match action {
            Action::Up => self.selected.saturating_sub(1),
            Action::Down => (self.selected + 1).min(last),
            Action::PageUp => self.selected.saturating_sub(page),
            Action::PageDown => (self.selected + page).min(last),
            Action::Top => 0,
            Action::Bottom => last,
            _ => return false,
        };
        true
    }

    /// Keep the selection inside a list that changed length.
    pub fn clamp(&mut self, len: usize) {
        self.selected = self.selected.min(len.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_stay_in_bounds() {
        let mut c = Cursor::default();
        assert!(c.apply(Action::Up, 5, 2));
        assert_eq!(c.selected, 0);
        c.apply(Action::PageDown, 5, 3);
        assert_eq!(c.selected, 3);
        c.apply(Action::PageDown, 5, 3);
        assert_eq!(c.selected, 4);
        c.apply(Action::Top, 5, 3);
        assert_eq!(c.selected, 0);
        c.apply(Action::Bottom, 0, 3);
        assert_eq!(c.selected, 0);
        assert!(!c.apply(Action::Copy, 5, 3));
    }
}
