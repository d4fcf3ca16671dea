/**
 * A case file's request, made concrete for one side: defaults merged, variables substituted
 * (path values URL-encoded), query appended, JSON body serialised.
 */
import type { ContractCompareOptions, ContractRequest } from './case-file.schema.js';
import type { PreparedRequest } from './send-request.js';
import { interpolate, interpolateJson, type VariableScope } from './variables.js';

export interface RequestDefaults {
  readonly headers?: Readonly<Record<string, string | number | boolean | null>>;
  readonly timeoutMs: number;
}

export const USER_AGENT = 'strangler-contracts';

export function prepareRequest(
  request: ContractRequest,
  defaults: RequestDefaults,
  scope: VariableScope,
): PreparedRequest {
  const headers: Record<string, string> = { 'user-agent': USER_AGENT };
  const merged = { ...lowerCaseKeys(defaults.headers), ...lowerCaseKeys(request.headers) };
  for (const [name, value] of Object.entries(merged)) {
    if (value === null) delete headers[name];
    else headers[name] = interpolate(String(value), scope);
  }

  let target = interpolate(request.path, scope, encodeURIComponent);
  if (request.query) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(request.query)) {
      for (const item of Array.isArray(value) ? value : [value]) {
        params.append(name, interpolate(String(item), scope));
      }
    }
    const search = params.toString();
    if (search) target += (target.includes('?') ? '&' : '?') + search;
  }

  let body: string | undefined;
  if (request.json !== undefined) {
    body = JSON.stringify(interpolateJson(request.json, scope));
    headers['content-type'] ??= 'application/json';
  } else if (request.body !== undefined) {
    body = interpolate(request.body, scope);
  }
  return {
    method: request.method,
    target,
    headers,
    ...(body !== undefined && { body }),
    timeoutMs: request.timeoutMs ?? defaults.timeoutMs,
  };
}

function lowerCaseKeys<T>(record: Readonly<Record<string, T>> | undefined): Record<string, T> {
  return Object.fromEntries(
    Object.entries(record ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
}

/**
 * File defaults and a case's own options, for `compileComparison`: lists are concatenated,
 * single values from the case win.
 */
export function mergeCompareOptions(
  base: ContractCompareOptions | undefined,
  own: ContractCompareOptions | undefined,
): ContractCompareOptions {
  const merged: ContractCompareOptions = { ...base, ...own };
  for (const key of ['headers', 'ignore', 'unordered'] as const) {
    const list = [...(base?.[key] ?? []), ...(own?.[key] ?? [])];
    if (list.length > 0) (merged as Record<string, unknown>)[key] = list;
  }
  return merged;
}
