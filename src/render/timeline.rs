//! A host's timeline: one lane per job, time across. Each cell of a lane
//! is a slice of the time shown; a bar fills the slices its job had the
//! host in, its install part (prep.) hatched, coloured and marked by its
//! outcome. Everything here is arithmetic on the view's state.

use std::fmt::Write as _;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use unicode_width::UnicodeWidthStr as _;

use super::columns::fit_tail;
use super::{Ctx, block, placeholder, position, text, window};
use crate::app::timeline::TimelineView;
use crate::lifecycle::escape;
use crate::lifecycle::health::Outcome;
use crate::lifecycle::timeline::{Bar, MarkerKind, TICK_STEPS, Timeline};
use crate::timefmt;

pub const PREP: char = '░';
pub const USE: char = '█';
pub const INSTALL: char = '▲';
pub const FAILED_INSTALL: char = '✗';
pub const TASK: char = '│';
/// A live task holds the host from its mark to now.
pub const HELD: char = '─';

const LEGEND: &str = "░ prep.  █ use  ▲ install  ✗ failed install  │─ task, live  ◀ ▶ out of view";

pub struct TimelineWidget<'a> {
    pub view: &'a TimelineView,
    pub ctx: Ctx,
}

/// Time to columns: `[from, from + span)` over `width` cells.
#[derive(Debug, Clone, Copy)]
struct Scale {
    from: i64,
    span: i64,
    width: i64,
}

impl Scale {
    /// The cell `at` falls in; outside `0..width` when off the chart.
    fn col(self, at: i64) -> i64 {
        (at - self.from)
            .saturating_mul(self.width)
            .div_euclid(self.span)
    }

    /// When cell `c` starts.
    fn time(self, c: i64) -> i64 {
        self.from + c * self.span / self.width
    }
}

impl Widget for TimelineWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let v = self.view;
        let ctx = self.ctx;
        let mut b = block(title(v, ctx), true, ctx);
        if let Some(t) = v.feed.loaded() {
            b = b.title_top(position(v.cursor, t.bars.len(), t.bars.len(), ctx));
            if let Some((from, to)) = v.shown() {
                b = b.title_bottom(Line::styled(
                    format!(
                        " showing {} → {} ({}) ",
                        timefmt::utc_minutes(from),
                        timefmt::utc_zoned(to),
                        timefmt::age(to - from)
                    ),
                    ctx.theme.muted(),
                ));
            }
        }
        let inner = b.inner(area);
        b.render(area, buf);
        if placeholder(&v.feed.data, inner, buf, ctx) {
            return;
        }
        let Some(t) = v.feed.loaded() else {
            return;
        };
        if t.bars.is_empty() && t.markers.is_empty() {
            let why = if t.earlier > 0 {
                format!(
                    "no job used this host in the window ({} earlier; - zooms out)",
                    t.earlier
                )
            } else {
                "no job names this host in its runvars".to_owned()
            };
            Paragraph::new(why).render(inner, buf);
            return;
        }
        let lines: Vec<Line> = v
            .selected()
            .map(|bar| text::wrap(&describe(bar, t), usize::from(inner.width)))
            .unwrap_or_default()
            .into_iter()
            .map(Line::from)
            .collect();
        let [chart, detail, legend] = Layout::vertical([
            Constraint::Fill(1),
            Constraint::Length(u16::try_from(lines.len()).unwrap_or(3).min(3)),
            Constraint::Length(1),
        ])
        .areas(inner);
        draw_chart(v, t, chart, buf, ctx);
        Paragraph::new(lines).render(detail, buf);
        Line::styled(LEGEND, ctx.theme.muted()).render(legend, buf);
    }
}

