//! The URL form of the settings: every value survives a round trip, bad values are clamped or
//! replaced by the default with a warning that names the key, the device choice parses, and
//! the page and the worker choose the same backend from it.

use distill_lab::device::{Adapter, Choice, Measured, choose, is_software_adapter};
use distill_lab::settings::{DevicePref, Settings, bench_request};
use distill_lab::train::Experiment;

#[test]
fn defaults_have_an_empty_query_and_round_trip() {
    let d = Settings::default();
    assert_eq!(d.to_query(), "");
    let (parsed, warnings) = Settings::from_query("");
    assert_eq!(parsed, d);
    assert!(warnings.is_empty());
}

#[test]
fn every_changed_setting_round_trips_through_the_url() {
    let query = "dataset=fashion-mnist&epochs=3&batch=64&T=4&subset=2048&labels=300&val=512&seed=7&sched=off&device=webgpu&hide=seed,lr";
    let (s, warnings) = Settings::from_query(query);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(s.device, DevicePref::WebGpu);
    assert_eq!(
        (s.epochs, s.batch, s.subset, s.val, s.seed),
        (3, 64, 2048, 512, 7)
    );
    assert!(!s.schedule);
    assert_eq!(
        (s.labels, s.labelled(2048), s.labelled(200)),
        (Some(300), Some(300), None)
    );
    assert_eq!(Settings::from_query("labels=all").0.labels, None);
    assert!(s.hidden("seed") && s.hidden("lr") && !s.hidden("T"));
    let (again, warnings) = Settings::from_query(&s.to_query());
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(again, s);
}

#[test]
fn the_method_and_its_hint_epochs_round_trip_and_bad_values_warn() {
    use distill_lab::distill::Method;
    for m in Method::ALL {
        let (s, w) = Settings::from_query(&format!("method={}&hints=3", m.name()));
        assert!(w.is_empty(), "{w:?}");
        assert_eq!((s.method, s.hint_epochs), (m, 3));
        assert_eq!(Settings::from_query(&s.to_query()).0, s);
        assert!(s.describe_method().len() > 20);
    }
    assert_eq!(
        Settings::default().to_query(),
        "",
        "classic distillation is the default"
    );
    let (s, w) = Settings::from_query("method=fitnet&hints=0");
    assert_eq!((s.method, s.hint_epochs), (Method::Distill, 1));
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(
        w[0].contains("dml-cnn") && w[1].contains("hints=0"),
        "{w:?}"
    );
    // A checkpoint's stored settings get the same checks (a NaN-free, clamped copy).
    let bad = Settings {
        hint_epochs: 10_000,
        ..Settings::default()
    };
    assert_eq!(bad.checked().0.hint_epochs, 50);
}

#[test]
fn the_presentation_view_is_a_share_link_that_changes_no_lesson() {
    let (s, w) = Settings::from_query("view=present");
    assert!(w.is_empty() && s.present);
    assert_eq!(s.to_query(), "view=present");
    assert!(distill_lab::settings::sets_no_lesson(
        "view=present&device=cpu"
    ));
    let (s, w) = Settings::from_query("view=projector");
    assert!(!s.present);
    assert!(w[0].contains("view=projector"), "{w:?}");
}

#[test]
fn device_values_parse_and_bad_ones_warn() {
    for (v, want) in [
        ("auto", DevicePref::Auto),
        ("webgpu", DevicePref::WebGpu),
        ("gpu", DevicePref::WebGpu),
        ("cpu", DevicePref::Cpu),
    ] {
        let (s, w) = Settings::from_query(&format!("device={v}"));
        assert_eq!(s.device, want, "device={v}");
        assert!(w.is_empty());
        assert_eq!(DevicePref::parse(want.name()), Some(want));
    }
    let (s, w) = Settings::from_query("device=tpu");
    assert_eq!(s.device, DevicePref::Auto);
    assert_eq!(w.len(), 1);
    assert!(
        w[0].contains("device=tpu") && w[0].contains("webgpu"),
        "{w:?}"
    );
}

