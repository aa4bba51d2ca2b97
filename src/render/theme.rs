//! The one theme value. With `NO_COLOR` set, every style keeps only its
//! modifiers (bold, dim, reversed): meaning never rests on colour alone
//! anyway, since each status also has a glyph or a word.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub const COLOR: Theme = Theme { color: true };
    pub const NO_COLOR: Theme = Theme { color: false };

    /// Colour unless `NO_COLOR` is set to a non-empty value (no-color.org).
    pub fn from_env() -> Theme {
        match std::env::var_os("NO_COLOR") {
            Some(v) if !v.is_empty() => Theme::NO_COLOR,
            _ => Theme::COLOR,
        }
    }

    fn paint(self, style: Style, fg: Color) -> Style {
        if self.color { style.fg(fg) } else { style }
    }

    pub fn text(self) -> Style {
        Style::default()
    }
    pub fn title(self) -> Style {
        self.paint(Style::default().add_modifier(Modifier::BOLD), Color::Cyan)
    }
    pub fn header(self) -> Style {
        self.paint(
            Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            Color::Yellow,
        )
    }
    pub fn selected(self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }
    pub fn border(self) -> Style {
        self.paint(Style::default(), Color::DarkGray)
    }
    pub fn border_focused(self) -> Style {
        self.paint(Style::default().add_modifier(Modifier::BOLD), Color::Cyan)
    }
    pub fn live(self) -> Style {
        self.paint(Style::default().add_modifier(Modifier::BOLD), Color::Green)
    }
    pub fn dead(self) -> Style {
        self.paint(Style::default().add_modifier(Modifier::DIM), Color::Gray)
    }
    pub fn prep(self) -> Style {
        self.paint(Style::default(), Color::Magenta)
    }
    pub fn muted(self) -> Style {
        Style::default().add_modifier(Modifier::DIM)
    }
    pub fn key(self) -> Style {
        self.paint(Style::default().add_modifier(Modifier::BOLD), Color::Yellow)
    }
    pub fn error(self) -> Style {
        self.paint(Style::default().add_modifier(Modifier::BOLD), Color::Red)
    }
    pub fn ok(self) -> Style {
        self.paint(Style::default(), Color::Green)
    }
    /// An osstest step or job status: what failed in the error colour,
    /// what passed as good, what runs as live, what never ran muted. The
    /// word is always shown too.
    pub fn status(self, status: &str) -> Style {
        match status {
            "pass" => self.ok(),
            "fail" | "broken" => self.error(),
            "running" | "preparing" => self.key(),
            "queued" | "blocked" | "skip" | "starved" | "truncated" => self.muted(),
            _ => self.text(),
        }
    }
    pub fn banner(self) -> Style {
        if self.color {
            Style::default()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }
    pub fn status_bar(self) -> Style {
        if self.color {
            Style::default().bg(Color::DarkGray).fg(Color::White)
        } else {
            Style::default().add_modifier(Modifier::REVERSED)
        }
    }
}
