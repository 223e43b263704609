//! "Slower": whether a query's time grew, against a saved run, by what a DBA would call slower,
//! on a machine whose speed moves between two runs minutes apart.
//!
//! **The machine's speed.** After each timed run pgvet times a fixed reference statement
//! (`db::session::REFERENCE_SQL`). The ratio of its medians, now ÷ then, is how much slower the
//! machine, server and connection were now ([`Judgement::reference_ratio`]).
//!
//! **The minimum change.** `slower_threshold` × the median then (40% by default), and at
//! least `slower_floor_ms` (0.2 ms by default: a sub-millisecond query moves by a tenth of a
//! millisecond between runs on its own).
//!
//! A query is slower when either holds:
//!
//! 1. **Confirmed by the plan.** The plan did at least (1 + `slower_threshold`) times the work
//!    then (buffers, or rows its scans returned: figures the machine's speed does not change),
//!    and the time agrees: its median as measured, its median at the baseline's machine speed
//!    (divided by the reference ratio), or its fastest run grew by more than `slower_floor_ms`. The work is the evidence and
//!    sets the size of the change; on a busy machine the time can only say which way it went.
//! 2. **Confirmed by the runs.** Its median grew by more than the minimum change, beyond the
//!    runs' noise (3 × √(σ_then² + σ_now²), σ = 1.4826 × the median absolute deviation), and
//!    every timed run now was slower than every timed run then, on a steady machine: the
//!    reference statement's times spread by at most [`STEADY_REFERENCE`] within each run, and
//!    its median differs by at most [`STEADY_BETWEEN`]× between the runs.
//!    Here the times are divided by the reference ratio only when the machine was slower now:
//!    pgvet discounts a slowdown that the machine explains, and never makes a query look
//!    slower than it was measured.
//!
//! A growth past the minimum change that neither confirms is not judged (fewer than
//! [`MIN_RUNS`] timed runs on a side, or runs too noisy to tell): it does not fail the query,
//! and a note says which. Runs saved before pgvet timed the reference statement or recorded
//! the plan's work are judged without them.

use crate::plan::Work;
use crate::report::model::{NotJudged, RunSettings, Timing};

/// `slower_threshold` when the suite does not set it, in percent of the median then.
pub const DEFAULT_THRESHOLD_PCT: f64 = 40.0;
/// `slower_floor_ms` when the suite does not set it.
pub const DEFAULT_FLOOR_MS: f64 = 0.2;
/// Fewer timed runs than this on either side: no spread to judge by.
pub const MIN_RUNS: usize = 3;
/// The most the reference statement's times may spread within a run (robust σ ÷ median) for
/// the timed runs alone to confirm a slowdown: beyond it the machine's speed was moving while
/// the query was timed, and its times cannot tell a slower query from a busier machine.
pub const STEADY_REFERENCE: f64 = 0.05;
/// The most the reference statement's median may differ between the two runs (as a ratio,
/// either way) for the timed runs alone to confirm a slowdown: beyond it the machine's speed
/// changed between the runs by more than its correction can be trusted for.
pub const STEADY_BETWEEN: f64 = 1.1;

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

/// One side of the comparison: the query's timed runs and what its plan did.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    pub timing: &'a Timing,
    pub work: Option<&'a Work>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    NotSlower,
    Slower(Confirmed),
    NotJudged(NotJudged),
}

/// What confirmed a slowdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmed {
    /// The plan did more work by the threshold, and the time agreed.
    ByWork,
    /// The timed runs: beyond their noise, every run slower.
    ByRuns,
}

/// The verdict and the figures it was reached by.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub verdict: Verdict,
    /// The change the median had to exceed: max(threshold × median then, floor).
    pub min_change_ms: f64,
    /// 3 × √(σ_then² + σ_now²); none with fewer than [`MIN_RUNS`] timed runs on a side.
    pub noise_ms: Option<f64>,
    /// The reference statement's median now ÷ then: above 1, the machine was slower now.
    /// None when a side has no reference times.
    pub reference_ratio: Option<f64>,
    /// The median now at the baseline's machine speed: the median ÷ the reference ratio.
    pub adjusted_median_ms: Option<f64>,
    /// The plan's work now ÷ then ([`Work::ratio`]); none when a side did not record it.
    pub work_ratio: Option<f64>,
    /// What the runs were judged by (confirmation 2): the median's change, with the later
    /// runs divided by the reference ratio when it is above 1.
    pub runs_change_ms: f64,
    /// Every timed run now (divided likewise) slower than every timed run then.
    pub every_run_slower: bool,
    /// The reference statement's robust spread (σ ÷ median) in the run then and the run now.
    pub reference_spread: [Option<f64>; 2],
}

