//! `cargo xtask csp [DIR]`: trunk's post-build hook (Trunk.toml), run on the staged site
//! (`$TRUNK_STAGING_DIR`, or DIR). It makes the hosted link safe to reopen across deploys:
//! - a Content-Security-Policy `<meta>` first in index.html's head: the page's own files only,
//!   `wasm-unsafe-eval` for WebAssembly, and exactly the inline scripts trunk injected, by their
//!   sha256 (no `unsafe-inline`, no inline styles);
//! - the build's id (a sha256 over every file of the site but `data/`) in index.html
//!   (`<meta name="distill-build">`, which the page appends to its worker's URL), in `sw.js`
//!   (its cache is named for the build, and older caches are deleted when it activates), and in
//!   the worker loader shims' own URLs, so a new page never runs an old worker's code.

use crate::setup::Result;
use std::path::{Path, PathBuf};

/// Where the build id goes in `sw.js` (`www/sw.js` ships this exact line).
const SW_BUILD_LINE: &str = "const BUILD = 'dev';";

pub fn run(args: &[String]) -> Result<()> {
    let dir = match args.first() {
        Some(d) => PathBuf::from(d),
        None => std::env::var_os("TRUNK_STAGING_DIR")
            .map(PathBuf::from)
            .ok_or("usage: cargo xtask csp DIR (or as trunk's post_build hook)")?,
    };
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .map_err(|e| format!("{}: {e}", dir.join(name).display()))
    };
    let write = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text)
            .map_err(|e| format!("{}: {e}", dir.join(name).display()))
    };
    let build = build_id(&dir)?;
    let html = read("index.html")?;
    write("index.html", &stamp_html(&html, &build)?)?;
    let sw = read("sw.js")?;
    if !sw.contains(SW_BUILD_LINE) {
        return Err(format!(
            "{}: no line `{SW_BUILD_LINE}` to stamp",
            dir.join("sw.js").display()
        ));
    }
    write(
        "sw.js",
        &sw.replace(SW_BUILD_LINE, &format!("const BUILD = '{build}';")),
    )?;
    for entry in std::fs::read_dir(&dir)
        .map_err(|e| e.to_string())?
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.ends_with("_loader.js") {
            write(&name, &version_urls(&read(&name)?, &build))?;
        }
    }
    eprintln!(
        "xtask csp: build {build}: CSP and build id stamped in {}",
        dir.display()
    );
    Ok(())
}

/// The policy for a page whose inline scripts are `inline`.
pub fn policy(inline: &[&str]) -> String {
    let hashes: String = inline
        .iter()
        .map(|s| format!(" 'sha256-{}'", base64(&sha256(s.as_bytes()))))
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; \
         img-src 'self' data: blob:; connect-src 'self'; worker-src 'self' blob:; \
         object-src 'none'; base-uri 'self'; form-action 'self'"
    )
}

