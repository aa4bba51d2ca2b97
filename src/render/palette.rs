//! The command palette and the confirmation dialog.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use super::{Ctx, centered, failure_line};
use crate::app::Settings;
use crate::app::action::Action;
use crate::app::confirm::{ConfirmView, WipePreview, Write};
use crate::app::keymap::{self, Scope};
use crate::app::loadable::Loadable;
use crate::app::palette::{Palette, VERBS};
use crate::lifecycle::call::{RecordCall, RecordOutcome};
use crate::lifecycle::report::RowView;
use crate::lifecycle::{Failure, count, escape};

pub struct PaletteWidget<'a> {
    pub view: &'a Palette,
    pub ctx: Ctx,
}

/// Every key bound to an action, as `Enter/y`.
fn key_hint(context: Scope, action: Action) -> String {
    keymap::BINDINGS
        .iter()
        .filter(|b| b.context == context && b.action == action)
        .flat_map(|b| b.keys.iter().map(keymap::Key::label))
        .collect::<Vec<_>>()
        .join("/")
}

impl Widget for PaletteWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.ctx.theme;
        let p = self.view;
        let mut lines = vec![Line::from(vec![
            Span::styled(": ", t.key()),
            Span::raw(p.input.clone()),
            Span::styled("▏", t.key()),
        ])];
        lines.push(match &p.parsed {
            Ok(_) => Line::from(vec![
                Span::styled("✓ ", t.ok()),
                Span::raw(format!(
                    "{} runs it",
                    key_hint(Scope::Palette, Action::Submit)
                )),
            ]),
            Err(e) if e.is_empty() => Line::from(""),
            Err(e) => Line::styled(format!("✗ {e}"), t.error()),
        });
        let verb = p.input.split_whitespace().next();
        if let Some(info) = VERBS.iter().find(|v| Some(v.name) == verb) {
            lines.push(Line::styled(
                format!("{} {} — {}", info.name, info.args, info.help),
                t.muted(),
            ));
        }
        let (candidates, current) = p.candidates();
        if !candidates.is_empty() {
            let tab = key_hint(Scope::Palette, Action::Complete);
            let mut spans = vec![Span::styled(format!("{tab}: "), t.key())];
            for (i, c) in candidates.iter().enumerate() {
                let style = if i == current { t.selected() } else { t.text() };
                spans.push(Span::styled(c.clone(), style));
                spans.push(Span::raw("  "));
            }
            lines.push(Line::from(spans));
        }
        let mut title = vec![Span::styled(" Command ", t.title())];
        if let Some(why) = &p.read_only {
            title.push(Span::styled(format!(" read-only: {why} "), t.error()));
        }
        let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
        let width = area.width.saturating_sub(8).min(100);
        let rect = Rect {
            y: area.y + area.height / 4,
            ..centered(area, width, height)
        };
        Clear.render(rect, buf);
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(
                Block::bordered()
                    .title(Line::from(title))
                    .border_style(t.border_focused()),
            )
            .render(rect, buf);
    }
}

pub struct ConfirmWidget<'a> {
    pub view: &'a ConfirmView,
    pub settings: &'a Settings,
    pub ctx: Ctx,
}

/// A lifecycle row named in a plan: enough to recognise it.
fn describe_row(lcseq: i32, rows: &[RowView]) -> String {
    // The rows are in lcseq order: a lookup per line, not a scan.
    let found = rows.binary_search_by_key(&lcseq, |r| r.lcseq).ok();
    let Some(r) = found.map(|i| &rows[i]) else {
        return format!("  {lcseq:>6}  (gone since)");
    };
    let job = match &r.job {
        Some(j) => format!(
            "{}.{}:{} {}{}",
            j.flight,
            escape(&j.job),
            j.stepno,
            escape(&j.ident),
            if j.isprep { " @prep" } else { "" }
        ),
        None => "out of job".to_owned(),
    };
    let task = match &r.task {
        Some(t) => format!(
            "task {} {}",
            t.taskid,
            if t.live { "● live" } else { "○ dead" }
        ),
        None => format!("task {} ⊘ deleted", r.taskid),
    };
    format!("  {lcseq:>5}  {job:<30} {task}")
}