pub fn judge(then: Side, now: Side, rule: Rule) -> Judgement {
    let (a, b) = (then.timing, now.timing);
    let min_change_ms = (rule.threshold_pct / 100.0 * a.median_ms).max(rule.floor_ms);
    let reference_ratio = reference_ratio(a, b);
    let adjusted_median_ms = reference_ratio.map(|k| b.median_ms / k);
    let work_ratio = then.work.zip(now.work).and_then(|(a, b)| Work::ratio(a, b));
    let more_work = work_ratio.is_some_and(|w| w >= 1.0 + rule.threshold_pct / 100.0);
    let enough_runs = a.samples_ms.len() >= MIN_RUNS && b.samples_ms.len() >= MIN_RUNS;
    // The later runs at the baseline's speed, where the machine was slower now.
    let discount = reference_ratio.unwrap_or(1.0).max(1.0);
    let discounted: Vec<f64> = b.samples_ms.iter().map(|s| s / discount).collect();
    let change = b.median_ms / discount - a.median_ms;
    let noise_ms = enough_runs.then(|| {
        3.0 * (sigma_of(&a.samples_ms, a.median_ms).powi(2)
            + sigma_of(&discounted, b.median_ms / discount).powi(2))
        .sqrt()
    });
    // With more work, the time agrees unless neither the median as measured nor the median at
    // the baseline's machine speed grew by more than the floor.
    // Noise only adds time, so the fastest run is the least disturbed one: a third view.
    let grew_ms = (b.median_ms - a.median_ms)
        .max(adjusted_median_ms.unwrap_or(b.median_ms) - a.median_ms)
        .max(b.min_ms - a.min_ms);
    let every_run_slower = min(&discounted) > a.max_ms;
    let reference_spread = [a, b].map(reference_spread);
    let machine_unsteady = reference_spread
        .iter()
        .flatten()
        .any(|&s| s > STEADY_REFERENCE)
        || reference_ratio.is_some_and(|k| !(1.0 / STEADY_BETWEEN..=STEADY_BETWEEN).contains(&k));
    let verdict = match noise_ms {
        _ if more_work && grew_ms > rule.floor_ms => Verdict::Slower(Confirmed::ByWork),
        _ if change <= min_change_ms => Verdict::NotSlower,
        None => Verdict::NotJudged(NotJudged::TooFewRuns),
        Some(_) if machine_unsteady => Verdict::NotJudged(NotJudged::MachineUnsteady),
        Some(noise) if change > noise && every_run_slower => Verdict::Slower(Confirmed::ByRuns),
        Some(_) => Verdict::NotJudged(NotJudged::TooNoisy),
    };
    Judgement {
        verdict,
        min_change_ms,
        noise_ms,
        reference_ratio,
        adjusted_median_ms,
        work_ratio,
        runs_change_ms: change,
        every_run_slower,
        reference_spread,
    }
}

/// The reference statement's robust spread within one run, σ ÷ median: how much the machine's
/// speed moved while the query was timed. None without reference times.
fn reference_spread(timing: &Timing) -> Option<f64> {
    let mut r = timing.reference_ms.clone();
    if r.is_empty() {
        return None;
    }
    r.sort_by(f64::total_cmp);
    let median = median_of_sorted(&r);
    (median > 0.0).then(|| sigma_of(&r, median) / median)
}

/// The reference statement's median now ÷ then, when both sides timed it.
fn reference_ratio(then: &Timing, now: &Timing) -> Option<f64> {
    let median = |t: &Timing| {
        (!t.reference_ms.is_empty()).then(|| {
            let mut r = t.reference_ms.clone();
            r.sort_by(f64::total_cmp);
            median_of_sorted(&r)
        })
    };
    let (a, b) = (median(then)?, median(now)?);
    (a > 0.0 && b > 0.0).then(|| b / a)
}

fn min(samples: &[f64]) -> f64 {
    samples.iter().copied().fold(f64::INFINITY, f64::min)
}

fn median_of_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Robust standard deviation: 1.4826 × median absolute deviation.
pub fn sigma(timing: &Timing) -> f64 {
    sigma_of(&timing.samples_ms, timing.median_ms)
}

fn sigma_of(samples: &[f64], median: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let mut deviations: Vec<f64> = samples.iter().map(|s| (s - median).abs()).collect();
    deviations.sort_by(f64::total_cmp);
    1.4826 * median_of_sorted(&deviations)
}

