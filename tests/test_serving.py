"""lvm_app/serving.py: with no file watcher, a session's runs list no module paths; with one, Streamlit's own."""
import pytest
from streamlit import config
from streamlit.watcher import local_sources_watcher
from streamlit.watcher.local_sources_watcher import LocalSourcesWatcher

from lvm_app import serving


@pytest.fixture
def restore():
    """Streamlit's own scan, whatever an app run in this process (AppTest) set: and again after the test."""
    LocalSourcesWatcher.update_watched_modules = serving.STREAMLITS_SCAN
    yield
    LocalSourcesWatcher.update_watched_modules = serving.STREAMLITS_SCAN


def scans(monkeypatch) -> list:
    """Calls of Streamlit's module-path lister made by one update_watched_modules of a fresh watcher."""
    calls = []
    real = local_sources_watcher.get_module_paths
    monkeypatch.setattr(local_sources_watcher, "get_module_paths", lambda m: calls.append(m) or real(m))
    watcher = LocalSourcesWatcher.__new__(LocalSourcesWatcher)   # no pages manager, no watchers: the scan only
    watcher._is_closed, watcher._cached_sys_modules, watcher._watched_modules = False, set(), {}
    watcher._folder_black_list = type("Nothing", (), {"is_blacklisted": staticmethod(lambda path: True)})()
    watcher.update_watched_modules()
    return calls


@pytest.mark.parametrize("watcher_type, scanned", [("none", False), ("poll", True)])
def test_the_module_scan_runs_only_when_a_watcher_is_configured(monkeypatch, restore, watcher_type, scanned):
    real = config.get_option
    monkeypatch.setattr(config, "get_option",
                        lambda key: watcher_type if key == "server.fileWatcherType" else real(key))
    serving.skip_source_scan()
    assert bool(scans(monkeypatch)) is scanned


def test_the_app_turns_the_scan_off_with_the_shipped_config():
    from conftest import ROOT

    assert 'fileWatcherType = "none"' in (ROOT / ".streamlit" / "config.toml").read_text()
    assert "serving.skip_source_scan()" in (ROOT / "streamlit_app.py").read_text()
