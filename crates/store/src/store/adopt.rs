//! A device that joins (or restores) a circle past a forgetting handover: its ledger
//! starts at the epoch's verified base, not at a genesis change.

use circle_core::keys::Hash32;
use circle_core::term::TermCert;

use super::{corrupt, Store};
use crate::StoreError;

impl Store {
    /// Records a new own circle whose ledger is `document`, the verified base of epoch
    /// `epoch` (the caller checked it against the certificate chain). The own-circle
    /// mark is written last and made durable, so a crash before it leaves a store that
    /// a second attempt completes. Every certificate of the chain is stored by the caller.
    pub fn create_circle_at_epoch(
        &self,
        genesis: &TermCert,
        epoch: u64,
        document: &[u8],
    ) -> Result<(), StoreError> {
        if self.own_circle()?.is_some() {
            return Err(corrupt("this store already keeps a circle"));
        }
        let circle: Hash32 = genesis.id();
        self.put_cert(genesis)?;
        if self.epoch(&circle)? < epoch {
            self.start_epoch(&circle, epoch, document, 0)?;
        } else {
            self.install_document(&circle, document)?;
        }
        self.meta.insert("own_circle", &circle.0[..])?;
        self.wrote();
        self.sync()
    }
}
