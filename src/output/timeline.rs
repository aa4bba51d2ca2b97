//! A host's timeline (`hostlife timeline`) drawn: a self-contained SVG
//! (plain text writing: no fonts, scripts or links fetched), the same
//! picture in a standalone HTML page, or its bars as a table.

use std::fmt::Write as _;

use hostlife::lifecycle::health::Outcome;
use hostlife::lifecycle::timeline::{Bar, MarkerKind, Timeline};
use hostlife::timefmt::utc_minutes;

use super::Table;
use super::job_report::html_escape;

const LABEL_W: f64 = 400.0;
const PLOT_W: f64 = 900.0;
const LANE_H: f64 = 18.0;
const TOP: f64 = 46.0;
const PAD: f64 = 12.0;

fn colour(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "#3b9c4a",
        Outcome::Fail => "#d7382f",
        Outcome::Broken => "#ef8a17",
        Outcome::Running => "#2f74c0",
        Outcome::Other => "#8c8c8c",
    }
}

/// Tick spacing: the first of these that gives at most ten ticks.
fn tick_step(span: i64) -> i64 {
    hostlife::lifecycle::timeline::TICK_STEPS
        .into_iter()
        .find(|s| span / s <= 10)
        .unwrap_or(30 * 86_400)
}

#[allow(clippy::cast_precision_loss, reason = "epoch seconds far below 2^52")]
fn x_of(t: &Timeline, at: i64) -> f64 {
    let span = (t.to - t.from).max(1) as f64;
    LABEL_W + ((at.clamp(t.from, t.to) - t.from) as f64 / span) * PLOT_W
}

#[allow(clippy::cast_precision_loss, reason = "lanes are few")]
fn y_of(lane: usize) -> f64 {
    TOP + lane as f64 * LANE_H
}

fn bar_label(b: &Bar) -> String {
    let idents = if b.span.idents == ["host"] {
        String::new()
    } else {
        format!(" as {}", b.span.idents.join(", "))
    };
    format!(
        "{}.{}{} ({})",
        b.span.flight, b.span.job, idents, b.span.status
    )
}

fn bar_title(b: &Bar) -> String {
    format!(
        "{}: {} to {}{}{}",
        bar_label(b),
        utc_minutes(b.span.start),
        utc_minutes(b.span.end),
        b.span.prep_end.map_or_else(String::new, |p| format!(
            "; installed the host until {}",
            utc_minutes(p)
        )),
        match (b.open, b.span.timed, b.outcome) {
            (true, ..) => "; still running",
            (false, false, _) =>
                "; no step of it has a time: placed by the table's order or its flight's start",
            (false, true, Outcome::Running) => "; no live task of it in the table",
            _ => "",
        }
    )
}

/// `h1: 29 jobs from … to … UTC (379 earlier <earlier>)`.
fn window_words(t: &Timeline, earlier: &str) -> String {
    format!(
        "{}: {} from {} to {} UTC{}{}",
        t.host,
        hostlife::lifecycle::count(u64::try_from(t.bars.len()).unwrap_or(u64::MAX), "job"),
        utc_minutes(t.from),
        utc_minutes(t.to),
        if t.earlier > 0 {
            format!(" ({} earlier: {earlier})", t.earlier)
        } else {
            String::new()
        },
        if t.unplaced > 0 {
            format!(" ({} with no times to place them by)", t.unplaced)
        } else {
            String::new()
        }
    )
}

