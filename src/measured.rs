//! What the lessons were measured to do: `docs/results/lessons.json`, written by
//! `bench/lessons.sh` (each lesson's exact settings, natively, over several seeds, with the
//! shipped teacher) and compiled in, so the page's promises are that file's figures and never
//! typed. The lesson cards, the verdict's seed spread and its weak/strong teacher line read them
//! from here.

use serde::Deserialize;
use std::sync::OnceLock;

/// The committed results file.
const LESSONS_JSON: &str = include_str!("../docs/results/lessons.json");

/// One lesson's runs, one per seed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LessonRuns {
    /// The lesson's key (`presets::Preset::key`).
    pub key: String,
    pub runs: Vec<SeedRun>,
}

/// One seed's run of a lesson: accuracies on the lesson's validation images (fractions).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct SeedRun {
    pub seed: u64,
    pub teacher: f32,
    pub baseline: f32,
    pub distilled: f32,
    /// The run's wall time natively on one thread (data, teacher targets, both students).
    pub seconds: f32,
}

/// The teacher the lessons were measured with, as its weights file's header states it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MeasuredTeacher {
    pub file: String,
    /// Accuracy on the whole test set (the header's `val_acc`, which the page shows).
    pub val_acc: f32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Measured {
    pub teacher: MeasuredTeacher,
    pub lessons: Vec<LessonRuns>,
}

/// The results compiled in (a file that does not parse fails the native tests, never the page:
/// the page then promises nothing).
pub fn measured() -> Option<&'static Measured> {
    static M: OnceLock<Option<Measured>> = OnceLock::new();
    M.get_or_init(|| serde_json::from_str(LESSONS_JSON).ok())
        .as_ref()
}

/// A lesson's runs, if it was measured.
pub fn lesson(key: &str) -> Option<&'static LessonRuns> {
    measured()?.lessons.iter().find(|l| l.key == key)
}

/// Mean and sample standard deviation.
pub fn mean_sd(v: &[f32]) -> (f32, f32) {
    let n = v.len().max(1) as f32;
    let m = v.iter().sum::<f32>() / n;
    let var = if v.len() > 1 {
        v.iter().map(|x| (x - m).powi(2)).sum::<f32>() / (n - 1.0)
    } else {
        0.0
    };
    (m, var.sqrt())
}

impl LessonRuns {
    /// Distilled − baseline per seed, in points.
    pub fn gains(&self) -> Vec<f32> {
        self.runs
            .iter()
            .map(|r| 100.0 * (r.distilled - r.baseline))
            .collect()
    }

    /// The smallest and largest per-seed gain, in points.
    pub fn gain_range(&self) -> (f32, f32) {
        let g = self.gains();
        let lo = g.iter().copied().fold(f32::INFINITY, f32::min);
        let hi = g.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        (lo, hi)
    }

    /// How far the teacher led the baseline, in points, averaged over the seeds.
    pub fn teacher_lead(&self) -> f32 {
        let lead: Vec<f32> = (self.runs.iter())
            .map(|r| 100.0 * (r.teacher - r.baseline))
            .collect();
        mean_sd(&lead).0
    }

    /// What the card promises: "Measured: +1.2 points on average over 5 seeds (+0.8 to +1.6; 4 s
    /// a run natively on one core)."
    pub fn promise(&self) -> String {
        let (mean, _) = mean_sd(&self.gains());
        let (lo, hi) = self.gain_range();
        let secs = mean_sd(&self.runs.iter().map(|r| r.seconds).collect::<Vec<_>>()).0;
        format!(
            "Measured: {mean:+.1} points on average over {} seeds ({lo:+.1} to {hi:+.1}; \
             {secs:.0} s a run natively on one core).",
            self.runs.len()
        )
    }
}

/// How far seeds of one lesson spread, in points (the widest range of per-seed gains over the
/// measured lessons): what the verdict tells a single run to expect from other seeds.
pub fn seed_spread() -> Option<f32> {
    let m = measured()?;
    m.lessons
        .iter()
        .map(|l| {
            let (lo, hi) = l.gain_range();
            hi - lo
        })
        .reduce(f32::max)
}

/// The smallest lead over the student alone (points) of a teacher that gained on every seed
/// in a measured lesson: a teacher with less lead is not known to teach, and is called weak.
pub fn teaching_lead() -> Option<f32> {
    let m = measured()?;
    m.lessons
        .iter()
        .filter(|l| !l.runs.is_empty() && l.gains().iter().all(|g| *g > 0.0))
        .map(LessonRuns::teacher_lead)
        .reduce(f32::min)
}

/// Whether a published teacher (accuracy from its header, a fraction) is the one the lessons
/// were measured with: the same accuracy to the header's precision.
pub fn is_measured_teacher(val_acc: f32) -> bool {
    measured().is_some_and(|m| (m.teacher.val_acc - val_acc).abs() < 5e-5)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::PRESETS;

    #[test]
    fn the_committed_results_parse_and_cover_the_measured_lessons() {
        let m = measured().expect("docs/results/lessons.json parses");
        for key in ["quick", "few-labels"] {
            let l = lesson(key).unwrap_or_else(|| panic!("{key} is measured"));
            assert!(l.runs.len() >= 5, "{key}: at least five seeds");
            assert!(PRESETS.iter().any(|p| p.key == key));
        }
        assert!(
            m.teacher.val_acc > 0.9,
            "the shipped teacher is the full-recipe one"
        );
        assert!(seed_spread().is_some_and(|s| s > 0.0));
        assert!(teaching_lead().is_some_and(|l| l > 1.0));
    }

    #[test]
    fn a_promise_is_the_runs_figures() {
        let l = LessonRuns {
            key: "k".into(),
            runs: vec![
                SeedRun {
                    seed: 0,
                    teacher: 0.9,
                    baseline: 0.80,
                    distilled: 0.81,
                    seconds: 4.0,
                },
                SeedRun {
                    seed: 1,
                    teacher: 0.9,
                    baseline: 0.80,
                    distilled: 0.83,
                    seconds: 6.0,
                },
            ],
        };
        assert_eq!(
            l.promise(),
            "Measured: +2.0 points on average over 2 seeds (+1.0 to +3.0; 5 s a run natively on one core)."
        );
        assert!((l.teacher_lead() - 10.0).abs() < 1e-3);
    }
}
