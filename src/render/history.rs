//! A host's history: the jobs that named it, from their runvars.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::columns::SizedTable;
use super::{Ctx, placeholder, table_block};
use crate::app::history::{COLUMNS, HistoryView};
use crate::lifecycle::escape;
use crate::lifecycle::report::Decoded;

pub struct HistoryWidget<'a> {
    pub view: &'a HistoryView,
    pub ctx: Ctx,
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
            format!(
                "· {}, newest first {older}",
                crate::lifecycle::count(l.len() as u64, "job")
            )
        });
        let block = table_block(
            Line::from(vec![
                Span::styled(format!(" History of {} ", escape(&v.host)), t.title()),
                Span::raw(count),
            ]),
            &v.table,
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
        SizedTable {
            cols: &COLUMNS,
            table: &v.table,
            focused: true,
            style: |i: usize| match &entries[i].decoded {
                Some(Decoded::Malformed(_)) => t.error(),
                None => t.muted(),
                _ => t.text(),
            },
            cell_style: |i: usize, c| (c == 5).then(|| t.status(&entries[i].job_status)),
        }
        .render(inner, buf, self.ctx);
    }
}
