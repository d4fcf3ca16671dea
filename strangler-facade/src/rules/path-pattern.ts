/**
 * Rule path patterns (`/cards/:id`) and prefixes (`/cards`): validation and compilation to one
 * anchored RegExp each, done once at load time.
 *
 * Patterns are written in the NORMALISED form the request path is matched in (see
 * `request/normalise-path.ts`): no empty, `.` or `..` segments, no percent-encoding, no trailing
 * slash (the root `/` aside). A `:name` segment matches exactly one non-empty segment.
 */

const PARAM_SEGMENT = /^:([A-Za-z_][A-Za-z0-9_]*)$/;
/** RFC 3986 pchar without percent-encoding: unreserved, sub-delims, ":" and "@". */
const LITERAL_SEGMENT = /^[A-Za-z0-9\-._~!$&'()*+,;=@:]+$/;

export const PATH_PATTERN_HELP =
  'must start with "/", with segments made of letters, digits and -._~!$&\'()*+,;=@: or a ' +
  '":param", and no empty, "." or ".." segment or trailing slash';

interface ParsedPattern {
  /** RegExp source for the pattern, without anchors. */
  source: string;
  params: string[];
}

function parsePattern(pattern: string): ParsedPattern | null {
  if (pattern === '/') return { source: '', params: [] };
  if (!pattern.startsWith('/') || pattern.endsWith('/')) return null;
  const params: string[] = [];
  let source = '';
  for (const segment of pattern.slice(1).split('/')) {
    const param = PARAM_SEGMENT.exec(segment);
    if (param) {
      const name = param[1] ?? '';
      if (params.includes(name)) return null;
      params.push(name);
      source += '/([^/]+)';
    } else if (LITERAL_SEGMENT.test(segment) && segment !== '.' && segment !== '..') {
      if (segment.startsWith(':')) return null;
      source += '/' + segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else {
      return null;
    }
  }
  return { source, params };
}

export function isValidPathPattern(pattern: string): boolean {
  return parsePattern(pattern) !== null;
}

export function isValidPrefix(prefix: string): boolean {
  return parsePattern(prefix) !== null;
}

export interface PathMatcher {
  readonly kind: 'path' | 'prefix';
  readonly pattern: string;
  readonly params: readonly string[];
  readonly regexp: RegExp;
}

/**
 * Compiles a validated pattern. An exact `path` also accepts one trailing slash (as Express's
 * non-strict routing does, so `/cards/1/` cannot slip past a `/cards/:id` rule to a handler the
 * rule meant to move). A `prefix` ends at a segment boundary.
 */
export function compilePathMatcher(
  kind: 'path' | 'prefix',
  pattern: string,
  caseSensitive: boolean,
): PathMatcher {
  const parsed = parsePattern(pattern);
  if (!parsed) throw new Error(`invalid path ${kind} "${pattern}": ${PATH_PATTERN_HELP}`);
  const flags = caseSensitive ? '' : 'i';
  let source: string;
  if (kind === 'path') source = parsed.source === '' ? '^/$' : `^${parsed.source}/?$`;
  else source = parsed.source === '' ? '^/' : `^${parsed.source}(?=/|$)`;
  return Object.freeze({
    kind,
    pattern,
    params: Object.freeze(parsed.params),
    regexp: new RegExp(source, flags),
  });
}

/** The parameters a matcher extracts from `path`, or null when it does not match. */
export function matchPathParams(matcher: PathMatcher, path: string): Record<string, string> | null {
  const found = matcher.regexp.exec(path);
  if (!found) return null;
  const params: Record<string, string> = {};
  matcher.params.forEach((name, index) => {
    params[name] = found[index + 1] ?? '';
  });
  return params;
}
