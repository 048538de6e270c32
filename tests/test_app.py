"""The composition root's start-up checks: an app that anyone on the network could use with every right says so,
and GRADIO_SHARE on a machine without internet logs one line while the app keeps running."""
import logging

import pytest

from app import exposure_warning
from config.settings import load_settings
from webapp.share_tunnel import open_tunnel


@pytest.mark.parametrize("host,auth,warns", [("0.0.0.0", "off", True), ("192.168.1.5", "off", True),
                                             ("127.0.0.1", "off", False), ("localhost", "off", False),
                                             ("0.0.0.0", "local", False), ("0.0.0.0", "proxy", False)])
def test_auth_off_on_a_network_address_warns(host, auth, warns):
    warning = exposure_warning(load_settings(env_file=None, host=host, auth=auth, trusted_proxies="10.0.0.0/8"))
    assert bool(warning) is warns
    if warns:
        assert "AUTH=off" in warning and host in warning


def test_auth_off_with_a_public_share_link_warns():
    warning = exposure_warning(load_settings(env_file=None, auth="off", gradio_share=True))
    assert "GRADIO_SHARE" in warning


def test_proxy_auth_needs_trusted_proxies():
    with pytest.raises(SystemExit, match="TRUSTED_PROXIES"):
        load_settings(env_file=None, auth="proxy")
    with pytest.raises(SystemExit, match="TRUSTED_PROXIES"):
        load_settings(env_file=None, auth="proxy", trusted_proxies="not-an-address")


def test_gradio_share_offline_logs_one_line_and_returns(caplog):
    """This machine has no internet: gradio's share server cannot be reached, and that is all that happens."""
    caplog.set_level(logging.INFO)
    opened = []
    assert open_tunnel(load_settings(env_file=None, gradio_share=True), opened.append) is None
    lines = [r for r in caplog.records if "GRADIO_SHARE" in r.getMessage()]
    assert len(lines) == 1 and "no public link" in lines[0].getMessage() and not opened
