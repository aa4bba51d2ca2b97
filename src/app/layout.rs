//! Where things are on screen. Shared by drawing and by mouse handling, so
//! a click lands on what was drawn there.

use ratatui::layout::{Constraint, Layout, Rect};

/// Below this the views do not fit; a message asks for more room.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Width of the selection marker in front of table rows.
pub const MARKER_WIDTH: u16 = 2;

/// Space between table columns.
pub const COLUMN_SPACING: u16 = 1;

/// The screen's regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    /// Breadcrumb and database.
    pub header: Rect,
    /// Shown while the connection is down.
    pub banner: Option<Rect>,
    pub body: Rect,
    pub status: Rect,
}

/// The screen's areas, with a banner `banner` lines high (none at 0).
pub fn areas(area: Rect, banner: u16) -> Areas {
    let [header, banner_area, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(banner),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    Areas {
        header,
        banner: (banner > 0).then_some(banner_area),
        body,
        status,
    }
}

/// The index of the column under `x` in the header of a table drawn in
/// `body` (bordered, so its header is on the first inner line) with
/// column widths `widths`.
pub fn header_column(body: Rect, widths: &[u16], x: u16, y: u16) -> Option<usize> {
    let inner_x = body.x + 1;
    if y != body.y + 1 || x < inner_x + MARKER_WIDTH {
        return None;
    }
    let mut left = inner_x + MARKER_WIDTH;
    for (i, &w) in widths.iter().enumerate() {
        if x < left + w {
            return Some(i);
        }
        left += w + COLUMN_SPACING;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_click_finds_the_column_drawn_under_it() {
        let body = Rect::new(0, 1, 40, 10);
        // Border, marker, then columns of 3 and 5 with a space between.
        let at = |x| header_column(body, &[3, 5], x, 2);
        assert_eq!(at(2), None);
        assert_eq!(at(3), Some(0));
        assert_eq!(at(5), Some(0));
        assert_eq!(at(6), Some(1));
        assert_eq!(at(11), Some(1));
        assert_eq!(at(12), None);
        assert_eq!(header_column(body, &[3, 5], 4, 3), None);
    }
}
