//! Running the `circle` binary against a throw-away data directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_circle");

/// A data directory and the commands run against it.
pub(crate) struct Node {
    pub(crate) dir: tempfile::TempDir,
}

impl Node {
    pub(crate) fn new() -> Node {
        Node {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A node with a circle already created.
    pub(crate) fn init(name: &str) -> Node {
        let n = Node::new();
        n.ok(&["init", "--name", name]);
        n
    }

    /// A compliant circle: fund declared, pledge signed.
    pub(crate) fn compliant(name: &str) -> Node {
        let n = Node::init(name);
        n.ok(&[
            "fund",
            "declare",
            "--description",
            "Hardship fund for strikers",
        ]);
        n.ok(&[
            "pledge",
            "sign",
            "--text",
            "We answer every call for defense.",
        ]);
        n
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn cmd(&self) -> Command {
        let mut c = Command::new(BIN);
        c.arg("--data-dir")
            .arg(self.path())
            .env_remove("CIRCLE_DATA_DIR");
        c
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    /// Runs with `--json`, asserts success, returns the parsed output.
    pub(crate) fn ok(&self, args: &[&str]) -> Value {
        let out = self.cmd().arg("--json").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "circle {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "circle {args:?}: bad JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// Asserts failure with exactly one line on stderr; returns that line.
    pub(crate) fn fails(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().unwrap();
        assert!(
            !out.status.success(),
            "circle {args:?} unexpectedly succeeded"
        );
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err:?}");
        assert!(!err.contains("panicked"), "{err}");
        err
    }

    /// This node's circle id.
    pub(crate) fn circle_id(&self) -> String {
        self.ok(&["id"])["circle_id"].as_str().unwrap().to_owned()
    }

    /// Writes `content` to a file in the data directory's parent-free scratch space.
    pub(crate) fn file(&self, name: &str, content: &str) -> PathBuf {
        let p = self.path().join(name);
        std::fs::write(&p, content).unwrap();
        p
    }

    /// The full ledger as JSON (to check that failed commands changed nothing).
    pub(crate) fn ledger_json(&self) -> Value {
        let out = self.path().join("snapshot.json");
        self.ok(&["export", "--format", "json", out.to_str().unwrap()]);
        serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap()
    }
}

/// Installs the JS clients once (`npm ci` in tests/js: JS Automerge, playwright-core)
/// and returns the path of tests/js.
pub(crate) fn js_dir() -> PathBuf {
    static READY: OnceLock<PathBuf> = OnceLock::new();
    READY
        .get_or_init(|| {
            let js = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js");
            let installed = ["@automerge/automerge", "playwright-core"]
                .iter()
                .all(|p| js.join("node_modules").join(p).exists());
            if !installed {
                let st = Command::new("npm")
                    .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                    .current_dir(&js)
                    .status()
                    .expect("npm is needed for the interop and web tests");
                assert!(st.success(), "npm ci failed in tests/js");
            }
            js
        })
        .clone()
}

/// The JS Automerge loader script.
pub(crate) fn js_loader() -> PathBuf {
    js_dir().join("load.mjs")
}

/// Loads an `.automerge` file with the official JS Automerge.
pub(crate) fn load_with_js(file: &Path) -> Value {
    let out = Command::new("node")
        .arg(js_loader())
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "JS Automerge could not load {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