/// The picture as SVG, `width` by a height that fits every lane.
#[allow(clippy::too_many_lines, reason = "one drawing, top to bottom")]
pub fn svg(t: &Timeline) -> String {
    let lanes = t.bars.len().max(1);
    let plot_bottom = y_of(lanes);
    let height = plot_bottom + 70.0;
    let width = LABEL_W + PLOT_W + PAD * 2.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"11\">"
    );
    out.push_str(
        "<defs><pattern id=\"prep\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" \
         patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#e9e1f5\"/>\
         <rect width=\"3\" height=\"6\" fill=\"#9a7fc4\"/></pattern></defs>\n",
    );
    let _ = writeln!(
        out,
        "<rect class=\"background\" width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text class=\"title\" x=\"{PAD}\" y=\"18\" font-size=\"14\" font-weight=\"bold\">{}</text>",
        html_escape(&window_words(t, "not shown"))
    );
    // Time axis: ticks and light grid lines.
    let step = tick_step(t.to - t.from);
    let mut tick = (t.from / step + 1) * step;
    while tick <= t.to {
        let x = x_of(t, tick);
        let _ = writeln!(
            out,
            "<line class=\"grid\" x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{plot_bottom:.1}\" \
             stroke=\"#e4e4e4\"/><text class=\"tick\" x=\"{x:.1}\" y=\"{:.1}\" \
             text-anchor=\"middle\" fill=\"#555\">{}</text>",
            TOP - 4.0,
            TOP - 8.0,
            &utc_minutes(tick)[5..]
        );
        tick += step;
    }
    for b in &t.bars {
        let y = y_of(b.lane);
        let x0 = x_of(t, b.span.start);
        let x1 = x_of(t, b.drawn_end(t)).max(x0 + 2.0);
        let _ = write!(
            out,
            "<g class=\"job {}\"><title>{}</title>\
             <text x=\"{PAD}\" y=\"{:.1}\" fill=\"{}\">{}</text>",
            b.outcome.word(),
            html_escape(&bar_title(b)),
            y + 12.5,
            colour(b.outcome),
            html_escape(&bar_label(b)),
        );
        let _ = write!(
            out,
            "<rect class=\"bar\" x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" \
             fill=\"{}\"{}/>",
            y + 2.0,
            x1 - x0,
            LANE_H - 4.0,
            colour(b.outcome),
            if b.open {
                " fill-opacity=\"0.55\" stroke=\"#2f74c0\" stroke-dasharray=\"4 2\""
            } else {
                ""
            }
        );
        if let Some(p) = b.span.prep_end {
            let xp = x_of(t, p).min(x1);
            let _ = write!(
                out,
                "<rect class=\"prep\" x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" \
                 fill=\"url(#prep)\"/>",
                y + 2.0,
                (xp - x0).max(1.0),
                LANE_H - 4.0
            );
        }
        out.push_str("</g>\n");
    }
    for m in &t.markers {
        let x = x_of(t, m.at);
        let title = format!("<title>{}</title>", html_escape(&m.label));
        let _ = match (m.kind, m.lane) {
            (MarkerKind::Task, _) | (_, None) => writeln!(
                out,
                "<g class=\"marker task\">{title}<line x1=\"{x:.1}\" y1=\"{TOP:.1}\" x2=\"{x:.1}\" \
                 y2=\"{plot_bottom:.1}\" stroke=\"#7b3fb0\" stroke-width=\"1.5\" \
                 stroke-dasharray=\"3 3\"/>{}<text x=\"{x:.1}\" y=\"{:.1}\" fill=\"#7b3fb0\" \
                 text-anchor=\"middle\">{}</text></g>",
                // A live task holds the host to now: a line to the end.
                if m.open {
                    format!(
                        "<line class=\"held\" x1=\"{x:.1}\" y1=\"{plot_bottom:.1}\" \
                         x2=\"{:.1}\" y2=\"{plot_bottom:.1}\" stroke=\"#7b3fb0\" \
                         stroke-width=\"3\"/>",
                        x_of(t, t.to)
                    )
                } else {
                    String::new()
                },
                plot_bottom + 12.0,
                html_escape(&m.label)
            ),
            (MarkerKind::Install, Some(lane)) => {
                let y = y_of(lane);
                writeln!(
                    out,
                    "<g class=\"marker install\">{title}<path d=\"M{:.1},{:.1} l5,9 l-10,0 z\" \
                     fill=\"#1b5e20\" stroke=\"white\" stroke-width=\"0.8\"/></g>",
                    x,
                    y + 4.0
                )
            }
            (MarkerKind::FailedInstall, Some(lane)) => {
                let y = y_of(lane) + LANE_H / 2.0;
                writeln!(
                    out,
                    "<g class=\"marker failed-install\">{title}<path d=\"M{:.1},{:.1} l9,9 \
                     m0,-9 l-9,9\" stroke=\"black\" stroke-width=\"2.2\"/></g>",
                    x - 4.5,
                    y - 4.5
                )
            }
        };
    }
    // The legend.
    let ly = plot_bottom + 34.0;
    let mut lx = PAD;
    for (word, fill) in [
        ("pass", colour(Outcome::Pass)),
        ("fail", colour(Outcome::Fail)),
        ("broken", colour(Outcome::Broken)),
        ("running", colour(Outcome::Running)),
        ("other", colour(Outcome::Other)),
        ("installing (prep.)", "url(#prep)"),
    ] {
        let _ = write!(
            out,
            "<rect x=\"{lx:.1}\" y=\"{:.1}\" width=\"14\" height=\"10\" fill=\"{fill}\"/>\
             <text x=\"{:.1}\" y=\"{ly:.1}\">{word}</text>",
            ly - 9.0,
            lx + 18.0
        );
        lx += 30.0 + 6.5 * f64::from(u32::try_from(word.len()).unwrap_or(10));
    }
    let _ = writeln!(
        out,
        "<path d=\"M{:.1},{:.1} l5,9 l-10,0 z\" fill=\"#1b5e20\"/><text x=\"{:.1}\" y=\"{ly:.1}\">install</text>\
         <path d=\"M{:.1},{:.1} l9,9 m0,-9 l-9,9\" stroke=\"black\" stroke-width=\"2.2\"/>\
         <text x=\"{:.1}\" y=\"{ly:.1}\">failed install</text>\
         <line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#7b3fb0\" stroke-dasharray=\"3 3\" stroke-width=\"1.5\"/>\
         <text x=\"{:.1}\" y=\"{ly:.1}\">out-of-job task</text>",
        lx + 5.0,
        ly - 10.0,
        lx + 14.0,
        lx + 85.0,
        ly - 9.5,
        lx + 100.0,
        lx + 195.0,
        ly - 11.0,
        lx + 195.0,
        ly + 1.0,
        lx + 202.0,
    );
    out.push_str("</svg>\n");
    out
}

