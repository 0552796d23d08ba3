//! Issue 31, item 3: which of cubek's matmul kernels — and our register-tiled one
//! (`dense::Kernel::Tiled`, src/model/tiled_matmul.rs) — is fastest for the student's step on a
//! given wgpu adapter. burn 0.22 launches `Strategy::Auto` without autotune (on an adapter
//! without tensor cores: "simple unit", its largest tile); this times every candidate that
//! needs no tensor cores on the three matmuls of the student's step at batch 256:
//!   forward   x [256, 784] · W1 [784, 512]
//!   grad W1   xᵀ [784, 256] (a transposed view) · dy [256, 512]
//!   grad h    dy2 [256, 26] · W2ᵀ [26, 512] (a transposed view)
//! Prints a line per kernel and shape, then one JSON line of the same figures. Native only;
//! `bench/matmul_kernels.sh` runs it on this machine's two software adapters (Chromium's
//! SwiftShader, llvmpipe) and writes docs/results/matmul-kernels.json.
use cubecl::client::Client;
use cubecl::ir::{ElemType, FloatKind};
use cubecl::prelude::*;
use cubecl::std::tensor::TensorHandle;
use cubek::matmul::definition::MatmulElems;
use cubek::matmul::launch::launch_ref;
use cubek::matmul::multi_level::Strategy as MultiLevel;
use cubek::matmul::multi_level::routines::TileSizeSelection;
use cubek::matmul::multi_level::routines::batch::double_unit::DoubleUnitSelectionArgs;
use cubek::matmul::multi_level::routines::batch::simple_unit::SimpleUnitSelectionArgs;
use cubek::matmul::multi_level::routines::gemm::GemmStrategy;
use cubek::matmul::routine::BlueprintStrategy;
use cubek::matmul::strategy::Strategy;
use cubek::std::InputBinding;
use distill_lab::model::dense::{self, Kernel};
use std::time::Instant;

/// (name, m, k, n, lhs transposed, rhs transposed)
const SHAPES: [(&str, usize, usize, usize, bool, bool); 3] = [
    ("forward x·W1", 256, 784, 512, false, false),
    ("grad W1 = xᵀ·dy", 784, 256, 512, true, false),
    ("grad h = dy2·W2ᵀ", 256, 26, 512, false, true),
];

fn candidates() -> Vec<(&'static str, Strategy)> {
    let unit = |t| {
        MultiLevel::SimpleUnit(BlueprintStrategy::Inferred(SimpleUnitSelectionArgs {
            tile_size: t,
        }))
    };
    let double = |t| {
        MultiLevel::DoubleUnit(BlueprintStrategy::Inferred(DoubleUnitSelectionArgs {
            tile_size: t,
        }))
    };
    vec![
        ("auto (what burn runs)", Strategy::Auto),
        (
            "simple unit, max tile",
            unit(TileSizeSelection::MaxTileSize).into(),
        ),
        (
            "simple unit, min tile",
            unit(TileSizeSelection::MinTileSize).into(),
        ),
        (
            "double unit, max tile",
            double(TileSizeSelection::MaxTileSize).into(),
        ),
        (
            "double unit, min tile",
            double(TileSizeSelection::MinTileSize).into(),
        ),
        (
            "gemm",
            MultiLevel::Gemm(BlueprintStrategy::Inferred(GemmStrategy {
                target_num_planes: None,
            }))
            .into(),
        ),
        ("naive", MultiLevel::Naive.into()),
        (
            "cpu gemm (tiled)",
            cubek::matmul::tiled::Strategy::CpuGemm(Default::default()).into(),
        ),
    ]
}

/// The values of a `[rows, cols]` operand (small, deterministic) and the `[r, c]` memory holds
/// them as: `[cols, rows]` when `transposed`, read through swapped strides, as burn passes
/// `x.transpose()`.
fn values(rows: usize, cols: usize, transposed: bool) -> (Vec<f32>, [usize; 2]) {
    let data = (0..rows * cols)
        .map(|i| ((i * 7919) % 1000) as f32 / 1000.0)
        .collect();
    (
        data,
        if transposed {
            [cols, rows]
        } else {
            [rows, cols]
        },
    )
}

/// A `[rows, cols]` operand as cubek takes it ([`values`]).
fn operand(client: &Client, rows: usize, cols: usize, transposed: bool) -> TensorHandle {
    let (data, [r, c]) = values(rows, cols, transposed);
    let handle = client.create_from_slice(f32::as_bytes(&data));
    let mut t = TensorHandle::new_contiguous([1, r, c], handle, ElemType::Float(FloatKind::F32));
    if transposed {
        t.metadata.strides_mut().swap(1, 2);
        t.metadata.shape_mut().swap(1, 2);
    }
    t
}

