//! The report overlay: "was it the host?" for a job, its lines whole
//! (wrapped), the verdict lines coloured by what they conclude.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use super::{Ctx, centered, placeholder};
use crate::app::report::ReportView;
use crate::lifecycle::blame::Verdict;
use crate::lifecycle::escape;

pub struct ReportWidget<'a> {
    pub view: &'a ReportView,
    pub ctx: Ctx,
}

impl Widget for ReportWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.ctx.theme;
        let v = self.view;
        let rect = centered(
            area,
            area.width.saturating_sub(4).min(140),
            area.height.saturating_sub(2),
        );
        Clear.render(rect, buf);
        let title = Line::from(vec![
            Span::styled(" Was it the host? ", t.title()),
            Span::raw(format!("· {}.{} ", v.flight, escape(&v.job))),
        ]);
        let block = Block::bordered()
            .title(title)
            .title_bottom(Line::styled(" ↑/↓ scroll  Esc closes ", t.muted()))
            .border_style(t.border_focused());
        let inner = block.inner(rect);
        block.render(rect, buf);
        if placeholder(&v.data, inner, buf, self.ctx) {
            return;
        }
        let verdicts: Vec<(&str, Verdict)> = match &v.data {
            crate::app::loadable::Loadable::Loaded(b) => b
                .hosts
                .iter()
                .map(|h| (h.line.as_str(), h.verdict))
                .collect(),
            _ => Vec::new(),
        };
        let lines: Vec<Line> = v
            .lines()
            .into_iter()
            .skip(v.scroll)
            .map(|text| {
                let style = match verdicts.iter().find(|(line, _)| *line == text) {
                    Some((_, Verdict::LikelyTheHost)) => t.error(),
                    Some((_, Verdict::LikelyTheJob)) => t.status("running"),
                    Some((_, Verdict::Unclear)) => t.title(),
                    None => t.text(),
                };
                Line::styled(escape(&text).into_owned(), style)
            })
            .collect();
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(inner, buf);
    }
}
