//! How the student is taught: classic distillation from a pretrained teacher, or the two methods
//! the study names as its next step, deep mutual learning and FitNets hints. No burn here: the
//! page names the method and its formula without linking it.

use super::DistillConfig;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The student's training method beside the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Method {
    /// Classic distillation from a pretrained teacher's cached logits (the study's).
    #[default]
    #[serde(rename = "distill")]
    Distill,
    /// Deep mutual learning (Zhang, Xiang, Hospedales & Lu, CVPR 2018) of two student MLPs,
    /// both from scratch, no pretrained teacher.
    #[serde(rename = "dml")]
    MutualStudents,
    /// Deep mutual learning of the student MLP and the teacher CNN, both from scratch.
    #[serde(rename = "dml-cnn")]
    MutualTeacher,
    /// FitNets (Romero et al., ICLR 2015): stage 1 fits the student's hidden layer to the
    /// teacher's through a learned regressor; stage 2 is classic distillation from there.
    #[serde(rename = "fitnets")]
    FitNets,
}

impl Method {
    pub const ALL: [Method; 4] = [
        Method::Distill,
        Method::MutualStudents,
        Method::MutualTeacher,
        Method::FitNets,
    ];

    /// The CLI's, the URL's and the weights files' name.
    pub fn name(self) -> &'static str {
        match self {
            Method::Distill => "distill",
            Method::MutualStudents => "dml",
            Method::MutualTeacher => "dml-cnn",
            Method::FitNets => "fitnets",
        }
    }

    /// A short label for tables and the page.
    pub fn label(self) -> &'static str {
        match self {
            Method::Distill => "classic distillation",
            Method::MutualStudents => "deep mutual learning, student + student",
            Method::MutualTeacher => "deep mutual learning, student + teacher CNN",
            Method::FitNets => "FitNets hints, then distillation",
        }
    }

    /// Whether it learns from a teacher trained beforehand (DML trains its cohort from scratch).
    pub fn needs_teacher(self) -> bool {
        matches!(self, Method::Distill | Method::FitNets)
    }

    /// Whether it trains a cohort of networks side by side (deep mutual learning).
    pub fn is_mutual(self) -> bool {
        matches!(self, Method::MutualStudents | Method::MutualTeacher)
    }

    /// The loss written out with its numbers, for every printout, results table and the page.
    /// `mutual_t` is DML's temperature (1: the paper's).
    pub fn describe(self, distill: &DistillConfig, mutual_t: f32) -> String {
        let kl = if mutual_t == 1.0 {
            "KL(p₂ ‖ p₁)".to_string()
        } else {
            format!("{mutual_t}²·KL(p₂/{mutual_t} ‖ p₁/{mutual_t})")
        };
        match self {
            Method::Distill => distill.describe(),
            Method::MutualStudents => {
                format!("DML, student + student: CE(y, p₁) + {kl} for each, the peer's p detached")
            }
            Method::MutualTeacher => {
                format!("DML, student + CNN: CE(y, p₁) + {kl} for each, the peer's p detached")
            }
            Method::FitNets => format!(
                "FitNets: stage 1 ½‖h_t − W·h_s‖² (teacher's 1024 units from the student's 512), then {}",
                distill.describe()
            ),
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Method::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                format!("unknown method '{s}'; expected distill, dml, dml-cnn or fitnets")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_formulas_name_their_numbers() {
        for m in Method::ALL {
            assert_eq!(m.name().parse::<Method>(), Ok(m));
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(json, format!("\"{}\"", m.name()));
        }
        assert!("fitnet".parse::<Method>().is_err());
        let d = DistillConfig::study();
        assert!(
            Method::FitNets
                .describe(&d, 1.0)
                .contains("then keras: 0.5·CE")
        );
        assert!(
            Method::MutualStudents
                .describe(&d, 1.0)
                .contains("KL(p₂ ‖ p₁)")
        );
        assert!(Method::MutualTeacher.describe(&d, 3.0).contains("3²·KL"));
        assert!(!Method::MutualStudents.needs_teacher());
        assert!(!Method::FitNets.is_mutual() && Method::MutualTeacher.is_mutual());
    }
}