/// The picture in a page of its own, with a table of the bars under it.
pub fn html(t: &Timeline) -> String {
    let title = html_escape(&format!("{}: host timeline", t.host));
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n\
         <style>body{{font-family:sans-serif;margin:1.5em}}table{{border-collapse:collapse}}\
         th,td{{border:1px solid #bbb;padding:.2em .6em;text-align:left;white-space:nowrap}}\
         th{{background:#eee}}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
    );
    out.push_str(&svg(t));
    let table = table(t);
    out.push_str("<table>\n<tr>");
    for h in table.header() {
        let _ = write!(out, "<th>{}</th>", html_escape(&h.to_lowercase()));
    }
    out.push_str("</tr>\n");
    for row in table.cells() {
        out.push_str("<tr>");
        for c in row {
            let _ = write!(out, "<td>{}</td>", html_escape(&c));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n</body>\n</html>\n");
    out
}

/// The bars, oldest first (also `--format csv`).
pub fn table(t: &Timeline) -> Table {
    let mut table = Table::new(&[
        "LANE",
        "FLIGHT",
        "JOB",
        "AS",
        "STATUS",
        "START",
        "INSTALLED UNTIL",
        "END",
        "INSTALLS",
    ]);
    for b in &t.bars {
        table.row(vec![
            b.lane.to_string(),
            b.span.flight.to_string(),
            b.span.job.clone(),
            b.span.idents.join(" "),
            b.span.status.clone(),
            utc_minutes(b.span.start),
            b.span.prep_end.map_or_else(|| "-".into(), utc_minutes),
            if b.open {
                "(running)".to_owned()
            } else {
                utc_minutes(b.span.end)
            },
            b.span
                .installs
                .iter()
                .map(|&(_, failed)| if failed { "failed" } else { "ok" })
                .collect::<Vec<_>>()
                .join(" "),
        ]);
    }
    table
}

/// The text: a line about the window, then the bars' table.
pub fn text(t: &Timeline) -> String {
    let mut out = window_words(t, "--days for more") + "\n";
    out.push_str(&table(t).render());
    for m in t.markers.iter().filter(|m| m.kind == MarkerKind::Task) {
        let _ = writeln!(out, "out-of-job: {} (after {})", m.label, utc_minutes(m.at));
    }
    out
}
