/**
 * @module
 * The plugin's HTTP API as a pure function: `(method, path, body) → {status, headers, body}`,
 * tested without a socket. Docker's volume endpoints answer exactly like rclone (POST only,
 * `application/vnd.docker.plugins.v1.1+json`, bodies ending in a newline, failures as 500
 * `{"Err": …}`, undecodable JSON as 400 plain text); denoclone's admin endpoints live under
 * `/denoclone/`. Every error becomes a response in one place ({@link handle}).
 */
import { log, redact } from "../util/log.ts";
import { AdminEndpoint, Endpoint, PLUGIN_CONTENT_TYPE } from "./api.ts";
import type { Driver } from "./driver.ts";
import { DecodeError, decodeStruct, type FieldKind } from "./go_json.ts";

/** A response of the plugin API. */
export interface WireResponse {
  /** HTTP status. */
  status: number;
  /** Response headers (at most `Content-Type`). */
  headers: Record<string, string>;
  /** Response body. */
  body: string;
}

type Fields = Record<string, FieldKind>;
type Route = {
  goType?: string;
  fields?: Fields;
  /** The result, or a promise of it for the routes that wait (Create, Mount, …). */
  run: (d: Driver, req: Record<string, never> & Record<string, unknown>) => unknown;
};

const NAME: Fields = { Name: "string" };
const NAME_ID: Fields = { Name: "string", ID: "string" };
const NAME_OPTS: Fields = { Name: "string", Opts: "stringMap" };

const str = (v: unknown) => v as string;
const map = (v: unknown) => v as Record<string, string>;

const ROUTES: Record<string, Route> = {
  [Endpoint.activate]: { run: () => ({ Implements: ["VolumeDriver"] }) },
  [Endpoint.create]: {
    goType: "CreateRequest",
    fields: NAME_OPTS,
    run: async (d, r) => {
      await d.create(str(r.Name), map(r.Opts));
      return {};
    },
  },
  [Endpoint.remove]: {
    goType: "RemoveRequest",
    fields: NAME,
    run: async (d, r) => {
      await d.remove(str(r.Name));
      return {};
    },
  },
  [Endpoint.mount]: {
    goType: "MountRequest",
    fields: NAME_ID,
    run: async (d, r) => ({ Mountpoint: await d.mount(str(r.Name), str(r.ID)) }),
  },
  [Endpoint.unmount]: {
    goType: "UnmountRequest",
    fields: NAME_ID,
    run: async (d, r) => {
      await d.unmount(str(r.Name), str(r.ID));
      return {};
    },
  },
  [Endpoint.path]: {
    goType: "PathRequest",
    fields: NAME,
    run: (d, r) => ({ Mountpoint: d.path(str(r.Name)) }),
  },
  [Endpoint.get]: {
    goType: "GetRequest",
    fields: NAME,
    run: (d, r) => ({ Volume: d.get(str(r.Name)) }),
  },
  [Endpoint.list]: { run: (d) => ({ Volumes: d.list() }) },
  [Endpoint.capabilities]: { run: () => ({ Capabilities: { Scope: "local" } }) },
  [AdminEndpoint.list]: { run: (d) => ({ Volumes: d.names().map((n) => d.inspect(n)) }) },
  [AdminEndpoint.inspect]: {
    goType: "InspectRequest",
    fields: NAME,
    run: (d, r) => ({ Volume: d.inspect(str(r.Name)) }),
  },
  [AdminEndpoint.update]: {
    goType: "UpdateRequest",
    fields: NAME_OPTS,
    run: async (d, r) => {
      await d.update(str(r.Name), map(r.Opts));
      return {};
    },
  },
};

function json(status: number, value: unknown): WireResponse {
  return {
    status,
    headers: { "Content-Type": PLUGIN_CONTENT_TYPE },
    body: JSON.stringify(value) + "\n",
  };
}

/** The 500 answer for a route that failed with `err`. */
function failure(path: string, err: unknown): WireResponse {
  const message = redact(err instanceof Error ? err.message : String(err));
  log.debug(`${path}: request returned error: ${message}`);
  return json(500, { Err: message });
}

/**
 * Handles one request against `driver`: a route's failure is a 500 answer, so it throws (or
 * rejects) only on a bug. Routes that need not wait
 * (Activate, Capabilities, Get, Path, List) answer synchronously, the others with a promise:
 * `await` takes both.
 */
export function handle(
  driver: Driver,
  method: string,
  path: string,
  body: string,
): WireResponse | Promise<WireResponse> {
  const route = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
  if (!route) {
    return {
      status: 404,
      headers: { "Content-Type": "text/plain; charset=utf-8" },
      body: "404 page not found\n",
    };
  }
  if (method !== "POST") return { status: 405, headers: {}, body: "" };
  let req: Record<string, unknown> = {};
  if (route.fields) {
    try {
      req = decodeStruct(body, route.goType!, route.fields);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      return {
        status: 400,
        headers: { "Content-Type": "text/plain; charset=utf-8" },
        body: `${err.message}\n`,
      };
    }
  }
  if (log.debugEnabled) {
    log.debug(`${path}${typeof req.Name === "string" ? ` ${JSON.stringify(req.Name)}` : ""}`);
  }
  let result: unknown;
  try {
    result = route.run(driver, req as Record<string, never>);
  } catch (err) {
    return failure(path, err);
  }
  if (result instanceof Promise) {
    return result.then((v) => json(200, v), (err) => failure(path, err));
  }
  return json(200, result);
}
