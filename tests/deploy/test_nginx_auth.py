"""The deploy configs and AUTH=proxy, through Debian's real nginx: the plain site (deploy/nginx/quadrate.conf)
drops a user header a client forges, so an app that trusts nginx (TRUSTED_PROXIES) never takes it from a client;
and the single sign-on site (deploy/sso/quadrate-sso.conf, oauth2-proxy + auth_request) is valid for nginx (`nginx
-t`: oauth2-proxy itself is not on these offline machines). Skipped without nginx (`make test` installs it)."""
from __future__ import annotations

import subprocess

import httpx
import pytest

from tests.deploy.test_nginx_streaming import NGINX, TEMPLATE, render, run_nginx
from tests.support.paths import ROOT
from tests.support.servers import free_port
from tests.support.services import app_over_stub

SSO = ROOT / "deploy" / "sso" / "quadrate-sso.conf"
pytestmark = [pytest.mark.slow, pytest.mark.skipif(NGINX is None, reason="Debian nginx is not installed")]
FORGED = {"X-Forwarded-User": "root"}


def test_nginx_drops_a_forged_user_header(tmp_path, fault_llm):
    with app_over_stub(tmp_path / "app", fault_llm, auth="proxy", trusted_proxies="127.0.0.1",
                       admin_user="root", admin_password="root-password-1") as (base, _):
        assert httpx.get(f"{base}/me", headers=FORGED).json()["user"] == "root"   # straight from a trusted peer
        site = render(TEMPLATE.read_text(encoding="utf-8"), base.removeprefix("http://"), free_port())
        port = int(site.split("listen 127.0.0.1:")[1].split(";")[0])
        with run_nginx(tmp_path / "nginx", site, port) as proxied:
            assert httpx.get(f"{proxied}/health").status_code in (200, 503)
            refused = httpx.get(f"{proxied}/me", headers=FORGED)
            assert refused.status_code == 401, refused.text
            assert httpx.get(f"{proxied}/spaces", headers=FORGED).status_code == 401


def test_the_sso_site_is_valid_nginx(tmp_path):
    site = SSO.read_text(encoding="utf-8")
    for line in ("listen 443 ssl;", "ssl_certificate     /etc/ssl/certs/chat.example.com.pem;",
                 "ssl_certificate_key /etc/ssl/private/chat.example.com.key;"):
        assert line in site, f"{SSO} lost its line {line!r}"
    site = site.replace("listen 443 ssl;", f"listen 127.0.0.1:{free_port()};")
    site = site.replace("ssl_certificate     /etc/ssl/certs/chat.example.com.pem;", "")
    site = site.replace("ssl_certificate_key /etc/ssl/private/chat.example.com.key;", "")
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    temp = "\n".join(f"{n}_temp_path {tmp_path / n};" for n in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(
        f"error_log stderr;\npid {tmp_path / 'nginx.pid'};\nevents {{}}\nhttp {{\naccess_log off;\n{temp}\n"
        f"include {tmp_path / 'site.conf'};\n}}\n", encoding="utf-8")
    checked = subprocess.run([NGINX, "-t", "-p", f"{tmp_path}/", "-c", str(tmp_path / "nginx.conf")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
