import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { unixSocketPath } from "./listen_unix.ts";
import { parseHostPort } from "./listen_tcp.ts";
import { LISTEN_FDS_START, systemdListenFd } from "./listen_systemd.ts";
import { sockaddrUn } from "./sd_notify.ts";
import { parseMountinfo } from "./mountpoint.ts";

Deno.test("unixSocketPath() follows rclone: default name, .sock suffix, relative under the socket dir", () => {
  assertEquals(unixSocketPath(""), "/run/docker/plugins/rclone.sock");
  assertEquals(unixSocketPath("/tmp/x"), "/tmp/x.sock");
  assertEquals(unixSocketPath("/tmp/x.s"), "/tmp/x.s");
  assertEquals(unixSocketPath("/tmp/a.b/x"), "/tmp/a.b/x.sock");
  assertEquals(unixSocketPath("rel", "/d"), "/d/rel.sock");
});

Deno.test("parseHostPort() splits host:port and refuses a missing port like Go", () => {
  assertEquals(parseHostPort("127.0.0.1:8787"), { host: "127.0.0.1", port: 8787 });
  assertEquals(parseHostPort(":0"), { host: "", port: 0 });
  assertEquals(parseHostPort("[::1]:80"), { host: "::1", port: 80 });
  throws(() => parseHostPort("relname"), /listen tcp: address relname: missing port in address/);
});

Deno.test("systemdListenFd() takes fd 3 only for our PID and refuses more than one socket", () => {
  assertEquals(systemdListenFd({ LISTEN_PID: "42", LISTEN_FDS: "1" }, 42), LISTEN_FDS_START);
  assertEquals(systemdListenFd({ LISTEN_PID: "41", LISTEN_FDS: "1" }, 42), undefined);
  assertEquals(systemdListenFd({ LISTEN_PID: "42", LISTEN_FDS: "0" }, 42), undefined);
  assertEquals(systemdListenFd({}, 42), undefined);
  throws(
    () => systemdListenFd({ LISTEN_PID: "42", LISTEN_FDS: "2" }, 42),
    /expected only one socket from systemd, got 2/,
  );
});

Deno.test("sockaddrUn() encodes paths and abstract names", () => {
  const p = sockaddrUn("/run/n");
  assertEquals([p.len, p.addr[0], p.addr[1], p.addr[2], p.addr[8]], [2 + 6 + 1, 1, 0, 0x2f, 0]);
  const a = sockaddrUn("@abs");
  assertEquals([a.len, a.addr[2], a.addr[3]], [2 + 4, 0, 0x61]);
  throws(() => sockaddrUn(""), /invalid NOTIFY_SOCKET/);
});

Deno.test("parseMountinfo() decodes escaped mountpoints and reads the fs type", () => {
  const text =
    "36 35 98:0 /mnt1 /mnt\\040with\\040space rw,noatime master:1 - fuse.rclone :local:/d rw\n" +
    "37 35 98:0 / /plain rw shared:2 opt:x - ext4 /dev/sda1 rw\n";
  assertEquals(parseMountinfo(text), [
    { mountpoint: "/mnt with space", fstype: "fuse.rclone" },
    { mountpoint: "/plain", fstype: "ext4" },
  ]);
});
