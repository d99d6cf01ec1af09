#!/usr/bin/env python3
"""A peer's whole table is one kernel batch (issue: performance, coalescing windows): a raw peer
sends 20,000 /32s in packed UPDATEs and its End-of-RIB in one write, so the End-of-RIB shares
bgpd's last read with the table's last UPDATEs. The FIB writer must hear that the table is
complete only after it has every change of it (else the last read's changes miss the batch and
wait for a second one), and then write what waits in one flush.
"""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from bgp_peer import RawPeer, as_path, next_hop, origin, prefix, update  # noqa: E402
from lab import Lab, gateway_bgp, kernel_bgp_routes, main, wait_until  # noqa: E402

COUNT = 20000
GATEWAY = gateway_bgp(tail="ip prefix-list POOL seq 20 permit 10.128.0.0/9 le 32\n")
FLUSH = re.compile(r"fib: flush: (\d+) kernel operations")
TABLES_IN = re.compile(r"initial tables: every table is in; (\d+) route changes handed to the FIB")


class FibBulkLoad(unittest.TestCase):
    def test_a_table_and_its_end_of_rib_in_one_read_are_one_batch(self):
        with Lab("fibbulk") as lab:
            gw = lab.start_bgpd(GATEWAY, fib=True, extra=["--log-level", "debug"])
            raw = lab.add_node("raw", 30)
            p = RawPeer(raw["ns"], raw["addr"], lab.gw_addr).establish(64630, "10.0.1.30")
            attrs = origin() + as_path(64630) + next_hop("10.0.1.30")
            names = [f"10.{128 + i // 65536}.{i // 256 % 256}.{i % 256}" for i in range(COUNT)]
            per_update = 800  # 5 bytes each: 4000 + attributes < 4096
            stream = b"".join(update(attrs=attrs, nlri=b"".join(prefix(n + "/32") for n in names[i:i + per_update]))
                              for i in range(0, COUNT, per_update))
            p.send(stream + update())  # the End-of-RIB (RFC 4724 §2) right behind the last UPDATE

            wait_until(f"all {COUNT} routes in the kernel",
                       lambda: len(kernel_bgp_routes(lab.gw).keys() & set(names)) == COUNT, timeout=30, interval=0.2,
                       on_timeout=gw.logs)
            with open(gw.log) as f:
                log = f.read()
            told = TABLES_IN.search(log)
            self.assertIsNotNone(told, gw.logs())
            self.assertEqual(int(told.group(1)), COUNT, "route changes handed to the FIB before it heard that the "
                             "table is complete")
            # Bulk load: once the writer knows, one flush writes what waits (none if it had all).
            after = [int(n) for n in FLUSH.findall(log[told.end():]) if int(n) > 0]
            self.assertLessEqual(len(after), 1, f"flushes after the table was complete: {after}")
            print(f"{COUNT} routes; flushes after the table was complete: {after}")
            p.close()


if __name__ == "__main__":
    main(nexthop_objects=True)
