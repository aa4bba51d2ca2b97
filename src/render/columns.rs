//! Table columns sized from what they hold: each as wide as its widest
//! value when there is room, the widest ones cut first when there is not,
//! and a cut value always ending in an ellipsis, so that it never reads as
//! a whole one. What a cut hides is shown whole on the detail line under
//! the table ([`Cut`]).

use std::borrow::Cow;
use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Widget, Wrap};
use unicode_width::{UnicodeWidthChar as _, UnicodeWidthStr as _};

use super::{Ctx, window};
use crate::app::layout::{COLUMN_SPACING, MARKER_WIDTH};
use crate::lifecycle::escape;

/// Tables whose rows are all measured; a longer one is measured on the
/// rows in view, so a frame's cost does not grow with the list.
pub const MEASURE_ALL_UP_TO: usize = 5_000;

/// A column: its header and how narrow it may be cut.
#[derive(Debug, Clone, Copy)]
pub struct Col {
    pub title: &'static str,
    /// The narrowest it is cut to while others are wider; [`WHOLE`] for a
    /// column that is never cut (times, numbers).
    pub min: u16,
    /// Cut before the others: free text the detail line shows whole.
    pub first: bool,
}

impl Col {
    /// A column cut, when it must be, with the others.
    pub const fn new(title: &'static str, min: u16) -> Col {
        Col {
            title,
            min,
            first: false,
        }
    }

    /// The same, cut before the others.
    #[must_use]
    pub const fn cut_first(mut self) -> Col {
        self.first = true;
        self
    }
}

/// A column's `min` for values that must never be cut.
pub const WHOLE: u16 = u16::MAX;

/// `text` escaped (control characters shown as `\e`, `\n`, …) and cut to
/// `width` terminal columns, its last one an ellipsis when cut. Cut by
/// display width, not characters: a CJK character takes two columns.
pub fn fit(text: &str, width: u16) -> Cow<'_, str> {
    let text = escape(text);
    let width = usize::from(width);
    if text.width() <= width {
        return text;
    }
    let mut cut = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width.saturating_sub(1) {
            break;
        }
        used += w;
        cut.push(c);
    }
    if width > 0 {
        cut.push('…');
    }
    Cow::Owned(cut)
}

/// The display width of `text` as [`fit`] shows it.
pub fn shown_width(text: &str) -> u16 {
    u16::try_from(escape(text).width()).unwrap_or(u16::MAX)
}

/// The width each column wants: its widest value among `rows`, or its
/// header.
pub fn wanted<'a, const N: usize>(
    cols: &[Col; N],
    rows: impl IntoIterator<Item = &'a [String; N]>,
) -> [u16; N] {
    let mut want = cols.map(|c| shown_width(c.title));
    for row in rows {
        for (w, text) in want.iter_mut().zip(row) {
            *w = (*w).max(shown_width(text));
        }
    }
    want
}

/// The widths of columns wanting `want` in a table `total` cells wide
/// (selection marker and spacing included). All are whole when they fit,
/// the last taking what is spare. When they do not, the columns marked
/// [`Col::first`] (free text, such as a runvar) are cut first; then the
/// widest of the rest are cut to a common width, so that one long value
/// does not push the others out. None is cut below its `min`; only when
/// even the minimums do not fit are the rightmost narrowed further.
pub fn widths<const N: usize>(cols: &[Col; N], want: &[u16; N], total: u16) -> [u16; N] {
    let gaps = COLUMN_SPACING * u16::try_from(N.saturating_sub(1)).unwrap_or(u16::MAX);
    let room = u32::from(total.saturating_sub(MARKER_WIDTH + gaps));
    let sum = |ws: &[u16; N]| ws.iter().map(|&w| u32::from(w)).sum::<u32>();
    let mut out = *want;
    if sum(want) <= room {
        if let Some(last) = out.last_mut() {
            *last += u16::try_from(room - sum(want)).unwrap_or(0);
        }
        return out;
    }
    let floor: [u16; N] = std::array::from_fn(|i| cols[i].min.min(want[i]));
    for first in [true, false] {
        let cutting: [bool; N] = std::array::from_fn(|i| cols[i].first == first);
        share_cut(&mut out, &floor, &cutting, room);
        if sum(&out) <= room {
            return out;
        }
    }
    // Even the minimums do not fit: the leftmost columns, which say which
    // row this is, keep theirs.
    let mut excess = sum(&out) - room;
    for w in out.iter_mut().rev() {
        let take = u16::try_from(excess.min(u32::from(*w))).unwrap_or(*w);
        *w -= take;
        excess -= u32::from(take);
    }
    out
}

