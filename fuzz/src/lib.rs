//! What every fuzz target shares: one honest two-term circle to judge inputs against,
//! built once per process.

use circle_core::ledger::Ledger;
use circle_core::term::TermChain;
use circle_core::testing::{scenario, Scenario};

/// An honest circle (two steward terms, a few changes each) and a replica holding
/// its whole history.
pub struct Context {
    pub scenario: Scenario,
    pub chain: TermChain,
    pub replica: Ledger,
}

impl Context {
    fn build() -> Context {
        // libfuzzer-sys's panic hook aborts on every panic, even one the code under
        // test catches on purpose (ingest contains Automerge's panics): put back the
        // default hook. A panic that escapes the target still aborts, in libfuzzer-sys.
        drop(std::panic::take_hook());
        let scenario = scenario(2, 3);
        let chain = scenario.chain();
        let mut replica = scenario.empty_replica();
        let report = circle_core::validate::ingest(
            &mut replica,
            &chain,
            scenario.changes.clone(),
            scenario.now,
        );
        assert_eq!(report.applied.len(), scenario.changes.len());
        Context {
            scenario,
            chain,
            replica,
        }
    }

    pub fn now(&self) -> u64 {
        self.scenario.now
    }
}

thread_local! {
    static CONTEXT: Context = Context::build();
}

/// Runs `f` with the shared context (libFuzzer calls targets on one thread).
pub fn with_context<T>(f: impl FnOnce(&Context) -> T) -> T {
    CONTEXT.with(f)
}
