//! The study's networks and the distillation losses, against hand-computed numbers.

use burn::module::Module;
use burn::prelude::*;
use distill_lab::distill::{self, DistillConfig, LossForm, probs};
use distill_lab::model::{Arch, StudentConfig, TeacherConfig};
use distill_lab::train::{AdadeltaConfig, Schedule};

fn close(a: f32, b: f64, tol: f64) {
    assert!((a as f64 - b).abs() < tol, "{a} vs {b}");
}

fn scalar(t: Tensor<1>) -> f32 {
    t.into_scalar::<f32>()
}

#[test]
fn parameter_counts_match_the_study() {
    // conv 640 + conv 73,856 + dense 3,277,824 + dense 26,650.
    assert_eq!(Arch::Cnn.params(26), 3_378_970);
    // dense 401,920 + dense 13,338.
    assert_eq!(Arch::Mlp.params(26), 415_258);
    // Widths are configurable.
    let d = Device::flex();
    assert_eq!(
        StudentConfig::new(10).with_hidden(64).init(&d).num_params(),
        784 * 64 + 64 + 64 * 10 + 10
    );
    let small = TeacherConfig::new(10)
        .with_conv1(8)
        .with_conv2(16)
        .with_hidden(32)
        .init(&d);
    assert_eq!(
        small.num_params(),
        (8 * 9 + 8) + (16 * 8 * 9 + 16) + (16 * 25 * 32 + 32) + (32 * 10 + 10)
    );
}

#[test]
fn networks_map_images_to_logits() {
    let d = Device::flex();
    let x = Tensor::<2>::random([3, 784], burn::tensor::Distribution::Default, &d);
    assert_eq!(
        TeacherConfig::new(26).init(&d).forward(x.clone()).dims(),
        [3, 26]
    );
    assert_eq!(StudentConfig::new(10).init(&d).forward(x).dims(), [3, 10]);
}

fn fixtures(d: &Device) -> (Tensor<2>, Tensor<2>, Tensor<1, Int>) {
    (
        Tensor::<2>::from_floats([[1.0, 2.0, 3.0]], d),
        Tensor::<2>::from_floats([[3.0, 2.0, 1.0]], d),
        Tensor::<1, Int>::from_ints([2], d),
    )
}

#[test]
fn losses_match_hand_computed_values() {
    let d = Device::flex();
    let (s, t, y) = fixtures(&d);
    // CE = log(e + e² + e³) − 3.
    close(
        scalar(distill::cross_entropy(s.clone(), y.clone())),
        0.407_606,
        1e-5,
    );
    // p = softmax(t/2), q = softmax(s/2): −Σ p log q and Σ p (log p − log q).
    close(
        scalar(distill::soft_cross_entropy(s.clone(), t.clone(), 2.0)),
        1.340_348,
        1e-5,
    );
    close(
        scalar(distill::kl_divergence(s.clone(), t.clone(), 2.0)),
        0.320_157,
        1e-5,
    );
    let keras = DistillConfig {
        form: LossForm::Keras,
        temperature: 2.0,
        weight: 0.5,
    };
    let l = distill::distill_loss(&keras, s.clone(), t.clone(), y.clone());
    close(scalar(l.total), 1.544_151, 1e-5); // 0.5·0.40761 + 1.34035
    let hinton = DistillConfig {
        form: LossForm::Hinton,
        temperature: 2.0,
        weight: 0.5,
    };
    let l = distill::distill_loss(&hinton, s, t, y);
    close(scalar(l.total), 0.844_116, 1e-5); // 0.5·0.40761 + 0.5·4·0.32016
    close(scalar(l.hard), 0.203_803, 1e-5);
}

