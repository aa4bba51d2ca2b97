//! One host: its rows beside the listing an observer's `final` would write.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, StatefulWidget, Table, Widget, Wrap};

use super::columns::{self, Col, WHOLE, fit, header, measured_range, split_detail};
use super::text::{DEAD, DELETED, LIVE};
use super::{Ctx, block, placeholder, selectable, visible_rows};
use crate::app::host::{HostPane, HostView, row_flags};
use crate::app::layout::COLUMN_SPACING;
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

fn liveness_glyph(r: &RowView) -> &'static str {
    match &r.task {
        Some(task) if task.live => LIVE,
        Some(_) => DEAD,
        None => DELETED,
    }
}

fn liveness(r: &RowView, ctx: Ctx) -> (Span<'static>, Style) {
    let t = ctx.theme;
    match &r.task {
        Some(task) if task.live => (Span::styled(LIVE, t.live()), t.text()),
        Some(_) => (Span::styled(DEAD, t.dead()), t.dead()),
        None => (Span::styled(DELETED, t.dead()), t.dead()),
    }
}

/// The rows table's columns: which row, then who wrote it and in what
/// step, the free text last.
const ROW_COLUMNS: [Col; 10] = [
    Col::new("", WHOLE),
    Col::new("lcseq", WHOLE),
    Col::new("flags", WHOLE),
    Col::new("task", 8),
    Col::new("job", 12),
    Col::new("#", WHOLE),
    Col::new("step", 8),
    Col::new("testid", 6),
    Col::new("status", WHOLE),
    Col::new("ident", 5),
];

/// A lifecycle row's cells, unescaped and whole.
fn row_texts(r: &RowView) -> [String; 10] {
    let (job, stepno, ident) = match &r.job {
        Some(j) => (
            format!("{}.{}", j.flight, j.job),
            j.stepno.to_string(),
            j.ident.to_string(),
        ),
        None => ("(out of job)".to_owned(), String::new(), String::new()),
    };
    let (step, testid, status) = match &r.step {
        Some(s) => (
            s.step.clone(),
            s.testid.clone().unwrap_or_default(),
            s.status.clone(),
        ),
        None => Default::default(),
    };
    [
        liveness_glyph(r).to_owned(),
        r.lcseq.to_string(),
        row_flags(r),
        display::task_cell(r.taskid, r.task.as_ref()),
        job,
        stepno,
        step,
        testid,
        status,
        ident,
    ]
}

fn row(r: &RowView, widths: &[u16; 10], ctx: Ctx) -> Row<'static> {
    let (glyph, style) = liveness(r, ctx);
    let flags_style = if r.later_notprep {
        ctx.theme.muted()
    } else if r.job.as_ref().is_some_and(|j| j.isprep) {
        ctx.theme.prep()
    } else {
        style
    };
    let texts = row_texts(r);
    Row::new(
        texts
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (text, &w))| match i {
                0 => Cell::from(glyph.clone()),
                2 => Cell::from(Span::styled(fit(text, w).into_owned(), flags_style)),
                _ => Cell::from(fit(text, w).into_owned()),
            }),
    )
    .style(style)
}

