//! An in-memory file system with directories that models what survives a crash (tests
//! only).
//!
//! Per file it keeps the data written and the data made durable by `fsync`; per directory
//! the entries made durable by an `fsync` of that directory, plus the operations since
//! (create, rename, remove, mkdir) in order. A power loss keeps the durable state plus, for
//! each directory independently, any prefix of its pending operations (a journaling file
//! system commits metadata in order; keeping directories independent allows more states
//! than a real one, never fewer). A file inside a directory whose creation was lost is
//! lost too. For each file whose data was not `fsync`ed, its durable data, all of it, or a
//! torn part survives. A process kill (no power loss) keeps everything.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::sync::{Arc, Mutex};

use crate::fs::Fs;

#[derive(Debug, Clone, Default)]
struct Inode {
    data: Vec<u8>,
    durable: Vec<u8>,
}

#[derive(Debug, Clone)]
enum DirOp {
    Create(String, u64),
    Rename(String, String),
    Remove(String),
    Mkdir(String),
}

#[derive(Debug, Clone, Default)]
struct Tree {
    files: BTreeMap<String, u64>,
    dirs: BTreeSet<String>,
}

impl Tree {
    fn apply(&mut self, op: &DirOp) {
        match op {
            DirOp::Create(p, ino) => {
                self.files.insert(p.clone(), *ino);
            }
            DirOp::Rename(from, to) => {
                if let Some(ino) = self.files.remove(from) {
                    self.files.insert(to.clone(), ino);
                }
            }
            DirOp::Remove(p) => {
                self.files.remove(p);
            }
            DirOp::Mkdir(d) => {
                self.dirs.insert(d.clone());
            }
        }
    }

    fn has_dir(&self, d: &str) -> bool {
        d.is_empty() || self.dirs.contains(d)
    }
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// The disk's state.
#[derive(Debug, Clone, Default)]
pub(crate) struct Disk {
    next: u64,
    inodes: BTreeMap<u64, Inode>,
    now: Tree,
    durable: Tree,
    /// Pending directory operations: (directory, operation), in order.
    pending: Vec<(String, DirOp)>,
}

/// What happens to data that was written but not `fsync`ed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DataLoss {
    /// Everything written reached the disk.
    Kept,
    /// Only `fsync`ed data survived.
    Lost,
    /// Part of the unsynced data reached the disk (half of what was appended after the
    /// durable data, or half of a rewritten file).
    Torn,
}

impl Disk {
    /// The directories with pending operations, and how many each has.
    pub(crate) fn pending_by_dir(&self) -> Vec<(String, usize)> {
        let mut m = BTreeMap::<String, usize>::new();
        for (d, _) in &self.pending {
            *m.entry(d.clone()).or_default() += 1;
        }
        m.into_iter().collect()
    }

    /// Every choice of "how many pending operations each directory keeps".
    pub(crate) fn power_loss_choices(&self) -> Vec<BTreeMap<String, usize>> {
        let mut out = vec![BTreeMap::new()];
        for (dir, n) in self.pending_by_dir() {
            out = out
                .into_iter()
                .flat_map(|choice| {
                    (0..=n).map({
                        let dir = dir.clone();
                        move |k| {
                            let mut c = choice.clone();
                            c.insert(dir.clone(), k);
                            c
                        }
                    })
                })
                .collect();
        }
        out
    }

