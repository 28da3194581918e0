# SPDX-License-Identifier: BSD-3-Clause
"""The systemd units (dist/systemd): systemd-analyze verify accepts them with
their paths pointed at the built binaries; the options they pass exist in
the binaries' --help; sluiced only orders itself after sluice-dp (it does
not require it); both restart on failure and share /run/sluice; sluiced is
Type=notify with a watchdog longer than its reconcile loop can block."""

import os
import re
import shutil
import subprocess

import pytest

from conftest import build_dir, sluiced_path

SRC = os.environ.get("SLUICE_SOURCE_ROOT",
                     os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
UNITS = os.path.join(SRC, "dist", "systemd")


def sluice_dp():
    return os.environ.get("SLUICE_DP", os.path.join(build_dir(), "dataplane", "sluice-dp"))


def render(tmp_path, name):
    """The unit with the built binaries and a temp sysconfdir filled in."""
    text = open(os.path.join(UNITS, name + ".in")).read()
    exe = {"sluice-dp.service": sluice_dp(), "sluiced.service": sluiced_path()}[name]
    text = text.replace("@bindir@/" + os.path.basename(exe), os.path.abspath(exe))
    text = text.replace("@sysconfdir@", str(tmp_path))
    assert "@" not in re.sub(r"^#.*$", "", text, flags=re.M), "unsubstituted @var@"
    (tmp_path / "sluice").mkdir(exist_ok=True)
    for env in ("sluice-dp.env", "sluiced.env"):
        shutil.copy(os.path.join(UNITS, env), tmp_path / "sluice" / env)
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def verify(*units):
    exe = shutil.which("systemd-analyze")
    if exe is None:
        pytest.fail("systemd-analyze not found (scripts/deps.sh installs systemd)")
    return subprocess.run([exe, "verify", "--man=no", *units], capture_output=True, text=True,
                          timeout=60)


def test_units_verify(tmp_path):
    units = [render(tmp_path, u) for u in ("sluice-dp.service", "sluiced.service")]
    p = verify(*units)
    ours = [line for line in (p.stdout + p.stderr).splitlines()
            if "sluice" in line]
    assert p.returncode == 0 and not ours, p.stdout + p.stderr


def test_verify_catches_a_broken_unit(tmp_path):
    """The check above can fail: a typo and a missing binary are reported."""
    u = render(tmp_path, "sluiced.service")
    text = open(u).read().replace("Restart=on-failure", "Restart=on-failure\nRestrat=always")
    open(u, "w").write(text.replace(os.path.abspath(sluiced_path()), "/nonexistent/sluiced"))
    p = verify(u)
    out = p.stdout + p.stderr
    assert "Restrat" in out and "/nonexistent/sluiced" in out, out


def options(text):
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+|-[a-zA-Z])\b", text))


def test_unit_options_exist(tmp_path):
    sld_help = subprocess.run([sluiced_path(), "--help"], capture_output=True, text=True).stdout
    dp_help = subprocess.run([sluice_dp(), "--no-huge", "--no-pci", "--file-prefix",
                              f"sllbadm{os.getpid()}", "--", "--help"],
                             capture_output=True, text=True).stdout
    shutil.rmtree(f"/var/run/dpdk/sllbadm{os.getpid()}", ignore_errors=True)
    for unit, helptext in (("sluiced.service", sld_help), ("sluice-dp.service", dp_help)):
        line = next(x for x in open(os.path.join(UNITS, unit + ".in")).read().splitlines()
                    if x.startswith("ExecStart="))
        args = line.split(" -- ", 1)[-1] if unit == "sluice-dp.service" else line
        for opt in options(args):
            assert opt in options(helptext), f"{unit}: {opt} is not in --help"
    env = open(os.path.join(UNITS, "sluice-dp.env")).read()
    assert "--af-xdp" in env and "SLUICE_HUGEPAGES=" in env


def test_unit_relations():
    dp = open(os.path.join(UNITS, "sluice-dp.service.in")).read()
    sld = open(os.path.join(UNITS, "sluiced.service.in")).read()
    # sluiced starts after sluice-dp when both start, but never requires it.
    assert re.search(r"^After=.*\bsluice-dp\.service\b", sld, re.M)
    assert not re.search(r"^(Requires|BindsTo|Requisite|PartOf|Wants)=.*sluice-dp", sld, re.M)
    for u in (dp, sld):
        assert re.search(r"^Restart=on-failure$", u, re.M)
        assert re.search(r"^RuntimeDirectory=sluice$", u, re.M)
        assert re.search(r"^RuntimeDirectoryPreserve=yes$", u, re.M)
    # Both name the same dataplane socket and config file.
    assert "-s /run/sluice/dp.sock" in dp and "--dp-socket /run/sluice/dp.sock" in sld
    dp_env = open(os.path.join(UNITS, "sluice-dp.env")).read()
    sld_env = open(os.path.join(UNITS, "sluiced.env")).read()
    cfg = re.search(r"^SLUICE_DP_CONFIG=(.*)$", dp_env, re.M).group(1)
    assert re.search(rf"^SLUICE_DP_CONFIG={re.escape(cfg)}$", sld_env, re.M)
    assert "nr_hugepages" in dp and "hugetlbfs" in dp


def test_sluiced_unit_notify_and_watchdog():
    """sluiced speaks sd_notify (READY=1, WATCHDOG=1 from its reconcile loop:
    tests/e2e/test_sluiced_api.py::test_sd_notify_ready_and_watchdog). Its
    loop may wait for a writer's push (30 s) and then push itself (30 s),
    feeding at a quarter period: WatchdogSec must leave room for both."""
    sld = open(os.path.join(UNITS, "sluiced.service.in")).read()
    assert re.search(r"^Type=notify$", sld, re.M), "sluiced.service is not Type=notify"
    m = re.search(r"^WatchdogSec=(\d+)(s|min)?$", sld, re.M)
    assert m, "no WatchdogSec= in sluiced.service"
    sec = int(m.group(1)) * (60 if m.group(2) == "min" else 1)
    sld_h = open(os.path.join(SRC, "control", "sld.h")).read()
    push = int(re.search(r"#define SLD_DP_APPLY_TIMEOUT\s+(\d+)", sld_h).group(1)) / 1000
    assert sec >= 2 * push + sec / 4, f"WatchdogSec={sec}s: below two pushes plus a feed period"