/// Rows of a plan listed at most: a build host can have thousands, and
/// the dialog's keys must stay on screen.
const PLAN_ROWS: usize = 8;

/// The first rows of a plan's list, then how many more there are.
fn shortened(lcseqs: &[i32]) -> impl Iterator<Item = Result<&i32, String>> {
    let more = lcseqs.len().saturating_sub(PLAN_ROWS);
    let shown = if more > 0 {
        PLAN_ROWS - 1
    } else {
        lcseqs.len()
    };
    lcseqs[..shown]
        .iter()
        .map(Ok)
        .chain((more > 0).then(|| Err(format!("  … and {} more", lcseqs.len() - shown))))
}

impl ConfirmWidget<'_> {
    /// The line shown while the write's check runs.
    fn checking(&self, what: &str) -> Line<'static> {
        Line::from(vec![
            Span::styled(self.ctx.spinner(), self.ctx.theme.key()),
            Span::raw(format!(" {what}")),
        ])
    }

    /// Why the write's check failed. Only a refusal is the write's
    /// answer; anything else says nothing of whether it would pass.
    fn check_failed(&self, f: &Failure, lines: &mut Vec<Line<'static>>) {
        let what = match f {
            Failure::Refused(_) | Failure::ReadOnly(_) => "refused: ",
            Failure::NotConnected { .. } => "cannot check now: ",
            Failure::Unusable(_) | Failure::Failed(_) => "the check failed: ",
        };
        lines.push(failure_line(f, what, self.ctx.theme));
        lines.push(Line::from("Nothing will be written."));
    }
    fn wipe_lines(&self, host: &str, lines: &mut Vec<Line<'static>>) {
        let t = self.ctx.theme;
        lines.push(Line::from(vec![
            Span::styled("wiped ", t.title()),
            Span::raw(format!("{host}: I reinstalled this host by hand.")),
        ]));
        match &self.view.plan {
            Loadable::Idle | Loadable::Loading => {
                lines.push(self.checking("checking who holds the host…"));
            }
            Loadable::Failed(f) => self.check_failed(f, lines),
            Loadable::Loaded(WipePreview { plan, detail }) => {
                lines.push(Line::from(format!(
                    "As {}.",
                    escape(&plan.task.label().to_string())
                )));
                if plan.first_own.is_none() {
                    lines.push(Line::from(format!(
                        "First records an out-of-job row for task {} (it has none on {host}).",
                        plan.task.taskid
                    )));
                }
                let removes = match plan.remove.len() {
                    0 => "Removes no rows.".to_owned(),
                    n => format!("Removes {}:", count(n as u64, "row")),
                };
                lines.push(Line::styled(removes, t.header()));
                for l in shortened(&plan.remove) {
                    lines.push(match l {
                        Ok(l) => Line::styled(describe_row(*l, &detail.rows), t.error()),
                        Err(more) => Line::styled(more, t.muted()),
                    });
                }
                let keeps = match plan.keep.len() {
                    0 => "Keeps no rows.".to_owned(),
                    n => format!("Keeps {}:", count(n as u64, "row")),
                };
                lines.push(Line::styled(keeps, t.header()));
                for l in shortened(&plan.keep) {
                    lines.push(match l {
                        Ok(l) => Line::from(describe_row(*l, &detail.rows)),
                        Err(more) => Line::styled(more, t.muted()),
                    });
                }
                lines.push(Line::from("Runvars are not changed: history survives."));
            }
        }
    }

    fn record_lines(&self, lines: &mut Vec<Line<'static>>) {
        let t = self.ctx.theme;
        let Write::Record(call) = &self.view.write else {
            return;
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", call.mode.name()), t.title()),
            Span::raw(format!(
                "{} (ident {})",
                escape(&call.host),
                escape(&call.ident)
            )),
        ]));
        lines.push(Line::from(format!("As {}.", self.settings.operator_task)));
        match &self.view.rehearsal {
            Loadable::Idle | Loadable::Loading => {
                lines.push(self.checking("checking the call against the database…"));
            }
            Loadable::Failed(f) => self.check_failed(f, lines),
            Loadable::Loaded(outcome) => lines.extend(outcome_lines(call, outcome)),
        }
    }
}

