//! A tiny read-only storage back-end: a few static files, held in a map,
//! served through the `Vfs` trait, then listed and read the way an FTP
//! session would.
//!
//! ```sh
//! cargo run -p wharf-examples --example readonly_vfs
//! ```
//!
//! Implementing `Vfs` takes the eight required methods; the optional ones
//! (`open_local`, `set_mtime`, `set_permissions`, `capabilities`) keep their
//! defaults, which report `Unsupported` and advertise nothing.
#![allow(clippy::print_stdout)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::sync::Arc;
use std::time::SystemTime;

use tokio::io::AsyncReadExt;
use wharf_vfs::{
    DirEntry, DirStream, FileReader, Metadata, Upload, VPath, Vfs, VfsError, VfsErrorKind,
    WriteMode, async_trait, list_from_iter, next_entry,
};

/// Files by path, fixed when the back-end is built. Directories are implied
/// by the files' paths.
struct StaticFs {
    files: Arc<BTreeMap<VPath, &'static [u8]>>,
    dirs: BTreeSet<VPath>,
    built: SystemTime,
}

impl StaticFs {
    fn new(files: &[(&str, &'static [u8])]) -> anyhow::Result<Self> {
        let mut map = BTreeMap::new();
        let mut dirs = BTreeSet::from([VPath::root()]);
        for (path, data) in files {
            let path = VPath::parse(path)?;
            let mut parent = path.parent();
            while let Some(dir) = parent {
                parent = dir.parent();
                dirs.insert(dir);
            }
            map.insert(path, *data);
        }
        Ok(Self {
            files: Arc::new(map),
            dirs,
            built: SystemTime::now(),
        })
    }

    fn file_meta(&self, data: &[u8]) -> Metadata {
        Metadata::file(data.len() as u64)
            .with_modified(self.built)
            .with_mode(0o444)
    }

    fn dir_meta(&self) -> Metadata {
        Metadata::dir().with_modified(self.built).with_mode(0o555)
    }
}

#[async_trait]
impl Vfs for StaticFs {
    async fn metadata(&self, path: &VPath) -> Result<Metadata, VfsError> {
        if self.dirs.contains(path) {
            return Ok(self.dir_meta());
        }
        let data = self
            .files
            .get(path)
            .ok_or_else(|| VfsError::not_found(path))?;
        Ok(self.file_meta(data))
    }

    async fn list(&self, path: &VPath) -> Result<DirStream, VfsError> {
        if !self.dirs.contains(path) {
            return Err(if self.files.contains_key(path) {
                VfsError::not_a_directory(path)
            } else {
                VfsError::not_found(path)
            });
        }
        // Direct children only: subdirectories, then files. A real back-end
        // with many entries would fetch them page by page instead.
        let child = |p: &VPath| p.parent().as_ref() == Some(path);
        let dirs = self
            .dirs
            .iter()
            .filter(|d| child(d))
            .map(|d| (d, self.dir_meta()));
        let files = self.files.iter().filter(|(f, _)| child(f));
        let entries: Vec<_> = dirs
            .chain(files.map(|(f, data)| (f, self.file_meta(data))))
            .map(|(p, meta)| Ok(DirEntry::new(p.file_name().unwrap_or_default(), meta)))
            .collect();
        Ok(list_from_iter(entries))
    }

    async fn open_read(&self, path: &VPath, offset: u64) -> Result<FileReader, VfsError> {
        if self.dirs.contains(path) {
            return Err(VfsError::is_a_directory(path));
        }
        let data: &'static [u8] = self
            .files
            .get(path)
            .ok_or_else(|| VfsError::not_found(path))?;
        let rest = usize::try_from(offset).ok().and_then(|at| data.get(at..));
        Ok(Box::new(Cursor::new(
            rest.ok_or_else(|| VfsError::invalid_offset(path))?,
        )))
    }

    async fn create(&self, path: &VPath, _mode: WriteMode) -> Result<Box<dyn Upload>, VfsError> {
        Err(VfsError::permission_denied(path))
    }

    async fn mkdir(&self, path: &VPath) -> Result<(), VfsError> {
        Err(VfsError::permission_denied(path))
    }

    async fn rmdir(&self, path: &VPath) -> Result<(), VfsError> {
        Err(VfsError::permission_denied(path))
    }

    async fn remove_file(&self, path: &VPath) -> Result<(), VfsError> {
        Err(VfsError::permission_denied(path))
    }

    async fn rename(&self, from: &VPath, _to: &VPath) -> Result<(), VfsError> {
        Err(VfsError::permission_denied(from))
    }
}

/// Prints the tree below `dir`, as a recursive LIST would walk it.
async fn walk(vfs: &dyn Vfs, dir: &VPath) -> Result<(), VfsError> {
    let mut stream = vfs.list(dir).await?;
    while let Some(entry) = next_entry(&mut stream).await {
        let entry = entry?;
        let path = dir.join(&entry.name)?;
        let kind = if entry.metadata.is_dir() {
            "dir "
        } else {
            "file"
        };
        println!("{kind} {:>6} {path}", entry.metadata.size);
        if entry.metadata.is_dir() {
            Box::pin(walk(vfs, &path)).await?;
        }
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let vfs: Arc<dyn Vfs> = Arc::new(StaticFs::new(&[
        ("/README.txt", b"Welcome to the static mirror.\n"),
        (
            "/pub/motd.txt",
            b"No uploads here; this server is read-only.\n",
        ),
        ("/pub/data/numbers.csv", b"n,square\n1,1\n2,4\n3,9\n"),
    ])?);

    println!("== listing");
    walk(&*vfs, &VPath::root()).await?;

    // A session resolves what the client typed against its directory.
    let cwd = VPath::parse("/pub/data")?;
    let path = cwd.resolve(b"../motd.txt")?;
    let mut text = String::new();
    vfs.open_read(&path, 0)
        .await?
        .read_to_string(&mut text)
        .await?;
    println!("== RETR {path}\n{text}");

    // REST 9 + RETR: skip the header line.
    let mut rest = String::new();
    let csv = cwd.resolve(b"numbers.csv")?;
    vfs.open_read(&csv, 9)
        .await?
        .read_to_string(&mut rest)
        .await?;
    println!("== REST 9, RETR {csv}\n{rest}");

    // Writes are refused with a kind the session maps to a reply code.
    let refused = vfs
        .create(&VPath::parse("/upload.bin")?, WriteMode::Create)
        .await;
    match refused {
        Err(err) if err.kind() == VfsErrorKind::PermissionDenied => println!("== STOR: {err}"),
        Err(err) => anyhow::bail!("unexpected error: {err}"),
        Ok(_) => anyhow::bail!("a read-only back-end accepted an upload"),
    }
    Ok(())
}
