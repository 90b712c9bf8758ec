//! The running node: the own circle, sister replicas and the network, wired together.
//!
//! [`Node::start`] spawns three tasks around the network's event loop:
//! - *events*: answers sync requests, judges gossip, tracks peers (bounded concurrency);
//! - *jobs*: pulls circles from peers from a bounded, deduplicated queue: up to four at once,
//!   one at a time per peer and per circle, each within a time budget;
//! - *ticker*: re-checks every connected peer's catalog and re-announces the own circle.
//!
//! Every decision about content is made here with core's rules; the net crate only moves
//! bytes. sled and Automerge work runs on blocking threads.

mod budget;
mod deliver;
pub(crate) mod gossip;
mod lan;
mod redial;
mod shared_addrs;
pub(crate) mod sync;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use circle_core::keys::Hash32;
use circle_net::{Client, Event, Multiaddr, NetConfig, PeerId, Transport};
use circle_store::Store;
use serde::Serialize;
use tokio::sync::{broadcast, mpsc, watch, Semaphore};
use tokio::task::{JoinHandle, JoinSet};
use tracing::{debug, info, warn};

use crate::replicas::Replicas;
use crate::{LocalCircle, NodeError};

pub use gossip::AlertView;
pub use sync::{FollowReport, SyncProgress};

/// Gossip topic of signed announcements (circle, term, heads, compliance).
pub const ANNOUNCE_TOPIC: &str = "circle-ledger/announce/1";
/// Gossip topic of rapid-defense alerts.
pub const ALERT_TOPIC: &str = "circle-ledger/alert/1";
/// Sync jobs waiting; more are dropped (the next catalog check finds the work again).
const JOB_QUEUE: usize = 1024;
/// Pulls running at once, each from a different peer (a stalled peer holds one slot).
const PULLS_AT_ONCE: usize = 4;
/// Longest a pull may take, all pages together, unless configured otherwise.
const PULL_BUDGET: Duration = Duration::from_secs(600);
/// Longest wait for one DHT provider record to be placed at start.
const PROVIDE_WAIT: Duration = Duration::from_secs(10);
/// Live alerts buffered for slow subscribers (web page streams).
const ALERT_STREAM: usize = 64;

/// How a node joins the network.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// Multiaddrs to listen on (e.g. `/ip4/127.0.0.1/tcp/0`).
    pub listen: Vec<String>,
    /// Peers to dial at start, ending in `/p2p/<PeerId>`; remembered peers are dialed too.
    /// Both are redialed whenever they are not connected (see `node/redial.rs`).
    pub peers: Vec<String>,
    /// Addresses invites list as they are (e.g. a public name or a forwarded port),
    /// besides the routable or explicitly chosen listen addresses.
    pub announce: Vec<String>,
    /// Find peers on the LAN with mDNS (multicast: off in tests).
    pub mdns: bool,
    /// Relay connections for others (opt-in: it costs bandwidth).
    pub relay_server: bool,
    /// libp2p's in-process memory transport, for tests.
    pub memory: bool,
    /// How often connected peers' catalogs are checked again.
    pub resync: Duration,
    /// Bytes of changes asked for per sync page (tests make it small to sync in many pages).
    pub page_bytes: u32,
    /// Longest one pull of one circle from one peer may take, all pages together; a peer
    /// that takes longer is benched for a while.
    pub pull_budget: Duration,
    /// A first sync of a sister circle asks for its vouched history as one document
    /// (docs/CHECKPOINTS.md), then pulls what follows change by change. On by default;
    /// `CIRCLE_SNAPSHOT_SYNC=0` in the environment turns it off (every change then
    /// travels with its own signature). Devices of the own circle always sync change by
    /// change: they keep the circle's whole signed record.
    pub snapshot_first_sync: bool,
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            listen: vec![
                "/ip4/0.0.0.0/tcp/7879".into(),
                "/ip4/0.0.0.0/udp/7879/quic-v1".into(),
            ],
            peers: Vec::new(),
            announce: Vec::new(),
            mdns: true,
            relay_server: false,
            memory: false,
            resync: Duration::from_secs(30),
            page_bytes: sync::PAGE_BYTES,
            pull_budget: PULL_BUDGET,
            snapshot_first_sync: std::env::var_os("CIRCLE_SNAPSHOT_SYNC").is_none_or(|v| v != "0"),
        }
    }
}

