//! The hot paths measured by instruction count (Valgrind's callgrind, through gungraun) and by
//! allocation count in every test run, and compared with `bench/icount/baseline.json`.
//!
//! Each [`Case`] prepares its input once (fixtures decoded, a 10 k-object registry or config
//! snapshot built) and then runs one operation [`Case::ops`] times, so the count per
//! operation hides the benchmark's fixed cost. Nothing in a measured operation reads a clock,
//! spawns a task or depends on a random seed that varies between runs, so the counts repeat
//! exactly (`bench/ICOUNT.md`).
//!
//! `benches/icount.rs` runs every case under callgrind; `icount-allocs` runs them natively
//! under a counting allocator; `icount-check` compares both with the baseline.

use std::fmt;

mod codec;
pub mod fixtures;
mod services;
mod trace;

/// How far a count may move from the baseline before the check fails, in either direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Pure CPU code: ±2 % instructions.
    Cpu,
    /// Code that hashes (seeded tables) or runs on tokio: ±5 % instructions.
    Hashing,
}

impl Limit {
    /// The allowed relative move of the instruction count, in percent.
    pub fn percent(self) -> f64 {
        match self {
            Self::Cpu => 2.0,
            Self::Hashing => 5.0,
        }
    }

    /// The name stored in the baseline.
    pub fn name(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Hashing => "hashing",
        }
    }
}

/// One prepared operation, run again and again.
pub type Op = Box<dyn FnMut()>;

/// A measured hot path.
#[derive(Clone, Copy)]
pub struct Case {
    /// The benchmark id (`group_what_input`); also gungraun's id in `benches/icount.rs`.
    pub name: &'static str,
    /// What one operation is.
    pub what: &'static str,
    /// Operations per measurement.
    pub ops: u64,
    /// The allowed move of its instruction count.
    pub limit: Limit,
    /// Builds the input and returns the operation (not measured).
    pub prepare: fn() -> Op,
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Case")
            .field("name", &self.name)
            .field("ops", &self.ops)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

/// A prepared case: the operation and how often to run it.
pub struct Prepared {
    op: Op,
    ops: u64,
}

impl fmt::Debug for Prepared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prepared")
            .field("ops", &self.ops)
            .finish_non_exhaustive()
    }
}

impl Prepared {
    /// Runs the operation [`Case::ops`] times.
    pub fn run(&mut self) {
        for _ in 0..self.ops {
            (self.op)();
        }
    }

    /// Runs the operation once.
    pub fn run_once(&mut self) {
        (self.op)();
    }
}

impl Case {
    /// Prepares the input and runs the operation once, so that one-time work (a lazily built
    /// table, a buffer's first growth, the first insertion of a key) is not counted.
    pub fn prepare(&self) -> Prepared {
        let mut op = (self.prepare)();
        op();
        Prepared { op, ops: self.ops }
    }
}

/// Every case, in the order of the table.
pub fn cases() -> Vec<Case> {
    let mut all = codec::cases();
    all.extend(services::cases());
    all.extend(trace::cases());
    all
}

/// The case named `name`.
///
/// # Panics
/// No case has that name (a benchmark id without a case: a bug in `benches/icount.rs`).
pub fn case(name: &str) -> Case {
    match cases().into_iter().find(|c| c.name == name) {
        Some(case) => case,
        None => panic!("no icount case named {name:?}"),
    }
}

/// Prepares the case named `name` and leaks it, so that dropping a 10 k-object snapshot is
/// never counted in the measured function.
pub fn prepared(name: &str) -> &'static mut Prepared {
    Box::leak(Box::new(case(name).prepare()))
}