/// The note for a query whose slowness was not judged: what grew, and why that is not enough.
/// A query whose median grew past the minimum change only because the machine was slower now
/// gets a note saying so, since its change in percent alone reads like a slowdown.
pub fn note(judgement: &Judgement, then: &Timing, now: &Timing) -> Option<String> {
    let why = match judgement.verdict {
        Verdict::NotJudged(why) => why,
        Verdict::NotSlower if now.median_ms - then.median_ms > judgement.min_change_ms => {
            let k = judgement.reference_ratio?;
            return Some(format!(
                "not slower: the median grew by {} ({:.3} → {:.3} ms), but the reference statement took {k:.2}× as long now too; at the baseline's machine speed the median is {:.3} ms, within the minimum change of {:.3} ms",
                percent(then.median_ms, now.median_ms),
                then.median_ms,
                now.median_ms,
                then.median_ms + judgement.runs_change_ms,
                judgement.min_change_ms
            ));
        }
        _ => return None,
    };
    let speed = match judgement.reference_ratio {
        Some(k) if k > 1.0 => format!(
            "; {:.3} ms at the baseline's machine speed, the reference statement taking {k:.2}× as long now",
            then.median_ms + judgement.runs_change_ms
        ),
        _ => String::new(),
    };
    let grew = format!(
        "the median grew by {} ({:.3} → {:.3} ms{speed}), more than the minimum change of {:.3} ms",
        percent(then.median_ms, then.median_ms + judgement.runs_change_ms),
        then.median_ms,
        now.median_ms,
        judgement.min_change_ms
    );
    Some(match (why, judgement.noise_ms) {
        (NotJudged::TooNoisy, Some(noise)) => {
            let beyond_noise = judgement.runs_change_ms > noise;
            let reason = match (beyond_noise, judgement.every_run_slower) {
                (true, _) => "some runs now were as fast as runs then".to_string(),
                (false, true) => format!("not beyond the runs' noise of {noise:.3} ms"),
                (false, false) => format!(
                    "not beyond the runs' noise of {noise:.3} ms, and some runs now were as fast as runs then"
                ),
            };
            format!(
                "slowness not judged, the runs are too noisy: {grew}, but {reason}, and the plan did not do more work; run again (on a quieter machine, or with more `runs`) to tell"
            )
        }
        (NotJudged::MachineUnsteady, _) => {
            let spread = judgement
                .reference_spread
                .iter()
                .flatten()
                .fold(0.0_f64, |a, &b| a.max(b));
            let moved = if spread > STEADY_REFERENCE {
                format!(
                    "the reference statement's times varied by {:.0}% within a run (at most {:.0}% to judge by time alone)",
                    spread * 100.0,
                    STEADY_REFERENCE * 100.0
                )
            } else {
                format!(
                    "the reference statement took {:.2}× as long as in the baseline (within {STEADY_BETWEEN}× either way to judge by time alone)",
                    judgement.reference_ratio.unwrap_or(1.0)
                )
            };
            format!(
                "slowness not judged, the machine was too busy: {grew}, but the plan did not do more work, and {moved}; compare runs taken on a quieter machine"
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

    fn side(timing: &Timing) -> Side<'_> {
        Side { timing, work: None }
    }

    const DEFAULT: Rule = Rule {
        threshold_pct: DEFAULT_THRESHOLD_PCT,
        floor_ms: DEFAULT_FLOOR_MS,
    };

    fn verdict(then: &[f64], now: &[f64], rule: Rule) -> Verdict {
        judge(side(&timed(then)), side(&timed(now)), rule).verdict
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
        let j = judge(
            side(&timed(&steady(10.0))),
            side(&timed(&steady(20.0))),
            DEFAULT,
        );
        assert_eq!(j.verdict, Verdict::Slower(Confirmed::ByRuns));
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
            Verdict::Slower(Confirmed::ByRuns)
        );
        let strict = Rule {
            threshold_pct: 20.0,
            ..DEFAULT
        };
        assert_eq!(
            verdict(&steady(10.0), &steady(13.0), strict),
            Verdict::Slower(Confirmed::ByRuns)
        );
    }

    #[test]
    fn a_sub_millisecond_query_must_grow_by_the_floor() {
        // 0.1 → 0.25 ms is +150%, but 0.15 ms is under the 0.2 ms floor.
        let j = judge(
            side(&timed(&steady(0.1))),
            side(&timed(&steady(0.25))),
            DEFAULT,
        );
        assert_eq!(
            (j.verdict, j.min_change_ms),
            (Verdict::NotSlower, DEFAULT_FLOOR_MS)
        );
        assert_eq!(
            verdict(&steady(0.1), &steady(0.35), DEFAULT),
            Verdict::Slower(Confirmed::ByRuns)
        );
        let no_floor = Rule {
            floor_ms: 0.0,
            ..DEFAULT
        };
        assert_eq!(
            verdict(&steady(0.1), &steady(0.25), no_floor),
            Verdict::Slower(Confirmed::ByRuns)
        );
    }

    #[test]
    fn too_few_runs_are_not_judged_and_say_so() {
        let (then, now) = (timed(&[1.0, 1.0]), timed(&[9.0, 9.0, 9.0]));
        let j = judge(side(&then), side(&now), DEFAULT);
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
        let j = judge(side(&then), side(&now), DEFAULT);
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
        let j = judge(side(&then), side(&now), DEFAULT);
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
        assert_eq!(
            note(&judge(side(&then), side(&now), DEFAULT), &then, &now),
            None
        );
        assert_eq!(
            note(&judge(side(&now), side(&then), DEFAULT), &now, &then),
            None
        );
    }
    fn with_reference(samples: &[f64], reference_ms: f64) -> Timing {
        timed(samples).with_reference(vec![reference_ms; samples.len()])
    }

    fn judge_with_work(then: &Timing, a: &Work, now: &Timing, b: &Work) -> Judgement {
        judge(
            Side {
                timing: then,
                work: Some(a),
            },
            Side {
                timing: now,
                work: Some(b),
            },
            DEFAULT,
        )
    }

    fn work(buffers: f64) -> Work {
        Work {
            buffers: Some(buffers),
            rows_scanned: 1000.0,
        }
    }

    #[test]
    fn a_machine_slower_by_the_same_factor_explains_the_slowdown() {
        // Twice the time, and the reference statement took twice as long too.
        let then = with_reference(&steady(10.0), 1.0);
        let now = with_reference(&steady(20.0), 2.0);
        let j = judge(side(&then), side(&now), DEFAULT);
        assert_eq!(j.verdict, Verdict::NotSlower);
        assert_eq!(
            (j.reference_ratio, j.adjusted_median_ms),
            (Some(2.0), Some(10.0))
        );
        assert_eq!(
            note(&j, &then, &now).as_deref(),
            Some(
                "not slower: the median grew by +100% (10.000 → 20.000 ms), but the reference statement took 2.00× as long now too; at the baseline's machine speed the median is 10.000 ms, within the minimum change of 4.000 ms"
            )
        );
        // The same times with the reference unchanged: slower.
        let now = with_reference(&steady(20.0), 1.0);
        assert_eq!(
            judge(side(&then), side(&now), DEFAULT).verdict,
            Verdict::Slower(Confirmed::ByRuns)
        );
    }

    #[test]
    fn a_faster_machine_never_makes_the_runs_look_slower() {
        // +30% measured, under the threshold; the reference ran at twice the speed now. The
        // runs alone are never scaled up: not slower.
        let then = with_reference(&steady(10.0), 1.0);
        let now = with_reference(&steady(13.0), 0.5);
        let j = judge(side(&then), side(&now), DEFAULT);
        assert_eq!(j.verdict, Verdict::NotSlower);
        assert_eq!(j.adjusted_median_ms, Some(26.0));
    }

    #[test]
    fn more_work_confirms_a_slowdown_the_runs_cannot() {
        // Noisy runs: +60%, some runs now as fast as runs then.
        let then = timed(&[8.0, 14.0, 10.0, 15.0, 5.0]);
        let now = timed(&[9.0, 25.0, 16.0, 30.0, 6.0]);
        let (a, b) = (work(100.0), work(200.0));
        let by_runs = judge(side(&then), side(&now), DEFAULT);
        assert_eq!(by_runs.verdict, Verdict::NotJudged(NotJudged::TooNoisy));
        let by_work = judge_with_work(&then, &a, &now, &b);
        assert_eq!(by_work.verdict, Verdict::Slower(Confirmed::ByWork));
        assert_eq!(by_work.work_ratio, Some(2.0));
    }

    #[test]
    fn more_work_needs_the_time_to_agree() {
        let (a, b) = (work(100.0), work(200.0));
        let judged = |then: &Timing, now: &Timing| judge_with_work(then, &a, now, &b).verdict;
        let then = timed(&steady(10.0));
        // Twice the buffers, and the median grew by 0.1 ms, not more than the 0.2 ms floor.
        assert_eq!(judged(&then, &timed(&steady(10.1))), Verdict::NotSlower);
        // By 0.5 ms: the time agrees, and the work sets the size of the change.
        assert_eq!(
            judged(&then, &timed(&steady(10.5))),
            Verdict::Slower(Confirmed::ByWork)
        );
        // As measured or at the baseline's machine speed: either view agreeing is enough.
        let then = with_reference(&steady(10.0), 1.0);
        let machine_twice_as_slow = with_reference(&steady(12.5), 2.0);
        let machine_twice_as_fast = with_reference(&steady(9.0), 0.5);
        assert_eq!(
            judged(&then, &machine_twice_as_slow),
            Verdict::Slower(Confirmed::ByWork)
        );
        assert_eq!(
            judged(&then, &machine_twice_as_fast),
            Verdict::Slower(Confirmed::ByWork)
        );
        // Neither view grew: not slower, whatever the work.
        let neither = with_reference(&steady(9.0), 1.0);
        assert_eq!(judged(&then, &neither), Verdict::NotSlower);
    }

    #[test]
    fn time_alone_is_not_judged_when_the_machine_was_unsteady() {
        // Steady runs, +100%, every run slower; but the reference statement's times spread by
        // far more than 5% in the run now.
        let then = with_reference(&steady(10.0), 1.0);
        let now = timed(&steady(20.0)).with_reference(vec![1.0, 1.3, 0.8, 1.0, 1.2]);
        let j = judge(side(&then), side(&now), DEFAULT);
        assert_eq!(j.verdict, Verdict::NotJudged(NotJudged::MachineUnsteady));
        let note = note(&j, &then, &now).unwrap();
        assert!(
            note.starts_with("slowness not judged, the machine was too busy: the median grew by +100%")
                && note.contains("the reference statement's times varied by 30% within a run (at most 5% to judge by time alone)"),
            "{note}"
        );
        // Steady reference times (±1%): judged, and slower.
        let steady_now = timed(&steady(20.0)).with_reference(steady(1.0));
        assert_eq!(
            judge(side(&then), side(&steady_now), DEFAULT).verdict,
            Verdict::Slower(Confirmed::ByRuns)
        );
    }

    #[test]
    fn work_under_the_threshold_confirms_nothing() {
        // 1.3× the buffers is less than 1 + 40%: the runs must confirm, and here cannot.
        let (a, b) = (work(100.0), work(130.0));
        let then = timed(&[8.0, 14.0, 10.0, 15.0, 5.0]);
        let now = timed(&[9.0, 25.0, 16.0, 30.0, 6.0]);
        let j = judge_with_work(&then, &a, &now, &b);
        assert_eq!(j.verdict, Verdict::NotJudged(NotJudged::TooNoisy));
    }

    #[test]
    fn a_slower_machine_is_named_in_the_note() {
        let then = with_reference(&[8.0, 14.0, 10.0, 15.0, 5.0], 1.0);
        let now = with_reference(&[12.0, 33.0, 25.0, 45.0, 9.0], 1.0625);
        let j = judge(side(&then), side(&now), DEFAULT);
        assert_eq!(j.verdict, Verdict::NotJudged(NotJudged::TooNoisy));
        let note = note(&j, &then, &now).unwrap();
        assert!(
            note.contains("(10.000 → 25.000 ms; 23.529 ms at the baseline's machine speed, the reference statement taking 1.06× as long now)")
                && note.contains("+135%"),
            "{note}"
        );
    }

    #[test]
    fn time_alone_is_not_judged_when_the_machine_s_speed_changed_between_the_runs() {
        // Steady runs, +100%; the reference statement took 1.3× as long: corrected, +54%, but a
        // change of speed that large between runs is more than the correction can be trusted for.
        let then = with_reference(&steady(10.0), 1.0);
        let now = with_reference(&steady(20.0), 1.3);
        let j = judge(side(&then), side(&now), DEFAULT);
        assert_eq!(j.verdict, Verdict::NotJudged(NotJudged::MachineUnsteady));
        let note = note(&j, &then, &now).unwrap();
        assert!(
            note.contains("the reference statement took 1.30× as long as in the baseline (within 1.1× either way to judge by time alone)"),
            "{note}"
        );
        // Within 1.1× it is judged, corrected: +100% measured, +82% at the baseline's speed.
        let now = with_reference(&steady(20.0), 1.1);
        assert_eq!(
            judge(side(&then), side(&now), DEFAULT).verdict,
            Verdict::Slower(Confirmed::ByRuns)
        );
    }
}