#[test]
fn out_of_range_values_are_clamped_with_a_warning() {
    let (s, w) = Settings::from_query("T=500&epochs=abc");
    assert_eq!(s.temperature, 50.0, "T is clamped to [1, 50]");
    assert_eq!(s.epochs, Settings::default().epochs);
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(w.iter().any(|m| m.contains("T=500")) && w.iter().any(|m| m.contains("epochs=abc")));
}

#[test]
fn software_adapters_are_recognised() {
    // Names as `navigator.gpu` reports them (vendor, architecture, description).
    assert!(is_software_adapter("google swiftshader", false));
    assert!(is_software_adapter(
        "mesa llvmpipe (LLVM 15.0.6, 256 bits)",
        false
    ));
    assert!(is_software_adapter("Microsoft Basic Render Driver", false));
    assert!(
        is_software_adapter("unnamed adapter", true),
        "the browser's fallback flag"
    );
    assert!(!is_software_adapter("nvidia ampere", false));
    assert!(!is_software_adapter("apple metal-3", false));
    assert!(!is_software_adapter(
        "intel gen-12lp Intel(R) Iris(R) Xe Graphics",
        false
    ));
}

#[test]
fn the_backend_follows_the_setting_and_the_adapter() {
    let gpu = Adapter::Found {
        name: "nvidia ampere".into(),
        software: false,
    };
    let soft = Adapter::Found {
        name: "google swiftshader".into(),
        software: true,
    };
    let none = Adapter::Missing("this browser has no WebGPU (navigator.gpu is missing)".into());
    let cpu_because = |c: Choice| match c {
        Choice::Cpu { reason } => reason,
        other => panic!("expected the CPU, got {other:?}"),
    };
    let measure = |adapter: &str| Choice::Measure {
        adapter: adapter.into(),
    };
    // A hardware adapter never measured: auto measures; device=measure measures on any adapter.
    assert_eq!(
        choose(DevicePref::Auto, &gpu, None),
        measure("nvidia ampere")
    );
    assert_eq!(
        choose(DevicePref::Measure, &soft, None),
        measure("google swiftshader")
    );
    let why = cpu_because(choose(DevicePref::Auto, &soft, None));
    assert!(
        why.contains("software renderer (google swiftshader)") && why.contains("device=webgpu"),
        "{why}"
    );
    assert_eq!(
        choose(DevicePref::WebGpu, &soft, None),
        Choice::WebGpu {
            adapter: "google swiftshader".into(),
            reason: String::new(),
        },
        "device=webgpu takes any adapter"
    );
    for pref in [DevicePref::Auto, DevicePref::WebGpu, DevicePref::Measure] {
        let why = cpu_because(choose(pref, &none, None));
        assert!(why.starts_with("this browser has no WebGPU"), "{why}");
    }
    let why = cpu_because(choose(DevicePref::Cpu, &gpu, None));
    assert!(why.contains("device=cpu"), "{why}");

    // Remembered measurements decide auto on their own adapter, and say both figures.
    let slow_gpu = Measured {
        adapter: "nvidia ampere".into(),
        webgpu: Some(600.4),
        cpu: 1840.0,
    };
    let why = cpu_because(choose(DevicePref::Auto, &gpu, Some(&slow_gpu)));
    assert_eq!(
        why,
        "WebGPU 600 samples/s, CPU 1,840 samples/s: using the CPU (measured on an earlier visit)"
    );
    let fast_gpu = Measured {
        webgpu: Some(18_400.0),
        ..slow_gpu.clone()
    };
    match choose(DevicePref::Auto, &gpu, Some(&fast_gpu)) {
        Choice::WebGpu { adapter, reason } => {
            assert_eq!(adapter, "nvidia ampere");
            assert!(
                reason.starts_with("WebGPU 18,400 samples/s, CPU 1,840"),
                "{reason}"
            );
        }
        other => panic!("expected WebGPU, got {other:?}"),
    }
    // Another adapter's figures are not this one's; measure and the forcing settings ignore them.
    let other = Measured {
        adapter: "intel xe".into(),
        ..fast_gpu.clone()
    };
    assert_eq!(
        choose(DevicePref::Auto, &gpu, Some(&other)),
        measure("nvidia ampere")
    );
    assert_eq!(
        choose(DevicePref::Measure, &gpu, Some(&fast_gpu)),
        measure("nvidia ampere")
    );
    cpu_because(choose(DevicePref::Cpu, &gpu, Some(&fast_gpu)));
    // A WebGPU that never finished its first steps in time loses, and the reason says so.
    let stalled = Measured {
        webgpu: None,
        ..slow_gpu
    };
    let why = cpu_because(stalled.choice("measured now"));
    assert!(
        why.starts_with("WebGPU's first steps took over 8 s, CPU 1,840 samples/s: using the CPU"),
        "{why}"
    );
}