#[test]
fn edge_cases_of_temperature_and_weight() {
    let d = Device::flex();
    let (s, t, y) = fixtures(&d);
    let ce = scalar(distill::cross_entropy(s.clone(), y.clone()));
    // Hinton with α = 0 is plain cross-entropy; keras with λ = 0 is the soft term alone.
    let h0 = DistillConfig {
        form: LossForm::Hinton,
        temperature: 4.0,
        weight: 0.0,
    };
    close(
        scalar(distill::distill_loss(&h0, s.clone(), t.clone(), y.clone()).total),
        ce as f64,
        1e-6,
    );
    let k0 = DistillConfig {
        form: LossForm::Keras,
        temperature: 1.0,
        weight: 0.0,
    };
    let soft_t1 = scalar(distill::soft_cross_entropy(s.clone(), t.clone(), 1.0));
    close(
        scalar(distill::distill_loss(&k0, s.clone(), t.clone(), y.clone()).total),
        soft_t1 as f64,
        1e-6,
    );
    // At T = 1 the soft target of a teacher equal to the student gives KL 0 and soft CE = entropy.
    close(
        scalar(distill::kl_divergence(s.clone(), s.clone(), 1.0)),
        0.0,
        1e-6,
    );
    let h = probs::entropy_bits(&probs::softmax_t(&[1.0, 2.0, 3.0], 1.0)) as f64
        * std::f64::consts::LN_2;
    close(
        scalar(distill::soft_cross_entropy(s.clone(), s, 1.0)),
        h,
        1e-5,
    );
}

#[test]
fn probability_helpers() {
    let p = probs::softmax_t(&[3.0, 2.0, 1.0], 1.0);
    close(p[0], 0.665_241, 1e-6);
    close(probs::entropy_bits(&p), 1.200_893, 1e-5);
    // Higher T, higher entropy, same ranking; uniform in the limit.
    let hot = probs::softmax_t(&[3.0, 2.0, 1.0], 20.0);
    assert!(probs::entropy_bits(&hot) > probs::entropy_bits(&p));
    assert!(probs::entropy_bits(&hot) < 3f32.log2());
    assert_eq!(probs::argmax(&hot), 0);
    // Large logits stay finite.
    assert!(
        probs::softmax_t(&[1000.0, -1000.0], 1.0)
            .iter()
            .all(|v| v.is_finite())
    );
    // Beyond the top class, "2" holds twice the average of the rest; near-uniform has none.
    assert_eq!(
        probs::dark_knowledge(&[0.7, 0.05, 0.2, 0.05], 2.0),
        vec![(2, 0.2)]
    );
    assert!(probs::dark_knowledge(&[0.26, 0.25, 0.25, 0.24], 2.0).is_empty());
}

/// Gradient norm of the soft term with respect to the student logits.
fn soft_grad_norm(form: LossForm, t: f32) -> f32 {
    let d = Device::flex().autodiff();
    let s = Tensor::<2>::from_floats([[0.5, -1.0, 2.0, 0.0, 1.0]], &d).require_grad();
    let teacher = Tensor::<2>::from_floats([[2.0, 0.0, -1.0, 1.0, 0.5]], &d);
    let y = Tensor::<1, Int>::from_ints([0], &d);
    let cfg = DistillConfig {
        form,
        temperature: t,
        weight: 1.0,
    };
    let loss = distill::distill_loss(&cfg, s.clone(), teacher, y).soft;
    let grads = loss.backward();
    let g = s.grad(&grads).unwrap();
    let v: Vec<f32> = g.into_data().try_to_vec::<f32>().unwrap();
    assert!(v.iter().all(|x| x.is_finite()));
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}

#[test]
fn t_squared_keeps_the_soft_gradient_constant() {
    let ts = [5.0, 10.0, 20.0, 40.0];
    let hinton: Vec<f32> = ts
        .iter()
        .map(|&t| soft_grad_norm(LossForm::Hinton, t))
        .collect();
    let keras: Vec<f32> = ts
        .iter()
        .map(|&t| soft_grad_norm(LossForm::Keras, t))
        .collect();
    let spread = |v: &[f32]| {
        v.iter().cloned().fold(0.0, f32::max) / v.iter().cloned().fold(f32::MAX, f32::min)
    };
    // With T² the magnitude barely moves (Hinton et al. 2015, section 2.1) ...
    assert!(spread(&hinton) < 1.3, "hinton gradients {hinton:?}");
    // ... without it, it falls as 1/T²: 8x the temperature, ~64x smaller.
    assert!(spread(&keras) > 30.0, "keras gradients {keras:?}");
}

