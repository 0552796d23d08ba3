//! In the browser (headless Chromium, WebGPU on SwiftShader), through wasm-bindgen-test: the
//! paths that only exist on wasm — asynchronous WebGPU start-up, training with every read
//! async, weights read back from the GPU, the CPU fallback, and the shard codec.
#![cfg(target_arch = "wasm32")]

use burn::prelude::*;
use distill_lab::data::batch::Norm;
use distill_lab::data::prepare::{PIXELS, Split};
use distill_lab::data::{sha256_hex, shard};
use distill_lab::model::snapshot;
use distill_lab::model::{Classifier, StudentConfig, TeacherConfig};
use distill_lab::train::{self, Objective, OptimizerKind, TrainConfig, Trainer, read_steps};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Two easy classes: ink on the left half (0) or the right half (1), with noise.
fn two_class_split(n: usize) -> Split {
    let mut s = Split::default();
    let mut state = 12345u32;
    for i in 0..n {
        let label = (i % 2) as u8;
        s.labels.push(label);
        for p in 0..PIXELS {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let left = p % 28 < 14;
            let ink = (left == (label == 0)) && (state >> 24) > 100;
            s.pixels.push(if ink { 200 } else { (state >> 28) as u8 });
        }
    }
    s
}

const NORM: Norm = Norm {
    mean: 0.3,
    std: 0.4,
};

fn config(opt: OptimizerKind) -> TrainConfig {
    TrainConfig {
        epochs: 1,
        batch_size: 32,
        optimizer: opt,
        lr: opt.default_lr(),
        seed: 1,
        plateau: false,
        early_stopping: false,
        augment: distill_lab::data::augment::Augment::OFF,
    }
}

async fn losses<M: Classifier>(
    model: M,
    device: &Device,
    data: &Split,
    steps: usize,
) -> (M, Vec<f32>) {
    let ad = device.clone().autodiff();
    let mut t = Trainer::new(
        model,
        config(OptimizerKind::Adam),
        Objective::CrossEntropy,
        data.len(),
        &ad,
    );
    let mut handles = Vec::new();
    for _ in 0..steps {
        handles.push(t.step(data, NORM).expect("an epoch has this many steps"));
    }
    // One asynchronous read for every step: a synchronous one would panic on WebGPU.
    let m = read_steps(&handles).await.expect("async read");
    (t.into_model(), m.iter().map(|s| s.loss).collect())
}

// The `worker` bundle's WebGPU path; `cargo xtask test` runs these tests with `--features webgpu`.
#[cfg(feature = "webgpu")]
#[wasm_bindgen_test]
async fn webgpu_trains_with_async_reads_and_weights_come_back_and_kernels_agree() {
    let device = distill_lab::device::webgpu(|_| {})
        .await
        .expect("WebGPU adapter (run Chromium with --enable-unsafe-webgpu)");
    let data = two_class_split(32 * 12);
    distill_lab::model::seed(&device.clone().autodiff(), 3);
    let student = StudentConfig::new(2)
        .with_hidden(32)
        .init(&device.clone().autodiff());
    let (student, l) = losses(student, &device, &data, 12).await;
    assert!(l.iter().all(|x| x.is_finite()), "{l:?}");
    let (first, last) = (
        l[..3].iter().sum::<f32>(),
        l[l.len() - 3..].iter().sum::<f32>(),
    );
    assert!(last < first * 0.7, "loss should fall on WebGPU: {l:?}");

    // Weights read back asynchronously, loaded on the CPU, give the same predictions.
    let record = snapshot::record_bytes(&student)
        .await
        .expect("async weights read");
    let cpu = Device::flex();
    let on_cpu = snapshot::load_record(
        "gpu.dlw",
        StudentConfig::new(2).with_hidden(32).init(&cpu),
        record,
    )
    .unwrap();
    let idx = [0usize, 1, 2, 3];
    let gpu_logits = train::logits(&student.valid(), &data, &idx, NORM, 4, &device);
    let gpu: Vec<f32> = gpu_logits
        .into_data_async()
        .await
        .unwrap()
        .try_to_vec::<f32>()
        .unwrap();
    let cpu_logits: Vec<f32> = train::logits(&on_cpu, &data, &idx, NORM, 4, &cpu)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    for (a, b) in gpu.iter().zip(&cpu_logits) {
        assert!((a - b).abs() < 1e-3, "GPU {gpu:?} vs CPU {cpu_logits:?}");
    }
    matmul_kernels_and_the_patch_convolution_match_burns(&device).await;
}

