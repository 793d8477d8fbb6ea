//! Who is writing: the replica (host name) and this run of it (boot id).

/// The host name (the pod name on Kubernetes), or `tarsplane` when it cannot be read: the
/// default replica identity.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "tarsplane".into())
}

/// Eight bytes that differ between processes (start time in nanoseconds and the pid): part of
/// document ids, so that a restart within a minute does not overwrite what the earlier process
/// wrote for that minute.
pub fn boot_id() -> [u8; 8] {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    (nanos ^ (u64::from(std::process::id()) << 48)).to_le_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_is_never_empty_and_boot_ids_differ_between_calls() {
        assert!(!host_name().is_empty());
        assert_ne!(boot_id(), boot_id(), "nanoseconds apart");
    }
}
