//! The report overlay: "was it the host?" for a job, or the whole
//! suspects ranking; its lines whole (wrapped), coloured by what they
//! conclude.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use super::theme::Theme;
use super::{Ctx, centered, placeholder};
use crate::app::loadable::Loadable;
use crate::app::report::{Content, ReportView, Subject};
use crate::lifecycle::blame::{Blame, Verdict};
use crate::lifecycle::escape;
use crate::lifecycle::suspects_text::Tone;

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
        let title = match &v.subject {
            Subject::Blame { flight, job } => Line::from(vec![
                Span::styled(" Was it the host? ", t.title()),
                Span::raw(format!("· {flight}.{} ", escape(job))),
            ]),
            Subject::Suspects => Line::from(vec![
                Span::styled(" Which jobs break hosts? ", t.title()),
                Span::raw("· every install in the database "),
            ]),
            Subject::Elided { .. } => Line::styled(" Elided build jobs ", t.title()),
        };
        let block = Block::bordered()
            .title(title)
            .title_bottom(Line::styled(
                " ↑/↓ PgUp/PgDn scroll  Esc closes ",
                t.muted(),
            ))
            .border_style(t.border_focused());
        let inner = block.inner(rect);
        block.render(rect, buf);
        if placeholder(&v.data, inner, buf, self.ctx) {
            return;
        }
        let styled: Vec<(Style, String)> = match &v.data {
            Loadable::Loaded(Content::Blame(b)) => blame_lines(b, t),
            Loadable::Loaded(Content::Suspects(r)) => r
                .lines()
                .into_iter()
                .map(|(tone, line)| (tone_style(tone, t), line))
                .collect(),
            Loadable::Loaded(Content::Elided(e)) => {
                e.lines().into_iter().map(|l| (t.text(), l)).collect()
            }
            _ => Vec::new(),
        };
        let lines: Vec<Line> = styled
            .into_iter()
            .skip(v.scroll)
            .map(|(style, text)| Line::styled(escape(&text).into_owned(), style))
            .collect();
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(inner, buf);
    }
}

/// A blame's lines, its verdicts coloured by what they conclude.
fn blame_lines(b: &Blame, t: Theme) -> Vec<(Style, String)> {
    let verdicts: Vec<(&str, Verdict)> = b
        .hosts
        .iter()
        .map(|h| (h.line.as_str(), h.verdict))
        .collect();
    b.lines()
        .into_iter()
        .map(|text| {
            let style = match verdicts.iter().find(|(line, _)| *line == text) {
                Some((_, Verdict::LikelyTheHost)) => t.error(),
                Some((_, Verdict::LikelyTheJob)) => t.status("running"),
                Some((_, Verdict::Unclear)) => t.title(),
                None => t.text(),
            };
            (style, text)
        })
        .collect()
}

fn tone_style(tone: Tone, t: Theme) -> Style {
    match tone {
        Tone::Plain => t.text(),
        Tone::Heading => t.title(),
        Tone::Flagged => t.error(),
        Tone::Detail => t.muted(),
    }
}
