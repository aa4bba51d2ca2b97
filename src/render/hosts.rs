//! The hosts table.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, StatefulWidget, Table, Widget};

use super::columns::{self, fit, split_detail};
use super::theme::Theme;
use super::{Ctx, block, filter_line, placeholder, position, selectable, visible_rows};
use crate::app::hosts::{COLUMNS, Column, HostsView, N, cells};
use crate::app::layout::COLUMN_SPACING;
use crate::lifecycle::health::{Health, Outcome};
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

    fn row(&self, h: &HostSummary, widths: &[u16; N]) -> Row<'static> {
        let t = self.ctx.theme;
        let cells = cells(h, self.view.now());
        Row::new(
            Column::ALL
                .iter()
                .zip(cells.iter().zip(widths))
                .map(|(&c, (text, &w))| {
                    if c == Column::Recent
                        && let Some(health) = &h.health
                    {
                        return Cell::from(sparkline(health, w, t));
                    }
                    let text = fit(text, w).into_owned();
                    let style = match c {
                        Column::Live if h.live_tasks > 0 => t.live(),
                        Column::Live | Column::Flags => t.muted(),
                        Column::Holder if !h.holder.as_ref().is_some_and(|l| l.live) => t.muted(),
                        Column::Rows if h.rows.is_none() => t.muted(),
                        Column::Recent | Column::SinceInstall | Column::FailedInstalls
                            if h.health.is_none() =>
                        {
                            t.muted()
                        }
                        Column::Suspect | Column::FailedInstalls => t.error(),
                        _ => t.text(),
                    };
                    Cell::from(Span::styled(text, style))
                }),
        )
    }
}

/// The host's newest outcomes that fit in `width`, oldest on the left,
/// each glyph in its status's colour.
fn sparkline(health: &Health, width: u16, t: Theme) -> Line<'static> {
    let skip = health.outcomes.len().saturating_sub(usize::from(width));
    Line::from(
        health.outcomes[skip..]
            .iter()
            .map(|&o| {
                // Ended otherwise (blocked, aborted): muted, as the theme
                // shows a blocked job.
                let status = if o == Outcome::Other {
                    "blocked"
                } else {
                    o.word()
                };
                Span::styled(o.glyph().to_string(), t.status(status))
            })
            .collect::<Vec<_>>(),
    )
}

impl Widget for HostsWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.ctx.theme;
        let v = self.view;
        let mut block = block(self.title(), !v.editing, self.ctx).title_top(position(
            v.cursor.selected,
            v.shown_len(),
            v.all().len(),
            self.ctx,
        ));
        if let Some(filter) = filter_line(&v.filter, v.editing, self.ctx) {
            block = block.title_bottom(filter);
        }
        let inner = block.inner(area);
        block.render(area, buf);
        if placeholder(&self.view.feed.data, inner, buf, self.ctx) {
            return;
        }
        let sort = self.view.sort;
        let widths = self.view.widths(inner.width);
        let header = Row::new(Column::ALL.iter().zip(&widths).map(|(&c, &w)| {
            let arrow = match (c == sort.column, sort.descending) {
                (true, false) => " ▲",
                (true, true) => " ▼",
                (false, _) => "",
            };
            Cell::from(fit(&format!("{}{arrow}", c.title()), w).into_owned())
        }))
        .style(t.header());
        if self.view.shown_len() == 0 {
            let msg = if self.view.all().is_empty() {
                "no hosts yet"
            } else {
                "no host matches the filter (Esc clears it)"
            };
            // The header stays as it is, columns and all; the message
            // takes the row under it.
            let [head, message] =
                Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
            Widget::render(
                selectable(
                    Table::new(Vec::<Row>::new(), widths.map(Constraint::Length))
                        .header(header)
                        .column_spacing(COLUMN_SPACING),
                    &t,
                ),
                head,
                buf,
            );
            Paragraph::new(Line::styled(format!("  {msg}"), t.muted())).render(message, buf);
            return;
        }
        let detail = self
            .view
            .selected()
            .and_then(|h| columns::detail(&COLUMNS, &widths, &cells(h, self.view.now()), self.ctx));
        let inner = split_detail(inner, detail, buf);
        let (rows, mut state) = visible_rows(
            self.view.shown_len(),
            self.view.cursor.selected,
            true,
            inner.height.saturating_sub(1),
            |i| {
                self.view
                    .shown(i)
                    .map_or_else(Row::default, |h| self.row(h, &widths))
            },
        );
        let table = Table::new(rows, widths.map(Constraint::Length))
            .header(header)
            .column_spacing(COLUMN_SPACING);
        StatefulWidget::render(selectable(table, &t), inner, buf, &mut state);
    }
}