/// `html` with the CSP and build-id metas first in its head (any earlier ones replaced).
pub fn stamp_html(html: &str, build: &str) -> Result<String> {
    let html: String = html
        .lines()
        .filter(|l| {
            !l.contains("http-equiv=\"Content-Security-Policy\"")
                && !l.contains("name=\"distill-build\"")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let csp = policy(&inline_scripts(&html));
    let head = html.find("<head>").ok_or("index.html has no <head>")? + "<head>".len();
    let metas = format!(
        "\n    <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\" />\n    <meta name=\"distill-build\" content=\"{build}\" />"
    );
    Ok(format!("{}{metas}{}", &html[..head], &html[head..]))
}

/// The text of every `<script>` without a `src`, exactly as the browser hashes it.
pub fn inline_scripts(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else {
            break;
        };
        let tag = &after[..open_end];
        let body = &after[open_end + 1..];
        let Some(close) = body.find("</script>") else {
            break;
        };
        if !tag.contains(" src=") {
            out.push(&body[..close]);
        }
        rest = &body[close..];
    }
    out
}

/// Quoted `.js` and `.wasm` URLs in a loader shim with `?v=build` appended.
pub fn version_urls(js: &str, build: &str) -> String {
    let mut out = String::with_capacity(js.len());
    let mut chars = js.char_indices().peekable();
    let mut last = 0;
    while let Some((i, c)) = chars.next() {
        if c != '\'' && c != '"' {
            continue;
        }
        let Some(end) = js[i + 1..].find(c).map(|e| i + 1 + e) else {
            break;
        };
        let url = &js[i + 1..end];
        if (url.ends_with(".js") || url.ends_with(".wasm")) && !url.contains(char::is_whitespace) {
            out.push_str(&js[last..end]);
            out.push_str(&format!("?v={build}"));
            last = end;
        }
        while chars.peek().is_some_and(|(j, _)| *j <= end) {
            chars.next();
        }
    }
    out.push_str(&js[last..]);
    out
}

/// 16 hex digits of the sha256 over every file's path and bytes, in path order (not `data/`,
/// and not the files this hook stamps, so running it twice gives the same id).
fn build_id(dir: &Path) -> Result<String> {
    let mut files = Vec::new();
    collect(dir, dir, &mut files)?;
    files.sort();
    let mut all = Vec::new();
    for rel in files {
        let skip = rel.starts_with("data/")
            || rel == "index.html"
            || rel == "sw.js"
            || rel.ends_with("_loader.js");
        if skip {
            continue;
        }
        all.extend_from_slice(rel.as_bytes());
        all.extend(std::fs::read(dir.join(&rel)).map_err(|e| format!("{rel}: {e}"))?);
    }
    Ok(sha256(&all)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    for e in std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
    {
        let p = e.path();
        if p.is_dir() {
            collect(root, &p, out)?;
        } else if let Ok(rel) = p.strip_prefix(root) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// SHA-256 (FIPS 180-4), here so that xtask stays standard-library only.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 64];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([
                block[4 * i],
                block[4 * i + 1],
                block[4 * i + 2],
                block[4 * i + 3],
            ]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let mut v = h;
        for i in 0..64 {
            let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
            let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
            let t1 = v[7]
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
            let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            let t2 = s0.wrapping_add(maj);
            v = [
                t1.wrapping_add(t2),
                v[0],
                v[1],
                v[2],
                v[3].wrapping_add(t1),
                v[4],
                v[5],
                v[6],
            ];
        }
        for (a, b) in h.iter_mut().zip(v) {
            *a = a.wrapping_add(b);
        }
    }
    let mut out = [0u8; 32];
    for (i, x) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_and_base64_match_known_answers() {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        // FIPS 180-4's examples.
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&sha256(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        assert_eq!(
            hex(&sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"M"), "TQ==");
    }

    #[test]
    fn the_policy_names_each_inline_script_and_nothing_unsafe() {
        let html = "<html><head>\n<script type=\"module\">import init from '/app.js';</script>\n<script src=\"/x.js\"></script>\n</head><body></body></html>\n";
        assert_eq!(inline_scripts(html), ["import init from '/app.js';"]);
        let out = stamp_html(html, "0123abcd").unwrap();
        let want = format!(
            "'sha256-{}'",
            base64(&sha256(b"import init from '/app.js';"))
        );
        assert!(out.contains(&want), "{out}");
        assert!(out.contains("<meta name=\"distill-build\" content=\"0123abcd\" />"));
        assert!(!out.contains("unsafe-inline") && out.contains("'wasm-unsafe-eval'"));
        // Stamping again replaces the metas instead of adding more.
        let twice = stamp_html(&out, "0123abcd").unwrap();
        assert_eq!(twice.matches("Content-Security-Policy").count(), 1);
        assert_eq!(twice, out);
    }

    #[test]
    fn loader_shims_fetch_versioned_urls() {
        let js = "importScripts('./worker_cpu.js');wasm_bindgen(\"./worker_cpu_bg.wasm\");let a='b c.js';";
        assert_eq!(
            version_urls(js, "42"),
            "importScripts('./worker_cpu.js?v=42');wasm_bindgen(\"./worker_cpu_bg.wasm?v=42\");let a='b c.js';"
        );
    }
}