#[test]
fn adadelta_matches_the_keras_update() {
    use burn::nn::{Initializer, LinearConfig};
    use burn::optim::GradientsParams;
    let d = Device::flex().autodiff();
    let lin = LinearConfig::new(1, 1)
        .with_bias(false)
        .with_initializer(Initializer::Ones)
        .init(&d);
    let x = Tensor::<2>::from_floats([[2.0]], &d);
    let loss = lin.forward(x).sum(); // d loss / d w = 2
    let grads = GradientsParams::from_grads(loss.backward(), &lin);
    let mut optim = AdadeltaConfig::new().init();
    let lin = optim.step(1.0, lin, grads);
    // E[g²] = 0.05·4 = 0.2; Δ = sqrt(1e-7)/sqrt(0.2 + 1e-7)·2; w = 1 − Δ.
    let delta = (1e-7f64).sqrt() / (0.2f64 + 1e-7).sqrt() * 2.0;
    let w: Vec<f32> = lin.weight.val().into_data().try_to_vec::<f32>().unwrap();
    close(w[0], 1.0 - delta, 1e-6);
}

#[test]
fn the_fused_adadelta_step_follows_the_formula_over_many_values() {
    use distill_lab::train::adadelta::{fusable, fused};
    // More values than one block of the loop, so the split shows; gradients of all sizes.
    let n = 300_007;
    let g0: Vec<f32> = (0..n)
        .map(|i| ((i * 7919) % 2001) as f32 / 100.0 - 10.0)
        .collect();
    let w0: Vec<f32> = (0..n).map(|i| (i % 13) as f32 / 13.0).collect();
    let d = Device::flex();
    let t = |v: &[f32]| Tensor::<1>::from_floats(v, &d);
    let zeros = vec![0.0f32; n];
    let (mut w, mut gs, mut ds) = (t(&w0), t(&zeros), t(&zeros));
    // Two steps with lr 0.5: the second starts from the first's running averages.
    let g = t(&g0);
    assert!(fusable([&w, &g, &gs, &ds]));
    for _ in 0..2 {
        (w, gs, ds) = fused(0.95, 1e-7, 0.5, w, &g, gs, ds);
    }
    let got = w.into_data().try_to_vec::<f32>().unwrap();
    for i in (0..n).step_by(997).chain([n - 1]) {
        let (g, mut w, mut gs, mut ds) = (g0[i] as f64, w0[i] as f64, 0.0f64, 0.0f64);
        for _ in 0..2 {
            gs = 0.95 * gs + 0.05 * g * g;
            let delta = (ds + 1e-7).sqrt() / (gs + 1e-7).sqrt() * g;
            ds = 0.95 * ds + 0.05 * delta * delta;
            w -= 0.5 * delta;
        }
        close(got[i], w, 1e-5);
    }
    // Under autodiff (or on a GPU) it is not used, and the tensor operations run.
    let ad = Device::flex().autodiff();
    let a = Tensor::<1>::from_floats([1.0, 2.0], &ad);
    assert!(!fusable([&a, &a, &a, &a]));
    // Nor with tensors of different sizes.
    let b = Tensor::<1>::from_floats([1.0, 2.0, 3.0], &d);
    assert!(!fusable([&t(&[1.0, 2.0]), &b, &b, &b]));
}

#[test]
fn schedule_reduces_then_stops_like_keras() {
    let mut s = Schedule::new(true, true);
    let lr0 = 1.0;
    let e1 = s.end_epoch(1.0, lr0);
    assert!(!e1.lr_reduced && !e1.stop);
    let e2 = s.end_epoch(0.5, e1.lr);
    assert_eq!(e2.lr, 1.0);
    let e3 = s.end_epoch(0.6, e2.lr); // worse: patience 1 → reduce
    assert!(e3.lr_reduced && (e3.lr - 0.1).abs() < 1e-12 && !e3.stop);
    let e4 = s.end_epoch(0.55, e3.lr);
    assert!(e4.lr_reduced && !e4.stop);
    let e5 = s.end_epoch(0.5, e4.lr); // third epoch without beating 0.5 → stop
    assert!(e5.stop);
    let mut off = Schedule::new(false, false);
    for _ in 0..10 {
        let e = off.end_epoch(9.0, 1.0);
        assert!(!e.lr_reduced && !e.stop);
    }
}

