import { deepStrictEqual, throws } from "node:assert/strict";
import { Command } from "@commander-js/extra-typings";
import type { OptionGroup } from "../config/option_schema.ts";
import { addGroupFlags } from "./option_flags.ts";
import { groupValues, normaliseBoolArgs } from "./option_values.ts";
import { UsageError } from "../errors.ts";

const GROUP: OptionGroup = {
  id: "t",
  prefix: "",
  options: [
    { name: "allow_other", type: "bool", default: false, help: "a" },
    { name: "no_modtime", type: "bool", default: false, help: "b" },
    { name: "attr_timeout", type: "duration", default: 1000, help: "c" },
  ],
};

function parse(argv: string[], env: Record<string, string> = {}) {
  const cmd = addGroupFlags(new Command("t").exitOverride(), GROUP);
  cmd.parse(normaliseBoolArgs(argv, [GROUP]), { from: "user" });
  return groupValues(cmd.opts() as Record<string, unknown>, GROUP, env);
}

Deno.test("groupValues() gives defaults when nothing is set", () => {
  deepStrictEqual(parse([]), { allow_other: false, no_modtime: false, attr_timeout: 1000 });
});

Deno.test("boolean flags named --no-x are options of their own, not negations", () => {
  deepStrictEqual(parse(["--no-modtime"]).no_modtime, true);
  deepStrictEqual(parse(["--no-modtime=true"]).no_modtime, true);
  deepStrictEqual(parse(["--no-modtime=false"], { RCLONE_NO_MODTIME: "true" }).no_modtime, false);
  deepStrictEqual(parse([], { RCLONE_NO_MODTIME: "true" }).no_modtime, true);
});

Deno.test("boolean flags take rclone's --flag=value form; the flag beats the env var", () => {
  deepStrictEqual(parse(["--allow-other"]).allow_other, true);
  deepStrictEqual(
    parse(["--allow-other=false"], { RCLONE_ALLOW_OTHER: "true" }).allow_other,
    false,
  );
  deepStrictEqual(parse([], { RCLONE_ALLOW_OTHER: "1" }).allow_other, true);
  throws(() => parse(["--allow-other=maybe"]), UsageError);
});

Deno.test("valued flags parse with the schema and bad values name the flag or env var", () => {
  deepStrictEqual(parse(["--attr-timeout", "1m30s"]).attr_timeout, 90_000);
  deepStrictEqual(parse([], { RCLONE_ATTR_TIMEOUT: "250ms" }).attr_timeout, 250);
  throws(() => parse(["--attr-timeout", "soon"]), /--attr-timeout/);
  throws(() => parse([], { RCLONE_ATTR_TIMEOUT: "soon" }), /RCLONE_ATTR_TIMEOUT/);
});