/// One kernel on one shape: its mean time over `REPS` launches after a first (compiling) one,
/// and the sum of its output (every kernel must agree on it), or why it did not run.
fn time_kernel(
    client: &Client,
    strategy: &Strategy,
    (lhs, rhs): (&TensorHandle, &TensorHandle),
    (m, n): (usize, usize),
) -> Result<(f64, f64, f32), String> {
    const REPS: usize = 3;
    let elem = ElemType::Float(FloatKind::F32);
    let run = || {
        let out = TensorHandle::empty(client, vec![1, m, n], elem);
        launch_ref(
            strategy,
            client,
            InputBinding::Normal(lhs.clone().binding(), elem),
            InputBinding::Normal(rhs.clone().binding(), elem),
            out.clone().binding(),
            &mut MatmulElems::from_single_dtype(elem),
        )
        .map(|_| out)
        .map_err(|e| format!("{e:?}"))
    };
    // A kernel the adapter cannot compile (e.g. one needing subgroups on GL) may fail at its
    // launch, at the next sync or at the read.
    let sync = || cubecl::future::block_on(client.sync()).map_err(|e| format!("{e:?}"));
    let t0 = Instant::now();
    run().and_then(|_| sync())?;
    let first_s = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let mut out = None;
    for _ in 0..REPS {
        out = Some(run()?);
    }
    sync()?;
    let s = t0.elapsed().as_secs_f64() / REPS as f64;
    let handle = out.expect("REPS > 0").handle;
    let bytes = client.read_one(handle).map_err(|e| format!("{e:?}"))?;
    let sum = f32::from_bytes(&bytes).iter().take(m * n).sum();
    Ok((s, first_s, sum))
}

/// Ours, through the lab's own path (burn tensors on the same adapter, `dense::matmul`): the
/// same operands and launches; its timed window ends with reading the last output back
/// (`[m, n]` floats) rather than a bare sync, which can only make ours look slower.
fn time_tiled(
    device: &burn::prelude::Device,
    (m, k, n): (usize, usize, usize),
    (tl, tr): (bool, bool),
) -> Result<(f64, f64, f32), String> {
    use burn::prelude::{Tensor, TensorData};
    const REPS: usize = 3;
    let operand = |rows: usize, cols: usize, transposed: bool| {
        let (data, shape) = values(rows, cols, transposed);
        let t = Tensor::<2>::from_data(TensorData::new(data, shape), device);
        if transposed { t.transpose() } else { t }
    };
    let (lhs, rhs) = (operand(m, k, tl), operand(k, n, tr));
    let run = || dense::matmul(lhs.clone(), rhs.clone(), Kernel::Tiled);
    let sync = |t: Tensor<2>| {
        t.into_data()
            .try_to_vec::<f32>()
            .map_err(|e| format!("{e:?}"))
    };
    let t0 = Instant::now();
    sync(run())?;
    let first_s = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let mut out = None;
    for _ in 0..REPS {
        out = Some(run());
    }
    let values = sync(out.expect("REPS > 0"))?;
    let s = t0.elapsed().as_secs_f64() / REPS as f64;
    Ok((s, first_s, values.iter().sum()))
}

fn main() {
    // The lab's own adapter choice (and its name), then cubecl's client for that same device.
    let (device, info) = distill_lab::device::native_wgpu().expect("a wgpu adapter");
    let client = cubecl::Device::Wgpu(Default::default()).client();
    println!("adapter: {}", info.name);
    let mut shapes = Vec::new();
    for (what, m, k, n, tl, tr) in SHAPES {
        let mflop = 2.0 * (m * k * n) as f64 / 1e6;
        println!("\n{what}: [{m}, {k}] · [{k}, {n}] ({mflop:.0} MFLOP)");
        let (lhs, rhs) = (operand(&client, m, k, tl), operand(&client, k, n, tr));
        let mut kernels = Vec::new();
        let ours = ("tiled 8×8 (ours)", None);
        let theirs = candidates().into_iter().map(|(name, s)| (name, Some(s)));
        for (name, strategy) in theirs.chain([ours]) {
            let timed = match &strategy {
                Some(strategy) => time_kernel(&client, strategy, (&lhs, &rhs), (m, n)),
                None => time_tiled(&device, (m, k, n), (tl, tr)),
            };
            match timed {
                Ok((s, first_s, sum)) => {
                    println!(
                        "  {name:<24} {:>8.1} ms  {:>6.2} GFLOP/s  first {first_s:>6.2} s  checksum {sum:.1}",
                        1e3 * s,
                        mflop / s / 1e3,
                    );
                    kernels.push(serde_json::json!({
                        "kernel": name, "ms": 1e3 * s, "first_s": first_s, "checksum": sum,
                    }));
                }
                Err(e) => {
                    let e: String = e.chars().take(160).collect();
                    println!("  {name:<24} failed: {e}");
                    kernels.push(serde_json::json!({"kernel": name, "error": e}));
                }
            }
        }
        shapes.push(serde_json::json!({"shape": what, "m": m, "k": k, "n": n, "kernels": kernels}));
    }
    println!(
        "{}",
        serde_json::json!({"adapter": info.name, "shapes": shapes})
    );
}
