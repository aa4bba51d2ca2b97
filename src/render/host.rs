//! One host: its rows beside the listing an observer's `final` would write.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, StatefulWidget, Table, Widget, Wrap};

use super::text::{DEAD, DELETED, LIVE};
use super::{Ctx, block, placeholder, selectable, visible_rows};
use crate::app::host::{HostPane, HostView, row_flags};
use crate::lifecycle::display;
use crate::lifecycle::escape;
use crate::lifecycle::report::{HostDetail, RowView};
use crate::lifecycle::{Resolved, ResolvedKind};

pub struct HostWidget<'a> {
    pub view: &'a HostView,
    pub ctx: Ctx,
}

/// The legend under the rows: what each glyph means.
const LEGEND: &str = " ● live ○ dead ⊘ deleted · + concurrent @ prep ✗ superseded ";

fn liveness(r: &RowView, ctx: Ctx) -> (Span<'static>, Style) {
    let t = ctx.theme;
    match &r.task {
        Some(task) if task.live => (Span::styled(LIVE, t.live()), t.text()),
        Some(_) => (Span::styled(DEAD, t.dead()), t.dead()),
        None => (Span::styled(DELETED, t.dead()), t.dead()),
    }
}

fn row(r: &RowView, ctx: Ctx) -> Row<'static> {
    let (glyph, style) = liveness(r, ctx);
    let task = display::task_cell(r.taskid, r.task.as_ref());
    let (job, stepno, ident) = match &r.job {
        Some(j) => (
            format!("{}.{}", j.flight, escape(&j.job)),
            j.stepno.to_string(),
            escape(&j.ident).into_owned(),
        ),
        None => ("(out of job)".to_owned(), String::new(), String::new()),
    };
    let (step, testid, status) = match &r.step {
        Some(s) => (
            escape(&s.step).into_owned(),
            escape(s.testid.as_deref().unwrap_or_default()).into_owned(),
            escape(&s.status).into_owned(),
        ),
        None => Default::default(),
    };
    let flags = row_flags(r);
    let flags_style = if r.later_notprep {
        ctx.theme.muted()
    } else if r.job.as_ref().is_some_and(|j| j.isprep) {
        ctx.theme.prep()
    } else {
        style
    };
    Row::new(vec![
        Cell::from(glyph),
        Cell::from(r.lcseq.to_string()),
        Cell::from(Span::styled(flags, flags_style)),
        Cell::from(task),
        Cell::from(job),
        Cell::from(stepno),
        Cell::from(step),
        Cell::from(testid),
        Cell::from(status),
        Cell::from(ident),
    ])
    .style(style)
}

/// A listing entry's cells: marks, who, step, ident, and what it means.
pub fn entry_cells(e: &Resolved) -> [String; 5] {
    let marks = |prep: bool| {
        format!(
            "{}{}",
            if e.concurrent { "+" } else { "" },
            if prep { "@" } else { "" }
        )
    };
    match &e.kind {
        ResolvedKind::Step {
            flight,
            job,
            stepno,
            ident,
            prep,
            ..
        } => [
            marks(*prep),
            format!("{flight}.{job}"),
            stepno.to_string(),
            ident.clone(),
            display::entry_meaning(e),
        ],
        ResolvedKind::Task { taskid } => [
            marks(false),
            format!("?{taskid}"),
            String::new(),
            String::new(),
            display::entry_meaning(e),
        ],
        ResolvedKind::Elided { count } => [
            String::new(),
            format!("[{count}]"),
            String::new(),
            String::new(),
            display::entry_meaning(e),
        ],
    }
}

/// "flags: …" and "properties: …" lines for a host, each only when it has
/// some.
fn host_facts(d: &HostDetail, ctx: Ctx) -> Vec<Line<'static>> {
    let t = ctx.theme;
    let mut lines = Vec::new();
    if !d.flags.is_empty() {
        lines.push(Line::from(vec![
            Span::styled("flags: ", t.muted()),
            Span::raw(escape(&d.flags.join(" ")).into_owned()),
        ]));
    }
    if !d.properties.is_empty() {
        let props: Vec<String> = d
            .properties
            .iter()
            .map(|p| format!("{}={}", escape(&p.name), escape(&p.val)))
            .collect();
        lines.push(Line::from(vec![
            Span::styled("properties: ", t.muted()),
            Span::raw(props.join(" ")),
        ]));
    }
    lines
}

