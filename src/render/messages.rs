//! The message log overlay: the session's messages, newest first, each
//! whole (wrapped), with how long ago it was said.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use super::{Ctx, centered};
use crate::app::messages::{Log, MessagesView};
use crate::lifecycle::escape;
use crate::timefmt::age;

pub struct MessagesWidget<'a> {
    pub view: &'a MessagesView,
    pub log: &'a Log,
    /// The app's clock, for the ages.
    pub now: std::time::Instant,
    pub ctx: Ctx,
}

impl Widget for MessagesWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.ctx.theme;
        let rect = centered(
            area,
            area.width.saturating_sub(8).min(110),
            area.height.saturating_sub(2),
        );
        Clear.render(rect, buf);
        let mut lines: Vec<Line> = self
            .log
            .newest_first()
            .skip(self.view.scroll)
            .map(|m| {
                let secs = self.now.saturating_duration_since(m.at).as_secs();
                let when = format!("{:>4} ago  ", age(i64::try_from(secs).unwrap_or(i64::MAX)));
                let (mark, style) = if m.error {
                    ("✗ ", t.error())
                } else {
                    ("", t.text())
                };
                Line::from(vec![
                    Span::styled(when, t.muted()),
                    Span::styled(format!("{mark}{}", escape(&m.text)), style),
                ])
            })
            .collect();
        if lines.is_empty() {
            lines.push(Line::styled("no messages yet", t.muted()));
        }
        let title = Line::from(vec![
            Span::styled(" Messages ", t.title()),
            Span::raw(format!("· {} · newest first ", self.log.len())),
        ]);
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(
                Block::bordered()
                    .title(title)
                    .title_bottom(Line::styled(" ↑/↓ scroll  Esc closes ", t.muted()))
                    .border_style(t.border_focused()),
            )
            .render(rect, buf);
    }
}