fn title(v: &TimelineView, ctx: Ctx) -> Line<'static> {
    let mut spans = vec![Span::styled(
        format!(" Timeline of {} ", escape(&v.host)),
        ctx.theme.title(),
    )];
    if let Some(t) = v.feed.loaded() {
        let mut earlier = String::new();
        for (n, what) in [(t.earlier, "earlier"), (t.unplaced, "with no times")] {
            if n > 0 {
                let _ = write!(earlier, ", {n} {what}");
            }
        }
        spans.push(Span::raw(format!(
            "· {} in the {} days to {}{earlier} ",
            crate::lifecycle::count(t.bars.len() as u64, "job"),
            v.days,
            timefmt::utc_zoned(t.to)
        )));
    }
    Line::from(spans)
}

/// The label column's width: room for `flight job` of most job names at
/// 160 columns, the tails that tell jobs apart at 80.
fn label_width(width: u16) -> u16 {
    (width * 38 / 100).clamp(16, 52)
}

fn draw_chart(v: &TimelineView, t: &Timeline, area: Rect, buf: &mut Buffer, ctx: Ctx) {
    let Some((from, to)) = v.shown() else {
        return;
    };
    let lw = label_width(area.width);
    let [labels, _, cells] = Layout::horizontal([
        Constraint::Length(lw),
        Constraint::Length(1),
        Constraint::Fill(1),
    ])
    .areas(area);
    if cells.width == 0 || area.height == 0 {
        return;
    }
    let scale = Scale {
        from,
        span: (to - from).max(1),
        width: i64::from(cells.width),
    };
    let mut y = area.y;
    Line::styled("job", ctx.theme.header()).render(row(labels, y), buf);
    axis(scale).render(row(cells, y), buf);
    y += 1;
    let tasks: Vec<_> = t
        .markers
        .iter()
        .filter(|m| m.kind == MarkerKind::Task)
        .collect();
    if !tasks.is_empty() && y < area.bottom() {
        Line::styled("out-of-job tasks", ctx.theme.prep()).render(row(labels, y), buf);
        for m in tasks {
            let c = scale.col(m.at);
            if m.open {
                for h in (c + 1).max(0)..=scale.col(t.to).min(scale.width - 1) {
                    put(buf, cells, y, h, HELD, ctx.theme.prep());
                }
            }
            put(buf, cells, y, c, TASK, ctx.theme.prep());
        }
        y += 1;
    }
    let room = area.bottom().saturating_sub(y);
    for i in window(t.bars.len(), v.cursor, room) {
        let bar = &t.bars[i];
        let selected = i == v.cursor;
        let head = format!(
            "{}{} {} ",
            if selected { "▶" } else { " " },
            glyph(bar.outcome),
            bar.span.flight,
        );
        // Job names share their fronts (`test-amd64-amd64-`): cut there.
        let room = usize::from(lw).saturating_sub(head.width());
        let label = head + &fit_tail(&bar.span.job, u16::try_from(room).unwrap_or(u16::MAX));
        let style = if selected {
            ctx.theme.selected()
        } else {
            ctx.theme.status(&bar.span.status)
        };
        Line::styled(label, style).render(row(labels, y), buf);
        lane(bar, t, scale, cells, y, buf, ctx);
        y += 1;
    }
}

/// One line of `area` at `y`.
fn row(area: Rect, y: u16) -> Rect {
    Rect::new(area.x, y, area.width, 1)
}

/// Draw `c` at cell `col` of the line at `y`, if it is on the chart.
fn put(buf: &mut Buffer, cells: Rect, y: u16, col: i64, c: char, style: Style) {
    if let Ok(col) = u16::try_from(col)
        && col < cells.width
    {
        buf[(cells.x + col, y)].set_char(c).set_style(style);
    }
}

