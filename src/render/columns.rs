//! Table cells fitted to the widths `app::columns` gives: a cut value
//! always ends in an ellipsis, so that it never reads as a whole one, and
//! what a cut hides is shown whole on the detail line under the table.

use std::borrow::Cow;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, StatefulWidget, Table, Widget, Wrap};
use unicode_width::{UnicodeWidthChar as _, UnicodeWidthStr as _};

use super::{Ctx, selectable, visible_rows, window};
pub use crate::app::columns::{Col, WHOLE, cut, needed, shown_width, wanted, widths};
use crate::app::layout::COLUMN_SPACING;
use crate::app::table::{Sort, Sortable as _, Table as Rows};
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

/// [`fit`] from the other end: `text` escaped and cut to `width` columns
/// from its front, its first one an ellipsis when cut, for names whose
/// ends tell them apart (`test-amd64-amd64-…`).
pub fn fit_tail(text: &str, width: u16) -> Cow<'_, str> {
    let text = escape(text);
    let width = usize::from(width);
    if text.width() <= width {
        return text;
    }
    let mut kept = Vec::new();
    let mut used = 0;
    for c in text.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > width.saturating_sub(1) {
            break;
        }
        used += w;
        kept.push(c);
    }
    let ellipsis = (width > 0).then_some('…');
    Cow::Owned(ellipsis.into_iter().chain(kept.into_iter().rev()).collect())
}

/// The header row, each title fitted to its column, the sorting one with
/// its arrow.
pub fn header<const N: usize>(
    cols: &[Col; N],
    widths: &[u16; N],
    sort: Option<Sort>,
    ctx: Ctx,
) -> Row<'static> {
    Row::new(cols.iter().zip(widths).enumerate().map(|(i, (c, &w))| {
        let arrow = match sort {
            Some(s) if s.column == i && s.descending => " ▼",
            Some(s) if s.column == i => " ▲",
            _ => "",
        };
        Cell::from(fit(&format!("{}{arrow}", c.title), w).into_owned())
    }))
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
        spans.push(Span::styled(
            format!("{}:\u{a0}", title.replace(' ', "\u{a0}")),
            t.muted(),
        ));
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

/// A [`Rows`] (the app's table) drawn with its columns sized from its values: the rows
/// its filter and sort show, row `i` of the data in the style `style(i)`
/// (a cell with its own style where `cell_style(i, column)` gives one),
/// the selected row highlighted when `focused`, and its cut values whole
/// on the detail line.
pub struct SizedTable<'a, const N: usize, S, C> {
    pub cols: &'a [Col; N],
    pub table: &'a Rows<N>,
    pub focused: bool,
    pub style: S,
    pub cell_style: C,
}

impl<const N: usize, S, C> SizedTable<'_, N, S, C>
where
    S: Fn(usize) -> Style,
    C: Fn(usize, usize) -> Option<Style>,
{
    pub fn render(self, area: Rect, buf: &mut Buffer, ctx: Ctx) {
        let table = self.table;
        let (texts, shown) = (table.texts(), table.shown());
        let selected = table.cursor.selected;
        let sort = table.sort();
        // Measured on the rows shown (a column the filter leaves blank
        // gives its room away), all of them so that columns keep still
        // while the cursor moves; on the rows in view past
        // MEASURE_ALL_UP_TO, so a frame's cost does not grow with the list.
        let mut want = if shown.len() <= MEASURE_ALL_UP_TO {
            wanted(self.cols, shown.iter().map(|&i| &texts[i]))
        } else {
            let range = window(shown.len(), selected, area.height.saturating_sub(1));
            wanted(self.cols, shown[range].iter().map(|&i| &texts[i]))
        };
        if let Some(s) = sort.filter(|s| s.column < N) {
            want[s.column] = want[s.column].max(shown_width(self.cols[s.column].title) + ARROW);
        }
        let widths = widths(self.cols, &want, area.width);
        let head = header(self.cols, &widths, sort, ctx);
        if shown.is_empty() {
            // The header stays, columns and all; the message takes the row
            // under it.
            let [top, message] =
                Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
            let empty = Table::new(Vec::<Row>::new(), widths.map(Constraint::Length))
                .header(head)
                .column_spacing(COLUMN_SPACING);
            Widget::render(selectable(empty, &ctx.theme), top, buf);
            if !texts.is_empty() {
                Paragraph::new(Line::styled(
                    "  no row matches the filter (Esc clears it)",
                    ctx.theme.muted(),
                ))
                .render(message, buf);
            }
            return;
        }
        let detail = table
            .selected()
            .and_then(|i| detail(self.cols, &widths, &texts[i], ctx));
        let area = split_detail(area, detail, buf);
        let (rows, mut state) = visible_rows(
            shown.len(),
            selected,
            self.focused,
            area.height.saturating_sub(1),
            |p| {
                let i = shown[p];
                Row::new(
                    texts[i]
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
        let drawn = Table::new(rows, widths.map(Constraint::Length))
            .header(head)
            .column_spacing(COLUMN_SPACING);
        StatefulWidget::render(selectable(drawn, &ctx.theme), area, buf, &mut state);
    }
}

/// Room in a header for the sort arrow (" ▲").
pub const ARROW: u16 = 2;

/// No cell styled apart from its row.
pub fn no_cell_style(_: usize, _: usize) -> Option<Style> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tail_cut_keeps_the_end_by_display_width() {
        assert_eq!(fit_tail("test-amd64-xl", 13), "test-amd64-xl");
        assert_eq!(fit_tail("test-amd64-xl", 7), "…d64-xl");
        assert_eq!(fit_tail("ab漢字", 4), "…字");
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
}
