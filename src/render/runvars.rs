//! A job's lifecycle runvars: the per-job view above the decoded entries.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, StatefulWidget, Table, Widget, Wrap};

use super::columns::SizedTable;
use super::{Ctx, block, placeholder, selectable, table_block, visible_rows};
use crate::app::runvars::{ENTRY_COLUMNS, RunvarData, RunvarPane, RunvarsView};
use crate::lifecycle::display::job_label;
use crate::lifecycle::escape;
use crate::lifecycle::report::EntryDetail;
use crate::lifecycle::{JobRelation, Relation, ResolvedKind};

pub struct RunvarsWidget<'a> {
    pub view: &'a RunvarsView,
    pub ctx: Ctx,
}

const INCOMPLETE: &str = "this job incomplete";

fn relation_line(r: &JobRelation, ctx: Ctx) -> Row<'static> {
    let t = ctx.theme;
    match r {
        JobRelation::Job {
            flight,
            job,
            own,
            relation,
            steps,
        } => {
            let steps = steps
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let style = match relation {
                Relation::Prep => t.prep(),
                Relation::Share => t.live(),
                Relation::Reuse => t.text(),
            };
            Row::new(vec![
                Cell::from(Span::styled(relation.label(), style)),
                Cell::from(escape(&job_label(*flight, job)).into_owned()),
                Cell::from(steps),
                Cell::from(if *own { "this job" } else { "" }),
            ])
        }
        JobRelation::Task { taskid, relation } => Row::new(vec![
            Cell::from(relation.label()),
            Cell::from(format!("task ?{taskid}")),
            Cell::from(""),
            Cell::from("out of job"),
        ]),
        JobRelation::Elided { count } => Row::new(vec![
            Cell::from(""),
            Cell::from(format!(
                "{count} earlier job{} left out",
                if *count == 1 { "" } else { "s" }
            )),
            Cell::from(""),
            Cell::from(""),
        ])
        .style(t.muted()),
    }
}

/// The entry cells styled apart from the row: the step's status and the
/// job's, coloured by what they say.
fn entry_cell_style(e: &EntryDetail, column: usize, ctx: Ctx) -> Option<Style> {
    match column {
        5 => e.step.as_ref().map(|s| ctx.theme.status(&s.status)),
        8 if matches!(e.entry.kind, ResolvedKind::Step { .. }) => {
            e.job_status.as_deref().map(|s| ctx.theme.status(s))
        }
        _ => None,
    }
}

/// An entry's row style: a task by its liveness, an elided or unknown
/// job muted, a concurrent one as live.
fn entry_style(e: &EntryDetail, ctx: Ctx) -> Style {
    let t = ctx.theme;
    match &e.entry.kind {
        ResolvedKind::Task { .. } => match &e.task {
            Some(task) if task.live => t.live(),
            _ => t.dead(),
        },
        ResolvedKind::Elided { .. } => t.muted(),
        ResolvedKind::Step { .. } if e.job_status.is_none() => t.muted(),
        ResolvedKind::Step { .. } if e.entry.concurrent => t.live(),
        ResolvedKind::Step { .. } => t.text(),
    }
}

impl RunvarsWidget<'_> {
    fn title(&self) -> Line<'static> {
        let t = self.ctx.theme;
        let mut spans = vec![Span::styled(
            format!(" Runvars {} ", self.view.source.label()),
            t.title(),
        )];
        if let Some(all) = self.view.feed.loaded() {
            for (i, d) in all.iter().enumerate() {
                let style = if i == self.view.tab {
                    t.selected()
                } else {
                    t.muted()
                };
                spans.push(Span::styled(format!(" {} ", escape(&d.runvar.name)), style));
            }
            if all.len() > 1 {
                spans.push(Span::styled(" ←/→ ", t.key()));
            }
        }
        Line::from(spans)
    }

    #[allow(
        clippy::too_many_lines,
        reason = "the pane's three parts, drawn top to bottom in the areas of one layout"
    )]
    fn render_data(&self, d: &RunvarData, area: Rect, buf: &mut Buffer) {
        let t = self.ctx.theme;
        let v = self.view;
        let text = if d.runvar.runvar.is_empty() {
            "(empty)".to_owned()
        } else {
            escape(&d.runvar.runvar).into_owned()
        };
        // The runvar whole, wrapped (up to a quarter of the screen), then
        // a blank line.
        let raw_text = Paragraph::new(Line::styled(text, t.key())).wrap(Wrap { trim: false });
        let raw_lines = u16::try_from(raw_text.line_count(area.width))
            .unwrap_or(u16::MAX)
            .clamp(1, (area.height / 4).max(1));
        let jobs_height = u16::try_from(d.view.len() + 3 + usize::from(d.runvar.incomplete))
            .unwrap_or(u16::MAX)
            .min(area.height.saturating_sub(raw_lines + 1) / 2);
        let [raw, jobs, entries] = Layout::vertical([
            Constraint::Length(raw_lines + 1),
            Constraint::Length(jobs_height),
            Constraint::Fill(1),
        ])
        .areas(area);
        raw_text.render(raw, buf);

        let jobs_block = block(
            Line::styled(" Jobs that could have affected this one ", t.title()),
            v.pane == RunvarPane::Jobs,
            self.ctx,
        );
        let jobs_inner = jobs_block.inner(jobs);
        jobs_block.render(jobs, buf);
        let entries_block = table_block(
            Line::styled(" Entries ", t.title()),
            &v.entries,
            v.pane == RunvarPane::Entries,
            self.ctx,
        );
        let entries_inner = entries_block.inner(entries);
        entries_block.render(entries, buf);

        let entries_list = match &d.runvar.entries {
            Ok(e) => e,
            Err(e) => {
                Paragraph::new(Line::styled(format!("✗ {e}"), t.error()))
                    .wrap(Wrap { trim: false })
                    .render(jobs_inner, buf);
                return;
            }
        };
        // The relations, then a line saying the job is incomplete.
        let (rows, mut state) = visible_rows(
            d.view.len() + usize::from(d.runvar.incomplete),
            v.jobs.selected,
            v.pane == RunvarPane::Jobs,
            jobs_inner.height,
            |i| match d.view.get(i) {
                Some(r) => relation_line(r, self.ctx),
                None => Row::new(vec![
                    Cell::from("…"),
                    Cell::from(INCOMPLETE),
                    Cell::from("no final call yet"),
                ])
                .style(t.error()),
            },
        );
        let table = Table::new(
            rows,
            [
                Constraint::Length(6),
                Constraint::Fill(2),
                Constraint::Fill(1),
                Constraint::Length(9),
            ],
        );
        StatefulWidget::render(selectable(table, &t), jobs_inner, buf, &mut state);

        SizedTable {
            cols: &ENTRY_COLUMNS,
            table: &v.entries,
            focused: v.pane == RunvarPane::Entries,
            style: |i| entry_style(&entries_list[i], self.ctx),
            cell_style: |i, c| entry_cell_style(&entries_list[i], c, self.ctx),
        }
        .render(entries_inner, buf, self.ctx);
    }
}

impl Widget for RunvarsWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let outer = block(self.title(), false, self.ctx);
        let inner = outer.inner(area);
        outer.render(area, buf);
        if placeholder(&self.view.feed.data, inner, buf, self.ctx) {
            return;
        }
        match self.view.current() {
            Some(d) => self.render_data(d, inner, buf),
            None => Paragraph::new("this job has no lifecycle runvars").render(inner, buf),
        }
    }
}
