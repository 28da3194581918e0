# SPDX-License-Identifier: BSD-3-Clause
"""lbadm's documentation cannot drift from its command table: every verb
the binary has (lbadm --list-commands) is in --help, in the man page and in
the bash completion, and completing works; every option a verb's --help
names is in the man page; the man page renders without warnings; the exit
codes documented are the ones the code uses."""

import os
import re
import subprocess

from conftest import lbadm_path

SRC = os.environ.get("SLUICE_SOURCE_ROOT",
                     os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MAN = os.path.join(SRC, "tools", "lbadm", "lbadm.8")
COMPLETION = os.path.join(SRC, "tools", "lbadm", "lbadm.bash-completion")
HEADER = os.path.join(SRC, "tools", "lbadm", "lbadm.h")


def verbs():
    p = subprocess.run([lbadm_path(), "--list-commands"], capture_output=True, text=True,
                       check=True)
    v = [line for line in p.stdout.splitlines() if line]
    assert len(v) >= 30, v  # the table as of this writing: 30 verbs
    return v


def complete(*words):
    """What the completion offers for `lbadm WORDS...` (the last word being typed)."""
    script = (f"source {COMPLETION}\n"
              "COMP_WORDS=(lbadm " + " ".join(f"'{w}'" for w in words) + ")\n"
              "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
              "_lbadm\n"
              "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True,
                       text=True, timeout=10)
    assert p.returncode == 0, p.stderr
    return sorted(w for w in p.stdout.split("\n") if w)


def test_every_verb_in_help():
    text = subprocess.run([lbadm_path(), "--help"], capture_output=True, text=True).stdout
    for v in verbs():
        assert re.search(rf"^  {re.escape(v)}( |$)", text, re.M), f"'{v}' not in --help"


def test_every_verb_in_man_page():
    man = open(MAN).read()
    for v in verbs():
        # .B lbadm vip add ... (a verb's entry in COMMANDS)
        assert re.search(rf"^\.B lbadm {re.escape(v)}\b", man, re.M), f"'{v}' not in lbadm.8"


def test_every_option_in_man_page():
    def opts(text):
        return set(re.findall(r"(?<![\w-])(--?[a-zA-Z][a-z0-9-]*)\b", text))

    man = re.sub(r"\\f[BIRP]", "", open(MAN).read()).replace("\\-", "-")
    documented = opts(man)
    for v in [""] + verbs():
        p = subprocess.run([lbadm_path(), *v.split(), "--help"], capture_output=True,
                           text=True)
        assert p.returncode == 0, (v, p.stderr)
        missing = opts(p.stdout) - documented
        assert not missing, f"lbadm {v} --help: {sorted(missing)} not in lbadm.8"


def test_every_verb_completes():
    vs = verbs()
    top = sorted({v.split()[0] for v in vs})
    assert complete("") == top
    for obj in sorted({v.split()[0] for v in vs if " " in v}):
        subs = sorted(v.split()[1] for v in vs if v.startswith(obj + " "))
        assert complete(obj, "") == subs, obj
        assert complete("-j", "-s", "/x", obj, "") == subs, obj  # after global options
    assert complete("backend", "dr") == ["drain"]
    assert "-r" in complete("backend", "drain", "-")
    assert complete("vip", "add", "--hash", "") == ["5tuple", "src_ip", "src_ip_port"]
    assert complete("backend", "edit", "--state", "") == ["active", "disabled", "draining"]


def test_man_page_renders_cleanly():
    p = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", MAN], capture_output=True,
                       text=True)
    assert p.returncode == 0 and p.stderr == "", p.stderr


def test_exit_codes_documented_as_coded():
    """enum lb_exit, the man page's EXIT STATUS and --help agree."""
    hdr = open(HEADER).read()
    coded = {int(n): name for name, n in re.findall(r"LB_EXIT_(\w+) = (\d+)", hdr)}
    assert sorted(coded) == list(range(7)), coded
    man = open(MAN).read()
    section = man.split(".SH EXIT STATUS", 1)[1].split(".SH ", 1)[0]
    assert sorted(int(n) for n in re.findall(r"^\.B (\d+)$", section, re.M)) == sorted(coded)
    text = subprocess.run([lbadm_path(), "--help"], capture_output=True, text=True).stdout
    status = " ".join(text.split("exit status:", 1)[1].split())
    for n in coded:
        assert re.search(rf"\b{n} [a-z]", status), (n, status)


def test_completion_offers_running_vips(sld):
    """Where a VIP fits, the completion asks sluiced (through lbadm -j list)."""
    st, body, _ = sld.api("PUT", "/v1/state", {"nexthop_mac": "02:00:00:00:00:fe", "vips": [
        {"address": "192.0.2.80", "protocol": "tcp", "port": 80},
        {"address": "192.0.2.53", "protocol": "udp", "port": 53}]}, if_match=sld.version())
    assert st == 200, body
    env_path = os.path.dirname(os.path.abspath(lbadm_path()))
    script_words = ("-s", sld.sock, "backend", "drain", "")
    script = (f"PATH={env_path}:$PATH\nsource {COMPLETION}\n"
              "COMP_WORDS=(lbadm " + " ".join(f"'{w}'" for w in script_words) + ")\n"
              "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n_lbadm\n"
              "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True,
                       text=True, timeout=20)
    assert sorted(w for w in p.stdout.split("\n") if w) == ["tcp/192.0.2.80/80",
                                                            "udp/192.0.2.53/53"], p
