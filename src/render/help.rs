//! The help overlay, generated from the keymap.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use super::text::wrap;
use super::{Ctx, centered};
use crate::app::help::HelpView;

/// The width of the keys column.
const KEYS: u16 = 16;

/// [`wrap`], with no lines for an empty text.
fn wrap_nonempty(text: &str, width: usize) -> Vec<String> {
    if text.is_empty() {
        Vec::new()
    } else {
        wrap(text, width)
    }
}

pub struct HelpWidget<'a> {
    pub view: &'a HelpView,
    pub ctx: Ctx,
}

impl Widget for HelpWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.ctx.theme;
        let lines = self.view.lines();
        let rect = centered(
            area,
            area.width.saturating_sub(8).min(96),
            area.height.saturating_sub(2),
        );
        Clear.render(rect, buf);
        // Every description whole: wrapped under itself, a command's
        // arguments on their own lines above what it does.
        let text_width = usize::from(rect.width.saturating_sub(2 + KEYS + 1));
        let mut rows = Vec::new();
        let mut section = "";
        for l in &lines {
            if l.section != section {
                section = l.section;
                rows.push(Line::styled(section, t.title()));
            }
            let mut keys = Some(l.keys.clone());
            let args = wrap_nonempty(l.args, text_width);
            let help = wrap(&l.help, text_width);
            for (text, style) in args
                .into_iter()
                .map(|a| (a, t.key()))
                .chain(help.into_iter().map(|h| (h, t.text())))
            {
                let k = keys.take().unwrap_or_default();
                rows.push(Line::from(vec![
                    Span::styled(format!("{k:<w$} ", w = usize::from(KEYS)), t.key()),
                    Span::styled(text, style),
                ]));
            }
        }
        let rows: Vec<Line> = rows.into_iter().skip(self.view.scroll).collect();
        let filter = Line::from(vec![
            Span::styled(" filter: ", t.key()),
            Span::raw(format!("{}▏ ", self.view.filter)),
            Span::styled(" ↑↓ scroll  Esc closes ", t.muted()),
        ]);
        Paragraph::new(rows)
            .block(
                Block::bordered()
                    .title(Line::styled(" Keys ", t.title()))
                    .title_bottom(filter)
                    .border_style(t.border_focused()),
            )
            .render(rect, buf);
    }
}