fn lane(bar: &Bar, t: &Timeline, scale: Scale, cells: Rect, y: u16, buf: &mut Buffer, ctx: Ctx) {
    let style = ctx.theme.status(&bar.span.status);
    let last = scale.width - 1;
    let (start, end) = (bar.span.start, bar.drawn_end(t).max(bar.span.start));
    let (c0, c1) = (scale.col(start), scale.col(end));
    if c1 < 0 {
        put(buf, cells, y, 0, '◀', ctx.theme.muted());
        return;
    }
    if c0 > last {
        put(buf, cells, y, last, '▶', ctx.theme.muted());
        return;
    }
    for c in c0.max(0)..=c1.min(last) {
        let prep = bar.span.prep_end.is_some_and(|p| scale.time(c) < p);
        put(buf, cells, y, c, if prep { PREP } else { USE }, style);
    }
    for m in t.markers.iter().filter(|m| m.lane == Some(bar.lane)) {
        let (c, s) = match m.kind {
            MarkerKind::FailedInstall => (FAILED_INSTALL, ctx.theme.error()),
            MarkerKind::Install => (INSTALL, ctx.theme.ok()),
            MarkerKind::Task => continue,
        };
        put(
            buf,
            cells,
            y,
            scale.col(m.at),
            c,
            s.add_modifier(ratatui::style::Modifier::REVERSED),
        );
    }
}

/// The time axis: a label at each round time, as many as fit; the date
/// (`MM-DD`) at midnight, the time (`HH:MM`) between.
fn axis(scale: Scale) -> Line<'static> {
    // A label and room between: "06:00", or "11-29" at midnight.
    const ROOM: i64 = 7;
    let step = TICK_STEPS
        .into_iter()
        .find(|s| s * scale.width / scale.span >= ROOM)
        .unwrap_or(TICK_STEPS[TICK_STEPS.len() - 1]);
    let mut line = String::new();
    let mut used: i64 = 0;
    let mut at = (scale.from + step - 1).div_euclid(step) * step;
    while scale.col(at) < scale.width {
        let c = scale.col(at);
        let stamp = timefmt::utc_minutes(at);
        let label = if step >= 86_400 || at.rem_euclid(86_400) == 0 {
            stamp[5..10].to_owned()
        } else {
            stamp[11..16].to_owned()
        };
        let w = i64::try_from(label.width()).unwrap_or(0);
        if c >= used && c + w <= scale.width {
            line.push_str(&" ".repeat(usize::try_from(c - used).unwrap_or(0)));
            line.push_str(&label);
            used = c + w + 1;
            line.push(' ');
        }
        at += step;
    }
    Line::from(line)
}

/// A job's outcome as one character, so it never rests on colour.
fn glyph(o: Outcome) -> char {
    match o {
        Outcome::Pass => '✓',
        Outcome::Fail => '✗',
        Outcome::Broken => '!',
        Outcome::Running => '…',
        Outcome::Other => '·',
    }
}

/// The selected job in words: everything its lane draws, whole.
pub fn describe(bar: &Bar, t: &Timeline) -> String {
    let s = &bar.span;
    let end = if bar.open {
        format!(
            "still running ({} on the host)",
            timefmt::age(t.to - s.start)
        )
    } else if !s.timed {
        format!(
            "no step of it has a time: placed at {}, by the table's order or its flight's start",
            timefmt::utc_minutes(s.start)
        )
    } else if bar.outcome == Outcome::Running {
        format!(
            "no live task of it in the table; last step began {}",
            timefmt::utc_minutes(s.end)
        )
    } else {
        format!(
            "last step ended {} ({} on the host)",
            timefmt::utc_minutes(s.end),
            timefmt::age(s.end - s.start)
        )
    };
    let prep = s.prep_end.map_or_else(String::new, |p| {
        format!(", prep. to {}", &timefmt::utc_minutes(p)[11..])
    });
    let installs: Vec<String> = t
        .markers
        .iter()
        .filter(|m| m.lane == Some(bar.lane) && m.kind != MarkerKind::Task)
        .map(|m| {
            let g = if m.kind == MarkerKind::Install {
                INSTALL
            } else {
                FAILED_INSTALL
            };
            format!("{g} {}", &timefmt::utc_minutes(m.at)[11..])
        })
        .collect();
    let installs = if installs.is_empty() {
        String::new()
    } else {
        format!(" · installs {}", installs.join(" "))
    };
    format!(
        "{} {} {} as {}: {} · had the host {}{prep} · {end}{installs}",
        glyph(bar.outcome),
        s.flight,
        escape(&s.job),
        s.idents.join(", "),
        s.status,
        timefmt::utc_zoned(s.start),
    )
}
