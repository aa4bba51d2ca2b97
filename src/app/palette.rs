//! The command palette (`:`): commands parsed as you type, with fuzzy
//! completion of command and host names and a history.

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use super::fuzzy;
use super::keymap::{self, Scope};
use super::runvars::RunvarSource;
use crate::lifecycle::Refusal;
use crate::lifecycle::call::{
    JobRef, StepRef, check_host_name, check_lookup_name, check_new_host_name,
};
use crate::lifecycle::escape;
use crate::lifecycle::{self, DEFAULT_IDENT, Mode, is_valid_name};

/// The palette's verbs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Record(Mode),
    Wiped,
    Goto,
    Decode,
    Refresh,
    Help,
    Quit,
}

/// A verb's name, usage and description: their one home.
#[derive(Debug)]
pub struct VerbInfo {
    pub verb: Verb,
    pub name: &'static str,
    pub args: &'static str,
    pub help: &'static str,
}

const RECORD_ARGS: &str = "HOST [--ident I] [--flight F --job J [--step N|TESTID]]";

pub static VERBS: &[VerbInfo] = &[
    VerbInfo {
        verb: Verb::Record(Mode::SelectPrep),
        name: "selectprep",
        args: RECORD_ARGS,
        help: "record selecting HOST to prepare it (@)",
    },
    VerbInfo {
        verb: Verb::Record(Mode::Select),
        name: "select",
        args: RECORD_ARGS,
        help: "record selecting HOST to use it (+)",
    },
    VerbInfo {
        verb: Verb::Record(Mode::Final),
        name: "final",
        args: RECORD_ARGS,
        help: "record the final listing",
    },
    VerbInfo {
        verb: Verb::Wiped,
        name: "wiped",
        args: "HOST",
        help: "I reinstalled HOST by hand: forget its rows",
    },
    VerbInfo {
        verb: Verb::Goto,
        name: "goto",
        args: "HOST",
        help: "show HOST",
    },
    VerbInfo {
        verb: Verb::Decode,
        name: "decode",
        args: "FLIGHT JOB | RUNVAR [FLIGHT JOB]",
        help: "decode a job's runvars, or a runvar's text",
    },
    VerbInfo {
        verb: Verb::Refresh,
        name: "refresh",
        args: "",
        help: "reload now",
    },
    VerbInfo {
        verb: Verb::Help,
        name: "help",
        args: "",
        help: "show the keys",
    },
    VerbInfo {
        verb: Verb::Quit,
        name: "quit",
        args: "",
        help: "quit",
    },
];

const RECORD_OPTIONS: [&str; 4] = ["--ident", "--flight", "--job", "--step"];

/// A parsed, valid command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Record {
        mode: Mode,
        host: String,
        ident: String,
        job: Option<JobRef>,
        step: Option<StepRef>,
    },
    Wiped {
        host: String,
    },
    Goto {
        host: String,
    },
    Decode(RunvarSource),
    Refresh,
    Help,
    Quit,
}

/// `c`, unless it names a host the hosts list does not have: flagged
/// before Enter, with the name probably meant, rather than opening an
/// empty view or sending a write that must be refused. (Before the list
/// has loaded nothing is known, and nothing is flagged.)
///
/// A host whose name holds control or invisible characters is shown
/// escaped (`split\nrow`), and may be typed as it is shown: the name is
/// then the real one, checked again as the command checks names.
fn known_host(mut c: Command, hosts: &[String]) -> Result<Command, String> {
    let check = match &c {
        Command::Record { .. } => check_new_host_name,
        Command::Wiped { .. } => check_host_name,
        Command::Goto { .. } => check_lookup_name,
        _ => return Ok(c),
    };
    let (Command::Record { host, .. } | Command::Wiped { host } | Command::Goto { host }) = &mut c
    else {
        return Ok(c);
    };
    if hosts.is_empty() || hosts.iter().any(|h| h == host) {
        return Ok(c);
    }
    if let Some(real) = hosts.iter().find(|h| escape(h) == host.as_str()) {
        check(real).map_err(|e| e.to_string())?;
        real.clone_into(host);
        return Ok(c);
    }
    let did_you_mean = lifecycle::suggest(host, hosts.iter().map(String::as_str));
    Err(Refusal::NoSuchHost {
        host: host.clone(),
        did_you_mean: did_you_mean.map(str::to_owned),
    }
    .to_string())
}