/// A tensor's values, read asynchronously (a synchronous read panics on WebGPU).
#[cfg(feature = "webgpu")]
async fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data_async()
        .await
        .unwrap()
        .try_to_vec::<f32>()
        .unwrap()
}

#[cfg(feature = "webgpu")]
fn assert_close(ours: &[f32], theirs: &[f32], what: &str) {
    assert_eq!(ours.len(), theirs.len(), "{what}");
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        assert!(
            (a - b).abs() <= 1e-4 * (1.0 + b.abs()),
            "{what}: [{i}] {a} vs {b}"
        );
    }
}

/// The kernels `dense::pick` chooses among on a GPU (issue 31), on a real WebGPU adapter: each
/// gives burn's matmul's values, on shapes that need padding and through a transposed operand
/// (as the backward pass passes them); the convolution as a patch matrix gives burn's
/// convolution's values and gradients on the same adapter. (A page opens one WebGPU device:
/// the test below calls this with its own.)
#[cfg(feature = "webgpu")]
async fn matmul_kernels_and_the_patch_convolution_match_burns(device: &Device) {
    use burn::nn::conv::Conv2dConfig;
    use burn::tensor::Distribution;
    use distill_lab::model::dense::{self, Kernel};
    use distill_lab::model::patch_conv;

    let device = device.clone();
    for (m, k, n) in [(37, 29, 19), (64, 40, 24)] {
        let a = Tensor::<2>::random([m, k], Distribution::Default, &device);
        let b = Tensor::<2>::random([k, n], Distribution::Default, &device);
        let at = Tensor::<2>::random([k, m], Distribution::Default, &device);
        let want = values(a.clone().matmul(b.clone())).await;
        let want_t = values(at.clone().transpose().matmul(b.clone())).await;
        for kernel in Kernel::ALL {
            let what = format!("{} [{m}, {k}] · [{k}, {n}]", kernel.name());
            let got = values(dense::matmul(a.clone(), b.clone(), kernel)).await;
            assert_close(&got, &want, &what);
            let got = values(dense::matmul(at.clone().transpose(), b.clone(), kernel)).await;
            assert_close(&got, &want_t, &format!("{what}, lhs transposed"));
        }
    }

    let ad = device.clone().autodiff();
    let conv = Conv2dConfig::new([6, 5], [3, 3]).init(&ad);
    let x = Tensor::<4>::random([3, 6, 9, 9], Distribution::Default, &ad).require_grad();
    let theirs = conv.forward(x.clone());
    // At most one image's patches at a time: the batch in three slices.
    let ours = patch_conv::forward(&conv, x.clone(), Kernel::Tiled, 6 * 9 * 7 * 7 * 4);
    let (v_theirs, v_ours) = (values(theirs.clone()).await, values(ours.clone()).await);
    assert_close(&v_ours, &v_theirs, "convolution");
    let g1 = (theirs.clone() * theirs).sum().backward();
    let g2 = (ours.clone() * ours).sum().backward();
    let weight = conv.weight.val();
    let bias = conv.bias.as_ref().unwrap().val();
    assert_close(
        &values(x.grad(&g2).unwrap()).await,
        &values(x.grad(&g1).unwrap()).await,
        "input gradient",
    );
    assert_close(
        &values(weight.grad(&g2).unwrap()).await,
        &values(weight.grad(&g1).unwrap()).await,
        "weight gradient",
    );
    assert_close(
        &values(bias.grad(&g2).unwrap()).await,
        &values(bias.grad(&g1).unwrap()).await,
        "bias gradient",
    );
}

#[wasm_bindgen_test]
async fn cpu_fallback_trains_the_teacher_in_wasm() {
    let device = Device::flex();
    let data = two_class_split(32 * 6);
    let teacher = TeacherConfig::new(2).init(&device.clone().autodiff());
    let (_, l) = losses(teacher, &device, &data, 6).await;
    assert!(l.iter().all(|x| x.is_finite()) && l[5] < l[0], "{l:?}");
}

#[wasm_bindgen_test]
fn shards_and_sums_work_the_same_in_wasm() {
    // FIPS 180-2 test vector.
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let data = two_class_split(4096);
    let bytes = shard::encode(28, 28, &data.labels, &data.pixels);
    let t0 = js_sys::Date::now();
    let back = shard::decode("train-000.shard", &bytes).unwrap();
    web_sys::console::log_1(
        &format!(
            "decoded an 4096-sample shard ({} bytes) in {} ms",
            bytes.len(),
            js_sys::Date::now() - t0
        )
        .into(),
    );
    assert_eq!(back.labels, data.labels);
    assert_eq!(back.pixels, data.pixels);
}
