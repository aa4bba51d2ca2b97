//! Operators borrowing test hosts to their static tasks.

use rand::RngExt;

use super::state::{Ev, HostKind, Sim, User};
use super::{Actor, HOUR, Holder, Ident, MINUTE, Op};
use crate::lifecycle::Mode;
use crate::sim::catalog;

impl Sim<'_> {
    /// An operator takes a free test host to their static task and uses it
    /// by hand.
    pub(super) fn operator_start(&mut self) {
        let free: Vec<usize> = (0..self.hosts.len())
            .filter(|&h| matches!(self.hosts[h].kind, HostKind::Test { user: None, .. }))
            .collect();
        if free.is_empty() {
            let t = self.now + 30 * MINUTE;
            self.at(t, Ev::OperatorStart);
            return;
        }
        let h = free[self.rng.random_range(0..free.len())];
        let operator = self.rng.random_range(0..catalog::OPERATORS.len()) as u8;
        let reinstall = self.rng.random_bool(0.5);
        if let HostKind::Test { user, .. } = &mut self.hosts[h].kind {
            *user = Some(User::Operator);
        }
        let global = self.hosts[h].global;
        self.stats.operator_sessions += 1;
        self.stats.record_calls += 1;
        self.ops.push(Op::Hold {
            host: global,
            shareix: 0,
            holder: Holder::Operator(operator),
        });
        self.ops.push(Op::Record {
            mode: Mode::Select,
            host: global,
            ident: Ident::Host,
            at: None,
            actor: Actor::Operator(operator),
        });
        // A look round is quick; a reinstall takes a while.
        let length = if reinstall {
            (HOUR, 4 * HOUR)
        } else {
            (10 * MINUTE, HOUR)
        };
        let t = self.now + self.between(length);
        self.at(
            t,
            Ev::OperatorEnd {
                host: h as u32,
                operator,
                reinstall,
            },
        );
    }

    /// The operator is done: perhaps reinstalls and wipes, then gives the
    /// host back.
    pub(super) fn operator_end(&mut self, h: usize, operator: u8, reinstall: bool) {
        let global = self.hosts[h].global;
        if reinstall {
            self.stats.wipe_calls += 1;
            self.ops.push(Op::Wipe {
                host: global,
                job: None,
                actor: Actor::Operator(operator),
            });
        }
        let host = &mut self.hosts[h];
        host.last_used = self.now;
        if let HostKind::Test { user, prepared_for } = &mut host.kind {
            *user = None;
            if reinstall {
                *prepared_for = None;
            }
        }
        let arch = host.arch;
        self.ops.push(Op::Hold {
            host: global,
            shareix: 0,
            holder: Holder::Idle,
        });
        self.dispatch_tests(arch);
        let t = self.now + self.between((2 * HOUR, 16 * HOUR));
        self.at(t, Ev::OperatorStart);
    }
}
