//! The counts a solve reports, shared by the solvers and their driver.

/// Counts of one solve.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Evaluations of `f` (including the initial step selection's).
    pub nfe: usize,
    /// Accepted steps (every step of a fixed-step method).
    pub n_accepted: usize,
    /// Rejected steps of an adaptive method.
    pub n_rejected: usize,
}
