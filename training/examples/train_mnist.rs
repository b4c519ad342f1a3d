//! Trains a network on MNIST with the library API and prints one line per
//! epoch: `cargo run --release -p xbar-training --example train_mnist -- DIR [EPOCHS] [HIDDEN] [rate|direct]`.

use std::path::PathBuf;

use xbar_training::{
    accuracy, train, Dataset, Encoding, Network, NetworkConfig, Progress, Schedule, Split,
    TrainConfig,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(args.get(1).map_or("../shared/data/mnist", String::as_str));
    let epochs: usize = args.get(2).map_or(Ok(1), |s| s.parse())?;
    let hidden: usize = args.get(3).map_or(Ok(128), |s| s.parse())?;
    let encoding = match args.get(4).map(String::as_str) {
        Some("direct") => Encoding::Direct,
        _ => Encoding::Rate,
    };
    let train_set = Dataset::load_split(&dir, Split::Train)?;
    let test_set = Dataset::load_split(&dir, Split::Test)?;
    let config = NetworkConfig {
        sizes: vec![784, hidden, 10],
        encoding,
        ..NetworkConfig::default()
    };
    let mut net = Network::new(config, 1)?;
    let tc = TrainConfig {
        epochs,
        schedule: Schedule::Cosine,
        ..TrainConfig::default()
    };
    let history = train(&mut net, &train_set, Some(&test_set), &tc, &mut |p| {
        if let Progress::Epoch(s) = p {
            println!(
                "epoch {} loss {:.4} train {:.4} test {:.4} time {:.2}s",
                s.epoch,
                s.train_loss,
                s.train_accuracy,
                s.test_accuracy.unwrap_or(f64::NAN),
                s.epoch_time_s
            );
        }
    })?;
    println!("final test accuracy {:.4}", accuracy(&net, &test_set, 1));
    let _ = history;
    Ok(())
}