impl Command {
    /// The job the command names, if any: a decode's, or a record's
    /// `--flight F --job J`.
    pub fn job(&self) -> Option<(i32, &str)> {
        match self {
            Command::Decode(RunvarSource::Job { flight, job }) => Some((*flight, job)),
            Command::Decode(RunvarSource::Text { flight, job, .. }) if !job.is_empty() => {
                Some((*flight, job))
            }
            Command::Record { job: Some(j), .. } => Some((j.flight, &j.job)),
            _ => None,
        }
    }

    pub fn is_write(&self) -> bool {
        matches!(self, Command::Record { .. } | Command::Wiped { .. })
    }
}

fn verb_info(name: &str) -> Option<&'static VerbInfo> {
    // `q`, as in vi and less, which operators type without thinking.
    let name = if name == "q" { "quit" } else { name };
    VERBS.iter().find(|v| v.name == name)
}

/// The one host a command names, checked by `check` as typed (an escaped
/// name is checked again once [`known_host`] has found the real one).
fn one_host(
    name: &str,
    args: &[&str],
    check: fn(&str) -> Result<(), Refusal>,
) -> Result<String, String> {
    match args {
        [host] => {
            check(host).map_err(|e| e.to_string())?;
            Ok((*host).to_owned())
        }
        [] => Err(format!("{name}: which host?")),
        _ => Err(format!("{name}: only one host, got {}", args.len())),
    }
}

fn number(what: &str, s: &str) -> Result<i32, String> {
    s.parse()
        .map_err(|_| format!("{what} must be a number, not `{s}`"))
}

fn parse_record(mode: Mode, args: &[&str]) -> Result<Command, String> {
    let name = mode.name();
    let Some((host, mut rest)) = args.split_first() else {
        return Err(format!("{name}: which host?"));
    };
    check_new_host_name(host).map_err(|e| e.to_string())?;
    let (mut ident, mut flight, mut job, mut step) = (None, None, None, None);
    while let Some((opt, tail)) = rest.split_first() {
        let Some((value, tail)) = tail.split_first() else {
            return Err(format!("{opt} needs a value"));
        };
        match *opt {
            "--ident" => ident = Some((*value).to_owned()),
            "--flight" => flight = Some(number("--flight", value)?),
            "--job" => job = Some((*value).to_owned()),
            "--step" => {
                step = Some(match value.parse() {
                    Ok(n) => StepRef::Number(n),
                    Err(_) => StepRef::Testid((*value).to_owned()),
                });
            }
            other => {
                return Err(format!(
                    "unknown option `{other}` (expected {})",
                    RECORD_OPTIONS.join(", ")
                ));
            }
        }
        rest = tail;
    }
    let ident = ident.unwrap_or_else(|| DEFAULT_IDENT.to_owned());
    if !is_valid_name(&ident) {
        return Err(format!("ident `{ident}`: use letters, digits, -, _ and ."));
    }
    let job = match (flight, job) {
        (Some(flight), Some(job)) if is_valid_name(&job) => Some(JobRef { flight, job }),
        (Some(_), Some(job)) => {
            return Err(format!("job `{job}`: use letters, digits, -, _ and ."));
        }
        (None, None) => None,
        _ => return Err("--flight and --job go together".to_owned()),
    };
    if step.is_some() && job.is_none() {
        return Err("--step needs --flight and --job".to_owned());
    }
    Ok(Command::Record {
        mode,
        host: (*host).to_owned(),
        ident,
        job,
        step,
    })
}

/// A job name as the palette accepts one: osstest's characters, with at
/// least one letter so that a runvar's bare step `5` is not taken for it.
fn looks_like_job(s: &str) -> bool {
    is_valid_name(s) && s.chars().any(|c| c.is_ascii_alphabetic())
}

fn parse_decode(args: &[&str]) -> Result<Command, String> {
    if let [flight, job] = args
        && let Ok(flight) = flight.parse()
        && looks_like_job(job)
    {
        return Ok(Command::Decode(RunvarSource::Job {
            flight,
            job: (*job).to_owned(),
        }));
    }
    let (text, flight, job) = match args {
        [] => return Err("decode: FLIGHT JOB, or a runvar's text".to_owned()),
        [text @ .., flight, job] if !text.is_empty() && looks_like_job(job) => {
            match flight.parse() {
                Ok(flight) => (text, flight, (*job).to_owned()),
                Err(_) => (args, 0, String::new()),
            }
        }
        _ => (args, 0, String::new()),
    };
    let runvar = text
        .join(" ")
        .trim_matches(|c| c == '"' || c == '\'')
        .to_owned();
    lifecycle::decode(&runvar).map_err(|e| e.to_string())?;
    Ok(Command::Decode(RunvarSource::Text {
        flight,
        job,
        runvar,
    }))
}