#[test]
fn a_partly_labelled_batch_weighs_only_its_labelled_samples() {
    let d = Device::flex();
    // Two samples: the fixtures' row, and a second with its own label.
    let s = Tensor::<2>::from_floats([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], &d);
    let t = Tensor::<2>::from_floats([[3.0, 2.0, 1.0], [1.0, 1.0, -2.0]], &d);
    let y = Tensor::<1, Int>::from_ints([2, 0], &d);
    let mask = |m: [f32; 2]| Tensor::<1>::from_floats(m, &d);
    for form in [LossForm::Keras, LossForm::Hinton] {
        let cfg = DistillConfig {
            form,
            temperature: 2.0,
            weight: 0.5,
        };
        let full = distill::distill_loss(&cfg, s.clone(), t.clone(), y.clone());
        let partly = |m: [f32; 2]| {
            distill::distill_loss_partly_labelled(&cfg, s.clone(), t.clone(), y.clone(), mask(m))
        };
        close(
            scalar(partly([1.0, 1.0]).total),
            scalar(full.total) as f64,
            1e-6,
        );
        // No labels: the soft term alone, unchanged.
        let none = partly([0.0, 0.0]);
        close(scalar(none.hard), 0.0, 1e-7);
        close(scalar(none.total), scalar(full.soft) as f64, 1e-6);
        // The first labelled only: its CE over the whole batch of 2, weighted as in the form.
        let first = partly([1.0, 0.0]);
        let ce0 = scalar(distill::cross_entropy(
            s.clone().slice([0..1, 0..3]),
            Tensor::<1, Int>::from_ints([2], &d),
        ));
        // keras weighs the hard term by λ, hinton by 1 − α: both 0.5 here.
        close(scalar(first.hard), (0.5 * ce0 / 2.0) as f64, 1e-6);
    }
}

#[test]
fn mutual_and_hint_losses_match_hand_computed_values() {
    let d = Device::flex();
    let (s, t, y) = fixtures(&d);
    // One peer at T 1: CE(y, s) + KL(softmax(t) ‖ softmax(s)) = 0.407606 + (2·0.665241 − 2·0.090031).
    close(
        scalar(distill::mutual_loss(
            s.clone(),
            std::slice::from_ref(&t),
            y.clone(),
            1.0,
        )),
        1.558_026,
        1e-5,
    );
    // Two peers are averaged (1/(K−1)); a peer equal to the member adds nothing.
    close(
        scalar(distill::mutual_loss(
            s.clone(),
            &[t.clone(), s.clone()],
            y.clone(),
            1.0,
        )),
        0.407_606 + 1.150_420 / 2.0,
        1e-5,
    );
    // At T 2 the KL term is taken at T and scaled by T²: 0.407606 + 4·0.320157.
    close(
        scalar(distill::mutual_loss(s.clone(), &[t], y.clone(), 2.0)),
        1.688_234,
        1e-5,
    );
    // No peers: the labels alone.
    close(
        scalar(distill::mutual_loss(s, &[], y, 1.0)),
        0.407_606,
        1e-5,
    );
    // ½‖u − r‖² per sample, averaged: (½·5 + ½·25) / 2.
    let guess = Tensor::<2>::from_floats([[1.0, 2.0], [0.0, 0.0]], &d);
    let hint = Tensor::<2>::from_floats([[0.0, 0.0], [3.0, 4.0]], &d);
    close(scalar(distill::hint_loss(guess, hint)), 7.5, 1e-6);
}

#[test]
fn the_hint_regressor_maps_the_students_512_units_to_the_teachers_1024() {
    use distill_lab::model::{Classifier, HintedStudent};
    let d = Device::flex();
    let x = Tensor::<2>::random([3, 784], burn::tensor::Distribution::Default, &d);
    let teacher = TeacherConfig::new(26).init(&d);
    assert_eq!(teacher.hint(x.clone()).dims(), [3, 1024]);
    assert_eq!(teacher.hint_width(), 1024);
    let student = StudentConfig::new(26).init(&d);
    assert_eq!(student.hidden(x.clone()).dims(), [3, 512]);
    let plain = student.num_params();
    let hinted = HintedStudent::new(student, teacher.hint_width(), &d);
    assert_eq!(hinted.hint_width(), 1024);
    // The regressor: 512 × 1024 weights and 1024 biases, dropped with `into_student`.
    assert_eq!(hinted.num_params(), plain + 512 * 1024 + 1024);
    let (guess, logits) = hinted.guided(x.clone()).unwrap();
    assert_eq!((guess.dims(), logits.dims()), ([3, 1024], [3, 26]));
    // Inference: the guided pass's logits are the student's own.
    let (_, logits) = hinted.valid().guided(x.clone()).unwrap();
    let own = hinted.valid().logits(x.clone());
    assert_eq!(logits.into_data(), own.into_data());
    let student = hinted.into_student();
    assert_eq!(student.num_params(), plain);
    assert!(StudentConfig::new(26).init(&d).guided(x).is_none());
}
