//! Drawing. Everything here only reads the [`App`]: no queries, locks or
//! waits. Each view is a small widget over its state (`impl Widget`),
//! styled from the one [`Theme`].
//!
//! - [`hosts`], [`host`], [`runvars`], [`history`]: the screens.
//! - [`palette`] (with the confirmation dialog), [`help`]: overlays.
//! - [`status`]: header, banner and status bar.
//! - [`theme`], [`text`]: styles and formatting.

pub mod help;
pub mod history;
pub mod host;
pub mod hosts;
pub mod palette;
pub mod runvars;
pub mod status;
pub mod text;
pub mod theme;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

pub use theme::Theme;

use crate::app::layout::{self, MIN_HEIGHT, MIN_WIDTH};
use crate::app::loadable::Loadable;
use crate::app::screen::Screen;
use crate::app::{App, Overlay};

/// What every widget needs besides its own state.
#[derive(Debug, Clone, Copy)]
pub struct Ctx {
    pub theme: Theme,
    /// Clock ticks, for the spinner.
    pub ticks: u64,
}

const SPINNER: [&str; 8] = ["⣾", "⣽", "⣻", "⢿", "⡿", "⣟", "⣯", "⣷"];

impl Ctx {
    pub fn spinner(&self) -> &'static str {
        SPINNER[(self.ticks % SPINNER.len() as u64) as usize]
    }
}

/// Draw the whole screen.
pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    let buf = frame.buffer_mut();
    render_app(app, *theme, area, buf);
}

/// Draw into a buffer; `draw` for a frame, and for tests.
pub fn render_app(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let ctx = Ctx {
        theme,
        ticks: app.live.ticks,
    };
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(area, buf, ctx);
        return;
    }
    let areas = layout::areas(area, app.connection_down());
    status::Header { app, ctx }.render(areas.header, buf);
    if let Some(banner) = areas.banner {
        status::Banner { app, ctx }.render(banner, buf);
    }
    match app.stack.last() {
        None => hosts::HostsWidget {
            view: &app.hosts,
            ctx,
        }
        .render(areas.body, buf),
        Some(Screen::Host(v)) => host::HostWidget { view: v, ctx }.render(areas.body, buf),
        Some(Screen::Runvars(v)) => runvars::RunvarsWidget { view: v, ctx }.render(areas.body, buf),
        Some(Screen::History(v)) => history::HistoryWidget { view: v, ctx }.render(areas.body, buf),
    }
    status::StatusBar { app, ctx }.render(areas.status, buf);
    match &app.overlay {
        None => {}
        Some(Overlay::Help(h)) => help::HelpWidget { view: h, ctx }.render(area, buf),
        Some(Overlay::Palette(p)) => palette::PaletteWidget { view: p, ctx }.render(area, buf),
        Some(Overlay::Confirm(c)) => palette::ConfirmWidget {
            view: c,
            config: &app.config,
            ctx,
        }
        .render(area, buf),
    }
}

fn too_small(area: Rect, buf: &mut Buffer, ctx: Ctx) {
    let text = vec![
        Line::styled("Enlarge the terminal", ctx.theme.title()),
        Line::from(format!(
            "hostlife needs {MIN_WIDTH}×{MIN_HEIGHT}; this is {}×{}.",
            area.width, area.height
        )),
        Line::from("q quits."),
    ];
    let [middle] = Layout::vertical([Constraint::Length(3)])
        .flex(Flex::Center)
        .areas(area);
    Paragraph::new(text)
        .alignment(Alignment::Center)
        .wrap(Wrap { trim: true })
        .render(middle, buf);
}

/// A bordered block, highlighted when it has the keyboard.
pub fn block(title: Line<'static>, focused: bool, ctx: Ctx) -> Block<'static> {
    Block::bordered().title(title).border_style(if focused {
        ctx.theme.border_focused()
    } else {
        ctx.theme.border()
    })
}

/// Draw a placeholder for data that is not loaded; true if it did.
pub fn placeholder<T>(data: &Loadable<T>, area: Rect, buf: &mut Buffer, ctx: Ctx) -> bool {
    let line = match data {
        Loadable::Loaded(_) => return false,
        Loadable::Idle => Line::from(""),
        Loadable::Loading => Line::from(vec![
            Span::styled(ctx.spinner(), ctx.theme.key()),
            Span::raw(" loading…"),
        ]),
        Loadable::Failed(e) => Line::from(vec![
            Span::styled("✗ ", ctx.theme.error()),
            Span::styled(e.clone(), ctx.theme.error()),
        ]),
    };
    Paragraph::new(line)
        .wrap(Wrap { trim: false })
        .render(area, buf);
    true
}

/// A rectangle of at most `w`×`h` centred in `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    r
}
