//! Which rows a `wiped` call removes, and whether it may: the checks of
//! spec section 6 in osstest's order, over what `db` read for the call.
//! No I/O.

use super::call::{WipeCall, blessing_allows, check_found, check_host_name, check_live};
use super::{Refusal, Task, TaskLabel};

/// Who holds a host, as the holder check needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    /// The task on the host's own `resources` row (share index 0); `None`
    /// when the host has no such row.
    pub holder: Option<TaskLabel>,
    /// The task on each of the host's `share-host` rows, by share index.
    pub shares: Vec<TaskLabel>,
}

/// Check that the caller alone holds the host: its own `resources` row,
/// or for a shared host one of the shares, with no other share held by a
/// live task other than the magic `preparing` task.
pub fn check_holder(host: &str, me: &Task, holding: &Holding) -> Result<(), Refusal> {
    let Some(holder) = &holding.holder else {
        return Err(Refusal::HostUnknown(host.to_owned()));
    };
    let not_mine = || {
        let (host, holder) = (host.to_owned(), holder.clone());
        if holder.live {
            Refusal::HeldByOther { host, holder }
        } else {
            Refusal::HolderDead { host, holder }
        }
    };
    if holder.taskid == me.taskid {
        // Ours, but a dead task's hold is stale whoever it is.
        return if holder.live { Ok(()) } else { Err(not_mine()) };
    }
    if !(holder.is_magic("shared") && holder.live) {
        return Err(not_mine());
    }
    if !holding.shares.iter().any(|s| s.taskid == me.taskid) {
        return Err(Refusal::NoShare {
            host: host.to_owned(),
            taskid: me.taskid,
        });
    }
    // A share being prepared belongs to no job yet: it does not count.
    let others: Vec<TaskLabel> = holding
        .shares
        .iter()
        .filter(|s| s.taskid != me.taskid && s.live && !s.is_magic("preparing"))
        .cloned()
        .collect();
    if others.is_empty() {
        Ok(())
    } else {
        Err(Refusal::OthersHoldShares {
            host: host.to_owned(),
            others,
        })
    }
}

/// The flight of a call's job must exist and be running. `blessing` is
/// `None` when there is no such flight, `Some(None)` for a flight without
/// a blessing.
pub fn check_running(flight: i32, blessing: Option<Option<String>>) -> Result<(), Refusal> {
    let blessing = blessing.ok_or(Refusal::FlightUnknown(flight))?;
    let blessing = blessing.unwrap_or_default();
    if blessing_allows(&blessing) {
        Ok(())
    } else {
        Err(Refusal::FlightNotRunning { flight, blessing })
    }
}

/// What one call's checks read from the database.
#[derive(Debug)]
pub struct CallState {
    /// The task the call names, if there is one.
    pub task: Option<Task>,
    /// The blessing of the call's flight: `None` when there is no job or
    /// no such flight, `Some(None)` for a flight without a blessing.
    pub blessing: Option<Option<String>>,
    pub holding: Holding,
    /// The host's lifecycle rows, oldest first.
    pub rows: Vec<HostRow>,
}

/// A lifecycle row as a wipe sees it: enough to find the caller's first
/// row and to delete those before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRow {
    /// Where the row is (`ctid`, as text). The wipe deletes by it, so
    /// that its DELETE is a TID scan whatever the planner knows of the
    /// table; rows of a snapshot stay where they are while it is in use.
    pub tid: String,
    pub lcseq: i32,
    pub taskid: i32,
}

/// A call that passed its checks.
#[derive(Debug, PartialEq)]
pub struct Checked {
    pub task: Task,
    pub rows: Vec<HostRow>,
}

impl Checked {
    /// How many of the host's rows come before the caller's first row on
    /// it; `None` when the caller has no row there.
    pub fn before_first_own(&self) -> Option<usize> {
        self.rows.iter().position(|r| r.taskid == self.task.taskid)
    }

    /// How many of the host's rows, oldest first, the wipe deletes: those
    /// before the caller's first row. A caller with no row there deletes
    /// nothing, unless it is about to record one (a manual wipe), which
    /// comes after all of them: then they all go.
    pub fn doomed(&self, recording: bool) -> usize {
        match self.before_first_own() {
            Some(n) => n,
            None if recording => self.rows.len(),
            None => 0,
        }
    }

