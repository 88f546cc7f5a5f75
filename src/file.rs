//! Reading a small input file whole, with a bound on its size: specs, policy
//! documents and the projected token all come in this way.

use std::io::Read;
use std::path::Path;

#[derive(Debug)]
pub enum LimitedError {
    Io(std::io::Error),
    /// The file's size, over the bound.
    TooLarge(u64),
}

/// The file's bytes, or TooLarge without reading past `max` bytes.
pub fn read_limited(path: &Path, max: u64) -> Result<Vec<u8>, LimitedError> {
    let file = std::fs::File::open(path).map_err(LimitedError::Io)?;
    let size = file.metadata().map_err(LimitedError::Io)?.len();
    if size > max {
        return Err(LimitedError::TooLarge(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // Bounded even if the file grows between the check and the read.
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(LimitedError::Io)?;
    if bytes.len() as u64 > max {
        return Err(LimitedError::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_within_the_bound_refuses_beyond_it() {
        let dir = std::env::temp_dir().join(format!("irsa-verify-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f");
        std::fs::write(&path, b"12345").unwrap();
        assert_eq!(read_limited(&path, 5).unwrap(), b"12345");
        assert!(matches!(
            read_limited(&path, 4),
            Err(LimitedError::TooLarge(5))
        ));
        assert!(matches!(
            read_limited(&dir.join("missing"), 5),
            Err(LimitedError::Io(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
