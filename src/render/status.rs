//! The header (where you are), the connection banner and the status bar
//! (freshness, loading, messages).

use std::fmt::Write as _;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::Ctx;
use crate::app::App;
use crate::app::action::Action;
use crate::app::keymap::{self, Scope};
use crate::lifecycle::escape;

pub struct Header<'a> {
    pub app: &'a App,
    pub ctx: Ctx,
}

impl Widget for Header<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.ctx.theme;
        let mut spans = vec![
            Span::styled("hostlife ", t.title()),
            Span::styled(self.app.settings.db_label.clone(), t.muted()),
            Span::raw("  hosts"),
        ];
        for s in &self.app.stack {
            spans.push(Span::styled(" › ", t.muted()));
            spans.push(Span::raw(escape(&s.crumb()).into_owned()));
        }
        let mut flags = Vec::new();
        if self.app.read_only_reason().is_some() {
            flags.push("read-only");
        }
        if self.app.live.paused {
            flags.push("paused");
        }
        if self.app.mouse {
            flags.push("mouse");
        }
        if !flags.is_empty() {
            spans.push(Span::styled(format!("  [{}]", flags.join("] [")), t.key()));
        }
        Paragraph::new(Line::from(spans)).render(area, buf);
    }
}

pub struct Banner<'a> {
    pub app: &'a App,
    pub ctx: Ctx,
}

impl Widget for Banner<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Some(text) = self.app.banner() else {
            return;
        };
        Paragraph::new(escape(&text).into_owned())
            .wrap(Wrap { trim: false })
            .style(self.ctx.theme.banner())
            .render(area, buf);
    }
}

pub struct StatusBar<'a> {
    pub app: &'a App,
    pub ctx: Ctx,
}

/// "updated N s ago": how fresh the shown data is; and how often it
/// refreshes when slow answers stretched the interval.
pub fn freshness(app: &App) -> String {
    let mut s = match app.updated() {
        Some(at) => format!(
            "updated {} s ago",
            app.live.now.saturating_duration_since(at).as_secs()
        ),
        None => "not loaded yet".to_owned(),
    };
    if app.refresh_stretched() {
        let _ = write!(
            s,
            ", every {} s (slow answers)",
            app.refresh_interval().as_secs_f64().ceil()
        );
    }
    s
}

impl Widget for StatusBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.ctx.theme;
        let app = self.app;
        let loading = if app.requests.any_waiting() {
            format!("{} ", self.ctx.spinner())
        } else {
            "  ".to_owned()
        };
        let mut spans = vec![
            Span::raw(loading),
            Span::raw(freshness(app)),
            Span::raw(if app.live.paused { " (paused)" } else { "" }),
            Span::raw(" │ "),
        ];
        match &app.status {
            Some(s) if s.error => {
                spans.push(Span::styled(escape(&s.text).into_owned(), t.error()));
            }
            Some(s) => spans.push(Span::raw(escape(&s.text).into_owned())),
            None => {
                for (action, what) in [
                    (Action::Help, "help"),
                    (Action::Palette, "command"),
                    (Action::Quit, "quit"),
                ] {
                    if let Some(k) = keymap::key_for(Scope::Global, action) {
                        spans.push(Span::styled(k.label(), t.key()));
                        spans.push(Span::raw(format!(" {what}  ")));
                    }
                }
            }
        }
        Paragraph::new(Line::from(spans))
            .style(t.status_bar())
            .render(area, buf);
    }
}