    /// Where the first `n` rows are, for `db`'s delete.
    pub fn tids(&self, n: usize) -> impl Iterator<Item = &str> {
        self.rows[..n].iter().map(|r| r.tid.as_str())
    }
}

/// A call's checks, in osstest's order (so that a call with several
/// faults is refused for the same one each time): host name, task,
/// flight, host known, task live, holder. The caller's task if they pass.
pub fn check_call(call: &WipeCall, state: CallState) -> Result<Checked, Refusal> {
    check_host_name(&call.host)?;
    let me = check_found(&call.task, state.task)?;
    if let Some(job) = &call.job {
        check_running(job.flight, state.blessing)?;
    }
    if state.holding.holder.is_none() {
        return Err(Refusal::HostUnknown(call.host.clone()));
    }
    check_live(&me)?;
    check_holder(&call.host, &me, &state.holding)?;
    Ok(Checked {
        task: me,
        rows: state.rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::call::{JobRef, TaskRef};

    fn label(taskid: i32, kind: &str, refkey: &str, live: bool) -> TaskLabel {
        TaskLabel {
            taskid,
            kind: Some(kind.into()),
            refkey: Some(refkey.into()),
            username: None,
            live,
        }
    }

    fn deleted(taskid: i32) -> TaskLabel {
        TaskLabel {
            taskid,
            kind: None,
            refkey: None,
            username: None,
            live: false,
        }
    }

    fn me() -> Task {
        Task {
            taskid: 7,
            kind: "ownd".into(),
            refkey: "r7".into(),
            username: None,
            comment: None,
            live: true,
        }
    }

    fn shared() -> TaskLabel {
        label(2, "magic", "shared", true)
    }

    fn preparing() -> TaskLabel {
        label(3, "magic", "preparing", true)
    }

    fn holding(holder: TaskLabel, shares: Vec<TaskLabel>) -> Holding {
        Holding {
            holder: Some(holder),
            shares,
        }
    }

    fn check(h: &Holding) -> Result<(), Refusal> {
        check_holder("h1", &me(), h)
    }

    #[test]
    fn the_caller_holding_the_host_may_wipe_it() {
        assert_eq!(
            check(&holding(label(7, "ownd", "r7", true), vec![])),
            Ok(())
        );
    }

    #[test]
    fn an_unknown_host_is_refused() {
        let h = Holding {
            holder: None,
            shares: vec![],
        };
        assert_eq!(check(&h), Err(Refusal::HostUnknown("h1".into())));
    }

    #[test]
    fn a_host_held_by_another_task_names_it_and_whether_it_is_live() {
        let other = label(8, "ownd", "r8", true);
        assert_eq!(
            check(&holding(other.clone(), vec![])),
            Err(Refusal::HeldByOther {
                host: "h1".into(),
                holder: other,
            })
        );
        for holder in [label(8, "ownd", "r8", false), deleted(8)] {
            assert_eq!(
                check(&holding(holder.clone(), vec![])),
                Err(Refusal::HolderDead {
                    host: "h1".into(),
                    holder,
                })
            );
        }
    }

    #[test]
    fn the_callers_own_hold_counts_only_while_live() {
        let stale = label(7, "ownd", "r7", false);
        assert_eq!(
            check(&holding(stale.clone(), vec![])),
            Err(Refusal::HolderDead {
                host: "h1".into(),
                holder: stale,
            })
        );
    }

    #[test]
    fn a_shared_host_needs_the_magic_shared_task_live() {
        let dead_shared = label(2, "magic", "shared", false);
        assert_eq!(
            check(&holding(
                dead_shared.clone(),
                vec![label(7, "ownd", "r7", true)]
            )),
            Err(Refusal::HolderDead {
                host: "h1".into(),
                holder: dead_shared,
            })
        );
    }

    #[test]
    fn a_shared_host_needs_a_share_of_the_caller() {
        let h = holding(shared(), vec![preparing(), label(9, "ownd", "r9", false)]);
        assert_eq!(
            check(&h),
            Err(Refusal::NoShare {
                host: "h1".into(),
                taskid: 7,
            })
        );
    }

    #[test]
    fn shares_being_prepared_or_of_dead_tasks_do_not_count() {
        let h = holding(
            shared(),
            vec![
                preparing(),
                label(7, "ownd", "r7", true),
                label(9, "ownd", "r9", false),
                deleted(10),
            ],
        );
        assert_eq!(check(&h), Ok(()));
    }

    #[test]
    fn live_shares_of_others_are_all_named_in_share_order() {
        let (a, b) = (
            label(12, "ownd", "r12", true),
            label(11, "static", "ian@lab", true),
        );
        let h = holding(
            shared(),
            vec![
                a.clone(),
                preparing(),
                label(7, "ownd", "r7", true),
                b.clone(),
            ],
        );
        assert_eq!(
            check(&h),
            Err(Refusal::OthersHoldShares {
                host: "h1".into(),
                others: vec![a, b],
            })
        );
    }

    fn call(host: &str) -> WipeCall {
        WipeCall {
            host: host.into(),
            task: TaskRef::Id { taskid: 7 },
            job: Some(JobRef {
                flight: 5,
                job: "build-a".into(),
            }),
        }
    }

    #[allow(
        clippy::option_option,
        reason = "as `CallState::blessing`: no flight, a flight without a blessing, or its blessing"
    )]
    fn state(
        task: Option<Task>,
        blessing: Option<Option<&str>>,
        holder: Option<TaskLabel>,
    ) -> CallState {
        CallState {
            task,
            blessing: blessing.map(|b| b.map(str::to_owned)),
            holding: Holding {
                holder,
                shares: vec![],
            },
            rows: vec![],
        }
    }

    #[test]
    fn a_call_is_refused_for_its_first_fault_in_osstests_order() {
        let dead = Task {
            live: false,
            ..me()
        };
        let other = Some(label(8, "ownd", "r8", true));
        let cases = [
            (call("a b"), state(None, None, None), "invalid host name"),
            (call("h1"), state(None, None, None), "task 7 does not exist"),
            (
                call("h1"),
                state(Some(dead.clone()), None, None),
                "flight 5 does not exist",
            ),
            (
                call("h1"),
                state(Some(dead.clone()), Some(Some("real")), None),
                "blessing \"real\"",
            ),
            (
                call("h1"),
                state(Some(dead.clone()), Some(None), None),
                "blessing \"\"",
            ),
            (
                call("h1"),
                state(Some(dead.clone()), Some(Some("running")), None),
                "not a known host",
            ),
            (
                call("h1"),
                state(Some(dead), Some(Some("play")), other.clone()),
                "task 7 (ownd r7, not live) has ended",
            ),
            (
                call("h1"),
                state(Some(me()), Some(Some("running")), other),
                "held by task 8",
            ),
        ];
        for (call, state, want) in cases {
            let got = check_call(&call, state).unwrap_err().to_string();
            assert!(got.contains(want), "want {want:?}, got {got:?}");
        }
    }

    #[test]
    fn a_call_without_a_job_does_not_look_at_flights() {
        let call = WipeCall {
            job: None,
            ..call("h1")
        };
        let mine = Some(label(7, "ownd", "r7", true));
        assert_eq!(
            check_call(&call, state(Some(me()), None, mine)).map(|c| c.task),
            Ok(me())
        );
    }

    #[test]
    fn the_rows_to_delete_are_those_before_the_callers_first() {
        let rows = |taskids: &[i32]| -> Vec<HostRow> {
            (0..)
                .zip(taskids)
                .map(|(i, &taskid)| HostRow {
                    tid: format!("(0,{})", i + 1),
                    lcseq: 10 + i,
                    taskid,
                })
                .collect()
        };
        let checked = |taskids: &[i32]| Checked {
            task: me(),
            rows: rows(taskids),
        };
        assert_eq!(checked(&[3, 4, 7, 3, 7]).before_first_own(), Some(2));
        assert_eq!(checked(&[7, 3]).before_first_own(), Some(0));
        assert_eq!(checked(&[3, 4]).before_first_own(), None);
        assert_eq!(checked(&[]).before_first_own(), None);
        // A wipe deletes only before the caller's own row; a manual wipe,
        // which records one at the end when there is none, deletes all.
        for (taskids, wipe, manual) in [
            (&[3, 4, 7, 3][..], 2, 2),
            (&[3, 4][..], 0, 2),
            (&[][..], 0, 0),
        ] {
            let c = checked(taskids);
            assert_eq!((c.doomed(false), c.doomed(true)), (wipe, manual));
            assert_eq!(c.tids(wipe).count(), wipe);
        }
    }
}
