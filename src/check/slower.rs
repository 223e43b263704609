//! "Slower": whether a query's time grew, against a saved run, by what a DBA would call slower.
//! Three conditions, all required:
//!
//! 1. **A minimum change.** The median grew by more than the larger of `slower_threshold` (a
//!    percentage of the median then, 40% by default) and `slower_floor_ms` (0.2 ms by default:
//!    a sub-millisecond query moves by a tenth of a millisecond between runs on its own).
//! 2. **Beyond the runs' noise.** Each run's noise is its robust standard deviation σ = 1.4826 ×
//!    the median absolute deviation of its timed runs; the median must have grown by more than
//!    3 × √(σ_then² + σ_now²). One noisy run moves neither the median nor the MAD.
//! 3. **Every timed run now slower than every timed run then.** One fast run breaks it, so a
//!    single outlier cannot fail a build.
//!
//! A change within (1) is not slower, however steady the runs. Past (1), a query is not judged
//! when either side has fewer than [`MIN_RUNS`] timed runs (no spread to judge by), or when (2)
//! or (3) fails: the runs are too noisy to tell. Neither fails the query; a note says which.

use crate::report::model::{NotJudged, RunSettings, Timing};

/// `slower_threshold` when the suite does not set it, in percent of the median then.
pub const DEFAULT_THRESHOLD_PCT: f64 = 40.0;
/// `slower_floor_ms` when the suite does not set it.
pub const DEFAULT_FLOOR_MS: f64 = 0.2;
/// Fewer timed runs than this on either side: no spread to judge by.
pub const MIN_RUNS: usize = 3;

/// The minimum change, from the settings of the run being judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    pub threshold_pct: f64,
    pub floor_ms: f64,
}

