import { throws } from "node:assert/strict";
import { checkEncoding } from "./_encoding.ts";
import { BackendConfigError } from "./registry.ts";

Deno.test("checkEncoding() accepts rclone's encoder names", () => {
  checkEncoding("Slash,Dot", "local");
  checkEncoding("None", "local");
  checkEncoding("Slash, Ctl,InvalidUtf8", "local");
  checkEncoding("", "local");
});

Deno.test("checkEncoding() rejects an unknown or wrongly cased name, naming it", () => {
  throws(() => checkEncoding("Slash,Bogus", "local"), BackendConfigError);
  throws(() => checkEncoding("slash", "local"), /bad encoding "slash"/);
});
