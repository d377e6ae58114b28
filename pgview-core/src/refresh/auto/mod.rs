//! Automatic refresh on data change, done in the database so that writes from any client
//! count.
//!
//! - [`install`]: statement-level triggers on the tables a materialized view reads (through
//!   plain views) call a function that notifies [`AUTO_REFRESH_CHANNEL`] with the view's name
//!   ([`statements`] holds the `DO` blocks, [`names`] the naming scheme). Listing finds the
//!   installs by the functions' comments.
//! - `refresher` (feature `async`): an async task on an `AsyncPool` that listens, folds
//!   notifications per view over a debounce window (`pending`), refreshes in dependency order
//!   with the async executor, reconnects after a lost connection and then refreshes every
//!   installed view (notifications sent while nobody listened are lost), and retries failures
//!   with backoff.

pub(crate) mod install;
mod names;
#[cfg(feature = "async")]
mod pending;
#[cfg(feature = "async")]
pub(crate) mod refresher;
mod statements;

pub use install::{
    install_auto_refresh, list_auto_refresh, uninstall_all_auto_refresh, uninstall_auto_refresh,
    AutoRefreshInfo,
};
pub use names::{AUTO_REFRESH_CHANNEL, AUTO_REFRESH_SCHEMA};
