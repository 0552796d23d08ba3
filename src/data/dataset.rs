//! The MNIST-format datasets we know: their file names, class names, label offsets, orientation
//! and the official checksums we can vouch for.

use std::fmt;
use std::str::FromStr;

/// A dataset in the MNIST family. All share the gzip IDX format and 28x28 greyscale images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DatasetKind {
    EmnistLetters,
    EmnistDigits,
    EmnistBalanced,
    EmnistMnist,
    Mnist,
    FashionMnist,
}

/// Which of the four files of a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRole {
    TrainImages,
    TrainLabels,
    TestImages,
    TestLabels,
}

impl FileRole {
    pub const ALL: [FileRole; 4] = [
        FileRole::TrainImages,
        FileRole::TrainLabels,
        FileRole::TestImages,
        FileRole::TestLabels,
    ];
}

/// The official EMNIST binary archive (see `shared/emnist/README.md`): 561,753,746 bytes.
pub const EMNIST_GZIP_ZIP_URL: &str = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip";
pub const EMNIST_GZIP_ZIP_SHA256: &str =
    "fb9bb67e33772a9cc0b895e4ecf36d2cf35be8b709693c3564cea2a019fcda8e";
pub const EMNIST_GZIP_ZIP_BYTES: u64 = 561_753_746;

/// Fashion-MNIST classes, in label order (zalandoresearch/fashion-mnist README).
const FASHION_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// EMNIST balanced: digits, upper case, and the 11 lower-case letters that differ from their
/// capitals (emnist-balanced-mapping.txt).
const BALANCED_LOWER: [char; 11] = ['a', 'b', 'd', 'e', 'f', 'g', 'h', 'n', 'q', 'r', 't'];

impl DatasetKind {
    pub const ALL: [DatasetKind; 6] = [
        DatasetKind::EmnistLetters,
        DatasetKind::EmnistDigits,
        DatasetKind::EmnistBalanced,
        DatasetKind::EmnistMnist,
        DatasetKind::Mnist,
        DatasetKind::FashionMnist,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DatasetKind::EmnistLetters => "emnist-letters",
            DatasetKind::EmnistDigits => "emnist-digits",
            DatasetKind::EmnistBalanced => "emnist-balanced",
            DatasetKind::EmnistMnist => "emnist-mnist",
            DatasetKind::Mnist => "mnist",
            DatasetKind::FashionMnist => "fashion-mnist",
        }
    }

    pub fn is_emnist(self) -> bool {
        matches!(
            self,
            DatasetKind::EmnistLetters
                | DatasetKind::EmnistDigits
                | DatasetKind::EmnistBalanced
                | DatasetKind::EmnistMnist
        )
    }

    /// EMNIST binaries store each image transposed (column-major); MNIST and Fashion-MNIST do not.
    pub fn transposed(self) -> bool {
        self.is_emnist()
    }

    /// The smallest label in the official files: EMNIST letters counts 1..=26 (label 0 never
    /// occurs, see the official mapping file); every other set starts at 0.
    pub fn label_offset(self) -> u8 {
        match self {
            DatasetKind::EmnistLetters => 1,
            _ => 0,
        }
    }

    pub fn classes(self) -> Vec<String> {
        match self {
            DatasetKind::EmnistLetters => ('A'..='Z').map(String::from).collect(),
            DatasetKind::EmnistDigits | DatasetKind::EmnistMnist | DatasetKind::Mnist => {
                ('0'..='9').map(String::from).collect()
            }
            DatasetKind::EmnistBalanced => ('0'..='9')
                .chain('A'..='Z')
                .chain(BALANCED_LOWER)
                .map(String::from)
                .collect(),
            DatasetKind::FashionMnist => FASHION_CLASSES.iter().map(|s| s.to_string()).collect(),
        }
    }

    pub fn num_classes(self) -> usize {
        self.classes().len()
    }

    /// The file name of one of the four official gzip IDX files.
    pub fn file_name(self, role: FileRole) -> String {
        let (split, kind) = match role {
            FileRole::TrainImages => ("train", "images-idx3"),
            FileRole::TrainLabels => ("train", "labels-idx1"),
            FileRole::TestImages => ("test", "images-idx3"),
            FileRole::TestLabels => ("test", "labels-idx1"),
        };
        if self.is_emnist() {
            let set = self.name().trim_start_matches("emnist-");
            format!("emnist-{set}-{split}-{kind}-ubyte.gz")
        } else {
            let split = if split == "test" { "t10k" } else { split };
            format!("{split}-{kind}-ubyte.gz")
        }
    }

    /// Where the official archives keep the file (`gzip/` inside EMNIST's gzip.zip).
    pub fn zip_member(self, role: FileRole) -> String {
        format!("gzip/{}", self.file_name(role))
    }

    /// The official sha256 of a gzip file, where we can vouch for it (shared/emnist/README.md).
    /// Debian's Fashion-MNIST is re-compressed (its gz md5s differ from the official README's),
    /// so for the other sets the files are checked for structure only.
    pub fn official_sha256(self, role: FileRole) -> Option<&'static str> {
        match (self, role) {
            (DatasetKind::EmnistLetters, FileRole::TrainImages) => {
                Some("6288f418a917e007bf5fddb823a2dc7a5c6a35031401b93292a539cb12bd881f")
            }
            (DatasetKind::EmnistLetters, FileRole::TrainLabels) => {
                Some("9759af91ea6bccdf07a6040fd085861f2ec88e37f7c3f5760f6feb57106fbe5c")
            }
            (DatasetKind::EmnistLetters, FileRole::TestImages) => {
                Some("50f0e93d75b99b463e9760b8345866f22587fa2c2fba472730a5ba09c693412d")
            }
            (DatasetKind::EmnistLetters, FileRole::TestLabels) => {
                Some("924955c31fe7fd809b7303b5c0141282955f4b8390c74cdfd5d80435e0f4b4cb")
            }
            _ => None,
        }
    }

    /// The default `--source`: the official download location.
    pub fn official_url(self) -> &'static str {
        match self {
            k if k.is_emnist() => EMNIST_GZIP_ZIP_URL,
            // The MNIST mirror that TensorFlow and PyTorch use (Yann LeCun's page is no longer served).
            DatasetKind::Mnist => "https://storage.googleapis.com/cvdf-datasets/mnist/",
            // Where Keras' `fashion_mnist.load_data` fetches the four official files (the
            // dataset's own S3 website serves plain http only).
            _ => "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
        }
    }
}

