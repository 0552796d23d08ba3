//! The lessons a class picks from: each a share link (its query string) and what the class
//! should expect to see. The settings come from the query alone, so a preset behaves exactly
//! like the link a teacher would paste; the settings are chosen from the measurements in
//! docs/RESULTS.md ("Results on real Fashion-MNIST" and "Few labels"). What a lesson was measured
//! to gain is never typed here: the card adds it from [`crate::measured`].

use crate::settings::{self, Settings};

/// One lesson.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    /// The URL's `preset=` value and the button's id (`preset-KEY`).
    pub key: &'static str,
    pub title: &'static str,
    /// What the class should expect to see, in a sentence or two, without figures (the card
    /// adds the measured ones).
    pub expect: &'static str,
    /// The settings, as a share link's query (every key spelled out, so the link is
    /// independent of the page's defaults).
    pub query: &'static str,
}

/// The lessons, in display order; the first is the default run.
pub const PRESETS: [Preset; 5] = [
    Preset {
        key: "quick",
        title: "Quick class demo",
        expect: "The published teacher distils into a student that sees 1,000 labelled images, \
                 beside one that learns from the labels alone. Expect the distilled one ahead, \
                 within a minute or two on a laptop's CPU.",
        query: "dataset=fashion-mnist&teacher=pretrained&subset=1000&val=2000&epochs=15\
                &batch=32&opt=adadelta&loss=hinton&T=4&lambda=0.9&sched=on&seed=0",
    },
    Preset {
        key: "few-labels",
        title: "Few labels",
        expect: "Only 500 of the 10,000 images carry labels. The baseline learns from those \
                 500; the distilled student also from the teacher's soft targets on all 10,000. \
                 Soft targets carry what the teacher knows about every class, so they help most \
                 when labels are scarce (Hinton et al. 2015): expect the distilled student well \
                 ahead.",
        query: "dataset=fashion-mnist&teacher=pretrained&subset=10000&labels=500&val=2000\
                &epochs=20&batch=256&opt=adadelta&loss=hinton&T=4&lambda=0.9&sched=on&seed=0",
    },
    Preset {
        key: "patient",
        title: "A patient teacher",
        expect: "Both students see every image shifted by up to a pixel, a fresh view each \
                 epoch, for 30 epochs at a constant rate. The distilled one learns the teacher's \
                 answer for the very view it sees (Beyer et al. 2022: a patient, consistent \
                 teacher); the other, the labels alone. Expect the distilled student ahead. The \
                 explorer shows the teacher on a view beside the image itself.",
        query: "dataset=fashion-mnist&teacher=pretrained&subset=2000&val=2000&epochs=30\
                &batch=64&opt=adadelta&loss=hinton&T=4&lambda=0.5&sched=off&augment=shift=1\
                &targets=views=4&seed=0",
    },
    Preset {
        key: "why-t",
        title: "Why T matters",
        expect: "Train with T = 1, then move the explorer's temperature: at T = 1 the \
                 teacher's answers are nearly one-hot, from T = 4 up the runner-up classes \
                 show. Then run the T × λ sweep below the results and compare the cells.",
        query: "dataset=fashion-mnist&teacher=pretrained&subset=2000&val=2000&epochs=10\
                &batch=64&opt=adadelta&loss=hinton&T=1&lambda=0.9&sched=on&seed=0",
    },
    Preset {
        key: "study",
        title: "The study",
        expect: "The study's exact run on EMNIST letters: teacher 94.4 %, student alone \
                 91.6 %, distilled 92.2 % (T = 10, λ = 0.5, keras loss). Hours on a CPU; use \
                 a GPU. Needs data/emnist-letters.",
        query: "dataset=emnist-letters&teacher=train&subset=124800&val=20800&epochs=50\
                &batch=256&opt=adadelta&loss=keras&T=10&lambda=0.5&sched=on&seed=0",
    },
];

impl Preset {
    pub fn find(key: &str) -> Option<&'static Preset> {
        PRESETS.iter().find(|p| p.key == key)
    }

    /// The settings the link gives.
    pub fn settings(&self) -> Settings {
        Settings::from_query(self.query).0
    }
}

/// The settings a page opens with: the link's own, or, for a bare visit (a link that sets
/// nothing a lesson sets: only perhaps `hide=`, `device=` or `bench=`), the first lesson's, which
/// is the default run. Warnings are the link's.
pub fn opening_settings(query: &str) -> (Settings, Vec<String>) {
    let (s, warnings) = Settings::from_query(query);
    if settings::sets_no_lesson(query) {
        let mut lesson = PRESETS[0].settings();
        (lesson.hide, lesson.device) = (s.hide, s.device);
        return (lesson, warnings);
    }
    (s, warnings)
}