    /// The disk after a power loss that kept `keep[dir]` of each directory's pending
    /// operations and treated unsynced data as `loss`.
    pub(crate) fn after_power_loss(&self, keep: &BTreeMap<String, usize>, loss: DataLoss) -> Disk {
        let mut tree = self.durable.clone();
        let mut taken = BTreeMap::<&str, usize>::new();
        for (dir, op) in &self.pending {
            let t = taken.entry(dir.as_str()).or_default();
            if *t < keep.get(dir).copied().unwrap_or(0) {
                tree.apply(op);
            }
            *t += 1;
        }
        // A file in a directory that does not exist after the loss is gone with it.
        let dirs = tree.dirs.clone();
        tree.files
            .retain(|p, _| parent(p).is_empty() || dirs.contains(parent(p)));
        let inodes = self
            .inodes
            .iter()
            .map(|(&ino, n)| {
                let data = if n.data == n.durable {
                    n.data.clone()
                } else {
                    match loss {
                        DataLoss::Kept => n.data.clone(),
                        DataLoss::Lost => n.durable.clone(),
                        DataLoss::Torn if n.data.starts_with(&n.durable) => {
                            let extra = n.data.len() - n.durable.len();
                            n.data[..n.durable.len() + extra / 2].to_vec()
                        }
                        DataLoss::Torn => n.data[..n.data.len() / 2].to_vec(),
                    }
                };
                (
                    ino,
                    Inode {
                        data: data.clone(),
                        durable: data,
                    },
                )
            })
            .collect();
        Disk {
            next: self.next,
            inodes,
            now: tree.clone(),
            durable: tree,
            pending: Vec::new(),
        }
    }

    /// The disk after everything settled (as after a clean shutdown).
    pub(crate) fn settled(&self) -> Disk {
        let keep = self
            .pending_by_dir()
            .into_iter()
            .collect::<BTreeMap<_, _>>();
        self.after_power_loss(&keep, DataLoss::Kept)
    }

    /// The file paths present.
    pub(crate) fn names(&self) -> Vec<String> {
        self.now.files.keys().cloned().collect()
    }

    /// A file's current bytes.
    pub(crate) fn get(&self, path: &str) -> Option<&[u8]> {
        self.now
            .files
            .get(path)
            .map(|i| self.inodes[i].data.as_slice())
    }

    /// Overwrite a file's bytes directly, durable at once (damage from outside).
    pub(crate) fn put(&mut self, path: &str, data: &[u8]) {
        let ino = self.next;
        self.next += 1;
        self.inodes.insert(
            ino,
            Inode {
                data: data.to_vec(),
                durable: data.to_vec(),
            },
        );
        self.now.files.insert(path.into(), ino);
        self.durable.files.insert(path.into(), ino);
    }
}

/// A shared handle on a [`Disk`]; optionally "crashes" (every operation fails) once a
/// number of mutating steps have run, the crashing step landing half-way if
/// `partial_write` and that step is a write or an append.
#[derive(Debug, Clone)]
pub(crate) struct MemFs {
    pub(crate) disk: Arc<Mutex<Disk>>,
    /// Mutating steps still allowed; `None`: unlimited.
    budget: Option<usize>,
    partial_write: bool,
    crashed: bool,
    /// Mutating steps performed.
    pub(crate) steps: Arc<Mutex<usize>>,
}

fn not_found(name: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, name.to_string())
}

fn crash() -> io::Error {
    io::Error::other("simulated crash")
}

impl MemFs {
    pub(crate) fn new(disk: Disk) -> Self {
        MemFs {
            disk: Arc::new(Mutex::new(disk)),
            budget: None,
            partial_write: false,
            crashed: false,
            steps: Arc::new(Mutex::new(0)),
        }
    }

    /// Crash after `steps` mutating steps.
    pub(crate) fn crashing_after(disk: Disk, steps: usize, partial_write: bool) -> Self {
        MemFs {
            budget: Some(steps),
            partial_write,
            ..MemFs::new(disk)
        }
    }

    fn disk(&self) -> std::sync::MutexGuard<'_, Disk> {
        self.disk.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Count a mutating step; `Err` once the budget is spent (the process is dead).
    fn step(&mut self) -> io::Result<()> {
        if self.crashed || self.budget == Some(0) {
            self.crashed = true;
            return Err(crash());
        }
        if let Some(b) = &mut self.budget {
            *b -= 1;
        }
        *self.steps.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        Ok(())
    }

    /// Whether this step is the one the crash hits half-way through.
    fn tearing(&mut self) -> bool {
        if !self.crashed && self.budget == Some(0) && self.partial_write {
            self.partial_write = false;
            true
        } else {
            false
        }
    }

