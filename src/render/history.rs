//! A host's history: the jobs that named it, from their runvars.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, StatefulWidget, Table, Widget};

use super::text::opt_utc;
use super::{Ctx, block, placeholder, selectable, visible_rows};
use crate::app::history::HistoryView;
use crate::lifecycle::escape;
use crate::lifecycle::report::{Decoded, HistoryEntry};

pub struct HistoryWidget<'a> {
    pub view: &'a HistoryView,
    pub ctx: Ctx,
}

fn summary(e: &HistoryEntry) -> String {
    match &e.decoded {
        None => "no lifecycle recorded".to_owned(),
        Some(Decoded::Malformed(err)) => format!("✗ {err}"),
        Some(Decoded::Entries {
            entries,
            incomplete,
        }) => {
            let others = entries
                .iter()
                .filter(|r| {
                    !matches!(
                        &r.kind,
                        crate::lifecycle::ResolvedKind::Step { own: true, .. }
                    )
                })
                .count();
            let concurrent = entries.iter().filter(|r| r.concurrent).count();
            let mut s = format!("{others} others, {concurrent} concurrent");
            if *incomplete {
                s.push_str(", incomplete");
            }
            s
        }
    }
}

impl Widget for HistoryWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.ctx.theme;
        let v = self.view;
        let count = v.feed.loaded().map_or(String::new(), |l| {
            let older = match (v.more, l.last()) {
                (true, Some(last)) => format!(
                    "· older flights too: hostlife history {} --before {} ",
                    escape(&v.host),
                    last.flight
                ),
                _ => String::new(),
            };
            format!("· {} jobs, newest first {older}", l.len())
        });
        let block = block(
            Line::from(vec![
                Span::styled(format!(" History of {} ", escape(&v.host)), t.title()),
                Span::raw(count),
            ]),
            true,
            self.ctx,
        );
        let inner = block.inner(area);
        block.render(area, buf);
        if placeholder(&v.feed.data, inner, buf, self.ctx) {
            return;
        }
        let Some(entries) = v.feed.loaded() else {
            return;
        };
        if entries.is_empty() {
            Paragraph::new("no job names this host in its runvars").render(inner, buf);
            return;
        }
        let header = Row::new([
            "flight",
            "job",
            "ident",
            "blessing",
            "started",
            "status",
            "lifecycle",
            "runvar",
        ])
        .style(t.header());
        let (rows, mut state) = visible_rows(
            entries.len(),
            v.cursor.selected,
            true,
            inner.height.saturating_sub(1),
            |i| {
                let e = &entries[i];
                let style = match &e.decoded {
                    Some(Decoded::Malformed(_)) => t.error(),
                    None => t.muted(),
                    _ => t.text(),
                };
                Row::new(vec![
                    Cell::from(e.flight.to_string()),
                    Cell::from(escape(&e.job).into_owned()),
                    Cell::from(escape(&e.ident).into_owned()),
                    Cell::from(escape(e.blessing.as_deref().unwrap_or_default()).into_owned()),
                    Cell::from(opt_utc(e.started)),
                    Cell::from(escape(&e.job_status).into_owned()),
                    Cell::from(summary(e)),
                    Cell::from(escape(e.runvar.as_deref().unwrap_or_default()).into_owned()),
                ])
                .style(style)
            },
        );
        let table = Table::new(
            rows,
            [
                Constraint::Length(6),
                Constraint::Fill(2),
                Constraint::Length(8),
                Constraint::Length(8),
                Constraint::Length(16),
                Constraint::Length(7),
                Constraint::Fill(2),
                Constraint::Fill(3),
            ],
        )
        .header(header);
        StatefulWidget::render(selectable(table, &t), inner, buf, &mut state);
    }
}
