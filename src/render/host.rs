//! One host: its rows beside the listing an observer's `final` would write.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::columns::{self, SizedTable, no_cell_style};
use super::{Ctx, placeholder, table_block};
use crate::app::host::{DEAD, DELETED, HostPane, HostView, LISTING_COLUMNS, LIVE, ROW_COLUMNS};
use crate::lifecycle::ResolvedKind;
use crate::lifecycle::escape;
use crate::lifecycle::report::{HostDetail, RowView};

pub struct HostWidget<'a> {
    pub view: &'a HostView,
    pub ctx: Ctx,
}

/// The legend under the rows: what each glyph means.
const LEGEND: &str = " ● live ○ dead ⊘ deleted · + concurrent @ prep ✗ superseded ";

fn liveness(r: &RowView, ctx: Ctx) -> (Span<'static>, Style) {
    let t = ctx.theme;
    match &r.task {
        Some(task) if task.live => (Span::styled(LIVE, t.live()), t.text()),
        Some(_) => (Span::styled(DEAD, t.dead()), t.dead()),
        None => (Span::styled(DELETED, t.dead()), t.dead()),
    }
}

/// The cells of a lifecycle row styled apart from the row: the liveness
/// glyph, and the flags (prep, superseded).
fn cell_style(r: &RowView, column: usize, ctx: Ctx) -> Option<Style> {
    let (glyph, row) = liveness(r, ctx);
    match column {
        0 => Some(glyph.style),
        2 if r.later_notprep => Some(ctx.theme.muted()),
        2 if r.job.as_ref().is_some_and(|j| j.isprep) => Some(ctx.theme.prep()),
        2 => Some(row),
        8 => r.step.as_ref().map(|s| ctx.theme.status(&s.status)),
        _ => None,
    }
}

/// "flags: …" and "properties: …" lines for a host, each only when it has
/// some.
fn host_facts(d: &HostDetail, ctx: Ctx) -> Vec<Line<'static>> {
    let t = ctx.theme;
    let mut lines = Vec::new();
    if !d.flags.is_empty() {
        lines.push(Line::from(vec![
            Span::styled("flags: ", t.muted()),
            Span::raw(escape(&d.flags.join(" ")).into_owned()),
        ]));
    }
    if !d.properties.is_empty() {
        let props: Vec<String> = d
            .properties
            .iter()
            .map(|p| format!("{}={}", escape(&p.name), escape(&p.val)))
            .collect();
        lines.push(Line::from(vec![
            Span::styled("properties: ", t.muted()),
            Span::raw(props.join(" ")),
        ]));
    }
    lines
}

