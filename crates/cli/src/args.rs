//! The command line, as CLI.md specifies it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::{Deserialize, Serialize};

#[derive(Debug, Parser)]
#[command(
    name = "circle",
    version,
    about = "A signed, shared ledger for autonomous circles, federated peer to peer",
    propagate_version = true
)]
pub struct Cli {
    /// Where this node keeps its store and keys.
    #[arg(long, global = true, env = "CIRCLE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print one JSON document on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand, Serialize, Deserialize)]
pub enum Command {
    /// Create a new circle: genesis steward term, ledger, node identity.
    Init {
        #[arg(long)]
        name: String,
        /// Length of a steward term.
        #[arg(long, default_value_t = circle_core::circle::DEFAULT_TERM_DAYS)]
        term_days: u64,
    },
    /// Make this data directory a device of an existing circle: pull its ledger from the
    /// device named in the invite, then keep it in sync both ways (`circle serve`).
    Join {
        /// The circle's invite code (`circle invite` on one of its devices).
        invite: String,
    },
    /// This node's identity.
    Id,
    /// Run the node: federate with sister circles until SIGINT/SIGTERM. While it runs,
    /// every other command for this data directory talks to it.
    Serve(Box<ServeArgs>),
    /// Federate with a sister circle: dial it, sync its ledger, keep syncing.
    Follow {
        /// The invite code the sister circle shared (`circle invite`).
        invite: String,
    },
    /// Stop federating with a sister circle and drop its replica.
    Unfollow {
        #[arg(value_name = "CIRCLE_ID")]
        circle_id: String,
    },
    /// Rapid-defense alerts.
    #[command(subcommand)]
    Alert(AlertCmd),
    /// Alerts received from sister circles (and sent by this one), newest first.
    Alerts,
    /// Invite code for sister circles (also shown as a QR code).
    Invite,
    /// Peers, followed circles, sync state and compliance.
    Status,
    /// Is this node healthy? Running, reachable, federating, synced, clock, disk, memory,
    /// and what to do otherwise (`--json`: `ok` and a `checks` array).
    Doctor,
    /// The mutual aid fund.
    #[command(subcommand)]
    Fund(FundCmd),
    /// The rapid defense pledge.
    #[command(subcommand)]
    Pledge(PledgeCmd),
    /// The common rebellion protocol.
    #[command(subcommand)]
    Protocol(ProtocolCmd),
    /// Actions the circle took.
    #[command(subcommand)]
    Action(ActionCmd),
    /// List logged actions.
    Actions,
    /// Publish or show tactics.
    #[command(subcommand)]
    Tactic(TacticCmd),
    /// Tactics known to this node, own and sisters' (compliant circles only).
    Tactics {
        #[arg(long, value_name = "CIRCLE_ID")]
        from: Option<String>,
        #[arg(long)]
        tag: Option<String>,
        /// Only tactics whose title or body contains this text (case-insensitive).
        #[arg(long)]
        search: Option<String>,
    },
    /// Zines known to this node, own and sisters' (compliant circles only).
    Zines {
        #[arg(long, value_name = "CIRCLE_ID")]
        from: Option<String>,
    },
    /// Check, publish and export after-action zines.
    #[command(subcommand)]
    Zine(ZineCmd),
    /// Member aliases, kept on this node only, never published (the anonymiser redacts them).
    #[command(subcommand)]
    Member(LexiconCmd),
    /// Words never to publish, kept on this node only (the anonymiser redacts them).
    #[command(subcommand, name = "redact-word")]
    RedactWord(LexiconCmd),
    /// Rebuild this directory's circle from a bundle of its own ledger, after its store
    /// was lost or damaged (the steward keys in the data directory must be kept).
    Restore { file: PathBuf },
    /// Verify a sister circle's ledger bundle (from `export --format bundle`) and keep it;
    /// with --passphrase-file, restore an archive of this circle (from `circle archive`)
    /// beside it, never served (docs/ARCHIVE.md).
    Import {
        file: PathBuf,
        /// The archive's passphrase, in a file only its owner can read (one trailing
        /// newline is not part of it).
        #[arg(long, value_name = "F")]
        passphrase_file: Option<PathBuf>,
    },
    /// The circle's whole record (every epoch this node still holds), encrypted to a
    /// passphrase, for the circle's own safekeeping off-site (docs/ARCHIVE.md).
    Archive {
        /// The archive to write (replaced atomically, mode 0600).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The passphrase, in a file only its owner can read (one trailing newline is not
        /// part of it).
        #[arg(long, value_name = "F")]
        passphrase_file: PathBuf,
    },
    /// The task map.
    #[command(subcommand)]
    Task(TaskCmd),
    /// List tasks.
    Tasks {
        /// Only tasks not closed yet.
        #[arg(long)]
        open: bool,
    },
    /// Retrospectives.
    #[command(subcommand)]
    Retro(RetroCmd),
    /// List retrospectives, oldest first.
    Retros,
    /// Steward terms.
    #[command(subcommand)]
    Steward(StewardCmd),
    /// Verifiable lottery draws (e.g. meeting facilitators), recorded in the ledger.
    #[command(subcommand)]
    Lottery(LotteryCmd),
    /// Write the ledger document to a file (`-` for standard output).
    Export {
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Another circle held by this node (bundle format only).
        #[arg(long, value_name = "CIRCLE_ID")]
        circle: Option<String>,
        out: PathBuf,
    },
    /// The web page's access token and the link that signs a browser in.
    Token,
}

#[derive(Debug, Clone, Copy, ValueEnum, Serialize, Deserialize)]
pub enum ExportFormat {
    /// A standard `.automerge` file, loadable by Automerge libraries in any language.
    Automerge,
    Json,
    /// Certificates and every signed change, for `circle import` on another node.
    Bundle,
}

#[derive(Debug, Subcommand, Serialize, Deserialize)]
pub enum ZineCmd {
    /// Show what the anonymiser finds in a draft; publishes nothing.
    Check {
        #[arg(long)]
        file: PathBuf,
    },
    /// Publish a draft as a zine; refuses while findings remain, unless --redact.
    Publish {
        #[arg(long)]
        title: String,
        /// The draft; `## What worked`, `## What failed`, `## Open questions` headings split it.
        #[arg(long)]
        file: PathBuf,
        /// Replace every finding with [REDACTED:kind] instead of refusing.
        #[arg(long)]
        redact: bool,
        /// The action this zine reflects on.
        #[arg(long = "action", value_name = "ACTION_ID")]
        action: Option<String>,
    },
    /// Write a zine as Markdown or as a printable A5 booklet (HTML).
    Export {
        /// ZINE_ID, or CIRCLE_ID/ZINE_ID for a sister's zine.
        zine_id: String,
        #[arg(long, value_enum)]
        format: ZineFormat,
        /// Where to write it (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum, Serialize, Deserialize)]
pub enum ZineFormat {
    Markdown,
    /// An A5 booklet, page after page.
    Html,
    /// The A5 booklet imposed on A4 sheets for fold-and-staple printing.
    Booklet,
}

#[derive(Debug, Subcommand, Serialize, Deserialize)]
pub enum LexiconCmd {
    Add { word: String },
    Remove { word: String },
    List,
}

#[derive(Debug, Subcommand, Serialize, Deserialize)]
pub enum FundCmd {
    /// Declare the circle's mutual aid fund.
    Declare {
        #[arg(long)]
        description: String,
    },
    /// Record a contribution (or, with --disbursement, a payout).
    Add {
        /// Exact decimal amount, e.g. 12.50 (a payout is a positive amount with
        /// --disbursement). A sign reaches the amount's own check, which says so.
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        /// Three-letter currency code, e.g. EUR.
        #[arg(long)]
        currency: String,
        #[arg(long)]
        memo: String,
        #[arg(long)]
        disbursement: bool,
    },
    /// Show the fund, its ledger and balances.
    Show,
}

#[derive(Debug, Subcommand, Serialize, Deserialize)]
pub enum PledgeCmd {
    /// Sign the rapid defense pledge for the current term.
    Sign {
        #[arg(long)]
        text: String,
    },
}

#[derive(Debug, Subcommand, Serialize, Deserialize)]
pub enum ProtocolCmd {
    /// Compliance with the three items, own circle or a sister.
    Status { circle_id: Option<String> },
}

#[derive(Debug, Subcommand, Serialize, Deserialize)]
pub enum ActionCmd {
    /// Log an action.
    Log {
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        summary: String,
        #[arg(long = "tag")]
        tags: Vec<String>,
    },
    /// Log many actions from JSON lines ({"title", "summary", "tags"}); `-` reads
    /// standard input. Each id is printed once it is durable.
    Import {
        #[arg(long)]
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand, Serialize, Deserialize)]
pub enum TacticCmd {
    /// Publish a tactic under an open licence.
    Publish(PublishTactic),
    /// Show one tactic in full (TACTIC_ID, or CIRCLE_ID/TACTIC_ID for a sister's).
    Show { tactic_id: String },
    /// Copy a sister's tactic into this ledger, keeping its licence and lineage.
    Fork {
        #[arg(value_name = "CIRCLE_ID/TACTIC_ID")]
        source: String,
    },
    /// The chain of circles that adapted a tactic.
    Lineage { tactic_id: String },
}

#[derive(Debug, Args, Serialize, Deserialize)]
pub struct PublishTactic {
    #[arg(long)]
    pub title: String,
    #[arg(long)]
    pub body_file: PathBuf,
    /// CC0-1.0, CC-BY-4.0 or CC-BY-SA-4.0.
    #[arg(long, default_value = circle_core::compliance::DEFAULT_LICENSE)]
    pub license: String,
    #[arg(long = "tag")]
    pub tags: Vec<String>,
}

#[derive(Debug, Subcommand, Serialize, Deserialize)]
pub enum TaskCmd {
    /// Add a task to the map.
    Add {
        #[arg(long)]
        title: String,
    },
    /// Claim a task (by a role or alias, never a legal name).
    Claim {
        task_id: String,
        #[arg(long, default_value = "a steward")]
        by: String,
    },
    /// Close a task with an after-action note.
    Close {
        task_id: String,
        #[arg(long)]
        note: String,
    },
}

#[derive(Debug, Subcommand, Serialize, Deserialize)]
pub enum RetroCmd {
    /// Record a retrospective.
    Add {
        #[arg(long)]
        title: String,
        #[arg(long)]
        notes: String,
        #[arg(long = "action", value_name = "ACTION_ID")]
        action: Option<String>,
    },
}

#[derive(Debug, Subcommand, Serialize, Deserialize)]
pub enum StewardCmd {
    /// Certify the next term with fresh keys on this node and hand over.
    Rotate {
        #[arg(long, default_value_t = circle_core::circle::DEFAULT_TERM_DAYS)]
        term_days: u64,
        #[arg(long, default_value_t = 1)]
        stewards: usize,
    },
    /// The current term and its stewards.
    Show,
    /// Make a fresh steward key for the next term on this device; prints its candidate
    /// code for a steward to pass to `propose --steward CODE`.
    Volunteer,
    /// Propose the next term (a steward of the current term); signs it with this
    /// device's keys, certifying at once if they reach the threshold.
    Propose {
        #[command(flatten)]
        next: NextTerm,
    },
    /// Co-sign a proposal with this device's keys of the current term.
    Approve {
        /// The proposal's id, or a prefix of at least 8 hex digits.
        proposal_id: String,
    },
    /// Pending proposals, with who signed and who is missing.
    Proposals,
    /// Withdraw a proposal this device proposed (writes resume).
    Withdraw { proposal_id: String },
    /// Emergency handover leaving out a lost or seized steward key; the other stewards
    /// certify it (the threshold is counted without KEY).
    Revoke {
        /// The steward key (hex, as `steward show` lists it).
        key: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        next: NextTerm,
    },
}

#[derive(Debug, Subcommand, Serialize, Deserialize)]
pub enum LotteryCmd {
    /// Draw SEATS of the candidates; the seed is fixed by every steward's commitment.
    Draw {
        #[arg(long)]
        seats: u32,
        /// A candidate (repeatable; public: a role or handle, never a legal name).
        #[arg(long = "from", value_name = "NAME", num_args = 1..)]
        from: Vec<String>,
        #[arg(long, default_value = "")]
        purpose: String,
    },
    /// Recompute a draw from its public transcript, this circle's or a sister's.
    Verify {
        #[arg(value_name = "DRAW_ID")]
        draw_id: String,
        /// The circle that holds the draw (default: this circle, then every sister).
        #[arg(long, value_name = "CIRCLE_ID")]
        circle: Option<String>,
    },
    /// Reveal this device's chain values for the open draws, and close draws whose
    /// reveal window has passed (also done after device sync).
    Reveal,
}

/// The next term a proposal names (`steward propose` and `steward revoke`).
#[derive(Debug, Args, Serialize, Deserialize)]
pub struct NextTerm {
    #[arg(long, default_value_t = circle_core::circle::DEFAULT_TERM_DAYS)]
    pub term_days: u64,
    /// A candidate code (from `steward volunteer`), or `self` for a fresh key here
    /// [revoke's default: `self`].
    #[arg(long = "steward", value_name = "CANDIDATE|self")]
    pub stewards: Vec<String>,
    /// Signatures of the new term's stewards needed to hand over again [default: a majority].
    #[arg(long)]
    pub threshold: Option<u32>,
    /// Draw SEATS stewards by verifiable lottery among the candidates of --from, instead
    /// of naming them (`propose` only).
    #[arg(
        long,
        value_name = "SEATS",
        requires = "from",
        conflicts_with = "stewards"
    )]
    #[serde(default)]
    pub draw: Option<u32>,
    /// The candidates of --draw: candidate codes (from `steward volunteer`).
    #[arg(long, value_name = "CANDIDATE", num_args = 1.., requires = "draw")]
    #[serde(default)]
    pub from: Vec<String>,
    /// Keep evidence (actions, fund memos, closed tasks' notes, retros, alerts) for N
    /// terms: the next term starts a new epoch and every node forgets the rest; `all`
    /// keeps everything [default: what the current term says; a new circle keeps all].
    #[arg(long, value_name = "N|all")]
    #[serde(default)]
    pub retain_terms: Option<String>,
}

#[derive(Debug, Args, Serialize, Deserialize)]
pub struct ServeArgs {
    /// Multiaddr to listen on (repeatable); default: TCP and QUIC on port 7879.
    #[arg(long = "listen", value_name = "MULTIADDR")]
    pub listen: Vec<String>,
    /// A peer to dial at start, ending in /p2p/PEER_ID (repeatable).
    #[arg(long = "peer", value_name = "MULTIADDR")]
    pub peers: Vec<String>,
    /// An address invites list as it is (repeatable), e.g. a public name or forwarded
    /// port. Invites otherwise list only routable addresses and IPs given to --listen.
    #[arg(long = "announce", value_name = "MULTIADDR")]
    #[serde(default)]
    pub announce: Vec<String>,
    /// Do not look for peers on the local network.
    #[arg(long)]
    pub no_mdns: bool,
    /// Follow every circle served by a node found on the local network, with no invite
    /// (for a room's own nodes: anyone on the LAN can answer, so it is off by default).
    #[arg(long, conflicts_with = "no_mdns")]
    pub follow_lan: bool,
    /// Relay connections for nodes behind NAT (costs bandwidth).
    #[arg(long)]
    pub relay: bool,
    /// Create the circle first if this data directory has none.
    #[arg(long)]
    pub name: Option<String>,
    /// Steward term length for a circle created by --name.
    #[arg(long, default_value_t = circle_core::circle::DEFAULT_TERM_DAYS)]
    pub term_days: u64,
    /// Seconds between catalog checks with every connected peer.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub resync_secs: u64,
    /// KiB of changes asked for per sync page (tests use small pages).
    #[arg(long, hide = true, default_value_t = 2048, value_parser = clap::value_parser!(u32).range(1..=2048))]
    pub sync_page_kib: u32,
    /// Address of the local web page and JSON API [default: 127.0.0.1:7878]. Any address
    /// other than loopback needs --token.
    #[arg(long, value_name = "ADDR", value_parser = parse_http_addr)]
    pub http: Option<std::net::SocketAddr>,
    /// Serve no web page or JSON API.
    #[arg(long, conflicts_with = "http")]
    pub no_http: bool,
    /// Access token every page and API request must carry (at least 16 characters);
    /// required when --http is not a loopback address.
    #[arg(
        long,
        env = "CIRCLE_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
}

/// `IP:PORT`, or `localhost:PORT`.
fn parse_http_addr(s: &str) -> Result<std::net::SocketAddr, String> {
    if let Some(port) = s.strip_prefix("localhost:") {
        let port: u16 = port
            .parse()
            .map_err(|_| format!("`{port}` is not a port number"))?;
        return Ok(std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    }
    s.parse()
        .map_err(|_| format!("`{s}` is not an address like 127.0.0.1:7878"))
}

#[derive(Debug, Subcommand, Serialize, Deserialize)]
pub enum AlertCmd {
    /// Send a rapid-defense alert to every federated circle (needs `circle serve`).
    Send {
        #[arg(long)]
        text: String,
    },
}
