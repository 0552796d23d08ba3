//! Fetching the dataset in the worker: the manifest, then the shards this run needs, each
//! checked against its sha256, decoded, cached in Cache Storage for the next visit. A shard that
//! fails (an error, a stalled server, a wrong sum) is tried again after a pause that doubles,
//! and the message that ends the run names the shard and what to do.

use super::web;
use crate::data::prepare::Split;
use crate::data::{
    DataError, Manifest, ShardInfo, SplitKind, manifest, prepare_command, sha256_hex, shard,
};
use crate::protocol::ShardProgress;

/// Tries per shard, and the pause before the second (doubling after).
const ATTEMPTS: usize = 3;
const FIRST_PAUSE_MS: i32 = 1_000;

/// The dataset's manifest: from the network, or (offline) the copy kept on the last visit.
pub async fn manifest(dataset: &str) -> Result<Manifest, DataError> {
    let url = format!("data/{dataset}/manifest.json");
    let fetched = match web::fetch_bytes(&url, manifest::MAX_BYTES).await {
        Ok(Some(bytes)) => {
            web::store(&url, &bytes).await;
            Ok(Some(bytes))
        }
        Ok(None) => Ok(None),
        Err(e) => (web::cached(&url).await.map(Some)).ok_or(DataError::Source(e)),
    };
    match fetched? {
        Some(bytes) => Manifest::from_json(&String::from_utf8_lossy(&bytes))
            .map_err(|e| DataError::Source(format!("{url}: {e}:\n  {}", prepare_command(dataset)))),
        None => Err(DataError::Source(format!(
            "The dataset '{dataset}' is not prepared ({url} was not found). Run\n  {}\nand reload this page (or run `cargo xtask serve`, which prepares it).",
            prepare_command(dataset)
        ))),
    }
}

/// One shard's bytes, from the cache when it holds a copy with the right sum, else from the
/// network. Returns the bytes, whether they came from the cache, and the milliseconds the
/// checksum took.
async fn shard_bytes(dataset: &str, info: &ShardInfo) -> Result<(Vec<u8>, bool, f64), DataError> {
    let url = format!("data/{dataset}/{}", info.file);
    // Content-addressed key: a re-prepared shard never matches a stale copy.
    let key = format!("{url}?sha256={}", info.sha256);
    if let Some(bytes) = web::cached(&key).await {
        let t0 = web::now_ms();
        if sha256_hex(&bytes) == info.sha256 {
            return Ok((bytes, true, web::now_ms() - t0));
        }
    }
    let mut last = None;
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            web::sleep_ms(FIRST_PAUSE_MS << (attempt - 1)).await;
        }
        let err = match web::fetch_bytes(&url, info.bytes).await {
            Ok(Some(bytes)) => {
                let t0 = web::now_ms();
                let actual = sha256_hex(&bytes);
                let verify_ms = web::now_ms() - t0;
                if actual == info.sha256 {
                    web::store(&key, &bytes).await;
                    return Ok((bytes, false, verify_ms));
                }
                DataError::Checksum {
                    file: url.clone(),
                    expected: info.sha256.clone(),
                    actual,
                }
            }
            Ok(None) => DataError::Source(format!(
                "{url} is listed in the manifest but missing on the server; prepare the data again: {}",
                prepare_command(dataset)
            )),
            Err(e) => DataError::Source(e),
        };
        last = Some(err);
    }
    let pauses: Vec<String> = (0..ATTEMPTS - 1)
        .map(|i| format!("{} s", (FIRST_PAUSE_MS << i) / 1000))
        .collect();
    let tried = format!(
        "tried {ATTEMPTS} times, pausing {} between",
        pauses.join(" and ")
    );
    Err(match last {
        Some(DataError::Source(e)) => DataError::Source(format!(
            "{e} ({tried}). Check the network or the server (`trunk serve`, or the hosted link), then press Start again: shards already loaded are kept."
        )),
        Some(e) => e,
        None => DataError::Source(format!("{url}: never fetched")),
    })
}

/// Load the first `limit` samples of a split, reporting each shard through `progress`.
pub async fn load_split(
    manifest: &Manifest,
    split: SplitKind,
    limit: usize,
    first_index: usize,
    total: usize,
    progress: &mut impl FnMut(ShardProgress),
) -> Result<Split, DataError> {
    let mut out = Split::default();
    for (i, info) in manifest.shards_for(split, limit).into_iter().enumerate() {
        let (bytes, cached, verify_ms) = shard_bytes(&manifest.dataset, info).await?;
        let t0 = web::now_ms();
        let data = shard::decode(&info.file, &bytes)?;
        manifest.check_shard(info, &data)?;
        let decode_ms = web::now_ms() - t0;
        let take = data.len().min(limit - out.len());
        out.labels.extend_from_slice(&data.labels[..take]);
        out.pixels
            .extend_from_slice(&data.pixels[..take * data.rows * data.cols]);
        progress(ShardProgress {
            file: info.file.clone(),
            index: first_index + i,
            of: total,
            bytes: bytes.len(),
            samples: take,
            cached,
            verify_ms,
            decode_ms,
        });
        web::sleep_ms(0).await;
    }
    Ok(out)
}