/// Cut the columns marked in `cutting` to the widest common width under
/// which `out` fits in `room` (none below its `floor`, the others left as
/// they are), what is left over going a cell each to the cut ones.
fn share_cut<const N: usize>(out: &mut [u16; N], floor: &[u16; N], cutting: &[bool; N], room: u32) {
    let want = *out;
    let capped = |cap: u16| -> [u16; N] {
        std::array::from_fn(|i| {
            if cutting[i] {
                floor[i].max(want[i].min(cap))
            } else {
                want[i]
            }
        })
    };
    let sum = |ws: &[u16; N]| ws.iter().map(|&w| u32::from(w)).sum::<u32>();
    let (mut lo, mut hi) = (0u16, want.iter().copied().max().unwrap_or(0));
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if sum(&capped(mid)) <= room {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    *out = capped(lo);
    let mut spare = room.saturating_sub(sum(out));
    for i in 0..N {
        if spare == 0 {
            break;
        }
        if cutting[i] && out[i] < want[i] {
            out[i] += 1;
            spare -= 1;
        }
    }
}

/// The values of one row that its columns cut, with their headers: what
/// the detail line shows whole.
pub fn cut<'a, const N: usize>(
    cols: &[Col; N],
    widths: &[u16; N],
    row: &'a [String; N],
) -> Vec<(&'static str, &'a str)> {
    cols.iter()
        .zip(widths)
        .zip(row)
        .filter(|((_, w), text)| shown_width(text) > **w)
        .map(|((c, _), text)| (c.title, text.as_str()))
        .collect()
}

/// The rows a table of `len` measures its columns on: all of them up to
/// [`MEASURE_ALL_UP_TO`], so that columns keep their widths while the
/// cursor moves; else the rows in view.
pub fn measured_range(len: usize, selected: usize, height: u16) -> Range<usize> {
    if len <= MEASURE_ALL_UP_TO {
        0..len
    } else {
        window(len, selected, height)
    }
}

/// The header row, each title fitted to its column.
pub fn header<const N: usize>(cols: &[Col; N], widths: &[u16; N], ctx: Ctx) -> Row<'static> {
    Row::new(
        cols.iter()
            .zip(widths)
            .map(|(c, &w)| Cell::from(fit(c.title, w).into_owned())),
    )
    .style(ctx.theme.header())
}

/// The most lines the detail line wraps to.
const DETAIL_LINES: u16 = 3;

/// What goes under a table: the selected row's values its columns cut,
/// whole, so that the operator never has to guess the end of a job name.
/// `None` when nothing of the row is cut.
pub fn detail<const N: usize>(
    cols: &[Col; N],
    widths: &[u16; N],
    row: &[String; N],
    ctx: Ctx,
) -> Option<Line<'static>> {
    let cut = cut(cols, widths, row);
    if cut.is_empty() {
        return None;
    }
    let t = ctx.theme;
    let mut spans = vec![Span::styled("▶ ", t.key())];
    for (i, (title, text)) in cut.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", t.muted()));
        }
        // A no-break space, so that wrapping never parts a value from
        // its name.
        spans.push(Span::styled(format!("{title}:\u{a0}"), t.muted()));
        spans.push(Span::raw(escape(text).into_owned()));
    }
    Some(Line::from(spans))
}

