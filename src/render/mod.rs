//! Drawing. Everything here only reads the [`App`]: no queries, locks or
//! waits. Each view is a small widget over its state (`impl Widget`),
//! styled from the one [`Theme`].
//!
//! - [`hosts`], [`host`], [`runvars`], [`history`], [`timeline`]: the
//!   screens.
//! - [`palette`] (with the confirmation dialog), [`help`], [`messages`],
//!   [`sort_menu`]: overlays.
//! - [`status`]: header, banner and status bar.
//! - [`theme`], [`text`]: styles and formatting.

pub mod columns;
pub mod help;
pub mod history;
pub mod host;
pub mod hosts;
pub mod messages;
pub mod palette;
mod report;
pub mod runvars;
pub mod sort_menu;
pub mod status;
pub mod text;
pub mod theme;
pub mod timeline;

use std::ops::Range;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, HighlightSpacing, Paragraph, Row, Table, TableState, Widget, Wrap};

pub use theme::Theme;

use crate::app::layout::{self, MIN_HEIGHT, MIN_WIDTH};
use crate::app::loadable::Loadable;
use crate::app::screen::Screen;
use crate::app::{App, Overlay};
use crate::lifecycle::Failure;

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
        SPINNER[usize::try_from(self.ticks % SPINNER.len() as u64).unwrap_or(0)]
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
    let banner = app.banner_height(area);
    let areas = layout::areas(area, banner);
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
        Some(Screen::Timeline(v)) => {
            timeline::TimelineWidget { view: v, ctx }.render(areas.body, buf);
        }
    }
    status::StatusBar { app, ctx }.render(areas.status, buf);
    match &app.overlay {
        None => {}
        Some(Overlay::Help(h)) => help::HelpWidget { view: h, ctx }.render(area, buf),
        Some(Overlay::Messages(m)) => messages::MessagesWidget {
            view: m,
            log: &app.log,
            now: app.live.now,
            ctx,
        }
        .render(area, buf),
        Some(Overlay::Palette(p)) => palette::PaletteWidget { view: p, ctx }.render(area, buf),
        Some(Overlay::Sort(m)) => sort_menu::SortMenuWidget { view: m, ctx }.render(area, buf),
        Some(Overlay::Report(r)) => report::ReportWidget { view: r, ctx }.render(area, buf),
        Some(Overlay::Confirm(c)) => palette::ConfirmWidget {
            view: c,
            settings: &app.settings,
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

/// Where the cursor is in a table, for the top right of its block:
/// `12/62`, or `3/5 of 62` under a filter.
pub fn position(selected: usize, shown: usize, total: usize, ctx: Ctx) -> Line<'static> {
    let text = match (shown, total) {
        (0, 0) => return Line::default(),
        (s, t) if s == t => format!(" {}/{s} ", selected + 1),
        (0, t) => format!(" 0 of {t} "),
        (s, t) => format!(" {}/{s} of {t} ", selected + 1),
    };
    Line::styled(text, ctx.theme.muted()).right_aligned()
}

/// A table's filter for the foot of its block, while typed or set.
pub fn filter_line(filter: &str, editing: bool, ctx: Ctx) -> Option<Line<'static>> {
    if !editing && filter.is_empty() {
        return None;
    }
    let cursor = if editing { "▏" } else { "" };
    Some(Line::from(vec![
        Span::styled(" /", ctx.theme.key()),
        Span::raw(format!("{}{cursor} ", crate::lifecycle::escape(filter))),
    ]))
}

/// A block for a table: `title`, the cursor's position at the top right,
/// the filter at the foot.
pub fn table_block<const N: usize>(
    title: Line<'static>,
    table: &crate::app::table::Table<N>,
    focused: bool,
    ctx: Ctx,
) -> Block<'static> {
    use crate::app::table::Sortable as _;
    let mut b = block(title, focused && !table.editing(), ctx).title_top(position(
        table.cursor.selected,
        table.shown().len(),
        table.len(),
        ctx,
    ));
    if let Some(f) = filter_line(&table.filter, table.editing(), ctx) {
        b = b.title_bottom(f);
    }
    b
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
        Loadable::Failed(f) => failure_line(f, "", ctx.theme),
    };
    Paragraph::new(line)
        .wrap(Wrap { trim: false })
        .render(area, buf);
    true
}

