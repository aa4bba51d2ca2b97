//! A host's history: the jobs that named it, from their runvars.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, StatefulWidget, Table, Widget};

use super::columns::{self, Col, WHOLE, fit, header, measured_range, split_detail};
use super::text::opt_utc;
use super::{Ctx, block, placeholder, selectable, visible_rows};
use crate::app::history::HistoryView;
use crate::app::layout::COLUMN_SPACING;
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
        let range = measured_range(
            entries.len(),
            v.cursor.selected,
            inner.height.saturating_sub(1),
        );
        let measured: Vec<[String; 8]> = entries[range].iter().map(entry_texts).collect();
        let widths = columns::widths(&COLUMNS, &columns::wanted(&COLUMNS, &measured), inner.width);
        let detail = entries
            .get(v.cursor.selected)
            .and_then(|e| columns::detail(&COLUMNS, &widths, &entry_texts(e), self.ctx));
        let table_area = split_detail(inner, detail, buf);
        let height = table_area.height.saturating_sub(1);
        let (rows, mut state) = visible_rows(entries.len(), v.cursor.selected, true, height, |i| {
            let e = &entries[i];
            let style = match &e.decoded {
                Some(Decoded::Malformed(_)) => t.error(),
                None => t.muted(),
                _ => t.text(),
            };
            let texts = entry_texts(e);
            Row::new(
                texts
                    .iter()
                    .zip(&widths)
                    .map(|(text, &w)| Cell::from(fit(text, w).into_owned())),
            )
            .style(style)
        });
        let table = Table::new(rows, widths.map(Constraint::Length))
            .header(header(&COLUMNS, &widths, self.ctx))
            .column_spacing(COLUMN_SPACING);
        StatefulWidget::render(selectable(table, &t), table_area, buf, &mut state);
    }
}