impl fmt::Display for DatasetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DatasetKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DatasetKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = DatasetKind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "unknown dataset '{s}'; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// The drawing pad's title for `dataset`: what its classes are ("Draw a letter" on EMNIST
/// letters, "Draw a shoe or a shirt" on Fashion-MNIST).
pub fn draw_prompt(dataset: &str) -> &'static str {
    match DatasetKind::ALL.into_iter().find(|k| k.name() == dataset) {
        Some(DatasetKind::EmnistLetters) => "Draw a letter",
        Some(DatasetKind::EmnistDigits | DatasetKind::EmnistMnist | DatasetKind::Mnist) => {
            "Draw a digit"
        }
        Some(DatasetKind::EmnistBalanced) => "Draw a letter or a digit",
        Some(DatasetKind::FashionMnist) => "Draw a shoe or a shirt",
        None => "Draw one of the classes",
    }
}

/// The command that prepares a missing dataset folder `data/<dataset>`, for the page to show.
pub fn prepare_command(dataset: &str) -> String {
    if !DatasetKind::ALL.iter().any(|k| k.name() == dataset) {
        let known: Vec<_> = DatasetKind::ALL.iter().map(|k| k.name()).collect();
        return format!(
            "`distill prepare` does not know {dataset} (it prepares {}); put a prepared folder \
             (manifest.json and its shards) at data/{dataset}",
            known.join(", ")
        );
    }
    let source = if dataset == "fashion-mnist" {
        " --source /usr/share/datasets/fashion-mnist"
    } else {
        ""
    };
    format!("cargo run --release --bin distill -- prepare --dataset {dataset}{source} --out data")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pad_asks_for_what_the_dataset_holds() {
        assert_eq!(draw_prompt("emnist-letters"), "Draw a letter");
        assert_eq!(draw_prompt("mnist"), "Draw a digit");
        assert_eq!(draw_prompt("fashion-mnist"), "Draw a shoe or a shirt");
        assert_eq!(draw_prompt("my-own-set"), "Draw one of the classes");
    }

    #[test]
    fn a_set_prepare_does_not_know_is_never_given_a_command_it_refuses() {
        assert!(prepare_command("fashion-mnist").contains("prepare --dataset fashion-mnist"));
        let other = prepare_command("kmnist");
        assert!(!other.contains("--dataset kmnist"), "{other}");
        assert!(other.contains("does not know kmnist"), "{other}");
    }
}