#[test]
fn the_speed_test_request_is_read_and_checked_but_is_no_setting() {
    assert_eq!(bench_request("?bench=webgpu"), Some(false));
    assert_eq!(bench_request("epochs=3&bench=cpu"), Some(true));
    assert_eq!(bench_request("?epochs=3"), None);
    assert_eq!(bench_request("?bench=tpu"), None);
    let (s, w) = Settings::from_query("bench=cpu");
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(
        s.to_query(),
        "",
        "a share link does not rerun the speed test"
    );
    let (_, w) = Settings::from_query("bench=tpu");
    assert_eq!(w.len(), 1);
    assert!(w[0].contains("bench=tpu"), "{w:?}");
}

#[test]
fn every_preset_is_a_clean_share_link() {
    use distill_lab::presets::{PRESETS, Preset};
    let mut keys = std::collections::HashSet::new();
    for p in &PRESETS {
        assert!(keys.insert(p.key), "two presets named {}", p.key);
        let (s, warnings) = Settings::from_query(p.query);
        assert!(warnings.is_empty(), "{}: {warnings:?}", p.key);
        // Every setting the preset names is spelled out, and the link gives back its settings.
        assert_eq!(Settings::from_query(&s.to_query()).0, s, "{}", p.key);
        assert_eq!(Preset::find(p.key).unwrap().settings(), s);
        assert!(
            p.query.split('&').count() >= 12,
            "{}: spell every setting out",
            p.key
        );
        assert!(!p.expect.is_empty() && !p.title.is_empty());
    }
    // The first is the default run: the published teacher, so it ends in minutes.
    assert!(PRESETS[0].settings().pretrained);
    assert!(Preset::find("nope").is_none());
}

#[test]
fn a_bare_visit_opens_on_the_first_lesson() {
    use distill_lab::presets::{PRESETS, opening_settings};
    assert_eq!(opening_settings("").0, PRESETS[0].settings());
    let (s, w) = opening_settings("hide=seed,bogus&bench=cpu&device=cpu");
    assert_eq!(s.hide, vec!["seed".to_string()]);
    assert_eq!(s.device, DevicePref::Cpu);
    assert_eq!(s.subset, PRESETS[0].settings().subset);
    assert_eq!(w.len(), 1, "{w:?}");
    // A link that sets anything is taken as it is, on the page's base values.
    let (s, _) = opening_settings("epochs=3");
    assert_eq!(s, Settings::from_query("epochs=3").0);
    assert_eq!(s.dataset, Settings::default().dataset);
}

