import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { decodeFirstValue, decodeStruct } from "./go_json.ts";

Deno.test("decodeFirstValue() takes the first value and reports Go's errors", () => {
  assertEquals(decodeFirstValue(' {"a":"}"} {"b":1}'), { a: "}" });
  assertEquals(decodeFirstValue("[1,[2]]garbage"), [1, [2]]);
  assertEquals(decodeFirstValue("null"), null);
  // A body that is exactly one value (the fast path) decodes the same as one followed by more.
  assertEquals(decodeFirstValue('{"Name":"v"}\n'), decodeFirstValue('{"Name":"v"} {"x":1}'));
  assertEquals(decodeFirstValue("1 2"), 1);
  throws(() => decodeFirstValue(" \n"), /^DecodeError: EOF$/);
  throws(() => decodeFirstValue("x"), /invalid character 'x' looking for beginning of value/);
  throws(() => decodeFirstValue('{"a":'), /unexpected EOF/);
});

Deno.test("decodeStruct() matches fields case-insensitively, last key wins, null is zero", () => {
  const f = { Name: "string", Opts: "stringMap" } as const;
  assertEquals(
    decodeStruct('{"nAmE":"a","NAME":"b","opts":{"k":"v","n":null},"x":1}', "CreateRequest", f),
    {
      Name: "b",
      Opts: { k: "v", n: "" },
    },
  );
  assertEquals(decodeStruct('{"Name":null}', "CreateRequest", f), { Name: "", Opts: {} });
  throws(
    () => decodeStruct('{"Opts":{"k":true}}', "CreateRequest", f),
    /json: cannot unmarshal bool into Go struct field CreateRequest.Opts of type string/,
  );
  throws(
    () => decodeStruct('{"Opts":[]}', "CreateRequest", f),
    /cannot unmarshal array into Go struct field CreateRequest.Opts of type map\[string\]string/,
  );
  throws(
    () => decodeStruct('"x"', "GetRequest", { Name: "string" }),
    /json: cannot unmarshal string into Go value of type docker.GetRequest/,
  );
});