impl HostWidget<'_> {
    fn render_rows(&self, area: Rect, buf: &mut Buffer) {
        let t = self.ctx.theme;
        let v = self.view;
        let title = match v.feed.loaded() {
            Some(d) => {
                let live = d.live_rows;
                let kind = if d.detail.build_host {
                    " · build host"
                } else {
                    ""
                };
                format!(
                    " · {} · {live} by live tasks{kind} ",
                    crate::lifecycle::count(d.detail.rows.len() as u64, "row")
                )
            }
            None => " ".to_owned(),
        };
        let block = table_block(
            Line::from(vec![
                Span::styled(format!(" {} ", escape(&v.host)), t.title()),
                Span::raw(title),
            ]),
            &v.rows,
            v.pane == HostPane::Rows,
            self.ctx,
        )
        .title_bottom(Line::styled(LEGEND, t.muted()).right_aligned());
        let inner = block.inner(area);
        block.render(area, buf);
        if placeholder(&v.feed.data, inner, buf, self.ctx) {
            return;
        }
        let Some(d) = v.feed.loaded() else { return };
        // The host's flags and properties, in full (the hosts list
        // condenses them), above its rows.
        let facts = host_facts(&d.detail, self.ctx);
        let needed: usize = facts
            .iter()
            .map(|l| l.width().div_ceil(usize::from(inner.width.max(1))).max(1))
            .sum();
        let [facts_area, inner] = Layout::vertical([
            Constraint::Length(
                u16::try_from(needed)
                    .unwrap_or(u16::MAX)
                    .min(inner.height / 3),
            ),
            Constraint::Fill(1),
        ])
        .areas(inner);
        Paragraph::new(facts)
            .wrap(Wrap { trim: false })
            .render(facts_area, buf);
        if d.detail.rows.is_empty() {
            Paragraph::new("no lifecycle rows since the last wipe").render(inner, buf);
            return;
        }
        let rows = &d.detail.rows;
        SizedTable {
            cols: &ROW_COLUMNS,
            table: &v.rows,
            focused: v.pane == HostPane::Rows,
            style: |i| liveness(&rows[i], self.ctx).1,
            cell_style: |i, c| cell_style(&rows[i], c, self.ctx),
        }
        .render(inner, buf, self.ctx);
    }

    fn render_listing(&self, area: Rect, buf: &mut Buffer) {
        let t = self.ctx.theme;
        let v = self.view;
        let block = table_block(
            Line::from(vec![
                Span::styled(" Listing ", t.title()),
                Span::raw("· what final would record now "),
            ]),
            &v.listing,
            v.pane == HostPane::Listing,
            self.ctx,
        );
        let inner = block.inner(area);
        block.render(area, buf);
        if placeholder(&v.feed.data, inner, buf, self.ctx) {
            return;
        }
        let Some(d) = v.feed.loaded() else { return };
        let text = if d.detail.listing.is_empty() {
            "(empty)".to_owned()
        } else {
            escape(&d.detail.listing).into_owned()
        };
        // The listing whole, wrapped (up to a third of the pane), then a
        // blank line.
        let raw = Paragraph::new(Line::styled(text, t.key())).wrap(Wrap { trim: false });
        let lines = u16::try_from(raw.line_count(inner.width))
            .unwrap_or(u16::MAX)
            .clamp(1, (inner.height / 3).max(1));
        let [raw_area, table_area] =
            Layout::vertical([Constraint::Length(lines + 1), Constraint::Fill(1)]).areas(inner);
        raw.render(raw_area, buf);
        match &d.listing {
            Err(e) => {
                Paragraph::new(Line::styled(format!("✗ {e}"), t.error())).render(table_area, buf);
            }
            Ok(entries) => {
                SizedTable {
                    cols: &LISTING_COLUMNS,
                    table: &v.listing,
                    focused: v.pane == HostPane::Listing,
                    style: |i: usize| match entries[i].kind {
                        ResolvedKind::Elided { .. } => t.muted(),
                        _ if entries[i].concurrent => t.live(),
                        _ => t.text(),
                    },
                    cell_style: no_cell_style,
                }
                .render(table_area, buf, self.ctx);
            }
        }
    }
}

impl HostWidget<'_> {
    /// The width the listing pane needs to show its entries whole, borders
    /// included.
    fn listing_width(&self) -> u16 {
        let Some(d) = self.view.feed.loaded() else {
            return 0;
        };
        let table = match &d.listing {
            Ok(_) => needed_for(&LISTING_COLUMNS, &self.view.listing),
            Err(_) => 0,
        };
        let raw = columns::shown_width(&d.detail.listing);
        table.max(raw).saturating_add(2)
    }

    /// The width the rows pane needs to show its rows whole, borders
    /// included.
    fn rows_width(&self) -> u16 {
        needed_for(&ROW_COLUMNS, &self.view.rows).saturating_add(2)
    }
}

/// What a table needs to show the rows its filter shows whole, but for
/// the columns that give way first, at their narrowest.
fn needed_for<const N: usize>(
    cols: &[columns::Col; N],
    table: &crate::app::table::Table<N>,
) -> u16 {
    let texts = table.texts();
    let mut want = columns::wanted(cols, table.shown().iter().map(|&i| &texts[i]));
    for (w, c) in want.iter_mut().zip(cols) {
        if c.first {
            *w = (*w).min(c.min);
        }
    }
    columns::needed(&want)
}

/// How a side-by-side host view shares `total` columns: each pane its
/// need when both fit (the rows take what is spare); else the rows first,
/// since they are what the operator reads, the listing what is left but
/// between a quarter and a half. A pane's need leaves its give-way
/// columns (the task's refkey) at their narrowest.
fn split(total: u16, rows: u16, listing: u16) -> u16 {
    if u32::from(rows) + u32::from(listing) <= u32::from(total) {
        return listing;
    }
    total.saturating_sub(rows).clamp(total / 4, total / 2)
}

impl Widget for HostWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        // Side by side when there is room, sharing it by need (see
        // `split`); stacked on a standard terminal.
        let [rows, listing] = if area.width >= 140 {
            let listing = split(area.width, self.rows_width(), self.listing_width());
            Layout::horizontal([Constraint::Fill(1), Constraint::Length(listing)]).areas(area)
        } else {
            Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(area)
        };
        self.render_rows(rows, buf);
        self.render_listing(listing, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn panes_share_the_width_by_need() {
        // Both fit: the listing its need, the rows the rest.
        assert_eq!(split(200, 120, 50), 50);
        // Not both: the rows first, the listing kept to its range.
        assert_eq!(split(200, 138, 89), 62);
        assert_eq!(split(160, 138, 89), 40);
        assert_eq!(split(160, 40, 300), 80);
    }
}