impl Rule {
    pub fn of(settings: &RunSettings) -> Rule {
        Rule {
            threshold_pct: settings.slower_threshold_pct,
            floor_ms: settings.slower_floor_ms,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    NotSlower,
    Slower,
    NotJudged(NotJudged),
}

/// The verdict and the figures it was reached by.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub verdict: Verdict,
    /// The change the median had to exceed: max(threshold × median then, floor).
    pub min_change_ms: f64,
    /// 3 × √(σ_then² + σ_now²); none with fewer than [`MIN_RUNS`] timed runs on a side.
    pub noise_ms: Option<f64>,
}

pub fn judge(then: &Timing, now: &Timing, rule: Rule) -> Judgement {
    let min_change_ms = (rule.threshold_pct / 100.0 * then.median_ms).max(rule.floor_ms);
    let enough_runs = then.samples_ms.len() >= MIN_RUNS && now.samples_ms.len() >= MIN_RUNS;
    let noise_ms = enough_runs.then(|| 3.0 * (sigma(then).powi(2) + sigma(now).powi(2)).sqrt());
    let change = now.median_ms - then.median_ms;
    let verdict = match noise_ms {
        _ if change <= min_change_ms => Verdict::NotSlower,
        None => Verdict::NotJudged(NotJudged::TooFewRuns),
        Some(noise) if change > noise && every_run_slower(then, now) => Verdict::Slower,
        Some(_) => Verdict::NotJudged(NotJudged::TooNoisy),
    };
    Judgement {
        verdict,
        min_change_ms,
        noise_ms,
    }
}

fn every_run_slower(then: &Timing, now: &Timing) -> bool {
    now.min_ms > then.max_ms
}

/// Robust standard deviation: 1.4826 × median absolute deviation.
pub fn sigma(timing: &Timing) -> f64 {
    let mut deviations: Vec<f64> = timing
        .samples_ms
        .iter()
        .map(|s| (s - timing.median_ms).abs())
        .collect();
    deviations.sort_by(f64::total_cmp);
    let n = deviations.len();
    if n == 0 {
        return 0.0;
    }
    let mad = if n % 2 == 1 {
        deviations[n / 2]
    } else {
        (deviations[n / 2 - 1] + deviations[n / 2]) / 2.0
    };
    1.4826 * mad
}

/// The note for a query whose slowness was not judged: what grew, and why that is not enough.
pub fn note(judgement: &Judgement, then: &Timing, now: &Timing) -> Option<String> {
    let Verdict::NotJudged(why) = judgement.verdict else {
        return None;
    };
    let grew = format!(
        "the median grew by {} ({:.3} → {:.3} ms), more than the minimum change of {:.3} ms",
        percent(then.median_ms, now.median_ms),
        then.median_ms,
        now.median_ms,
        judgement.min_change_ms
    );
    Some(match (why, judgement.noise_ms) {
        (NotJudged::TooNoisy, Some(noise)) => {
            let change = now.median_ms - then.median_ms;
            let reason = match (change > noise, every_run_slower(then, now)) {
                (true, _) => "some runs now were as fast as runs then".to_string(),
                (false, true) => format!("not beyond the runs' noise of {noise:.3} ms"),
                (false, false) => format!(
                    "not beyond the runs' noise of {noise:.3} ms, and some runs now were as fast as runs then"
                ),
            };
            format!(
                "slowness not judged, the runs are too noisy: {grew}, but {reason}; run again (on a quieter machine, or with more `runs`) to tell"
            )
        }
        _ => format!(
            "slowness not judged: {grew}, but judging takes at least {MIN_RUNS} timed runs on each side (the baseline has {}, this run {}); raise `runs`",
            then.samples_ms.len(),
            now.samples_ms.len()
        ),
    })
}

fn percent(then: f64, now: f64) -> String {
    if then > 0.0 {
        format!("{:+.0}%", (now - then) / then * 100.0)
    } else {
        "from 0".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timed(samples: &[f64]) -> Timing {
        Timing::from_samples(samples.to_vec(), 1, 10)
    }

    const DEFAULT: Rule = Rule {
        threshold_pct: DEFAULT_THRESHOLD_PCT,
        floor_ms: DEFAULT_FLOOR_MS,
    };

    fn verdict(then: &[f64], now: &[f64], rule: Rule) -> Verdict {
        judge(&timed(then), &timed(now), rule).verdict
    }

    /// Five steady runs around `median`: a spread of ±1%.
    fn steady(median: f64) -> Vec<f64> {
        [1.0, 1.01, 0.99, 1.005, 0.995].map(|f| f * median).to_vec()
    }

    #[test]
    fn sigma_is_robust_to_one_outlier() {
        assert!((sigma(&timed(&[10.0, 10.2, 9.8, 10.1, 9.9])) - 1.4826 * 0.1).abs() < 1e-9);
        assert!((sigma(&timed(&[10.0, 10.2, 9.8, 10.1, 95.0])) - 1.4826 * 0.1).abs() < 1e-9);
    }

    #[test]
    fn a_clear_slowdown_is_slower() {
        let j = judge(&timed(&steady(10.0)), &timed(&steady(20.0)), DEFAULT);
        assert_eq!(j.verdict, Verdict::Slower);
        assert!((j.min_change_ms - 4.0).abs() < 1e-9, "{j:?}");
    }

    #[test]
    fn a_steady_change_under_the_relative_threshold_is_not_slower() {
        // +30%, every run slower and far beyond the noise: real, but not what a DBA calls slower.
        assert_eq!(
            verdict(&steady(10.0), &steady(13.0), DEFAULT),
            Verdict::NotSlower
        );
        // Just past the threshold it is.
        assert_eq!(
            verdict(&steady(10.0), &steady(14.2), DEFAULT),
            Verdict::Slower
        );
        let strict = Rule {
            threshold_pct: 20.0,
            ..DEFAULT
        };
        assert_eq!(
            verdict(&steady(10.0), &steady(13.0), strict),
            Verdict::Slower
        );
    }

    #[test]
    fn a_sub_millisecond_query_must_grow_by_the_floor() {
        // 0.1 → 0.25 ms is +150%, but 0.15 ms is under the 0.2 ms floor.
        let j = judge(&timed(&steady(0.1)), &timed(&steady(0.25)), DEFAULT);
        assert_eq!(
            (j.verdict, j.min_change_ms),
            (Verdict::NotSlower, DEFAULT_FLOOR_MS)
        );
        assert_eq!(
            verdict(&steady(0.1), &steady(0.35), DEFAULT),
            Verdict::Slower
        );
        let no_floor = Rule {
            floor_ms: 0.0,
            ..DEFAULT
        };
        assert_eq!(
            verdict(&steady(0.1), &steady(0.25), no_floor),
            Verdict::Slower
        );
    }

    #[test]
    fn too_few_runs_are_not_judged_and_say_so() {
        let (then, now) = (timed(&[1.0, 1.0]), timed(&[9.0, 9.0, 9.0]));
        let j = judge(&then, &now, DEFAULT);
        assert_eq!(
            (j.verdict, j.noise_ms),
            (Verdict::NotJudged(NotJudged::TooFewRuns), None)
        );
        let note = note(&j, &then, &now).unwrap();
        assert!(
            note.starts_with(
                "slowness not judged: the median grew by +800% (1.000 → 9.000 ms), more than the minimum change of 0.400 ms, but judging takes at least 3 timed runs on each side (the baseline has 2, this run 3)"
            ),
            "{note}"
        );
        // Within the minimum change there is nothing to judge, whatever the runs.
        assert_eq!(
            verdict(&[1.0, 1.0], &[1.1, 1.1], DEFAULT),
            Verdict::NotSlower
        );
    }

    #[test]
    fn a_big_change_within_a_wide_spread_is_too_noisy() {
        let (then, now) = (
            timed(&[8.0, 14.0, 10.0, 15.0, 5.0]),
            timed(&[9.0, 25.0, 15.0, 30.0, 6.0]),
        );
        let j = judge(&then, &now, DEFAULT);
        assert_eq!(j.verdict, Verdict::NotJudged(NotJudged::TooNoisy));
        let note = note(&j, &then, &now).unwrap();
        assert!(
            note.contains("+50% (10.000 → 15.000 ms)")
                && note.contains("not beyond the runs' noise of")
                && note.contains("and some runs now were as fast as runs then"),
            "{note}"
        );
    }

    #[test]
    fn one_fast_run_now_makes_it_too_noisy_not_slower() {
        let then = timed(&steady(10.0));
        let now = timed(&[20.0, 20.1, 19.9, 9.0, 20.2]);
        let j = judge(&then, &now, DEFAULT);
        assert_eq!(j.verdict, Verdict::NotJudged(NotJudged::TooNoisy));
        assert!(
            note(&j, &then, &now)
                .unwrap()
                .contains("but some runs now were as fast as runs then")
        );
    }

    #[test]
    fn one_noisy_run_is_not_slower() {
        let now = [10.1, 9.9, 10.0, 40.0, 10.2];
        assert_eq!(verdict(&steady(10.0), &now, DEFAULT), Verdict::NotSlower);
    }

    #[test]
    fn slower_and_not_slower_carry_no_note() {
        let (then, now) = (timed(&steady(10.0)), timed(&steady(20.0)));
        assert_eq!(note(&judge(&then, &now, DEFAULT), &then, &now), None);
        assert_eq!(note(&judge(&now, &then, DEFAULT), &now, &then), None);
    }
}