/// The page's run config for a network is the CLI's schema: a versioned `RunConfig` that
/// round-trips through a weights file's metadata; older files' free-form metadata (and unknown
/// versions) give none, and still load through their network config.
#[test]
fn run_configs_are_one_versioned_schema() {
    use distill_lab::distill::Method;
    use distill_lab::protocol::Role;
    use distill_lab::train::{NetworkConfig, RUN_CONFIG_VERSION, RunConfig};
    let (s, _) = Settings::from_query("method=fitnets&hints=3&T=4&lambda=0.3&labels=500&seed=7");
    let c = s.run_config(Role::Distilled, 10, 2000);
    assert_eq!(c.version, RUN_CONFIG_VERSION);
    assert!(matches!(c.network, NetworkConfig::Student(ref n) if n.classes == 10));
    assert_eq!(
        (c.train.seed, c.train.epochs, c.samples),
        (7, s.epochs, 2000)
    );
    let o = &c.objective;
    assert_eq!(
        (o.method, o.hint_epochs, o.mutual_t),
        (Some(Method::FitNets), Some(3), None)
    );
    assert_eq!(
        o.distill.map(|d| (d.temperature, d.weight)),
        Some((4.0, 0.3))
    );
    assert_eq!(o.labelled, Some(500));
    assert!(o.loss.contains("½‖h_t − W·h_s‖²"), "{}", o.loss);
    assert_eq!(c.settings.as_deref(), Some(s.to_query().as_str()));
    // With the whole run: the data, the teacher and its targets, the students.
    let exp = s.experiment(10, (2000, 500));
    let c = c.with_experiment(Some(exp.clone()));
    let back = RunConfig::from_json(&c.to_json()).expect("this build's run config reads back");
    assert_eq!(back.to_json(), c.to_json());
    assert_eq!(back.experiment.as_ref(), Some(&exp));
    let e = &exp;
    assert_eq!(
        (e.data.dataset.as_str(), e.data.train, e.data.val),
        ("emnist-letters", 2000, 500)
    );
    assert_eq!(e.students.labelled, Some(500));
    assert_eq!(
        e.teacher.as_ref().map(|t| t.train.is_some()),
        Some(!s.pretrained)
    );
    // A run config written before experiments were stored reads back without one.
    let mut older = c.to_json();
    older.as_object_mut().unwrap().remove("experiment");
    assert_eq!(
        RunConfig::from_json(&older).map(|r| r.experiment),
        Some(None)
    );
    // The baseline of the same run learns from labels, and the teacher is a CNN.
    let b = s.run_config(Role::Baseline, 10, 2000);
    assert_eq!(
        (b.objective.method, b.objective.loss.as_str()),
        (None, "cross-entropy")
    );
    let t = s.run_config(Role::Teacher, 10, 2000);
    assert!(matches!(t.network, NetworkConfig::Teacher(_)));
    // DML: its own temperature, no teacher knobs.
    let (d, _) = Settings::from_query("method=dml");
    let m = d.run_config(Role::Peer, 10, 100).objective;
    assert_eq!(
        (m.method, m.mutual_t, m.distill),
        (Some(Method::MutualStudents), Some(1.0), None)
    );
    // Older files carry free-form JSON; a later version is not misread as this one.
    let old = serde_json::json!({"optimizer": "adam", "loss": "cross-entropy", "epochs": 2});
    assert!(RunConfig::from_json(&old).is_none());
    let mut later = c.to_json();
    later["version"] = serde_json::json!(RUN_CONFIG_VERSION + 1);
    assert!(RunConfig::from_json(&later).is_none());
}

#[test]
fn a_value_that_is_no_number_falls_back_to_what_the_warning_names() {
    // `labels=abc` means nothing: every sample stays labelled (not a million labels, and the
    // share link written back does not gain one).
    let (s, w) = Settings::from_query("labels=abc&lr=abc&T=4");
    assert_eq!(s.labels, None);
    assert_eq!(s.lr, None);
    assert!(!s.to_query().contains("labels"), "{}", s.to_query());
    assert!(
        w.iter()
            .any(|w| w == "labels=abc is not a valid number; using all"),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| w == "lr=abc is not a valid number; using the optimizer's default"),
        "{w:?}"
    );
    assert!(w.iter().all(|w| !w.contains("NaN")), "{w:?}");
}

