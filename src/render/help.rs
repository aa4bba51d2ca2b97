//! The help overlay, generated from the keymap.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Clear, Row, Table, Widget};

use super::{Ctx, centered};
use crate::app::help::HelpView;

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
        let mut rows = Vec::new();
        let mut section = "";
        for l in &lines {
            if l.section != section {
                section = l.section;
                rows.push(Row::new([Cell::from(Span::styled(section, t.title()))]));
            }
            rows.push(Row::new([
                Cell::from(Span::styled(l.keys.clone(), t.key())),
                Cell::from(l.help.clone()),
            ]));
        }
        let rows: Vec<Row> = rows.into_iter().skip(self.view.scroll).collect();
        let filter = Line::from(vec![
            Span::styled(" filter: ", t.key()),
            Span::raw(format!("{}▏ ", self.view.filter)),
            Span::styled(" Esc closes ", t.muted()),
        ]);
        Table::new(rows, [Constraint::Length(16), Constraint::Fill(1)])
            .block(
                Block::bordered()
                    .title(Line::styled(" Keys ", t.title()))
                    .title_bottom(filter)
                    .border_style(t.border_focused()),
            )
            .render(rect, buf);
    }
}
