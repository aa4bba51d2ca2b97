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

/// The widest the host column grows to fit the longest name; a longer
/// name is cut, with an ellipsis.
pub const MAX_HOST_WIDTH: u16 = 24;
/// The narrowest the last-job column shrinks to make room for the host
/// names (the host view shows the job whole).
const MIN_LAST_JOB_WIDTH: u16 = 6;

/// The hosts table's columns shown in a table `total` cells wide, for
/// host names up to `host_width` long, with their widths: each column's
/// minimum, and spare room shared by the growing ones. A host's name is
/// what tells hosts apart, so its column is as wide as the longest name
/// (up to [`MAX_HOST_WIDTH`]), the last job giving up the room at 80
/// columns. The flags column is left out when the others need all the
/// room (at 80 columns): a host's name and holder matter more, and the
/// host view lists every flag.
pub fn host_columns(total: u16, host_width: u16) -> Vec<(Column, u16)> {
    let fits = |cols: &[Column], host: u16| {
        cols.iter()
            .map(|&c| if c == Column::Host { host } else { c.width() })
            .sum::<u16>()
            + COLUMN_SPACING * u16::try_from(cols.len().saturating_sub(1)).unwrap_or(u16::MAX)
            + MARKER_WIDTH
    };
    let wanted = host_width.clamp(Column::Host.width(), MAX_HOST_WIDTH);
    let mut cols: Vec<Column> = Column::ALL.to_vec();
    if fits(&cols, wanted) + Column::FLAGS_SHOWN_FROM > total {
        cols.retain(|&c| c != Column::Flags);
    }
    // The room the host names can have: what is spare, and what the last
    // job can give up.
    let room = total.saturating_sub(fits(&cols, Column::Host.width()))
        + (Column::LastJob.width() - MIN_LAST_JOB_WIDTH);
    let host = wanted.min(Column::Host.width() + room);
    let min = |c: Column| if c == Column::Host { host } else { c.width() };
    let base = fits(&cols, host);
    let short = base.saturating_sub(total);
    let growing = u16::try_from(cols.iter().filter(|c| c.grows()).count()).unwrap_or(u16::MAX);
    let spare = total.saturating_sub(base);
    let (each, mut extra) = (spare / growing.max(1), spare % growing.max(1));
    cols.into_iter()
        .map(|c| {
            let w = match c {
                Column::LastJob => min(c).saturating_sub(short).max(MIN_LAST_JOB_WIDTH),
                c => min(c),
            };
            if c.grows() {
                let bonus = u16::from(extra > 0);
                extra = extra.saturating_sub(1);
                (c, w + each + bonus)
            } else {
                (c, w)
            }
        })
        .collect()
}

/// The hosts table's header column under `x`, for a table drawn in
/// `body` (bordered, so its header is on the first inner line) with host
/// names up to `host_width` long.
pub fn host_header_column(body: Rect, host_width: u16, x: u16, y: u16) -> Option<Column> {
    let inner_x = body.x + 1;
    if y != body.y + 1 || x < inner_x + MARKER_WIDTH {
        return None;
    }
    let mut left = inner_x + MARKER_WIDTH;
    for (col, w) in host_columns(body.width.saturating_sub(2), host_width) {
        if x < left + w {
            return Some(col);
        }
        left += w + COLUMN_SPACING;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn used(cols: &[(Column, u16)]) -> u16 {
        cols.iter().map(|&(_, w)| w).sum::<u16>()
            + COLUMN_SPACING * (u16::try_from(cols.len()).unwrap() - 1)
            + MARKER_WIDTH
    }

    fn width_of(cols: &[(Column, u16)], c: Column) -> u16 {
        cols.iter()
            .find(|&&(col, _)| col == c)
            .map_or(0, |&(_, w)| w)
    }

    /// At 80 columns (78 inside the border) the host names fit whole, the
    /// last job making room, and the table never overflows.
    #[test]
    fn host_names_fit_whole_and_the_table_fits_the_terminal() {
        for host_width in [0, 7, 11, 16, 40] {
            for total in [78, 118, 158] {
                let cols = host_columns(total, host_width);
                assert!(used(&cols) <= total, "{host_width} in {total}: {cols:?}");
                let want = host_width.clamp(Column::Host.width(), MAX_HOST_WIDTH);
                // Whole up to the room there is: 16 at 80 columns.
                let room = if total == 78 { 16 } else { MAX_HOST_WIDTH };
                assert!(width_of(&cols, Column::Host) >= want.min(room), "{cols:?}");
            }
        }
        let narrow = host_columns(78, 11);
        assert_eq!(width_of(&narrow, Column::Host), 11);
        assert_eq!(
            width_of(&narrow, Column::LastJob),
            Column::LastJob.width() - 1
        );
    }
}
