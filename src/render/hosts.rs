//! The hosts table.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, StatefulWidget, Table, Widget};

use super::text::{DEAD, LIVE, opt_utc};
use super::{Ctx, block, placeholder, selectable, visible_rows};
use crate::app::hosts::{Column, HostsView, flags_text, holder_text};
use crate::app::layout::{COLUMN_SPACING, host_columns};
use crate::lifecycle::report::HostSummary;

pub struct HostsWidget<'a> {
    pub view: &'a HostsView,
    pub ctx: Ctx,
}

impl HostsWidget<'_> {
    fn title(&self) -> Line<'static> {
        let all = self.view.all();
        let shown = self.view.shown_len();
        let live = self.view.live_count();
        let counts = if shown == all.len() {
            format!("{} hosts", all.len())
        } else {
            format!("{shown} of {} hosts", all.len())
        };
        Line::from(vec![
            Span::styled(" Hosts ", self.ctx.theme.title()),
            Span::raw(format!("· {counts} · {live} with live tasks ")),
        ])
    }

    fn filter_line(&self) -> Option<Line<'static>> {
        if !self.view.editing && self.view.filter.is_empty() {
            return None;
        }
        let cursor = if self.view.editing { "▏" } else { "" };
        Some(Line::from(vec![
            Span::styled(" /", self.ctx.theme.key()),
            Span::raw(format!("{}{cursor} ", self.view.filter)),
        ]))
    }

    fn row(&self, h: &HostSummary, columns: &[(Column, u16)]) -> Row<'static> {
        let t = self.ctx.theme;
        Row::new(columns.iter().map(|&(c, w)| match c {
            Column::Live if h.live_tasks > 0 => {
                Cell::from(Span::styled(format!("{LIVE} {}", h.live_tasks), t.live()))
            }
            Column::Live => Cell::from(Span::styled(DEAD, t.muted())),
            Column::Host => Cell::from(fit(&h.host, w)),
            Column::Share => Cell::from(fit(
                &match (&h.sharetype, h.shares) {
                    (Some(s), Some(n)) => format!("{s} ×{n}"),
                    (Some(s), None) => s.clone(),
                    _ => String::new(),
                },
                w,
            )),
            Column::Flags => Cell::from(Span::styled(fit(&flags_text(h), w), t.muted())),
            Column::Holder => {
                let style = match &h.holder {
                    Some(l) if l.live => t.text(),
                    _ => t.muted(),
                };
                Cell::from(Span::styled(fit(&holder_text(h), w), style))
            }
            // Counted after the list arrives.
            Column::Rows => match h.rows {
                Some(n) => Cell::from(n.to_string()),
                None => Cell::from(Span::styled("…", t.muted())),
            },
            Column::LastJob => Cell::from(fit(h.last_job.as_deref().unwrap_or_default(), w)),
            Column::LastActivity => Cell::from(opt_utc(h.last_activity)),
        }))
    }
}

/// A hosts-table cell: escaped, and cut with an ellipsis.
fn fit(text: &str, width: u16) -> String {
    super::columns::fit(text, width).into_owned()
}

impl Widget for HostsWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.ctx.theme;
        let mut block = block(self.title(), !self.view.editing, self.ctx);
        if let Some(filter) = self.filter_line() {
            block = block.title_bottom(filter);
        }
        let inner = block.inner(area);
        block.render(area, buf);
        if placeholder(&self.view.feed.data, inner, buf, self.ctx) {
            return;
        }
        let sort = self.view.sort;
        let columns = host_columns(inner.width, self.view.host_width);
        let header = Row::new(columns.iter().map(|&(c, _)| {
            let arrow = match (c == sort.column, sort.descending) {
                (true, false) => " ▲",
                (true, true) => " ▼",
                (false, _) => "",
            };
            Cell::from(format!("{}{arrow}", c.title()))
        }))
        .style(t.header());
        if self.view.shown_len() == 0 {
            let msg = if self.view.all().is_empty() {
                "no hosts yet"
            } else {
                "no host matches the filter (Esc clears it)"
            };
            Widget::render(
                Table::new(
                    [Row::new([Cell::from(""), Cell::from(msg)])],
                    [Constraint::Length(2), Constraint::Fill(1)],
                )
                .header(header),
                inner,
                buf,
            );
            return;
        }
        let (rows, mut state) = visible_rows(
            self.view.shown_len(),
            self.view.cursor.selected,
            true,
            inner.height.saturating_sub(1),
            |i| {
                self.view
                    .shown(i)
                    .map_or_else(Row::default, |h| self.row(h, &columns))
            },
        );
        let widths = columns.iter().map(|&(_, w)| Constraint::Length(w));
        let table = Table::new(rows, widths)
            .header(header)
            .column_spacing(COLUMN_SPACING);
        StatefulWidget::render(selectable(table, &t), inner, buf, &mut state);
    }
}
