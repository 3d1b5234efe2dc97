//! The WebSocket closes still under way (a close frame written, the client's answer awaited), so
//! that a shutdown waits for them instead of cutting them when the application's runtime ends.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Notify;

/// Counts the closes under way for one endpoint.
#[derive(Debug, Default)]
pub(crate) struct Closings {
    count: AtomicUsize,
    idle: Notify,
}

impl Closings {
    /// A close starts; it ends when the returned guard is dropped.
    pub(crate) fn start(self: &Arc<Self>) -> Closing {
        self.count.fetch_add(1, Ordering::SeqCst);
        Closing(self.clone())
    }

    /// Waits until no close is under way.
    pub(crate) async fn idle(&self) {
        loop {
            let notified = self.idle.notified();
            tokio::pin!(notified);
            // Registered before the check, so a close that ends in between is not missed.
            notified.as_mut().enable();
            if self.count.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}

/// One close under way (see [`Closings::start`]).
pub(crate) struct Closing(Arc<Closings>);

impl Drop for Closing {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn idle_once_every_close_ended() {
        let closings = Arc::new(Closings::default());
        closings.idle().await;
        let (a, b) = (closings.start(), closings.start());
        let waiter = {
            let closings = closings.clone();
            tokio::spawn(async move { closings.idle().await })
        };
        tokio::task::yield_now().await;
        drop(a);
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        drop(b);
        waiter.await.unwrap();
    }
}