/// A handle to the running node; cheap to clone.
#[derive(Clone, Debug)]
pub struct Node {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    local: Mutex<LocalCircle>,
    store: Store,
    own: Hash32,
    peer_id: PeerId,
    net: Client,
    replicas: Replicas,
    live: Mutex<Live>,
    jobs: mpsc::Sender<Job>,
    alerts: broadcast::Sender<AlertView>,
    stop: watch::Sender<bool>,
    /// Why the own circle's writes stopped reaching the disk, once they did.
    store_failed: watch::Sender<Option<String>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    page_bytes: u32,
    pull_budget: Duration,
    snapshot_first_sync: bool,
    /// The own circle's checkpoint this device is collecting signatures for.
    collecting: Mutex<Option<circle_core::checkpoint::Checkpoint>>,
    /// Bumped each time a pull ends: what an alert waiting for a certificate listens to.
    pulls_done: watch::Sender<u64>,
    /// One running job per peer: a slow or stalled peer holds one pull slot, not all.
    peer_jobs: Mutex<HashMap<PeerId, Arc<tokio::sync::Mutex<()>>>>,
    budgets: Mutex<Budgets>,
    /// Alerts waiting for a pull before they can be judged; they hold no permit.
    waiting_room: budget::WaitingRoom,
    redial: redial::Redial,
    delivery: deliver::Delivery,
    /// Addresses the user chose for invites.
    chosen: shared_addrs::Chosen,
}

/// Rate limits and caches of the judging and sync paths (see `budget`).
#[derive(Debug)]
struct Budgets {
    alerts: crate::rate::RateTable<Hash32>,
    unwanted: crate::rate::RateTable<PeerId>,
    bench: budget::Bench,
    compliance: budget::ComplianceCache,
    dropped_requests: budget::QuietWarning,
    dropped_alerts: budget::QuietWarning,
}

impl Default for Budgets {
    fn default() -> Self {
        Budgets {
            alerts: crate::rate::RateTable::new(budget::ALERTS_PER_WINDOW, budget::ALERT_WINDOW),
            unwanted: crate::rate::RateTable::new(
                budget::UNWANTED_PER_WINDOW,
                budget::UNWANTED_WINDOW,
            ),
            bench: budget::Bench::default(),
            compliance: budget::ComplianceCache::default(),
            dropped_requests: budget::QuietWarning::default(),
            dropped_alerts: budget::QuietWarning::default(),
        }
    }
}

/// What the node knows only while it runs.
#[derive(Debug, Default)]
struct Live {
    addrs: Vec<Multiaddr>,
    peers: HashSet<PeerId>,
    /// The last sync of each circle that brought changes (or its first).
    progress: HashMap<Hash32, SyncProgress>,
    /// Circles being pulled right now (one pull per circle).
    pulling: HashSet<Hash32>,
    /// The last pull of each circle that ran to its end: from which peer, and when (one
    /// entry per circle held).
    completed: HashMap<Hash32, (PeerId, std::time::Instant)>,
    queued: HashSet<Job>,
    /// Heads digest of the own circle when last announced.
    announced: Option<Hash32>,
    /// Circles announced in the DHT during this run.
    provided: HashSet<Hash32>,
    /// Peers mDNS found on the local network (bounded: see `lan.rs`).
    lan: HashSet<PeerId>,
}

/// Work for the jobs task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Job {
    /// Ask a peer which circles it serves, and pull the followed ones that differ.
    Catalog(PeerId),
    /// Pull one circle from one peer.
    Pull(PeerId, Hash32),
}

/// The network side of `circle status` and `circle id`.
#[derive(Clone, Debug, Serialize)]
pub struct NetStatus {
    pub peer_id: String,
    pub addrs: Vec<String>,
    /// The addresses an invite lists (routable or chosen ones; no `/p2p` suffix).
    pub invite_addrs: Vec<String>,
    pub peers: Vec<String>,
    pub syncing: Vec<SyncProgress>,
}

pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock must not take the node down with it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Node {
    /// Starts the node for the circle in `local`: network, sync, gossip.
    pub async fn start(local: LocalCircle, cfg: NodeConfig) -> Result<Node, NodeError> {
        let secret = local.keys().node_secret()?;
        let keypair = circle_net::keypair(secret).map_err(net_err)?;
        let peer_id = keypair.public().to_peer_id();
        let transport = if cfg.memory {
            Transport::Memory
        } else {
            Transport::Tcp
        };
        let mut net_cfg = NetConfig::new(keypair, transport);
        net_cfg.listen = parse_addrs(&cfg.listen)?;
        let chosen = shared_addrs::Chosen::new(&net_cfg.listen, &parse_addrs(&cfg.announce)?);
        let configured = parse_addrs(&cfg.peers)?;
        net_cfg.mdns = cfg.mdns;
        net_cfg.relay_server = cfg.relay_server;
        // Never read more than core accepts.
        net_cfg.limits.max_request_size = circle_core::sync::MAX_REQUEST_BYTES;
        net_cfg.limits.max_response_size = circle_core::sync::MAX_PAGE_BYTES;
        let (net, events, event_loop) = circle_net::new(net_cfg).map_err(net_err)?;
        let store = local.store().clone();
        let own = local.circle_id();
        let (jobs_tx, jobs_rx) = mpsc::channel(JOB_QUEUE);
        let (stop, _) = watch::channel(false);
        let node = Node {
            inner: Arc::new(Inner {
                replicas: Replicas::new(store.clone()),
                local: Mutex::new(local),
                store,
                own,
                peer_id,
                net: net.clone(),
                live: Mutex::new(Live::default()),
                jobs: jobs_tx,
                alerts: broadcast::channel(ALERT_STREAM).0,
                stop,
                store_failed: watch::channel(None).0,
                tasks: Mutex::new(Vec::new()),
                page_bytes: cfg.page_bytes.clamp(1024, sync::PAGE_BYTES),
                pull_budget: cfg.pull_budget.max(Duration::from_millis(100)),
                snapshot_first_sync: cfg.snapshot_first_sync,
                collecting: Mutex::new(None),
                pulls_done: watch::channel(0).0,
                peer_jobs: Mutex::new(HashMap::new()),
                budgets: Mutex::new(Budgets::default()),
                waiting_room: budget::WaitingRoom::default(),
                redial: redial::Redial::default(),
                delivery: deliver::Delivery::default(),
                chosen,
            }),
        };
        let net_stop = node.stopped();
        let tasks = vec![
            tokio::spawn(event_loop.run(net_stop)),
            tokio::spawn(node.clone().events_task(events)),
            tokio::spawn(node.clone().jobs_task(jobs_rx)),
            tokio::spawn(node.clone().ticker_task(cfg.resync)),
            tokio::spawn(node.clone().redial_task(configured)),
            tokio::spawn(node.clone().deliver_task()),
        ];
        lock(&node.inner.tasks).extend(tasks);
        for topic in [ANNOUNCE_TOPIC, ALERT_TOPIC] {
            net.subscribe(topic).await.map_err(net_err)?;
        }
        node.dial_known(&cfg.peers).await?;
        node.provide_held().await?;
        Ok(node)
    }

    /// Stops every task and the network; returns when they have ended.
    pub async fn shutdown(&self) {
        let _ = self.inner.stop.send(true);
        let tasks: Vec<JoinHandle<()>> = lock(&self.inner.tasks).drain(..).collect();
        for t in tasks {
            let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
        }
    }

    /// A future that completes once shutdown has begun.
    fn stopped(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.inner.stop.subscribe();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    }

    pub fn circle_id(&self) -> Hash32 {
        self.inner.own
    }

    pub fn peer_id(&self) -> String {
        self.inner.peer_id.to_string()
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Runs `f` on the own circle (blocking: call from a blocking thread), then
    /// announces the circle if `f` changed its heads.
    pub fn with_local<T>(&self, f: impl FnOnce(&mut LocalCircle) -> T) -> T {
        let mut local = lock(&self.inner.local);
        let out = f(&mut local);
        if let Some(why) = local.failure() {
            let why = why.to_owned();
            self.inner.store_failed.send_if_modified(|failed| {
                let first = failed.is_none();
                if first {
                    tracing::error!(%why, "a write could not be stored; the node must stop");
                    *failed = Some(why);
                }
                first
            });
        }
        drop(local);
        self.announce_soon();
        out
    }

    /// Resolves, with the reason, once a write to the own circle reached memory but not
    /// the disk (a full disk, say). The in-memory ledger then holds a change the disk does
    /// not, and sled takes no more writes in this process: whoever runs the node should
    /// stop it, so that nothing unacknowledged is served, and start it again.
    pub async fn store_failed(&self) -> String {
        let mut failed = self.inner.store_failed.subscribe();
        let why = failed.wait_for(Option::is_some).await.map(|w| w.clone());
        match why {
            Ok(Some(why)) => why,
            // The sender lives as long as the node: never reached while `self` exists.
            _ => std::future::pending().await,
        }
    }

    /// Drops cached replicas, after a command wrote replicas to the store directly.
    pub fn forget_replicas(&self) {
        self.inner.replicas.clear();
    }

    /// Addresses the node listens on, as reachable addresses ending in `/p2p/<PeerId>`.
    pub fn addrs(&self) -> Vec<String> {
        self.addrs_of(&lock(&self.inner.live))
    }

    /// Waits (bounded) until the node listens somewhere; returns its addresses.
    pub async fn wait_listening(&self, within: Duration) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let addrs = self.addrs();
            if !addrs.is_empty() || tokio::time::Instant::now() >= deadline {
                return addrs;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn status(&self) -> NetStatus {
        let live = lock(&self.inner.live);
        let mut peers: Vec<String> = live.peers.iter().map(|p| p.to_string()).collect();
        peers.sort();
        let addrs = self.addrs_of(&live);
        let syncing = live.progress.values().cloned().collect();
        drop(live);
        NetStatus {
            peer_id: self.peer_id(),
            addrs,
            invite_addrs: self.invite_addrs(),
            peers,
            syncing,
        }
    }

    fn addrs_of(&self, live: &Live) -> Vec<String> {
        let peer = self.inner.peer_id;
        live.addrs
            .iter()
            .map(|a| {
                a.clone()
                    .with(circle_net::multiaddr::Protocol::P2p(peer))
                    .to_string()
            })
            .collect()
    }

    /// A peer's gossip score as this node sees it (None: unknown peer).
    pub async fn peer_score(&self, peer: &str) -> Option<f64> {
        let peer: PeerId = peer.parse().ok()?;
        self.inner.net.peer_score(peer).await.ok().flatten()
    }

    /// Announces in the DHT that this node serves `circle`, once per run.
    fn provide(&self, circle: Hash32) {
        if !lock(&self.inner.live).provided.insert(circle) {
            return;
        }
        let net = self.inner.net.clone();
        tokio::spawn(async move {
            if let Err(e) = net.start_providing(circle.0.to_vec()).await {
                debug!(%e, "DHT provider record not placed");
            }
        });
    }

    /// Provides the own circle and every compliant followed one: one DHT query after
    /// another in the background, so a node holding a thousand circles starts at once
    /// and answers peers while its records go out.
    async fn provide_held(&self) -> Result<(), NodeError> {
        self.provide(self.inner.own);
        let store = self.inner.store.clone();
        let held = tokio::task::spawn_blocking(move || -> Result<Vec<Hash32>, NodeError> {
            let mut out = Vec::new();
            for id in store.followed()? {
                if store.summary(&id)?.is_some_and(|s| s.compliant) {
                    out.push(id);
                }
            }
            Ok(out)
        })
        .await
        .map_err(join_err)??;
        let node = self.clone();
        let mut stopped = Box::pin(self.stopped());
        tokio::spawn(async move {
            for id in held {
                if !lock(&node.inner.live).provided.insert(id) {
                    continue;
                }
                let placing = node.inner.net.start_providing(id.0.to_vec());
                tokio::select! {
                    _ = tokio::time::timeout(PROVIDE_WAIT, placing) => {}
                    _ = &mut stopped => return,
                }
            }
        });
        Ok(())
    }

    /// Live alerts as they arrive (for streaming to a web page).
    pub fn subscribe_alerts(&self) -> broadcast::Receiver<AlertView> {
        self.inner.alerts.subscribe()
    }

    /// Dials configured and remembered peers in the background.
    async fn dial_known(&self, configured: &[String]) -> Result<(), NodeError> {
        let mut addrs = parse_addrs(configured)?;
        let store = self.inner.store.clone();
        let remembered = tokio::task::spawn_blocking(move || store.peers())
            .await
            .map_err(join_err)??;
        for p in remembered {
            // A remembered address that no longer parses is skipped, not fatal.
            addrs.extend(p.addrs.iter().filter_map(|a| a.parse::<Multiaddr>().ok()));
        }
        for addr in addrs {
            let node = self.clone();
            tokio::spawn(async move {
                if let Err(e) = node.dial(addr).await {
                    debug!(%e, "dialing a known peer failed");
                }
            });
        }
        Ok(())
    }

    /// Dials `addr` (ending in `/p2p/<PeerId>`) and remembers it once connected.
    async fn dial(&self, addr: Multiaddr) -> Result<PeerId, NodeError> {
        let dialing = self.inner.net.dial(addr.clone());
        let peer = tokio::time::timeout(Duration::from_secs(15), dialing)
            .await
            .map_err(|_| NodeError::Net("dial timed out".into()))?
            .map_err(net_err)?;
        let store = self.inner.store.clone();
        let text = addr.to_string();
        let day = circle_core::ledger::day_of(now());
        tokio::task::spawn_blocking(move || {
            store.put_peer(&peer.to_string(), &[text], day)?;
            store.sync()
        })
        .await
        .map_err(join_err)??;
        Ok(peer)
    }

    async fn events_task(self, mut events: mpsc::Receiver<Event>) {
        let permits = budget::Pools::new();
        let mut stopped = std::pin::pin!(self.stopped());
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Some(event) => self.on_event(event, &permits),
                    None => break,
                },
                _ = &mut stopped => break,
            }
        }
    }

    fn on_event(&self, event: Event, pools: &budget::Pools) {
        match event {
            Event::InboundRequest {
                peer,
                request,
                channel,
            } => {
                let Ok(permit) = pools.sync.clone().try_acquire_owned() else {
                    lock(&self.inner.budgets)
                        .dropped_requests
                        .warn("too many sync requests at once; some go unanswered");
                    return;
                };
                let node = self.clone();
                tokio::spawn(async move {
                    let response = node.answer(peer, request).await;
                    if let Err(e) = node.inner.net.respond(channel, response).await {
                        debug!(%e, "sync response not sent");
                    }
                    drop(permit);
                });
            }
            Event::Gossip {
                source,
                message_id,
                topic,
                data,
            } => {
                let node = self.clone();
                let permit = node.gossip_permit(&topic, pools);
                let alert_pool = pools.alert.clone();
                tokio::spawn(async move {
                    let verdict = match permit.await {
                        // The permit is given back while an alert waits for a pull.
                        Some(permit) => {
                            node.judge_gossip(source, topic, data, permit, &alert_pool)
                                .await
                        }
                        None => circle_net::Acceptance::Ignore,
                    };
                    let _ = node
                        .inner
                        .net
                        .report_validation(message_id, source, verdict)
                        .await;
                });
            }
            Event::PeerConnected(peer) => {
                lock(&self.inner.live).peers.insert(peer);
                self.redial_connected(peer);
                self.enqueue(Job::Catalog(peer));
            }
            Event::PeerDisconnected(peer) => {
                lock(&self.inner.live).peers.remove(&peer);
                self.deliver_disconnected(peer);
                self.redial_disconnected(peer);
            }
            Event::Subscribed { peer, topic } => self.deliver_subscribed(peer, &topic),
            Event::NewListenAddr(addr) => {
                info!(%addr, "listening");
                lock(&self.inner.live).addrs.push(addr);
            }
            Event::Discovered { peer, addrs } => {
                self.note_lan_peer(peer);
                // mDNS: the address names the peer, so Noise checks who answers. Every
                // address it gave, in turn, until one connects: mDNS tells of a peer once
                // (until its record expires, minutes later), so a first address that
                // fails (a transport not up yet, QUIC refused) must not leave it unreached.
                let node = self.clone();
                tokio::spawn(async move {
                    for addr in addrs.into_iter().take(8) {
                        match node.dial(addr).await {
                            Ok(_) => break,
                            Err(e) => debug!(%e, "a LAN peer's address did not connect"),
                        }
                    }
                });
            }
            _ => {}
        }
    }

    /// A permit to judge one gossip message, from its topic's pool. Alerts that find their
    /// pool busy wait for a permit (bounded in number and time); only past that is one
    /// dropped, and said so. Announcements are dropped at once when their pool is busy.
    fn gossip_permit(
        &self,
        topic: &str,
        pools: &budget::Pools,
    ) -> impl std::future::Future<Output = Option<tokio::sync::OwnedSemaphorePermit>> + Send + 'static
    {
        let alert = topic == ALERT_TOPIC;
        let pool = if alert {
            pools.alert.clone()
        } else {
            pools.announce.clone()
        };
        let now = pool.clone().try_acquire_owned().ok();
        let ticket = match (&now, alert) {
            (None, true) => pools.alert_waiting.clone().try_acquire_owned().ok(),
            _ => None,
        };
        let node = self.clone();
        async move {
            if now.is_some() || !alert {
                return now;
            }
            let waited = match ticket {
                Some(_ticket) => tokio::time::timeout(budget::ALERT_WAIT, pool.acquire_owned())
                    .await
                    .ok()
                    .and_then(Result::ok),
                None => None,
            };
            if waited.is_none() {
                lock(&node.inner.budgets)
                    .dropped_alerts
                    .warn("alerts arrive faster than they can be judged; some were dropped");
            }
            waited
        }
    }

    /// Queues a job unless the same one is queued already; drops it if the queue is full.
    fn enqueue(&self, job: Job) {
        let mut live = lock(&self.inner.live);
        if !live.queued.insert(job) {
            return;
        }
        if self.inner.jobs.try_send(job).is_err() {
            live.queued.remove(&job);
            debug!("sync queue full; a job waits for the next catalog check");
        }
    }

    /// Runs jobs as they come: up to [`PULLS_AT_ONCE`] at once, one per peer at a time
    /// (the others of that peer wait their turn), at most [`JOB_QUEUE`] started or waiting.
    /// Dropping the set at shutdown ends every job.
    async fn jobs_task(self, mut jobs: mpsc::Receiver<Job>) {
        let mut stopped = std::pin::pin!(self.stopped());
        let slots = Arc::new(Semaphore::new(PULLS_AT_ONCE));
        let mut running = JoinSet::new();
        loop {
            while running.try_join_next().is_some() {}
            if running.len() >= JOB_QUEUE {
                tokio::select! {
                    _ = running.join_next() => continue,
                    _ = &mut stopped => break,
                }
            }
            let job = tokio::select! {
                job = jobs.recv() => match job { Some(j) => j, None => break },
                _ = &mut stopped => break,
            };
            lock(&self.inner.live).queued.remove(&job);
            let (node, slots) = (self.clone(), slots.clone());
            running.spawn(async move { node.run_job(job, &slots).await });
        }
    }

    async fn run_job(&self, job: Job, slots: &Semaphore) {
        let peer = match job {
            Job::Catalog(p) | Job::Pull(p, _) => p,
        };
        if lock(&self.inner.budgets).bench.holds(&peer, Instant::now()) {
            debug!("skipping a job for a benched peer");
            return;
        }
        let turn = lock(&self.inner.peer_jobs).entry(peer).or_default().clone();
        {
            let _turn = turn.lock().await;
            let Ok(_slot) = slots.acquire().await else {
                return;
            };
            let result = match job {
                Job::Catalog(peer) => self.sync_with(peer).await,
                Job::Pull(peer, circle) => self.pull_now(peer, circle).await,
            };
            if let Err(e) = result {
                debug!(%e, "sync job failed");
            }
        }
        drop(turn);
        let mut turns = lock(&self.inner.peer_jobs);
        if turns.get(&peer).is_some_and(|t| Arc::strong_count(t) == 1) {
            turns.remove(&peer);
        }
    }

    /// Stops pulling from a peer for a while and disconnects it: it stalled a pull.
    pub(crate) async fn bench(&self, peer: PeerId, why: &str) {
        warn!(%why, "a peer stalled a pull; it is not pulled from for ten minutes");
        lock(&self.inner.budgets).bench.add(peer, Instant::now());
        let _ = self.inner.net.disconnect(peer).await;
    }

    async fn ticker_task(self, every: Duration) {
        let mut stopped = std::pin::pin!(self.stopped());
        let mut tick = tokio::time::interval(every.max(Duration::from_millis(100)));
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    let peers: Vec<PeerId> = lock(&self.inner.live).peers.iter().copied().collect();
                    for p in peers {
                        self.enqueue(Job::Catalog(p));
                    }
                    self.announce_soon();
                }
                _ = &mut stopped => break,
            }
        }
    }
}

fn parse_addrs(addrs: &[String]) -> Result<Vec<Multiaddr>, NodeError> {
    addrs
        .iter()
        .map(|a| {
            a.parse::<Multiaddr>()
                .map_err(|e| NodeError::Invalid(format!("`{a}` is not a multiaddr: {e}")))
        })
        .collect()
}

pub(crate) fn net_err(e: circle_net::NetError) -> NodeError {
    match e {
        e @ circle_net::NetError::PortInUse { .. } => NodeError::PortInUse(e.to_string()),
        e => NodeError::Net(e.to_string()),
    }
}

pub(crate) fn join_err(e: tokio::task::JoinError) -> NodeError {
    NodeError::Invalid(format!("a background task failed: {e}"))
}
