//! A host's history: the jobs that named it, from their runvars.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::columns::{Col, SizedTable, WHOLE, no_cell_style};
use super::text::opt_utc;
use super::{Ctx, block, placeholder};
use crate::app::history::HistoryView;
use crate::lifecycle::escape;
use crate::lifecycle::report::{Decoded, HistoryEntry};

pub struct HistoryWidget<'a> {
    pub view: &'a HistoryView,
    pub ctx: Ctx,
}

/// The history's columns: which job, then what its lifecycle says, the
/// runvar itself last.
const COLUMNS: [Col; 8] = [
    Col::new("flight", WHOLE),
    Col::new("job", 12),
    Col::new("ident", 5),
    Col::new("blessing", 7),
    Col::new("started", WHOLE),
    Col::new("status", WHOLE),
    Col::new("lifecycle", 12),
    Col::new("runvar", 8).cut_first(),
];

/// A history entry's cells, unescaped and whole.
fn entry_texts(e: &HistoryEntry) -> [String; 8] {
    [
        e.flight.to_string(),
        e.job.clone(),
        e.ident.clone(),
        e.blessing.clone().unwrap_or_default(),
        opt_utc(e.started),
        e.job_status.clone(),
        summary(e),
        e.runvar.clone().unwrap_or_default(),
    ]
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
        SizedTable {
            cols: &COLUMNS,
            len: entries.len(),
            selected: v.cursor.selected,
            focused: true,
            texts: |i: usize| entry_texts(&entries[i]),
            style: |i: usize| match &entries[i].decoded {
                Some(Decoded::Malformed(_)) => t.error(),
                None => t.muted(),
                _ => t.text(),
            },
            cell_style: no_cell_style,
        }
        .render(inner, buf, self.ctx);
    }
}
