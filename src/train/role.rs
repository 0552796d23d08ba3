//! The networks of an experiment, by role, and one value per role.

use serde::{Deserialize, Serialize};

/// The networks of the experiment: the teacher, the baseline student, the student taught by
/// the method (distilled, FitNets or a cohort's first member), and a deep-mutual-learning
/// cohort's second student.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    Teacher,
    Baseline,
    Distilled,
    Peer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Teacher, Role::Baseline, Role::Distilled, Role::Peer];

    /// Where the role's data sits in per-role arrays (`[T; Role::ALL.len()]`).
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Teacher => "teacher CNN",
            Role::Baseline => "baseline student",
            Role::Distilled => "distilled student",
            Role::Peer => "peer student",
        }
    }

    /// The role's name under `method`: what its network is in that run.
    pub fn label_for(self, method: crate::distill::Method) -> &'static str {
        use crate::distill::Method;
        match (self, method) {
            (Role::Teacher, Method::MutualTeacher) => "CNN (mutual, from scratch)",
            (Role::Distilled, Method::FitNets) => "FitNets student",
            (Role::Distilled, Method::MutualStudents | Method::MutualTeacher) => "mutual student",
            _ => self.label(),
        }
    }

    /// Whether a run by `method` has this network.
    pub fn in_method(self, method: crate::distill::Method) -> bool {
        use crate::distill::Method;
        match self {
            Role::Teacher => method != Method::MutualStudents,
            Role::Peer => method == Method::MutualStudents,
            Role::Baseline | Role::Distilled => true,
        }
    }

    /// Whether `method` taught this network (the rest learn from labels alone): its student,
    /// a DML peer, and the CNN of a student + CNN cohort.
    pub fn taught_by(self, method: crate::distill::Method) -> bool {
        use crate::distill::Method;
        match self {
            Role::Distilled => true,
            Role::Peer => method.is_mutual(),
            Role::Teacher => method == Method::MutualTeacher,
            Role::Baseline => false,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Role::Teacher => "teacher",
            Role::Baseline => "baseline",
            Role::Distilled => "distilled",
            Role::Peer => "peer",
        }
    }
}

/// One value per network of the experiment, addressed by [`Role`] (none to begin with).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerRole<T>([Option<T>; 4]);

impl<T> Default for PerRole<T> {
    fn default() -> Self {
        PerRole(std::array::from_fn(|_| None))
    }
}

impl<T> PerRole<T> {
    pub fn get(&self, role: Role) -> Option<&T> {
        self.0[role.index()].as_ref()
    }

    pub fn set(&mut self, role: Role, value: T) {
        self.0[role.index()] = Some(value);
    }

    /// The roles that have a value, in [`Role::ALL`]'s order.
    pub fn iter(&self) -> impl Iterator<Item = (Role, &T)> {
        Role::ALL
            .into_iter()
            .filter_map(|r| Some((r, self.get(r)?)))
    }
}