/// Parse a palette line.
pub fn parse(input: &str) -> Result<Command, String> {
    let words: Vec<&str> = input.split_whitespace().collect();
    let Some((name, args)) = words.split_first() else {
        return Err("type a command; Tab completes".to_owned());
    };
    let info = verb_info(name).ok_or_else(|| format!("unknown command `{name}`"))?;
    let no_args = |cmd| {
        if args.is_empty() {
            Ok(cmd)
        } else {
            Err(format!("{} takes no arguments", info.name))
        }
    };
    match info.verb {
        Verb::Record(mode) => parse_record(mode, args),
        Verb::Wiped => {
            one_host(info.name, args, check_host_name).map(|host| Command::Wiped { host })
        }
        // Any host the database has can be looked at, whatever its name.
        Verb::Goto => {
            one_host(info.name, args, check_lookup_name).map(|host| Command::Goto { host })
        }
        Verb::Decode => parse_decode(args),
        Verb::Refresh => no_args(Command::Refresh),
        Verb::Help => no_args(Command::Help),
        Verb::Quit => no_args(Command::Quit),
    }
}

/// What the word being typed could become. With nothing typed, every
/// command, in the order help lists them; for a host, the selected one
/// first (`selected`, the host the view has selected), then the best
/// matches.
pub fn completions(input: &str, hosts: &[String], selected: Option<&str>) -> Vec<String> {
    const LIMIT: usize = 6;
    let (before, partial) = match input.rfind(' ') {
        Some(i) => (&input[..i], &input[i + 1..]),
        None => ("", input),
    };
    let words: Vec<&str> = before.split_whitespace().collect();
    let Some(verb) = words.first() else {
        if partial.is_empty() {
            return VERBS.iter().map(|v| v.name.to_owned()).collect();
        }
        return fuzzy::rank(partial, VERBS.iter().map(|v| v.name), VERBS.len());
    };
    let Some(info) = verb_info(verb) else {
        return Vec::new();
    };
    let takes_host = matches!(info.verb, Verb::Record(_) | Verb::Wiped | Verb::Goto);
    if words.len() == 1 && takes_host {
        // As the hosts list shows them, so that a completed name can be
        // typed on (and is found again by `known_host`).
        let shown: Vec<_> = hosts.iter().map(|h| escape(h)).collect();
        let mut ranked = fuzzy::rank(partial, shown.iter().map(AsRef::as_ref), LIMIT);
        if let Some(selected) = selected.map(escape)
            && fuzzy::rank(partial, [selected.as_ref()], 1).len() == 1
        {
            ranked.retain(|h| *h != selected);
            ranked.insert(0, selected.into_owned());
            ranked.truncate(LIMIT);
        }
        ranked
    } else if matches!(info.verb, Verb::Record(_)) && partial.starts_with('-') {
        fuzzy::rank(partial.trim_start_matches('-'), RECORD_OPTIONS, LIMIT)
    } else {
        Vec::new()
    }
}

/// Tab pressed again: the next candidate replaces the one put in.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cycle {
    /// The input before the word being completed.
    stem: String,
    options: Vec<String>,
    at: usize,
}

impl Cycle {
    fn line(&self) -> String {
        format!("{}{} ", self.stem, self.options[self.at])
    }
}

/// What a key did to the palette.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaletteOutcome {
    Used,
    Close,
    /// Run this command; the line is for the history.
    Run(Command, String),
}

