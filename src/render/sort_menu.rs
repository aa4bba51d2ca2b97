//! The sort menu: the focused table's columns, the one sorting marked.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use super::{Ctx, centered};
use crate::app::sort_menu::SortMenu;

pub struct SortMenuWidget<'a> {
    pub view: &'a SortMenu,
    pub ctx: Ctx,
}

const FOOT: &str = " Enter sorts (again: reverses)  Esc closes ";

impl Widget for SortMenuWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.ctx.theme;
        let v = self.view;
        let widest = v
            .titles
            .iter()
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0);
        let width = u16::try_from(widest + 8)
            .unwrap_or(u16::MAX)
            .max(u16::try_from(FOOT.chars().count() + 2).unwrap_or(u16::MAX));
        let height = u16::try_from(v.titles.len() + 2).unwrap_or(u16::MAX);
        let rect = centered(area, width.min(area.width), height.min(area.height));
        Clear.render(rect, buf);
        let lines: Vec<Line> = v
            .titles
            .iter()
            .enumerate()
            .map(|(i, title)| {
                let arrow = match v.current {
                    Some(s) if s.column == i && s.descending => " ▼",
                    Some(s) if s.column == i => " ▲",
                    _ => "",
                };
                let marker = if i == v.cursor { "▶ " } else { "  " };
                let style = if i == v.cursor {
                    t.selected()
                } else {
                    t.text()
                };
                Line::from(vec![
                    Span::styled(marker, t.key()),
                    Span::styled(format!("{title}{arrow}"), style),
                ])
            })
            .collect();
        // Long menus scroll with the cursor.
        let inner = usize::from(rect.height.saturating_sub(2)).max(1);
        let skip = v.cursor.saturating_sub(inner - 1);
        Paragraph::new(lines.into_iter().skip(skip).collect::<Vec<_>>())
            .block(
                Block::bordered()
                    .title(Line::styled(" Sort by ", t.title()))
                    .title_bottom(Line::styled(FOOT, t.muted()))
                    .border_style(t.border_focused()),
            )
            .render(rect, buf);
    }
}
