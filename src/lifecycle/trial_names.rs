//! The job names before each trial, numbered once. Ranking counts them
//! in pass after pass over every trial (the flags explain away one name
//! at a time, then the hosts are judged, then the names again): with the
//! names numbered each pass adds into an array, where hashing every
//! name's text each pass cost most of the ranking's time at `large`.

use rustc_hash::FxHashMap;

use super::Relation;

/// A job name's place before one trial: the closest way its runs touched
/// the host, and the run that did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Before {
    pub name: u32,
    pub relation: Relation,
    /// The flight of the run with that relation (the first, if several).
    pub flight: i32,
}

/// Each trial's distinct predecessor names, by number.
pub(super) struct TrialNames<'a> {
    names: Vec<&'a str>,
    /// Trial `i`'s names are `before[starts[i]..starts[i + 1]]`, in the
    /// order of their first run among its predecessors.
    starts: Vec<usize>,
    before: Vec<Before>,
}

impl<'a> TrialNames<'a> {
    /// From each trial's predecessors, as (job name, relation, flight).
    pub(super) fn of<T, P>(trials: T) -> Self
    where
        T: IntoIterator<Item = P>,
        P: IntoIterator<Item = (&'a str, Relation, i32)>,
    {
        let mut numbers: FxHashMap<&str, u32> = FxHashMap::default();
        let mut names = Vec::new();
        let mut starts = Vec::new();
        let mut before: Vec<Before> = Vec::new();
        for predecessors in trials {
            let start = before.len();
            starts.push(start);
            for (job, relation, flight) in predecessors {
                let name = *numbers.entry(job).or_insert_with(|| {
                    names.push(job);
                    u32::try_from(names.len() - 1).unwrap_or(u32::MAX)
                });
                // A trial has a handful of predecessors: a scan beats a map.
                match before[start..].iter_mut().find(|b| b.name == name) {
                    Some(b) if closeness(relation) > closeness(b.relation) => {
                        b.relation = relation;
                        b.flight = flight;
                    }
                    Some(_) => {}
                    None => before.push(Before {
                        name,
                        relation,
                        flight,
                    }),
                }
            }
        }
        starts.push(before.len());
        TrialNames {
            names,
            starts,
            before,
        }
    }

    /// The names before trial `i`, each once.
    pub(super) fn of_trial(&self, i: usize) -> &[Before] {
        &self.before[self.starts[i]..self.starts[i + 1]]
    }

    /// How many names there are: numbers run from 0 to this.
    pub(super) fn len(&self) -> usize {
        self.names.len()
    }

    pub(super) fn name(&self, number: u32) -> &'a str {
        self.names[number as usize]
    }

    /// Whether any of `numbers` is before trial `i`.
    pub(super) fn any_before(&self, i: usize, numbers: &[u32]) -> bool {
        self.of_trial(i).iter().any(|b| numbers.contains(&b.name))
    }
}

/// The relations, each at its [`closeness`]: an array by relation is
/// indexed by it.
pub(super) const RELATIONS: [Relation; 3] = [Relation::Reuse, Relation::Prep, Relation::Share];

/// Closer relations win when one job name touched a host several ways:
/// sharing it while it was installed, then having prepared it, then
/// having used it earlier.
pub(super) fn closeness(r: Relation) -> u8 {
    match r {
        Relation::Reuse => 0,
        Relation::Prep => 1,
        Relation::Share => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::{RELATIONS, closeness};

    #[test]
    fn each_relation_sits_at_its_closeness() {
        for r in RELATIONS {
            assert_eq!(RELATIONS[usize::from(closeness(r))], r);
        }
    }
}