#[test]
fn the_loss_is_written_with_the_numbers_people_typed() {
    let (s, _) = Settings::from_query("loss=hinton&T=4&lambda=0.9");
    let d = s.distill_config().describe();
    assert_eq!(
        d,
        "hinton: 0.1·CE(y, s) + 0.9·4²·KL(softmax(t/4) ‖ softmax(s/4))"
    );
    let (s, _) = Settings::from_query("loss=keras&T=2.5&lambda=0.3");
    assert_eq!(
        s.distill_config().describe(),
        "keras: 0.3·CE(y, s) + CE(softmax(t/2.5), softmax(s/2.5)) (no T²)"
    );
}

#[test]
fn augmentation_and_its_targets_round_trip_mean_what_the_cli_flags_mean_and_bad_values_warn() {
    use distill_lab::data::augment::{Augment, TargetsFrom};
    use distill_lab::protocol::Role;
    let (s, w) = Settings::from_query("augment=jitter,mixup=1&targets=views=4&seed=3");
    assert!(w.is_empty(), "{w:?}");
    // The CLI's `--augment jitter,mixup=1 --targets views=4` parse to the same values.
    let cli = Augment::parse("jitter,mixup=1").unwrap();
    assert_eq!(
        (s.augment, s.targets),
        (cli, TargetsFrom::parse("views=4").unwrap())
    );
    assert_eq!(Settings::from_query(&s.to_query()).0, s);
    assert!(s.to_query().contains("augment=") && s.to_query().contains("targets=views"));
    // The students' run configs store it; the teacher's does not (the page never varies it).
    assert_eq!(s.run_config(Role::Distilled, 10, 100).train.augment, cli);
    assert_eq!(s.run_config(Role::Baseline, 10, 100).train.augment, cli);
    assert!(s.run_config(Role::Teacher, 10, 100).train.augment.is_off());
    // Except a CNN trained in the students' cohort (deep mutual learning): it sees their views.
    let (m, _) = Settings::from_query("method=dml-cnn&augment=jitter");
    assert_eq!(
        m.run_config(Role::Teacher, 10, 100).train.augment,
        Augment::JITTER
    );
    let text = s.describe_augment().unwrap();
    assert!(text.contains("mixup") && text.contains("4 views"), "{text}");
    assert_eq!(Settings::default().describe_augment(), None);
    // Hostile values: warned, and nothing is varied.
    let (bad, w) = Settings::from_query("augment=shift=NaN&targets=views=100000");
    assert!(bad.augment.is_off() && bad.targets == TargetsFrom::Clean);
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(
        w[0].starts_with("augment:") && w[1].starts_with("targets:"),
        "{w:?}"
    );
    // A run config written before augmentation existed reads back as unvaried.
    let mut old = s.run_config(Role::Distilled, 10, 100).to_json();
    old["train"].as_object_mut().unwrap().remove("augment");
    let back = distill_lab::train::RunConfig::from_json(&old).unwrap();
    assert!(back.train.augment.is_off());
}

