"""What one server process serving a class needs and Streamlit has no option for.

The one Streamlit internal here is guarded by tests/test_serving.py: an upgrade that renames it fails there.
"""
from streamlit import config
from streamlit.watcher.local_sources_watcher import LocalSourcesWatcher

STREAMLITS_SCAN = LocalSourcesWatcher.update_watched_modules   # Streamlit's own, kept for a configured watcher


def skip_source_scan() -> None:
    """With server.fileWatcherType = "none" (.streamlit/config.toml) Streamlit watches no file, yet it still
    lists the path of every imported module (realpath and isfile of ~2,800 modules with torch: 0.23 s of the
    server's one core) after a session's first run and after every reconnect, i.e. on every page reload:
    65% of a class's server CPU for page loads (py-spy, benchmarks/classroom.py --costs). Idempotent; leaves
    Streamlit alone when a watcher is configured (a developer's `--server.fileWatcherType auto`)."""
    if config.get_option("server.fileWatcherType") == "none":
        LocalSourcesWatcher.update_watched_modules = _nothing_to_watch


def _nothing_to_watch(self) -> None:
    """No watcher: no module paths to list."""
