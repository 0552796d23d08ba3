//! FitNets' stage-1 network (Romero et al., ICLR 2015, section 2.2): the student with a learned
//! regressor on its guided layer, `[B, 512]` → `[B, 1024]`, the width of the teacher's hint
//! layer. Stage 1 fits the regressed guided layer to the teacher's hint layer; the regressor is
//! then dropped and the student alone goes on to stage 2 (classic distillation).

use super::teacher::GLOROT;
use super::{Classifier, Student};
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;

#[derive(Module, Debug)]
pub struct HintedStudent {
    pub student: Student,
    regressor: Linear,
}

impl HintedStudent {
    /// `student` with a fresh regressor to a hint layer of `hint_width` units.
    pub fn new(student: Student, hint_width: usize, device: &Device) -> Self {
        let regressor = LinearConfig::new(student.width(), hint_width)
            .with_initializer(GLOROT)
            .init(device);
        HintedStudent { student, regressor }
    }

    /// The student without its regressor (what stage 2 trains on).
    pub fn into_student(self) -> Student {
        self.student
    }

    /// Units the regressor maps to.
    pub fn hint_width(&self) -> usize {
        self.regressor.weight.dims()[1]
    }
}

impl Classifier for HintedStudent {
    /// The student's own logits (the head stage 1 leaves untrained).
    fn logits(&self, images: Tensor<2>) -> Tensor<2> {
        self.student.forward(images)
    }

    fn guided(&self, images: Tensor<2>) -> Option<(Tensor<2>, Tensor<2>)> {
        let h = self.student.hidden(images); // [B, 512]
        Some((self.regressor.forward(h.clone()), self.student.head(h)))
    }
}
