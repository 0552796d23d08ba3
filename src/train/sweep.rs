//! One way to run a sweep, for the CLI (`distill sweep`) and the page's heat map alike: the
//! baseline student first, then every method's students — classic distillation and FitNets over
//! the T × λ grid (temperatures outer, λ inner), deep mutual learning as one cell at its own
//! temperature. The shell trains each cell (from the baseline's initial weights, data order and
//! masks) and says whether to go on; this module owns the order, the stop and the results.

use crate::distill::{DistillConfig, LossForm, Method};

/// What a sweep runs.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepPlan {
    pub methods: Vec<Method>,
    pub form: LossForm,
    pub temperatures: Vec<f32>,
    pub lambdas: Vec<f32>,
    /// Deep mutual learning's temperature (1: the paper's form).
    pub mutual_t: f32,
}

/// One student of the sweep: a method and its distillation settings (for DML, `temperature`
/// is the cohort's and `weight` is 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    pub method: Method,
    pub distill: DistillConfig,
}

impl SweepPlan {
    /// Every cell, in the order they run.
    pub fn cells(&self) -> Vec<Cell> {
        let cell = |method, temperature, weight| Cell {
            method,
            distill: DistillConfig {
                form: self.form,
                temperature,
                weight,
            },
        };
        let mut cells = Vec::new();
        for &method in &self.methods {
            if method.is_mutual() {
                cells.push(cell(method, self.mutual_t, 0.0));
                continue;
            }
            for &t in &self.temperatures {
                cells.extend(self.lambdas.iter().map(|&l| cell(method, t, l)));
            }
        }
        cells
    }
}

/// What the shell does for each student. `None` means the user stopped the sweep.
#[allow(async_fn_in_trait)] // Awaited where made, as `FitHooks`.
pub trait SweepHooks {
    type Error;
    /// Train the baseline student; its validation accuracy.
    async fn baseline(&mut self) -> Result<Option<f32>, Self::Error>;
    /// Train `cell`'s student; its validation accuracy (`baseline` is the baseline's).
    async fn cell(&mut self, cell: &Cell, baseline: f32) -> Result<Option<f32>, Self::Error>;
}

/// A sweep's accuracies.
#[derive(Debug, Clone, PartialEq)]
pub struct Swept {
    pub baseline: f32,
    /// The cells that ran, in order, with their accuracy.
    pub cells: Vec<(Cell, f32)>,
    /// False if the user stopped it before the last cell.
    pub complete: bool,
}

impl Swept {
    /// Classic distillation's accuracy at `(t, λ)`, if that cell ran.
    pub fn accuracy(&self, method: Method, t: f32, lambda: f32) -> Option<f32> {
        self.cells
            .iter()
            .find(|(c, _)| {
                c.method == method && c.distill.temperature == t && c.distill.weight == lambda
            })
            .map(|(_, acc)| *acc)
    }
}

/// Run `plan`: the baseline, then each cell, until the end or a stop. `None` if stopped before
/// the baseline finished.
pub async fn sweep<H: SweepHooks>(
    plan: &SweepPlan,
    hooks: &mut H,
) -> Result<Option<Swept>, H::Error> {
    let Some(baseline) = hooks.baseline().await? else {
        return Ok(None);
    };
    let mut swept = Swept {
        baseline,
        cells: Vec::new(),
        complete: false,
    };
    for cell in plan.cells() {
        match hooks.cell(&cell, baseline).await? {
            Some(acc) => swept.cells.push((cell, acc)),
            None => return Ok(Some(swept)),
        }
    }
    swept.complete = true;
    Ok(Some(swept))
}
