//! Table cells fitted to the widths `app::columns` gives: a cut value
//! always ends in an ellipsis, so that it never reads as a whole one, and
//! what a cut hides is shown whole on the detail line under the table.

use std::borrow::Cow;
use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, StatefulWidget, Table, Widget, Wrap};
use unicode_width::{UnicodeWidthChar as _, UnicodeWidthStr as _};

use super::{Ctx, selectable, visible_rows, window};
pub use crate::app::columns::{Col, WHOLE, cut, needed, shown_width, wanted, widths};
use crate::app::layout::COLUMN_SPACING;
use crate::lifecycle::escape;

/// Tables whose rows are all measured; a longer one is measured on the
/// rows in view, so a frame's cost does not grow with the list.
pub const MEASURE_ALL_UP_TO: usize = 5_000;

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

/// A list table sized from its values: `len` rows, row `i` holding the
/// cells `texts(i)` in the row style `style(i)` (a cell with its own style
/// where `cell_style(i, column)` gives one), the selected row highlighted
/// when `focused`, and its cut values whole on the detail line.
pub struct SizedTable<'a, const N: usize, T, S, C> {
    pub cols: &'a [Col; N],
    pub len: usize,
    pub selected: usize,
    pub focused: bool,
    pub texts: T,
    pub style: S,
    pub cell_style: C,
}

impl<const N: usize, T, S, C> SizedTable<'_, N, T, S, C>
where
    T: Fn(usize) -> [String; N],
    S: Fn(usize) -> Style,
    C: Fn(usize, usize) -> Option<Style>,
{
    pub fn render(self, area: Rect, buf: &mut Buffer, ctx: Ctx) {
        let range = measured_range(self.len, self.selected, area.height.saturating_sub(1));
        let measured: Vec<[String; N]> = range.map(&self.texts).collect();
        let widths = widths(self.cols, &wanted(self.cols, &measured), area.width);
        let detail = (self.selected < self.len)
            .then(|| detail(self.cols, &widths, &(self.texts)(self.selected), ctx))
            .flatten();
        let area = split_detail(area, detail, buf);
        let (rows, mut state) = visible_rows(
            self.len,
            self.selected,
            self.focused,
            area.height.saturating_sub(1),
            |i| {
                let texts = (self.texts)(i);
                Row::new(
                    texts
                        .iter()
                        .zip(&widths)
                        .enumerate()
                        .map(|(c, (text, &w))| {
                            let text = fit(text, w).into_owned();
                            match (self.cell_style)(i, c) {
                                Some(style) => Cell::from(Span::styled(text, style)),
                                None => Cell::from(text),
                            }
                        }),
                )
                .style((self.style)(i))
            },
        );
        let table = Table::new(rows, widths.map(Constraint::Length))
            .header(header(self.cols, &widths, ctx))
            .column_spacing(COLUMN_SPACING);
        StatefulWidget::render(selectable(table, &ctx.theme), area, buf, &mut state);
    }
}

/// No cell styled apart from its row.
pub fn no_cell_style(_: usize, _: usize) -> Option<Style> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_value_ends_in_an_ellipsis_and_is_cut_by_display_width() {
        assert_eq!(fit("50 ownd 20350", 12), "50 ownd 203…");
        assert_eq!(fit("50 ownd 20350", 13), "50 ownd 20350");
        assert_eq!(fit("chardonnay0", 20), "chardonnay0");
        // Two columns each: four fit in nine, with the ellipsis.
        assert_eq!(fit("試験機械試験機械", 9), "試験機械…");
        assert_eq!(fit("a\u{1b}[31m", 4), "a\\e…");
    }
}