    fn create_or_truncate(d: &mut Disk, path: &str, data: &[u8]) -> io::Result<()> {
        if !d.now.has_dir(parent(path)) {
            return Err(not_found(parent(path)));
        }
        match d.now.files.get(path).copied() {
            Some(ino) => d.inodes.get_mut(&ino).expect("inode").data = data.to_vec(),
            None => {
                let ino = d.next;
                d.next += 1;
                d.inodes.insert(
                    ino,
                    Inode {
                        data: data.to_vec(),
                        durable: Vec::new(),
                    },
                );
                let op = DirOp::Create(path.into(), ino);
                d.now.apply(&op);
                d.pending.push((parent(path).into(), op));
            }
        }
        Ok(())
    }
}

impl Fs for MemFs {
    fn read(&mut self, path: &str, limit: usize) -> io::Result<Option<Vec<u8>>> {
        if self.crashed {
            return Err(crash());
        }
        Ok(self
            .disk()
            .get(path)
            .map(|d| d[..d.len().min(limit + 1)].to_vec()))
    }

    fn read_chunks(&mut self, path: &str, visit: &mut dyn FnMut(&[u8])) -> io::Result<bool> {
        if self.crashed {
            return Err(crash());
        }
        let data = self.disk().get(path).map(<[u8]>::to_vec);
        match data {
            None => Ok(false),
            Some(d) => {
                for c in d.chunks(1000) {
                    visit(c);
                }
                Ok(true)
            }
        }
    }

    fn create_dir(&mut self, path: &str) -> io::Result<()> {
        if self.crashed {
            return Err(crash());
        }
        if self.disk().now.has_dir(path) {
            return Ok(());
        }
        self.step()?;
        let mut d = self.disk();
        if !d.now.has_dir(parent(path)) {
            return Err(not_found(parent(path)));
        }
        let op = DirOp::Mkdir(path.into());
        d.now.apply(&op);
        d.pending.push((parent(path).into(), op));
        Ok(())
    }

    fn write_new(&mut self, path: &str, data: &[u8]) -> io::Result<()> {
        if self.tearing() {
            let mut d = self.disk();
            let _ = Self::create_or_truncate(&mut d, path, &data[..data.len() / 2]);
        }
        self.step()?;
        Self::create_or_truncate(&mut self.disk(), path, data)
    }

    fn append(&mut self, path: &str, data: &[u8]) -> io::Result<()> {
        let torn = self.tearing();
        if !torn {
            self.step()?;
        }
        let mut d = self.disk();
        let ino = *d.now.files.get(path).ok_or_else(|| not_found(path))?;
        let n = d.inodes.get_mut(&ino).expect("inode");
        if torn {
            n.data.extend_from_slice(&data[..data.len() / 2]);
            drop(d);
            return self.step();
        }
        n.data.extend_from_slice(data);
        Ok(())
    }

    fn sync_file(&mut self, path: &str) -> io::Result<()> {
        self.step()?;
        let mut d = self.disk();
        let ino = *d.now.files.get(path).ok_or_else(|| not_found(path))?;
        let n = d.inodes.get_mut(&ino).expect("inode");
        n.durable = n.data.clone();
        Ok(())
    }

    fn rename(&mut self, from: &str, to: &str) -> io::Result<()> {
        self.step()?;
        let mut d = self.disk();
        if !d.now.files.contains_key(from) {
            return Err(not_found(from));
        }
        assert_eq!(parent(from), parent(to), "rename across directories");
        let op = DirOp::Rename(from.into(), to.into());
        d.now.apply(&op);
        d.pending.push((parent(from).into(), op));
        Ok(())
    }

    fn remove(&mut self, path: &str) -> io::Result<()> {
        self.step()?;
        let mut d = self.disk();
        if d.now.files.contains_key(path) {
            let op = DirOp::Remove(path.into());
            d.now.apply(&op);
            d.pending.push((parent(path).into(), op));
        }
        Ok(())
    }

    fn sync_dir(&mut self, dir: &str) -> io::Result<()> {
        self.step()?;
        let mut d = self.disk();
        let pending = std::mem::take(&mut d.pending);
        for (dd, op) in pending {
            if dd == dir {
                d.durable.apply(&op);
            } else {
                d.pending.push((dd, op));
            }
        }
        Ok(())
    }
}
