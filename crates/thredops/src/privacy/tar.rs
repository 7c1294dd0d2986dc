//! A minimal ustar writer for the data export. Regular files only; enough for every `tar` and
//! archive tool, and no dependency for ~60 lines (a zip would need a crate and deflate buys little
//! on a download this size).

/// An in-memory tar archive.
#[derive(Debug, Default)]
pub struct Tar {
    bytes: Vec<u8>,
}

fn octal(field: &mut [u8], value: u64) {
    // Width minus the terminating NUL, zero-padded.
    let text = format!("{value:0width$o}", width = field.len() - 1);
    field[..text.len()].copy_from_slice(text.as_bytes());
}

impl Tar {
    /// Adds a file; `name` must be ASCII and under 100 bytes (ours are fixed names).
    pub fn add(&mut self, name: &str, contents: &[u8], mtime: i64) {
        let mut header = [0u8; 512];
        let name = name.as_bytes();
        let len = name.len().min(99);
        header[..len].copy_from_slice(&name[..len]);
        octal(&mut header[100..108], 0o600);
        octal(&mut header[108..116], 0);
        octal(&mut header[116..124], 0);
        octal(&mut header[124..136], contents.len() as u64);
        octal(&mut header[136..148], mtime.max(0) as u64);
        header[156] = b'0';
        header[257..263].copy_from_slice(b"ustar\0");
        header[263..265].copy_from_slice(b"00");
        // The checksum is computed with its own field read as spaces.
        header[148..156].copy_from_slice(b"        ");
        let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
        let text = format!("{sum:06o}\0 ");
        header[148..156].copy_from_slice(text.as_bytes());
        self.bytes.extend_from_slice(&header);
        self.bytes.extend_from_slice(contents);
        let pad = (512 - contents.len() % 512) % 512;
        self.bytes.extend(std::iter::repeat_n(0u8, pad));
    }

    /// The finished archive (two zero blocks end it).
    pub fn finish(mut self) -> Vec<u8> {
        self.bytes.extend(std::iter::repeat_n(0u8, 1024));
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_tar_reads_our_archives() {
        let mut tar = Tar::default();
        tar.add("thredops-export/account.json", b"{\"a\":1}", 1_700_000_000);
        tar.add("thredops-export/empty.csv", b"", 1_700_000_000);
        let dir = std::env::temp_dir().join(format!("thredops-tar-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("x.tar");
        std::fs::write(&file, tar.finish()).unwrap();
        let Ok(out) = std::process::Command::new("tar")
            .arg("-xf")
            .arg(&file)
            .arg("-C")
            .arg(&dir)
            .output()
        else {
            return; // no tar binary here: nothing to compare with
        };
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let read = std::fs::read_to_string(dir.join("thredops-export/account.json")).unwrap();
        assert_eq!(read, "{\"a\":1}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
