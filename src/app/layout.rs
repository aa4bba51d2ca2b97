//! Where things are on screen. Shared by drawing and by mouse handling, so
//! a click lands on what was drawn there.

use ratatui::layout::{Constraint, Layout, Rect};

use super::hosts::Column;

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

/// The hosts table's columns shown in a table `total` cells wide, with
/// their widths: each column's minimum, and spare room shared by the
/// growing ones. The flags column is left out when the others need all
/// the room (at 80 columns): a host's name and holder matter more, and
/// the host view lists every flag.
pub fn host_columns(total: u16) -> Vec<(Column, u16)> {
    let fits = |cols: &[Column]| {
        cols.iter().map(|c| c.width()).sum::<u16>()
            + COLUMN_SPACING * (cols.len() as u16).saturating_sub(1)
            + MARKER_WIDTH
    };
    let mut cols: Vec<Column> = Column::ALL.to_vec();
    if fits(&cols) + Column::FLAGS_SHOWN_FROM > total {
        cols.retain(|&c| c != Column::Flags);
    }
    let base = fits(&cols);
    let growing = cols.iter().filter(|c| c.grows()).count() as u16;
    let spare = total.saturating_sub(base);
    let (share, mut extra) = (spare / growing.max(1), spare % growing.max(1));
    cols.into_iter()
        .map(|c| {
            if c.grows() {
                let bonus = u16::from(extra > 0);
                extra = extra.saturating_sub(1);
                (c, c.width() + share + bonus)
            } else {
                (c, c.width())
            }
        })
        .collect()
}

/// The hosts table's header column under `x`, for a table drawn in
/// `body` (bordered, so its header is on the first inner line).
pub fn host_header_column(body: Rect, x: u16, y: u16) -> Option<Column> {
    let inner_x = body.x + 1;
    if y != body.y + 1 || x < inner_x + MARKER_WIDTH {
        return None;
    }
    let mut left = inner_x + MARKER_WIDTH;
    for (col, w) in host_columns(body.width.saturating_sub(2)) {
        if x < left + w {
            return Some(col);
        }
        left += w + COLUMN_SPACING;
    }
    None
}