/// The listing's columns, its meaning last.
const LISTING_COLUMNS: [Col; 5] = [
    Col::new("", WHOLE),
    Col::new("job / task", 12),
    Col::new("#", WHOLE),
    Col::new("ident", 5),
    Col::new("meaning", 10),
];

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
                    " · {} · {live} by live tasks{kind} ",
                    crate::lifecycle::count(d.detail.rows.len() as u64, "row")
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
        let rows = &d.detail.rows;
        let range = measured_range(rows.len(), v.rows.selected, inner.height.saturating_sub(1));
        let texts: Vec<[String; 10]> = rows[range].iter().map(row_texts).collect();
        let widths = columns::widths(
            &ROW_COLUMNS,
            &columns::wanted(&ROW_COLUMNS, &texts),
            inner.width,
        );
        let detail = rows
            .get(v.rows.selected)
            .and_then(|r| columns::detail(&ROW_COLUMNS, &widths, &row_texts(r), self.ctx));
        let table_area = split_detail(inner, detail, buf);
        let height = table_area.height.saturating_sub(1);
        let (shown, mut state) = visible_rows(
            rows.len(),
            v.rows.selected,
            v.pane == HostPane::Rows,
            height,
            |i| row(&rows[i], &widths, self.ctx),
        );
        let table = Table::new(shown, widths.map(Constraint::Length))
            .header(header(&ROW_COLUMNS, &widths, self.ctx))
            .column_spacing(COLUMN_SPACING);
        StatefulWidget::render(selectable(table, &t), table_area, buf, &mut state);
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
            escape(&d.detail.listing).into_owned()
        };
        Paragraph::new(Line::styled(text, t.key())).render(raw, buf);
        match &d.listing {
            Err(e) => {
                Paragraph::new(Line::styled(format!("✗ {e}"), t.error())).render(table_area, buf);
            }
            Ok(entries) => {
                let range = measured_range(
                    entries.len(),
                    v.listing.selected,
                    table_area.height.saturating_sub(1),
                );
                let measured: Vec<[String; 5]> = entries[range].iter().map(entry_cells).collect();
                let widths = columns::widths(
                    &LISTING_COLUMNS,
                    &columns::wanted(&LISTING_COLUMNS, &measured),
                    table_area.width,
                );
                let detail = entries.get(v.listing.selected).and_then(|e| {
                    columns::detail(&LISTING_COLUMNS, &widths, &entry_cells(e), self.ctx)
                });
                let table_area = split_detail(table_area, detail, buf);
                let height = table_area.height.saturating_sub(1);
                let (rows, mut state) = visible_rows(
                    entries.len(),
                    v.listing.selected,
                    v.pane == HostPane::Listing,
                    height,
                    |i| {
                        let e = &entries[i];
                        let style = match e.kind {
                            ResolvedKind::Elided { .. } => t.muted(),
                            _ if e.concurrent => t.live(),
                            _ => t.text(),
                        };
                        let cells = entry_cells(e);
                        Row::new(
                            cells
                                .iter()
                                .zip(&widths)
                                .map(|(text, &w)| Cell::from(fit(text, w).into_owned())),
                        )
                        .style(style)
                    },
                );
                let table = Table::new(rows, widths.map(Constraint::Length))
                    .header(header(&LISTING_COLUMNS, &widths, self.ctx))
                    .column_spacing(COLUMN_SPACING);
                StatefulWidget::render(selectable(table, &t), table_area, buf, &mut state);
            }
        }
    }
}

impl HostWidget<'_> {
    /// The width the listing pane needs to show its entries whole, borders
    /// included.
    fn listing_width(&self) -> u16 {
        let Some(d) = self.view.feed.loaded() else {
            return 0;
        };
        let table = match &d.listing {
            Ok(entries) => {
                let cells: Vec<[String; 5]> = entries.iter().map(entry_cells).collect();
                columns::needed(&columns::wanted(&LISTING_COLUMNS, &cells))
            }
            Err(_) => 0,
        };
        let raw = columns::shown_width(&d.detail.listing);
        table.max(raw) + 2
    }
}

impl Widget for HostWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        // Side by side when there is room, the listing as wide as it needs
        // (within a third to a half), the rows taking the rest; stacked on
        // a standard terminal.
        let [rows, listing] = if area.width >= 140 {
            let need = self.listing_width();
            let listing = need.clamp(area.width / 3, area.width / 2);
            Layout::horizontal([Constraint::Fill(1), Constraint::Length(listing)]).areas(area)
        } else {
            Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(area)
        };
        self.render_rows(rows, buf);
        self.render_listing(listing, buf);
    }
}
