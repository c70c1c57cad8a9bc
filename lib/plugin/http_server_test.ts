import { deepStrictEqual } from "node:assert/strict";
import { requestPath } from "./http_server.ts";

Deno.test("requestPath() takes origin-form targets and drops the query", () => {
  deepStrictEqual(requestPath("/Plugin.Activate"), "/Plugin.Activate");
  deepStrictEqual(requestPath("/VolumeDriver.List?x=1"), "/VolumeDriver.List");
});

Deno.test("requestPath() takes absolute-form targets as Go's server does", () => {
  deepStrictEqual(requestPath("http://plugin/Plugin.Activate"), "/Plugin.Activate");
  deepStrictEqual(requestPath("http://localhost:8787/VolumeDriver.Get?a"), "/VolumeDriver.Get");
});
