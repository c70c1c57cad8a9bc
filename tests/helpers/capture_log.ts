/**
 * @module
 * Captures what `lib/util/log.ts` writes while a test body runs, at DEBUG level, so tests can
 * check log content (e.g. that no secret reaches the log).
 */

import { logLevelName, setLogLevel, setLogSink } from "../../lib/util/log.ts";

/** Runs `fn` with debug logging captured; restores the sink and level; returns the log text. */
export async function captureLog(fn: () => Promise<void>): Promise<string> {
  let text = "";
  const prevLevel = logLevelName();
  const prevSink = setLogSink((line) => text += line);
  setLogLevel("DEBUG");
  try {
    await fn();
  } finally {
    setLogSink(prevSink);
    setLogLevel(prevLevel);
  }
  return text;
}