/// One run, two ways in: every lesson's share link (with a seed added) and `distill sweep
/// --preset KEY --seed N` convert into the same students for the core runner — loop, method,
/// loss, labels — so the page's run and the CLI's are the same experiment.
#[test]
fn a_lessons_share_link_and_its_cli_flags_give_the_same_experiment() {
    use clap::Parser;
    use distill_lab::cli::sweep::{SweepArgs, preset_experiment};
    use distill_lab::presets::PRESETS;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        sweep: SweepArgs,
    }
    // The whole of Fashion-MNIST is there (a lesson on another set takes what there is).
    let has = (60_000, 10_000);
    for p in PRESETS {
        let (page, warnings) = Settings::from_query(&format!("{}&seed=5", p.query));
        assert!(warnings.is_empty(), "{}: {warnings:?}", p.key);
        let data = format!("data/{}", page.dataset);
        let cli = Cli::try_parse_from([
            "sweep", "--data", &data, "--preset", p.key, "--seed", "5", "--out", "unused",
        ])
        .unwrap();
        let cli = preset_experiment(cli.sweep, &page.dataset, 10, has).unwrap();
        let exp = page.experiment(10, has);
        let (n, val) = (page.subset.min(has.0), page.val.min(has.1));
        assert_eq!((exp.data.train, exp.data.val), (n, val));
        assert_eq!(exp.students, page.students_spec(10, n));
        if page.pretrained {
            assert_eq!(cli, exp, "lesson {}", p.key);
        } else {
            // The page trains this lesson's teacher; `distill sweep` loads one (`--teacher`, as
            // `distill train --model cnn` made it): the same run otherwise.
            assert_eq!((&cli.data, &cli.students), (&exp.data, &exp.students));
            let trained = exp.teacher.and_then(|t| t.train);
            assert_eq!(
                trained,
                Some(page.teacher_train_config()),
                "lesson {}",
                p.key
            );
        }
    }
    assert!(
        PRESETS.iter().any(|p| p.settings().pretrained),
        "a lesson compared whole"
    );
    // It can fail: another seed is another run.
    let quick = &PRESETS[0];
    let other = Settings::from_query(&format!("{}&seed=6", quick.query)).0;
    let cli = Cli::try_parse_from([
        "sweep", "--data", "d", "--preset", quick.key, "--seed", "5", "--out", "u",
    ])
    .unwrap();
    assert_ne!(
        preset_experiment(cli.sweep, &other.dataset, 10, has).unwrap(),
        other.experiment(10, has)
    );
}

/// A stored experiment reopens as the run that made it: the page's settings become an
/// experiment and come back unchanged, for every lesson and for settings off the lessons.
#[test]
fn an_experiment_reopens_as_the_settings_that_made_it() {
    use distill_lab::presets::PRESETS;
    let has = (1 << 30, 1 << 30);
    let mut queries: Vec<String> = PRESETS.iter().map(|p| p.query.to_string()).collect();
    queries.extend([
        "dataset=fashion-mnist&method=fitnets&hints=3&T=4&lambda=0.3&labels=500&seed=7&opt=adam&lr=0.002".into(),
        "dataset=fashion-mnist&method=dml&epochs=3&sched=off&batch=64".into(),
        "dataset=fashion-mnist&augment=shift%3D2,rotate%3D10,scale%3D0.1,mixup%3D1&targets=live&teacher=pretrained".into(),
    ]);
    for q in queries {
        let (s, warnings) = Settings::from_query(&q);
        assert!(warnings.is_empty(), "{q}: {warnings:?}");
        let e = s.experiment(10, has);
        assert_eq!(Settings::from_experiment(&e), s, "{q}");
        // Through the JSON a weights file stores, too.
        let stored = Experiment::from_json(&e.to_json()).expect("reads back");
        assert_eq!(
            Settings::from_experiment(&stored).to_query(),
            s.to_query(),
            "{q}"
        );
    }
    // It can fail: another seed is another run.
    let (s, _) = Settings::from_query("seed=3");
    let mut e = s.experiment(10, has);
    e.students.cfg.seed = 4;
    assert_ne!(Settings::from_experiment(&e), s);
}

/// A lesson or a file's run opened on a page keeps the page's own choices, and only those.
#[test]
fn a_run_opened_on_a_page_keeps_the_page_choices() {
    let (page, _) = Settings::from_query("device=cpu&view=present&hide=seed,lr&epochs=9");
    let (run, _) = Settings::from_query("device=webgpu&epochs=3&seed=4&T=2");
    let opened = page.on_this_page(run.clone());
    assert_eq!(
        (opened.device, opened.present, &opened.hide),
        (page.device, true, &page.hide)
    );
    assert_eq!(
        (opened.epochs, opened.seed, opened.temperature),
        (3, 4, 2.0)
    );
    assert_ne!(opened, run);
}