/// What the database said of a job the palette's line names. The
/// palette cannot know every flight and job, so the app asks the worker as
/// the line is typed, and the answer flags the line before Enter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobCheck {
    /// Asked; until the answer comes the line is not flagged.
    Checking,
    Exists,
    /// The refusal's text ("no job build-amd64 in flight 5").
    Unknown(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Palette {
    pub input: String,
    /// The input parsed and checked, or what is wrong with it.
    pub parsed: Result<Command, String>,
    pub completions: Vec<String>,
    /// Why writes are refused, when they are (`--read-only`, or a role
    /// that may not write).
    pub read_only: Option<String>,
    /// Position while walking the history with ↑/↓; `None` when editing.
    history_pos: Option<usize>,
    draft: String,
    /// The jobs named so far, and what the database said of them.
    jobs: HashMap<(i32, String), JobCheck>,
    /// The host the view had selected when the palette opened: the first
    /// candidate for a host.
    selected: Option<String>,
    /// Completing with Tab, pressed again to go on to the next candidate.
    cycle: Option<Cycle>,
}

impl Palette {
    pub fn new(read_only: Option<String>, hosts: &[String], selected: Option<String>) -> Self {
        let mut p = Palette {
            input: String::new(),
            parsed: Err(String::new()),
            completions: Vec::new(),
            read_only,
            history_pos: None,
            draft: String::new(),
            jobs: HashMap::new(),
            selected,
            cycle: None,
        };
        p.changed(hosts);
        p
    }

    /// The job the line names that the database has not been asked
    /// about yet; the caller asks, and marks it [`Palette::checking`].
    pub fn job_to_check(&self) -> Option<(i32, String)> {
        let (flight, job) = self.parsed.as_ref().ok()?.job()?;
        let key = (flight, job.to_owned());
        (!self.jobs.contains_key(&key)).then_some(key)
    }

    /// `job` has been asked about. Only the newest question is answered
    /// (the worker keeps the newest of a kind), so older ones are
    /// forgotten, to be asked again if the line comes back to them.
    pub fn checking(&mut self, job: (i32, String)) {
        self.jobs.retain(|_, c| *c != JobCheck::Checking);
        self.jobs.insert(job, JobCheck::Checking);
    }

    /// The database's answer about `job`; `None` when it could not say
    /// (not connected), which leaves the line unflagged.
    pub fn checked(&mut self, job: (i32, String), check: Option<JobCheck>, hosts: &[String]) {
        match check {
            Some(c) => self.jobs.insert(job, c),
            None => self.jobs.remove(&job),
        };
        self.changed(hosts);
    }

    fn known_job(&self, c: Command) -> Result<Command, String> {
        let unknown =
            c.job().and_then(
                |(flight, job)| match self.jobs.get(&(flight, job.to_owned())) {
                    Some(JobCheck::Unknown(why)) => Some(why.clone()),
                    _ => None,
                },
            );
        match unknown {
            Some(why) => Err(why),
            None => Ok(c),
        }
    }

    fn changed(&mut self, hosts: &[String]) {
        self.parsed = parse(&self.input)
            .and_then(|c| known_host(c, hosts))
            .and_then(|c| self.known_job(c))
            .and_then(|c| match &self.read_only {
                Some(why) if c.is_write() => Err(format!("read-only: {why}")),
                _ => Ok(c),
            });
        self.completions = completions(&self.input, hosts, self.selected.as_deref());
    }

    pub fn set_input(&mut self, input: String, hosts: &[String]) {
        self.input = input;
        self.changed(hosts);
    }

    /// The candidates to show, and which is the one put in (while Tab
    /// cycles through them; else the first, which Tab would put in).
    pub fn candidates(&self) -> (&[String], usize) {
        match &self.cycle {
            Some(c) => (&c.options, c.at),
            None => (&self.completions, 0),
        }
    }

    pub fn key(&mut self, key: &KeyEvent, history: &[String], hosts: &[String]) -> PaletteOutcome {
        // Any key but Tab ends a cycle through the candidates.
        let cycle = self.cycle.take();
        match keymap::lookup(Scope::Palette, key) {
            Some(Action::Cancel) => return PaletteOutcome::Close,
            Some(Action::Submit) => {
                if let Ok(cmd) = &self.parsed {
                    return PaletteOutcome::Run(cmd.clone(), self.input.trim().to_owned());
                }
            }
            Some(Action::Complete) => {
                let next = match cycle {
                    Some(mut c) if c.line() == self.input && c.options.len() > 1 => {
                        c.at = (c.at + 1) % c.options.len();
                        Some(c)
                    }
                    _ if self.completions.is_empty() => None,
                    _ => {
                        let keep = self.input.rfind(' ').map_or(0, |i| i + 1);
                        Some(Cycle {
                            stem: self.input[..keep].to_owned(),
                            options: self.completions.clone(),
                            at: 0,
                        })
                    }
                };
                if let Some(c) = next {
                    self.set_input(c.line(), hosts);
                    self.cycle = Some(c);
                }
            }
            Some(Action::HistoryPrev) if !history.is_empty() => {
                let pos = match self.history_pos {
                    None => {
                        self.draft = self.input.clone();
                        history.len() - 1
                    }
                    Some(p) => p.saturating_sub(1),
                };
                self.history_pos = Some(pos);
                self.set_input(history[pos].clone(), hosts);
            }
            Some(Action::HistoryNext) => {
                if let Some(p) = self.history_pos {
                    if p + 1 < history.len() {
                        self.history_pos = Some(p + 1);
                        self.set_input(history[p + 1].clone(), hosts);
                    } else {
                        self.history_pos = None;
                        let draft = std::mem::take(&mut self.draft);
                        self.set_input(draft, hosts);
                    }
                }
            }
            Some(Action::DeleteChar) => {
                let mut input = self.input.clone();
                input.pop();
                self.set_input(input, hosts);
            }
            Some(Action::ClearInput) => self.set_input(String::new(), hosts),
            _ => {
                if let KeyCode::Char(c) = key.code
                    && !key.modifiers.contains(KeyModifiers::CONTROL)
                {
                    let mut input = self.input.clone();
                    input.push(c);
                    self.history_pos = None;
                    self.set_input(input, hosts);
                }
            }
        }
        PaletteOutcome::Used
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_options() {
        assert_eq!(
            parse("final h1 --ident src_host --flight 5 --job build --step 3"),
            Ok(Command::Record {
                mode: Mode::Final,
                host: "h1".into(),
                ident: "src_host".into(),
                job: Some(JobRef {
                    flight: 5,
                    job: "build".into()
                }),
                step: Some(StepRef::Number(3)),
            })
        );
        assert!(parse("select h1 --flight 5").is_err());
        assert!(parse("select h1 --step 5").is_err());
        assert!(parse("select h1 --flight x --job j").is_err());
        assert!(parse("select").is_err());
    }

    #[test]
    fn decode_forms() {
        assert_eq!(
            parse("decode 100 build-a"),
            Ok(Command::Decode(RunvarSource::Job {
                flight: 100,
                job: "build-a".into()
            }))
        );
        assert_eq!(
            parse("decode @build-a:2 5 [1] +@build-c:3 @ 100 build-d"),
            Ok(Command::Decode(RunvarSource::Text {
                flight: 100,
                job: "build-d".into(),
                runvar: "@build-a:2 5 [1] +@build-c:3 @".into()
            }))
        );
        assert_eq!(
            parse("decode '100.x:1 2'"),
            Ok(Command::Decode(RunvarSource::Text {
                flight: 0,
                job: String::new(),
                runvar: "100.x:1 2".into()
            }))
        );
        assert_eq!(parse("q"), Ok(Command::Quit));
        let err = parse("decode @+x:2").unwrap_err();
        assert!(err.contains("byte 0"), "{err}");
    }

    #[test]
    fn completes_commands_hosts_and_options() {
        let hosts = vec!["fiano0".to_owned(), "italia0".to_owned()];
        assert_eq!(completions("wi", &hosts, None), ["wiped"]);
        assert_eq!(completions("wiped fi", &hosts, None), ["fiano0"]);
        assert_eq!(completions("final h --fl", &hosts, None), ["--flight"]);
        assert!(completions("refresh ", &hosts, None).is_empty());
        // Nothing typed: every command.
        assert_eq!(completions("", &hosts, None).len(), VERBS.len());
        // The selected host first, when it matches what is typed.
        assert_eq!(
            completions("wiped ", &hosts, Some("italia0")),
            ["italia0", "fiano0"]
        );
        assert_eq!(completions("wiped fi", &hosts, Some("italia0")), ["fiano0"]);
    }

    /// A host already in the database under a name with control or
    /// invisible characters is typed as the hosts list shows it: `goto`
    /// finds it, `wiped` finds it and refuses only what a wipe refuses,
    /// and a record into it is refused (a new row must not add to it).
    #[test]
    fn a_hostile_name_is_typed_as_shown() {
        let hosts = vec![
            "split\nrow".to_owned(),
            "host\u{200b}1".to_owned(),
            "fiano0".to_owned(),
        ];
        let goto = |line: &str| parse(line).and_then(|c| known_host(c, &hosts));
        assert_eq!(
            goto("goto split\\nrow"),
            Ok(Command::Goto {
                host: "split\nrow".into()
            })
        );
        assert_eq!(
            goto("goto host\\u{200b}1"),
            Ok(Command::Goto {
                host: "host\u{200b}1".into()
            })
        );
        assert_eq!(
            goto("wiped host\\u{200b}1"),
            Ok(Command::Wiped {
                host: "host\u{200b}1".into()
            })
        );
        let e = goto("wiped split\\nrow").unwrap_err();
        assert!(e.contains("host name"), "{e}");
        let e = goto("select host\\u{200b}1").unwrap_err();
        assert!(e.contains("zero-width character"), "{e}");
        // A name that is no host's, escaped or not, is still unknown.
        let e = goto("goto split\\trow").unwrap_err();
        assert!(e.contains("no host"), "{e}");
        // Completion offers the name as shown, which then parses.
        assert_eq!(completions("goto spl", &hosts, None), ["split\\nrow"]);
    }
}