/// A failed request as one line: a refusal or an error in the error
/// colour, "not connected" (which passes by itself) muted with the time of
/// the next try. `what` leads the text of refusals and errors, so a dialog
/// can say whose failure it is.
pub fn failure_line(f: &Failure, what: &str, theme: Theme) -> Line<'static> {
    match f {
        Failure::NotConnected { .. } => Line::from(vec![
            Span::styled("… ", theme.key()),
            Span::styled(format!("{what}{f}"), theme.muted()),
        ]),
        Failure::Refused(_) | Failure::ReadOnly(_) | Failure::Unusable(_) | Failure::Failed(_) => {
            Line::styled(format!("✗ {what}{f}"), theme.error())
        }
    }
}

/// A rectangle of at most `w`×`h` centred in `area`.
/// A list table as every view draws it: the selected row highlighted and
/// marked with `▶` (not by colour alone), the marker's column always kept
/// so rows do not shift when the selection moves.
pub fn selectable<'a>(table: Table<'a>, theme: &Theme) -> Table<'a> {
    table
        .row_highlight_style(theme.selected())
        .highlight_symbol("▶ ")
        .highlight_spacing(HighlightSpacing::Always)
}

pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    r
}

/// The items a table with room for `height` one-line rows shows when
/// `selected` must be in view: the window ratatui's `Table` picks when
/// drawn from offset 0 (the selected row scrolled just into view). Drawing
/// computes it from the cursor and the area alone, so it stays a pure read
/// of the state and the same cursor always shows the same rows.
pub fn window(len: usize, selected: usize, height: u16) -> Range<usize> {
    let height = usize::from(height);
    if len == 0 || height == 0 {
        return 0..0;
    }
    let start = selected.min(len - 1).saturating_sub(height - 1);
    start..(start + height).min(len)
}

/// Only the rows on screen of a list of `len` items, built by `row`, and
/// the state to draw them with: a frame costs the same for ten items as
/// for a million. `height` is the room for rows (the table's area less
/// its header); the selection is highlighted only when `focused`, but
/// the window follows the cursor either way, so an unfocused pane keeps
/// showing where its cursor is.
pub fn visible_rows(
    len: usize,
    selected: usize,
    focused: bool,
    height: u16,
    row: impl FnMut(usize) -> Row<'static>,
) -> (Vec<Row<'static>>, TableState) {
    let shown = window(len, selected, height);
    let state = TableState::default()
        .with_selected((focused && len > 0).then(|| selected.min(len - 1) - shown.start));
    (shown.map(row).collect(), state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::widgets::{StatefulWidget, Table};

    /// The first column of each drawn line: which item it shows.
    fn drawn(table: Table, state: &mut TableState, height: u16) -> Vec<String> {
        let area = Rect::new(0, 0, 12, height);
        let mut buf = Buffer::empty(area);
        StatefulWidget::render(table, area, &mut buf, state);
        (0..height)
            .map(|y| {
                (0..12)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
                    .trim()
                    .to_owned()
            })
            .collect()
    }

    #[test]
    fn the_window_is_what_ratatui_would_show_of_the_whole_list() {
        let label = |i: usize| Row::new([i.to_string()]);
        for len in [0, 1, 3, 7, 20] {
            for height in [1, 3, 7] {
                for selected in 0..len + 2 {
                    let whole = Table::new((0..len).map(label), [Constraint::Length(10)])
                        .highlight_symbol("> ");
                    let mut state = TableState::default().with_selected(Some(selected));
                    let expected = drawn(whole, &mut state, height);
                    let (rows, mut state) = visible_rows(len, selected, true, height, label);
                    let part = Table::new(rows, [Constraint::Length(10)]).highlight_symbol("> ");
                    assert_eq!(
                        drawn(part, &mut state, height),
                        expected,
                        "len {len} height {height} selected {selected}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_window_never_exceeds_the_room() {
        assert_eq!(window(1_000_000, 500_000, 40), 499_961..500_001);
        assert_eq!(window(1_000_000, 0, 40), 0..40);
        assert_eq!(window(10, 3, 0), 0..0);
    }
}
