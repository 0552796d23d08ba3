//! The native `distill` command: prepare datasets, train, evaluate, sweep, benchmark. A thin
//! shell: files, network and progress bars here, everything else in the core.

pub mod bench;
pub mod common;
pub mod eval;
pub mod fit;
pub mod http;
pub mod methods;
pub mod prepare;
pub mod resume;
pub mod resume_file;
pub mod source;
pub mod store;
pub mod sweep;
pub mod train;
pub mod weights;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "distill",
    version,
    about = "Distill Lab: datasets, training and distillation from the command line"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Turn an official dataset (folder, zip, .mat or URL) into shards under OUT/DATASET/.
    Prepare(prepare::PrepareArgs),
    /// Train the teacher CNN, the student MLP, or distil a teacher into the student.
    Train(train::TrainArgs),
    /// Accuracy, per-class accuracy and confusion matrix of saved weights.
    Eval(eval::EvalArgs),
    /// Distilled-student accuracy over a grid of temperatures and weights.
    Sweep(sweep::SweepArgs),
    /// Training and inference throughput, side by side with Keras/TensorFlow on the CPU.
    Bench(bench::BenchArgs),
}

/// Parse the command line and run; the exit code is non-zero on any error.
pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Prepare(a) => prepare::run(a),
        Command::Train(a) => train::train(a),
        Command::Eval(a) => eval::eval(a),
        Command::Sweep(a) => sweep::sweep(a),
        Command::Bench(a) => bench::run(a),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
