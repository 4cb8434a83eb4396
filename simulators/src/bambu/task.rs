//! Background tasks owned by a simulator: a handle that aborts its task when dropped, so a dropped simulator leaves nothing running.

use tokio::task::JoinHandle;

/// Aborts the wrapped task on drop.
#[derive(Debug)]
pub struct TaskGuard(JoinHandle<()>);

impl TaskGuard {
    /// Spawns `future` on the current runtime and guards it.
    pub fn spawn<F>(future: F) -> Self
    where
        F: Future<Output = ()> + Send + 'static,
    {
        Self(tokio::spawn(future))
    }
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}