/// What a rehearsed record call would write, in words.
fn outcome_lines(call: &RecordCall, outcome: &RecordOutcome) -> Vec<Line<'static>> {
    let host = escape(&call.host);
    match outcome {
        RecordOutcome::Recorded {
            stepno,
            runvar_name,
            runvar,
            ..
        } => {
            let job = call
                .job
                .as_ref()
                .map(|j| format!("{}.{}", j.flight, escape(&j.job)))
                .unwrap_or_default();
            vec![
                Line::from(format!(
                    "Inserts a lifecycle row on {host} for {job} step {stepno}."
                )),
                Line::from(format!(
                    "Sets runvar {} of {job} to: {}",
                    escape(runvar_name),
                    escape(runvar)
                )),
            ]
        }
        RecordOutcome::OutOfJob { taskid, .. } => vec![Line::from(format!(
            "Inserts an out-of-job row (host {host} and task {taskid} only); no runvar."
        ))],
        RecordOutcome::Unchanged {
            runvar_name,
            runvar,
        } => vec![Line::from(format!(
            "Nothing to write: runvar {} already ends with this call's mark ({}).",
            escape(runvar_name),
            escape(runvar)
        ))],
        RecordOutcome::Nested => vec![Line::from(
            "Nothing to write: a nested host is not recorded.",
        )],
    }
}

impl Widget for ConfirmWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.ctx.theme;
        let mut lines = Vec::new();
        match &self.view.write {
            // Escaped: a name with an invisible character must not pass for
            // another host in the one place that asks to confirm a write.
            Write::Wipe(call) => self.wipe_lines(&escape(&call.host), &mut lines),
            Write::Record(_) => self.record_lines(&mut lines),
        }
        let go = key_hint(Scope::Confirm, Action::Confirm);
        let cancel = key_hint(Scope::Confirm, Action::Deny);
        let keys = if self.view.ready() {
            Line::from(vec![
                Span::styled(go, t.key()),
                Span::raw(" do it   "),
                Span::styled(cancel.clone(), t.key()),
                Span::raw(" cancel"),
            ])
        } else {
            Line::from(vec![Span::styled(cancel, t.key()), Span::raw(" close")])
        };
        let width = area.width.saturating_sub(6).min(110);
        let body = Paragraph::new(lines).wrap(Wrap { trim: false });
        let body_lines =
            u16::try_from(body.line_count(width.saturating_sub(2))).unwrap_or(u16::MAX);
        // Borders, then the body, a line for scrolling and the keys: the
        // keys always show, and a plan longer than the screen scrolls.
        let height = body_lines
            .saturating_add(4)
            .min(area.height.saturating_sub(2));
        let rect = centered(area, width, height);
        Clear.render(rect, buf);
        let block = Block::bordered()
            .title(Line::styled(" Confirm write ", t.title()))
            .border_style(t.border_focused());
        let inner = block.inner(rect);
        block.render(rect, buf);
        let [body_area, more_area, keys_area] = Layout::vertical([
            Constraint::Fill(1),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(inner);
        let hidden = body_lines.saturating_sub(body_area.height);
        let scroll = self.view.scroll.min(hidden);
        body.scroll((scroll, 0)).render(body_area, buf);
        if hidden > 0 {
            let last = (scroll + body_area.height).min(body_lines);
            Paragraph::new(Line::styled(
                format!("↑/↓ scroll · lines {}–{last} of {body_lines}", scroll + 1),
                t.muted(),
            ))
            .render(more_area, buf);
        }
        Paragraph::new(keys).render(keys_area, buf);
    }
}
