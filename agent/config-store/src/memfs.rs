//! An in-memory file system that models what survives a crash (tests only).
//!
//! It keeps, per file, the data written and the data made durable by `fsync`, and for the
//! directory the entries made durable by a directory `fsync` plus the operations since
//! (create, rename, remove) in order. A power loss keeps the durable state plus any prefix
//! of the pending directory operations (a journaling file system commits metadata in
//! order), and for each file whose data was not `fsync`ed, its durable data, all of it, or
//! a torn half. A process kill (no power loss) keeps everything.

use std::collections::BTreeMap;
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
}

/// The disk's state.
#[derive(Debug, Clone, Default)]
pub(crate) struct Disk {
    next: u64,
    inodes: BTreeMap<u64, Inode>,
    dir: BTreeMap<String, u64>,
    durable_dir: BTreeMap<String, u64>,
    pending: Vec<DirOp>,
}

/// What happens to data that was written but not `fsync`ed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DataLoss {
    /// Everything written reached the disk.
    Kept,
    /// Only `fsync`ed data survived.
    Lost,
    /// Half of the unsynced data reached the disk.
    Torn,
}

fn apply(dir: &mut BTreeMap<String, u64>, op: &DirOp) {
    match op {
        DirOp::Create(name, ino) => {
            dir.insert(name.clone(), *ino);
        }
        DirOp::Rename(from, to) => {
            if let Some(ino) = dir.remove(from) {
                dir.insert(to.clone(), ino);
            }
        }
        DirOp::Remove(name) => {
            dir.remove(name);
        }
    }
}

impl Disk {
    /// How many directory operations are not yet durable.
    pub(crate) fn pending_ops(&self) -> usize {
        self.pending.len()
    }

    /// The disk after a power loss that kept `ops` of the pending directory operations and
    /// treated unsynced data as `loss`.
    pub(crate) fn after_power_loss(&self, ops: usize, loss: DataLoss) -> Disk {
        let mut dir = self.durable_dir.clone();
        for op in &self.pending[..ops.min(self.pending.len())] {
            apply(&mut dir, op);
        }
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
            durable_dir: dir.clone(),
            dir,
            pending: Vec::new(),
        }
    }

    /// The file names present.
    pub(crate) fn names(&self) -> Vec<String> {
        self.dir.keys().cloned().collect()
    }

    /// Overwrite (or create) a file directly, durable at once (to set up a scenario).
    pub(crate) fn put(&mut self, name: &str, data: &[u8]) {
        let ino = self.next;
        self.next += 1;
        self.inodes.insert(
            ino,
            Inode {
                data: data.to_vec(),
                durable: data.to_vec(),
            },
        );
        self.dir.insert(name.into(), ino);
        self.durable_dir.insert(name.into(), ino);
    }

    /// A file's current bytes.
    pub(crate) fn get(&self, name: &str) -> Option<&[u8]> {
        self.dir.get(name).map(|i| self.inodes[i].data.as_slice())
    }
}

/// A shared handle on a [`Disk`]; optionally "crashes" (every operation fails) once a
/// number of mutating steps have run, the crashing step being a half write if
/// `partial_write` and that step is a write.
#[derive(Debug, Clone)]
pub(crate) struct MemFs {
    pub(crate) disk: Arc<Mutex<Disk>>,
    /// Mutating steps still allowed; `None`: unlimited.
    budget: Option<usize>,
    partial_write: bool,
    /// The simulated process died: every later operation fails.
    crashed: bool,
    /// Mutating steps performed.
    pub(crate) steps: Arc<Mutex<usize>>,
}

impl MemFs {
    pub(crate) fn new(disk: Disk) -> Self {
        Self {
            disk: Arc::new(Mutex::new(disk)),
            budget: None,
            partial_write: false,
            crashed: false,
            steps: Arc::new(Mutex::new(0)),
        }
    }

    /// Crash after `steps` mutating steps.
    pub(crate) fn crashing_after(disk: Disk, steps: usize, partial_write: bool) -> Self {
        Self {
            budget: Some(steps),
            partial_write,
            ..Self::new(disk)
        }
    }

    fn disk(&self) -> std::sync::MutexGuard<'_, Disk> {
        self.disk.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Count a mutating step; `Err` once the budget is spent (the process is dead).
    fn step(&mut self) -> io::Result<()> {
        if self.budget == Some(0) {
            self.crashed = true;
            return Err(io::Error::other("simulated crash"));
        }
        if let Some(b) = &mut self.budget {
            *b -= 1;
        }
        *self.steps.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        Ok(())
    }
}

fn not_found(name: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, name.to_string())
}

impl Fs for MemFs {
    fn read(&mut self, name: &str, limit: usize) -> io::Result<Option<Vec<u8>>> {
        if self.crashed {
            return Err(io::Error::other("simulated crash"));
        }
        Ok(self
            .disk()
            .get(name)
            .map(|d| d[..d.len().min(limit + 1)].to_vec()))
    }

    fn write_new(&mut self, name: &str, data: &[u8]) -> io::Result<()> {
        if self.budget == Some(0) && self.partial_write {
            // The crash hits in the middle of this write: half of it lands.
            self.partial_write = false;
            self.write_half(name, data);
        }
        self.step()?;
        let mut d = self.disk();
        match d.dir.get(name).copied() {
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
                d.dir.insert(name.into(), ino);
                d.pending.push(DirOp::Create(name.into(), ino));
            }
        }
        Ok(())
    }

    fn sync_file(&mut self, name: &str) -> io::Result<()> {
        self.step()?;
        let mut d = self.disk();
        let ino = *d.dir.get(name).ok_or_else(|| not_found(name))?;
        let n = d.inodes.get_mut(&ino).expect("inode");
        n.durable = n.data.clone();
        Ok(())
    }

    fn rename(&mut self, from: &str, to: &str) -> io::Result<()> {
        self.step()?;
        let mut d = self.disk();
        if !d.dir.contains_key(from) {
            return Err(not_found(from));
        }
        let op = DirOp::Rename(from.into(), to.into());
        apply(&mut d.dir, &op);
        d.pending.push(op);
        Ok(())
    }

    fn remove(&mut self, name: &str) -> io::Result<()> {
        self.step()?;
        let mut d = self.disk();
        if d.dir.contains_key(name) {
            let op = DirOp::Remove(name.into());
            apply(&mut d.dir, &op);
            d.pending.push(op);
        }
        Ok(())
    }

    fn sync_dir(&mut self) -> io::Result<()> {
        self.step()?;
        let mut d = self.disk();
        d.durable_dir = d.dir.clone();
        d.pending.clear();
        Ok(())
    }
}

impl MemFs {
    /// The torn write of a crash: the file is created and half the data written.
    fn write_half(&mut self, name: &str, data: &[u8]) {
        let half = &data[..data.len() / 2];
        let mut d = self.disk();
        match d.dir.get(name).copied() {
            Some(ino) => d.inodes.get_mut(&ino).expect("inode").data = half.to_vec(),
            None => {
                let ino = d.next;
                d.next += 1;
                d.inodes.insert(
                    ino,
                    Inode {
                        data: half.to_vec(),
                        durable: Vec::new(),
                    },
                );
                d.dir.insert(name.into(), ino);
                d.pending.push(DirOp::Create(name.into(), ino));
            }
        }
    }
}
