//! One run of the experiment in the browser, as named phases: load (device, data), the teacher
//! (trained, uploaded, pretrained or restored), its cached outputs, then the students (or a
//! deep-mutual-learning cohort), and the finish. A checkpoint after every epoch lets a reload
//! or a lost GPU resume from the last completed epoch.

use super::error::WorkerError;
use super::state::{SharedRef, end, send};
use super::{checkpoints, load, students, teacher, web};
use crate::checkpoint::Checkpoint;
use crate::protocol::{FromWorker, Phase};
use crate::settings::Settings;
use crate::train::Teaching;

/// Start a run (fresh, or from `resume`) and say how it ended.
pub async fn run(
    shared: SharedRef,
    settings: Settings,
    resume: Option<Checkpoint>,
    force_cpu: bool,
) {
    let mut outcome = phases(&shared, &settings, resume.as_ref(), force_cpu).await;
    // A device lost or failing mid-run: the run goes on on the CPU from the last completed
    // epoch (at most the epoch in progress is lost), and the page is told where it resumes.
    if let Err(WorkerError::Device(why)) = &outcome
        && !force_cpu
    {
        let what = match lost_reason(&shared).await {
            Some(reason) => format!("The GPU device was lost ({reason})"),
            None => format!("The GPU device failed ({})", without_backtrace(why)),
        };
        let ckpt = shared.borrow().ckpt.clone();
        let from = match &ckpt {
            Some(c) if !c.head.roles.is_empty() => {
                format!("from its last checkpoint: {}", c.summary())
            }
            _ => "from the start (no epoch had been checkpointed)".into(),
        };
        send(
            &shared,
            FromWorker::Notice(format!("{what}. The run goes on on the CPU {from}.")),
        );
        outcome = phases(&shared, &settings, ckpt.as_ref(), true).await;
    }
    end(&shared);
    match outcome {
        Ok(phase) => send(&shared, FromWorker::Phase(phase)),
        Err(e) => {
            let message = match e {
                WorkerError::Device(why) => why,
                e => e.to_string(),
            };
            send(
                &shared,
                FromWorker::Error {
                    message,
                    fatal: true,
                },
            );
            send(&shared, FromWorker::Phase(Phase::Failed));
        }
    }
}

/// Why the browser lost the GPU device, if it did. A read on a lost device fails as soon as the
/// device goes, and `GPUDevice.lost` resolves a moment later: wait up to a second for it.
async fn lost_reason(shared: &SharedRef) -> Option<String> {
    for _ in 0..20 {
        if let Some(why) = shared.borrow().webgpu_lost.clone() {
            return Some(why);
        }
        web::sleep_ms(50).await;
    }
    None
}

/// A runtime error's message without its backtrace, on one line.
fn without_backtrace(why: &str) -> String {
    let lines: Vec<&str> = (why.lines().map(str::trim))
        .take_while(|l| !l.starts_with("Backtrace"))
        .filter(|l| !l.is_empty())
        .collect();
    lines.join(" ")
}

/// Continue the run saved in IndexedDB: replay its log to the page, then run from it.
pub async fn resume(shared: SharedRef, cpu: bool) {
    let ckpt = match checkpoints::load().await {
        Ok(c) => c,
        Err(e) => {
            end(&shared);
            let message = e.to_string();
            send(
                &shared,
                FromWorker::Error {
                    message,
                    fatal: false,
                },
            );
            return;
        }
    };
    send(&shared, FromWorker::Restored);
    for msg in ckpt.head.log.clone() {
        send(&shared, msg);
    }
    let settings = ckpt.head.settings.clone();
    run(shared, settings, Some(ckpt), cpu).await;
}

/// The run's phases in order; the phase it ended in (`Done`, or `Stopped` by the page).
async fn phases(
    shared: &SharedRef,
    s: &Settings,
    resume: Option<&Checkpoint>,
    force_cpu: bool,
) -> Result<Phase, WorkerError> {
    let env = load::load(shared, s, resume, force_cpu).await?;
    if s.method.is_mutual() {
        // Deep mutual learning trains its cohort from scratch: no teacher to train or cache.
        return students::students(&env, Teaching::default()).await;
    }
    let Some(teacher) = teacher::teacher(&env).await? else {
        return Ok(Phase::Stopped);
    };
    let Some(teaching) = teacher::cache(&env, teacher).await? else {
        return Ok(Phase::Stopped);
    };
    students::students(&env, teaching).await
}