impl HostWidget<'_> {
    fn render_rows(&self, area: Rect, buf: &mut Buffer) {
        let t = self.ctx.theme;
        let v = self.view;
        let title = match v.feed.loaded() {
            Some(d) => {
                let live = d.live_rows;
                let kind = if d.detail.build_host {
                    " · build host"
                } else {
                    ""
                };
                format!(
                    " · {} rows · {live} by live tasks{kind} ",
                    d.detail.rows.len()
                )
            }
            None => " ".to_owned(),
        };
        let block = block(
            Line::from(vec![
                Span::styled(format!(" {} ", escape(&v.host)), t.title()),
                Span::raw(title),
            ]),
            v.pane == HostPane::Rows,
            self.ctx,
        )
        .title_bottom(Line::styled(LEGEND, t.muted()));
        let inner = block.inner(area);
        block.render(area, buf);
        if placeholder(&v.feed.data, inner, buf, self.ctx) {
            return;
        }
        let Some(d) = v.feed.loaded() else { return };
        // The host's flags and properties, in full (the hosts list
        // condenses them), above its rows.
        let facts = host_facts(&d.detail, self.ctx);
        let needed: usize = facts
            .iter()
            .map(|l| l.width().div_ceil(usize::from(inner.width.max(1))).max(1))
            .sum();
        let [facts_area, inner] = Layout::vertical([
            Constraint::Length(
                u16::try_from(needed)
                    .unwrap_or(u16::MAX)
                    .min(inner.height / 3),
            ),
            Constraint::Fill(1),
        ])
        .areas(inner);
        Paragraph::new(facts)
            .wrap(Wrap { trim: false })
            .render(facts_area, buf);
        if d.detail.rows.is_empty() {
            Paragraph::new("no lifecycle rows since the last wipe").render(inner, buf);
            return;
        }
        let header = Row::new([
            "", "lcseq", "flags", "task", "job", "#", "step", "testid", "status", "ident",
        ])
        .style(t.header());
        let (rows, mut state) = visible_rows(
            d.detail.rows.len(),
            v.rows.selected,
            v.pane == HostPane::Rows,
            inner.height.saturating_sub(1),
            |i| row(&d.detail.rows[i], self.ctx),
        );
        let table = Table::new(
            rows,
            [
                Constraint::Length(1),
                Constraint::Length(5),
                Constraint::Length(5),
                Constraint::Fill(2),
                Constraint::Fill(2),
                Constraint::Length(3),
                Constraint::Fill(1),
                Constraint::Fill(1),
                Constraint::Length(7),
                Constraint::Length(8),
            ],
        )
        .header(header);
        StatefulWidget::render(selectable(table, &t), inner, buf, &mut state);
    }

    fn render_listing(&self, area: Rect, buf: &mut Buffer) {
        let t = self.ctx.theme;
        let v = self.view;
        let block = block(
            Line::from(vec![
                Span::styled(" Listing ", t.title()),
                Span::raw("· what final would record now "),
            ]),
            v.pane == HostPane::Listing,
            self.ctx,
        );
        let inner = block.inner(area);
        block.render(area, buf);
        if placeholder(&v.feed.data, inner, buf, self.ctx) {
            return;
        }
        let Some(d) = v.feed.loaded() else { return };
        let [raw, table_area] =
            Layout::vertical([Constraint::Length(2), Constraint::Fill(1)]).areas(inner);
        let text = if d.detail.listing.is_empty() {
            "(empty)".to_owned()
        } else {
            d.detail.listing.clone()
        };
        Paragraph::new(Line::styled(text, t.key())).render(raw, buf);
        match &d.listing {
            Err(e) => {
                Paragraph::new(Line::styled(format!("✗ {e}"), t.error())).render(table_area, buf);
            }
            Ok(entries) => {
                let header =
                    Row::new(["", "job / task", "#", "ident", "meaning"]).style(t.header());
                let (rows, mut state) = visible_rows(
                    entries.len(),
                    v.listing.selected,
                    v.pane == HostPane::Listing,
                    table_area.height.saturating_sub(1),
                    |i| {
                        let e = &entries[i];
                        let style = match e.kind {
                            ResolvedKind::Elided { .. } => t.muted(),
                            _ if e.concurrent => t.live(),
                            _ => t.text(),
                        };
                        Row::new(entry_cells(e)).style(style)
                    },
                );
                let table = Table::new(
                    rows,
                    [
                        Constraint::Length(2),
                        Constraint::Fill(2),
                        Constraint::Length(3),
                        Constraint::Length(8),
                        Constraint::Fill(1),
                    ],
                )
                .header(header);
                StatefulWidget::render(selectable(table, &t), table_area, buf, &mut state);
            }
        }
    }
}

impl Widget for HostWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        // Side by side when there is room; stacked on a standard terminal.
        let [rows, listing] = if area.width >= 140 {
            Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(area)
        } else {
            Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(area)
        };
        self.render_rows(rows, buf);
        self.render_listing(listing, buf);
    }
}
