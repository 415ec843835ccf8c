//! The size of upload parts, which both the uploads and the memory budget
//! (its reserve is one first part) are built on, and the stores' limits
//! they must fit: parts start at [`FIRST_PART`] and double every
//! [`DOUBLE_EVERY`] parts, so that an upload of unknown length can reach
//! the store's maximum object size within its number of parts.

/// The first parts' size: 8 MiB.
pub const FIRST_PART: usize = 8 * 1024 * 1024;

/// Parts double in size after this many.
pub const DOUBLE_EVERY: usize = 1000;

/// The store's limits on one upload.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Largest part.
    pub(crate) max_part: usize,
    /// Most parts.
    pub(crate) max_parts: usize,
}

impl Limits {
    /// S3: 10,000 parts of at most 5 GiB.
    pub(crate) const S3: Self = Self {
        max_part: 5 * 1024 * 1024 * 1024,
        max_parts: 10_000,
    };
    /// GCS: a resumable upload has no part count of its own; S3's shape
    /// reaches GCS's largest object (5 TiB) too.
    pub(crate) const GCS: Self = Self::S3;
    /// Azure: 50,000 blocks of at most 4000 MiB.
    pub(crate) const AZURE: Self = Self {
        max_part: 4000 * 1024 * 1024,
        max_parts: 50_000,
    };
}

/// The size of part number `index` (0-based).
pub(crate) fn part_size(index: usize, limits: Limits) -> usize {
    let doublings = (index / DOUBLE_EVERY).min(20) as u32;
    FIRST_PART
        .saturating_mul(1 << doublings)
        .min(limits.max_part)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_grow_to_reach_the_maximum_object_size() {
        assert_eq!(part_size(0, Limits::S3), FIRST_PART);
        assert_eq!(part_size(999, Limits::S3), FIRST_PART);
        assert_eq!(part_size(1000, Limits::S3), 2 * FIRST_PART);
        let total = |limits: Limits| -> u128 {
            (0..limits.max_parts)
                .map(|i| part_size(i, limits) as u128)
                .sum()
        };
        let tib = 1u128 << 40;
        // S3's maximum object is 5 TiB; Azure's about 190.7 TiB.
        assert!(
            total(Limits::S3) > 5 * tib,
            "S3 ceiling {}",
            total(Limits::S3) / tib
        );
        assert!(
            total(Limits::AZURE) > 150 * tib,
            "Azure ceiling {}",
            total(Limits::AZURE) / tib
        );
        assert!((0..50_000).all(|i| part_size(i, Limits::AZURE) <= Limits::AZURE.max_part));
    }
}
