/**
 * Request target → the normalised path that rules are matched against AND that the upstream
 * receives (plus the original query string), so a path cannot match one rule at the facade and
 * reach a different route's handler at the upstream.
 *
 * Normalisation (RFC 3986 §6.2.2):
 * - percent-encoded unreserved characters are decoded (`%7E` → `~`, `%2e` → `.`), every other
 *   percent-encoding is kept with upper-case hex (`%3b` → `%3B`);
 * - characters that are not allowed raw in a path (`"<>^`{|}` and bytes ≥ 0x80) are
 *   percent-encoded, which is how the upstream will decode them anyway;
 * - duplicate slashes collapse (`//cards` → `/cards`) and dot segments are removed
 *   (`/cards/../admin` → `/admin`, never above the root); a trailing slash is kept.
 *
 * Refused (400), because upstreams disagree on what they mean: encoded slash `%2F`, encoded
 * backslash `%5C`, raw backslash, `%00`, malformed percent-encoding, control characters, `#`,
 * any target that is not origin-form (`/path?query`), and a dot segment with parameters
 * (`/cards/..;/admin`, `.;x`, `..%3B`): Tomcat and Spring strip the `;...` and resolve it as
 * `..`, so it would reach `/admin` while the facade matched `/cards`.
 *
 * Any other `;` (or `%3B`) in the path is reported (`semicolon`), not refused here: whether it
 * may pass is the matched rule's choice (`allowSemicolons`), checked by the pipeline.
 */

export type NormalisedTarget =
  | {
      readonly ok: true;
      readonly path: string;
      readonly search: string;
      /** The path holds `;` or `%3B` (path parameters, e.g. `;jsessionid=...`). */
      readonly semicolon: boolean;
    }
  | { readonly ok: false; readonly reason: string };

const PERCENT = 0x25;
const SLASH = 0x2f;
const DOT = 0x2e;
const BACKSLASH = 0x5c;
const HASH = 0x23;
const SEMICOLON = 0x3b;
/** `;` or its encoding, as the decode step writes it (upper-case hex). */
const PARAMETERS = /;|%3B/;

/** 1 = allowed raw in a path segment (pchar minus "%"), 0 = must be encoded, 2 = refused. */
const CHAR_CLASS = new Uint8Array(256);
for (let code = 0; code < 256; code += 1) {
  const char = String.fromCharCode(code);
  if (code <= 0x20 || code === 0x7f) CHAR_CLASS[code] = 2;
  else if (/[A-Za-z0-9\-._~!$&'()*+,;=:@/]/.test(char)) CHAR_CLASS[code] = 1;
  else CHAR_CLASS[code] = 0;
}
CHAR_CLASS[BACKSLASH] = 2;
CHAR_CLASS[HASH] = 2;

function isUnreserved(code: number): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x2d ||
    code === 0x2e ||
    code === 0x5f ||
    code === 0x7e
  );
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

const HEX = '0123456789ABCDEF';
function percentEncode(code: number): string {
  return '%' + HEX[code >> 4] + HEX[code & 15];
}

const refuse = (reason: string): NormalisedTarget => ({ ok: false, reason });

export function normaliseTarget(rawTarget: string): NormalisedTarget {
  const queryAt = rawTarget.indexOf('?');
  const rawPath = queryAt === -1 ? rawTarget : rawTarget.slice(0, queryAt);
  const search = queryAt === -1 ? '' : rawTarget.slice(queryAt);
  if (rawPath.charCodeAt(0) !== SLASH) {
    return refuse('request target must be an absolute path (origin-form)');
  }

  // Fast path: nothing to decode, encode, collapse or remove → the input is already normal.
  let clean = true;
  let semicolon = false;
  for (let index = 0; index < rawPath.length; index += 1) {
    const code = rawPath.charCodeAt(index);
    if (code > 0xff || CHAR_CLASS[code] !== 1) {
      clean = false;
      break;
    }
    if (code === SEMICOLON) semicolon = true;
    if (code === SLASH) {
      const next = rawPath.charCodeAt(index + 1);
      if (next === SLASH || next === DOT) {
        clean = false;
        break;
      }
    }
  }
  if (clean) return { ok: true, path: rawPath, search, semicolon };

  // 1. Decode / re-encode character by character.
  let decoded = '';
  for (let index = 0; index < rawPath.length; index += 1) {
    const code = rawPath.charCodeAt(index);
    if (code === PERCENT) {
      const high = hexValue(rawPath.charCodeAt(index + 1));
      const low = hexValue(rawPath.charCodeAt(index + 2));
      if (high < 0 || low < 0) return refuse('invalid percent-encoding in path');
      const value = high * 16 + low;
      if (value === 0) return refuse('encoded NUL (%00) in path');
      if (value === SLASH) return refuse('encoded slash (%2F) in path');
      if (value === BACKSLASH) return refuse('encoded backslash (%5C) in path');
      if (value === SEMICOLON) semicolon = true;
      decoded += isUnreserved(value) ? String.fromCharCode(value) : percentEncode(value);
      index += 2;
      continue;
    }
    const kind = code > 0xff ? 2 : CHAR_CLASS[code];
    if (kind === 2) {
      if (code === BACKSLASH) return refuse('backslash in path');
      if (code === HASH) return refuse('"#" in request target');
      return refuse('control character or space in path');
    }
    if (code === SEMICOLON) semicolon = true;
    decoded += kind === 1 ? rawPath[index] : percentEncode(code);
  }

  // 2. Remove empty and dot segments (RFC 3986 §5.2.4), keeping a trailing slash.
  const input = decoded.split('/');
  const output: string[] = [];
  let trailingSlash = false;
  for (let index = 1; index < input.length; index += 1) {
    const segment = input[index];
    const last = index === input.length - 1;
    if (semicolon && isDotSegmentWithParameters(segment)) {
      return refuse(
        `dot segment with parameters ("${segment}") in path: servlet containers resolve it as ".."`,
      );
    }
    if (segment === '..') output.pop();
    if (segment === '' || segment === '.' || segment === '..') {
      if (last) trailingSlash = true;
      continue;
    }
    output.push(segment);
  }
  if (output.length === 0) return { ok: true, path: '/', search, semicolon };
  const path = '/' + output.join('/') + (trailingSlash ? '/' : '');
  return { ok: true, path, search, semicolon };
}

/** Why a path holding `;` is refused for a rule that does not `allowSemicolons` (400). */
export function semicolonRefusal(ruleName: string): string {
  return (
    '";" in the path is refused (servlet containers read it as path parameters); ' +
    `set allowSemicolons: true on rule "${ruleName}" to accept it`
  );
}

/** `.;x`, `..;x`, `..%3Bx`: what a servlet container treats as `.` or `..`. */
function isDotSegmentWithParameters(segment: string): boolean {
  const at = segment.search(PARAMETERS);
  if (at < 0) return false;
  const bare = segment.slice(0, at);
  return bare === '.' || bare === '..';
}