/// `area` less the lines the detail needs at its foot (wrapped, at most
/// [`DETAIL_LINES`], never more than half the area), and the detail drawn
/// there.
pub fn split_detail(area: Rect, detail: Option<Line<'static>>, buf: &mut Buffer) -> Rect {
    let Some(line) = detail else { return area };
    let paragraph = Paragraph::new(line).wrap(Wrap { trim: false });
    // Counted as drawn: wrapping at words takes more lines than the
    // width alone says.
    let lines = u16::try_from(paragraph.line_count(area.width))
        .unwrap_or(u16::MAX)
        .clamp(1, DETAIL_LINES)
        .min(area.height / 2);
    let [table, foot] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(lines)]).areas(area);
    paragraph.render(foot, buf);
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: [Col; 3] = [
        Col::new("n", WHOLE),
        Col::new("job", 6),
        Col::new("ident", 5),
    ];

    /// The room `widths` shares out: a table `total` wide less marker and
    /// spacing.
    fn room(total: u16) -> u16 {
        total - MARKER_WIDTH - 2 * COLUMN_SPACING
    }

    #[test]
    fn a_cut_value_ends_in_an_ellipsis_and_is_cut_by_display_width() {
        assert_eq!(fit("50 ownd 20350", 12), "50 ownd 203…");
        assert_eq!(fit("50 ownd 20350", 13), "50 ownd 20350");
        assert_eq!(fit("chardonnay0", 20), "chardonnay0");
        // Two columns each: four fit in nine, with the ellipsis.
        assert_eq!(fit("試験機械試験機械", 9), "試験機械…");
        assert_eq!(fit("a\u{1b}[31m", 4), "a\\e…");
    }

    #[test]
    fn columns_that_fit_are_whole_and_the_last_takes_what_is_spare() {
        let w = widths(&COLS, &[4, 10, 5], 40);
        assert_eq!(w, [4, 10, room(40) - 14]);
    }

    #[test]
    fn the_widest_column_is_cut_first_and_never_below_its_minimum() {
        // 30 columns of room: the 60-wide job is cut, the others whole.
        let w = widths(&COLS, &[4, 60, 8], 34);
        assert_eq!(w, [4, room(34) - 12, 8]);
        // Two wide ones share the cut evenly.
        let w = widths(&COLS, &[4, 60, 60], 34);
        assert_eq!(w.iter().sum::<u16>(), room(34));
        assert!(w[1].abs_diff(w[2]) <= 1, "{w:?}");
        // A column that is never cut stays whole however little room.
        let w = widths(&COLS, &[9, 60, 60], 24);
        assert_eq!(w[0], 9);
        assert_eq!(w, [9, 6, 5]);
    }

    #[test]
    fn a_column_cut_first_gives_way_before_the_others() {
        let cols = [
            Col::new("n", WHOLE),
            Col::new("job", 6),
            Col::new("runvar", 4).cut_first(),
        ];
        // The runvar goes down to its minimum before the job loses a cell.
        let w = widths(&cols, &[4, 20, 40], 34);
        assert_eq!(w, [4, 20, room(34) - 24]);
        // Past that the job is cut too, the runvar staying at its minimum.
        let w = widths(&cols, &[4, 40, 40], 34);
        assert_eq!(w, [4, room(34) - 8, 4]);
    }

    #[test]
    fn with_no_room_for_the_minimums_the_rightmost_give_way() {
        let w = widths(&COLS, &[4, 60, 60], 14);
        assert_eq!(w.iter().sum::<u16>(), room(14));
        assert_eq!(w[0], 4);
        assert_eq!(w[2], 0);
    }

    #[test]
    fn the_detail_line_names_what_was_cut() {
        let row = ["1".to_owned(), "a-long-job-name".to_owned(), "x".to_owned()];
        let w = [4, 6, 5];
        assert_eq!(cut(&COLS, &w, &row), [("job", "a-long-job-name")]);
        assert!(cut(&COLS, &[4, 20, 5], &row).is_empty());
    }
}
