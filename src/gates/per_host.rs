//! `--per-host`: at most N in flight per host (host and port).
//!
//! A URL first takes its host's permit, then one of the run's `-c` slots
//! (`mod.rs`): one waiting for its busy host holds no slot, so other hosts
//! keep flowing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A semaphore per host that has URLs in flight or waiting.
pub struct PerHost {
    limit: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// One of a host's permits; forgets the host when it was the last user.
pub struct HostPermit {
    key: String,
    sem: Arc<Semaphore>,
    permit: Option<OwnedSemaphorePermit>,
    owner: Arc<PerHost>,
}

impl PerHost {
    /// At most `limit` per host.
    pub fn new(limit: usize) -> Arc<PerHost> {
        Arc::new(PerHost {
            limit: limit.min(Semaphore::MAX_PERMITS),
            hosts: Mutex::new(HashMap::new()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Semaphore>>> {
        self.hosts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a permit of host `key`.
    pub async fn acquire(self: &Arc<Self>, key: &str) -> HostPermit {
        let sem = self
            .lock()
            .entry(key.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(self.limit)))
            .clone();
        let permit = sem.clone().acquire_owned().await.expect("never closed");
        HostPermit {
            key: key.to_owned(),
            sem,
            permit: Some(permit),
            owner: self.clone(),
        }
    }

    /// Hosts with a semaphore right now (for tests: idle hosts are dropped).
    pub fn tracked_hosts(&self) -> usize {
        self.lock().len()
    }
}

impl Drop for HostPermit {
    fn drop(&mut self) {
        drop(self.permit.take());
        // Forget a host nobody is using or waiting for, so memory follows
        // the hosts in flight, not every host ever seen. Clones are only
        // made under the lock, so the count cannot grow behind our back.
        let mut hosts = self.owner.lock();
        if Arc::strong_count(&self.sem) == 2 {
            hosts.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn per_host_limits_one_host_and_forgets_idle_ones() {
        let limits = PerHost::new(2);
        let a1 = limits.acquire("a:80").await;
        let _a2 = limits.acquire("a:80").await;
        // A third for host a must wait; host b goes ahead meanwhile.
        let mut a3 = Box::pin(limits.acquire("a:80"));
        assert!(futures::poll!(a3.as_mut()).is_pending());
        let b1 = limits.acquire("b:80").await;
        drop(a1);
        let _a3 = a3.await;
        drop(b1);
        assert_eq!(limits.tracked_hosts(), 1, "idle host b is forgotten");
    }

    #[tokio::test]
    async fn an_absurd_limit_does_not_panic() {
        let limits = PerHost::new(usize::MAX);
        let _ = limits.acquire("a:80").await;
    }
}
