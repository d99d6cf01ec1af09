#!/usr/bin/env python3
"""rlsh as a person uses it, under tmux (issue: CLI): the prompt is the config's hostname and
follows the config modes, Tab completes commands and the names the daemons know, `?` lists what
may come next with help, `| include` filters, and a bad command says so without ending the shell.
"""
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import BUILD_BIN, Lab, main, wait_until  # noqa: E402

GATEWAY = """hostname edge1
router bgp 64512
 bgp router-id 10.0.1.1
 neighbor NODES peer-group
 neighbor NODES remote-as external
 neighbor 10.0.1.254 remote-as 64999
 neighbor 10.0.1.254 description upstream-router
 bgp listen range 10.0.1.0/25 peer-group NODES
exit
route-map TO-UPSTREAM permit 10
exit
bfd
 profile metallb
 exit
exit
"""


class Tmux:
    def __init__(self, name, command):
        self.name = name
        subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "160", "-y", "50", command], check=True)

    SPECIAL = ("Enter", "Tab", "C-u", "Up", "?")

    def keys(self, *keys):
        """Text is typed literally (so that "end" is not the End key); Enter, Tab, C-u and ? are keys."""
        for k in keys:
            literal = [] if k in self.SPECIAL and k != "?" else ["-l"]
            subprocess.run(["tmux", "send-keys", "-t", self.name, *literal, k], check=True)

    def screen(self):
        return subprocess.run(["tmux", "capture-pane", "-p", "-J", "-t", self.name], capture_output=True, text=True).stdout

    def wait_for(self, what, text, timeout=10):
        return wait_until(what, lambda: text in self.screen(), timeout=timeout, interval=0.1,
                          on_timeout=lambda: "--- screen ---\n" + self.screen())

    def close(self):
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


class Interactive(unittest.TestCase):
    def test_prompt_completion_help_and_filters(self):
        with Lab("rlshia") as lab:
            lab.start_bfdd(GATEWAY)
            gw = lab.start_bgpd(GATEWAY)
            home = lab.path("home", "x")[:-2]  # rlsh keeps its history in $HOME/.rlsh_history
            rlsh = f"env HOME={home} {os.path.join(BUILD_BIN, 'rlsh')} --run-dir {gw.run_dir}"
            t = Tmux(f"rlsh{os.getpid()}", rlsh)
            try:
                t.wait_for("the prompt", "edge1# ")
                # Tab completes a unique word.
                t.keys("show bgp su", "Tab")
                t.wait_for("completion of summary", "edge1# show bgp summary")
                t.keys("Enter")
                t.wait_for("the summary", "Total number of neighbors")
                # ? lists what may come next, with help, and keeps the line.
                t.keys("show bgp ", "?")
                t.wait_for("the choices after show bgp", "Service IPs: who announces each")
                screen = t.screen()
                for word in ("summary", "neighbors", "services", "ipv6"):
                    self.assertIn(f"  {word} ", screen)
                t.wait_for("the line kept after ?", "edge1# show bgp ")
                t.keys("C-u")
                # Names complete from what the daemons know: neighbors and route-maps.
                t.keys("show bgp neighbors 10.0", "Tab")
                t.wait_for("the neighbor completed", "show bgp neighbors 10.0.1.254")
                t.keys("C-u")
                # | include filters the output.
                t.keys("show running-config | include route-map", "Enter")
                t.wait_for("the filtered config", "route-map TO-UPSTREAM permit 10")
                self.assertNotIn("bgp router-id", t.screen().split("| include route-map")[-1])
                # A bad command: a message, and the shell goes on.
                t.keys("show bgp nonsense", "Enter")
                t.wait_for("the error", "% Unknown command: show bgp nonsense")
                # Config mode: the prompt follows the modes; ? in a mode; names of the config.
                t.keys("configure terminal", "Enter")
                t.wait_for("config mode", "edge1(config)# ")
                t.keys("router bgp 64512", "Enter")
                t.wait_for("router mode", "edge1(config-router)# ")
                t.keys("neighbor ", "?")
                t.wait_for("neighbor names", "  NODES ")
                t.keys("C-u")
                t.keys("address-family ipv4 unicast", "Enter")
                t.wait_for("address-family mode", "edge1(config-router-af)# ")
                t.keys("neighbor 10.0.1.254 route-map TO", "Tab")
                t.wait_for("the route-map completed", "neighbor 10.0.1.254 route-map TO-UPSTREAM")
                t.keys(" out", "Enter")
                t.keys("end", "Enter")
                wait_until("back in exec mode", lambda: t.screen().rstrip().endswith("edge1#"), timeout=10,
                           interval=0.1, on_timeout=t.screen)
                self.assertIn(" neighbor 10.0.1.254 route-map TO-UPSTREAM out", gw.rlsh("show running-config"))
                t.keys("exit", "Enter")
                wait_until("rlsh to exit", lambda: subprocess.run(["tmux", "has-session", "-t", t.name],
                                                                  capture_output=True).returncode != 0,
                           timeout=10, interval=0.1, on_timeout=t.screen)
            finally:
                t.close()
            # History: kept in the file, and brought back by the up arrow in the next session.
            with open(os.path.join(home, ".rlsh_history")) as f:
                self.assertIn("configure terminal", f.read().replace("\\040", " "))  # libedit escapes spaces
            t = Tmux(f"rlsh{os.getpid()}b", rlsh)
            try:
                t.wait_for("the prompt again", "edge1# ")
                t.keys("Up")
                t.wait_for("the last command recalled", "edge1# end")
            finally:
                t.close()


if __name__ == "__main__":
    if not shutil.which("tmux"):
        print("SKIP: tmux is not installed")
        sys.exit(77)
    main()
