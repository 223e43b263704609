//! Summary statistics of timed runs: median, nearest-rank p95 (the maximum below 20 runs, where a
//! 95th percentile means nothing), mean, spread.

use crate::report::model::{PlanCache, Protocol, Timing};

impl Timing {
    /// Summarises the timed runs (milliseconds, in run order). `samples` must not be empty.
    pub fn from_samples(samples: Vec<f64>, warmup: u32, rows: u64) -> Timing {
        let mut sorted = samples.clone();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let mean = sorted.iter().sum::<f64>() / n as f64;
        let variance = if n > 1 {
            sorted.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (n - 1) as f64
        } else {
            0.0
        };
        Timing {
            runs: n as u32,
            warmup,
            median_ms: median(&sorted),
            p95_ms: if n < 20 {
                sorted[n - 1]
            } else {
                sorted[(0.95 * n as f64).ceil() as usize - 1]
            },
            mean_ms: mean,
            min_ms: sorted[0],
            max_ms: sorted[n - 1],
            stddev_ms: variance.sqrt(),
            rows,
            samples_ms: samples,
            reference_ms: Vec::new(),
            protocol: Protocol::Simple,
            plan_cache: None,
        }
    }

    /// The reference statement's times, one after each timed run.
    pub fn with_reference(mut self, reference_ms: Vec<f64>) -> Timing {
        self.reference_ms = reference_ms;
        self
    }

    /// Runs of a prepared statement (extended protocol), with its plan cache's counts.
    pub fn prepared(mut self, plan_cache: Option<PlanCache>) -> Timing {
        self.protocol = Protocol::Extended;
        self.plan_cache = plan_cache;
        self
    }
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_and_even_medians() {
        assert_eq!(
            Timing::from_samples(vec![3.0, 1.0, 2.0], 1, 0).median_ms,
            2.0
        );
        assert_eq!(
            Timing::from_samples(vec![4.0, 1.0, 2.0, 3.0], 1, 0).median_ms,
            2.5
        );
    }

    #[test]
    fn p95_is_the_max_below_twenty_runs_and_nearest_rank_above() {
        let t = Timing::from_samples(vec![1.0, 9.0, 2.0], 0, 5);
        assert_eq!(
            (t.p95_ms, t.min_ms, t.max_ms, t.rows, t.runs),
            (9.0, 1.0, 9.0, 5, 3)
        );
        let samples: Vec<f64> = (1..=40).map(f64::from).collect();
        assert_eq!(Timing::from_samples(samples, 0, 0).p95_ms, 38.0);
    }

    #[test]
    fn mean_and_spread() {
        let t = Timing::from_samples(vec![2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], 0, 0);
        assert_eq!(t.mean_ms, 5.0);
        assert!((t.stddev_ms - 2.138).abs() < 1e-3);
        assert_eq!(t.samples_ms[0], 2.0);
    }
}
