"""The composition root's start-up checks: an app that anyone on the network could use with every right says so."""
import pytest

from app import exposure_warning
from config.settings import load_settings


@pytest.mark.parametrize("host,auth,warns", [("0.0.0.0", "off", True), ("192.168.1.5", "off", True),
                                             ("127.0.0.1", "off", False), ("localhost", "off", False),
                                             ("0.0.0.0", "local", False), ("0.0.0.0", "proxy", False)])
def test_auth_off_on_a_network_address_warns(host, auth, warns):
    warning = exposure_warning(load_settings(env_file=None, host=host, auth=auth))
    assert bool(warning) is warns
    if warns:
        assert "AUTH=off" in warning and host in warning
