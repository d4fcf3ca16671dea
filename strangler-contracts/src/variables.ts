/**
 * `${name}` substitution in paths, header and query values and JSON bodies.
 *
 * - `${name}`: a variable from the vars file / `--var`, or a value captured earlier in the case
 *   (captures are per side: the old and the new side each keep their own `cardId`);
 * - `${env.NAME}`: the environment variable NAME;
 * - `$${` writes a literal `${`.
 *
 * A JSON body string that is exactly one reference (`'${count}'`) takes the variable's value
 * with its JSON type; anywhere else values are written as text (objects as JSON).
 */

export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;
const WHOLE_REFERENCE = /^\$\{([^}]*)\}$/;
const ENV_PREFIX = 'env.';

/** Where a template's variables come from, for one side of one case. */
export interface VariableScope {
  /** Vars file, `--var`, and this side's captures (captures win). */
  readonly values: ReadonlyMap<string, unknown>;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export class UnknownVariableError extends Error {
  constructor(
    readonly reference: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnknownVariableError';
  }
}

/** The references in a template, in order (`name` or `env.NAME`), without `$${` escapes. */
export function variableReferences(template: string): string[] {
  const names: string[] = [];
  for (const match of template.matchAll(REFERENCE)) {
    if (match[1] !== undefined) names.push(match[1].trim());
  }
  return names;
}

/** A problem with a reference's syntax, or null. */
export function referenceProblem(reference: string): string | null {
  const name = reference.startsWith(ENV_PREFIX) ? reference.slice(ENV_PREFIX.length) : reference;
  if (!VARIABLE_NAME.test(name)) {
    return `\${${reference}} is not a variable reference: use \${name} or \${env.NAME}`;
  }
  return null;
}

function resolve(reference: string, scope: VariableScope): unknown {
  const syntax = referenceProblem(reference);
  if (syntax) throw new UnknownVariableError(reference, syntax);
  if (reference.startsWith(ENV_PREFIX)) {
    const name = reference.slice(ENV_PREFIX.length);
    const value = scope.env[name];
    if (value === undefined) {
      throw new UnknownVariableError(reference, `environment variable ${name} is not set`);
    }
    return value;
  }
  if (!scope.values.has(reference)) {
    throw new UnknownVariableError(reference, `unknown variable \${${reference}}`);
  }
  return scope.values.get(reference);
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value);
}

/** Replaces every reference; `encode` is applied to each substituted value (e.g. in paths). */
export function interpolate(
  template: string,
  scope: VariableScope,
  encode: (text: string) => string = (text) => text,
): string {
  return template.replace(REFERENCE, (_whole, reference: string | undefined) =>
    reference === undefined ? '${' : encode(asText(resolve(reference.trim(), scope))),
  );
}

/** Interpolates every string inside a JSON value (keys stay as written). */
export function interpolateJson(value: unknown, scope: VariableScope): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE_REFERENCE.exec(value);
    if (whole?.[1] !== undefined) return resolve(whole[1].trim(), scope);
    return interpolate(value, scope);
  }
  if (Array.isArray(value)) return value.map((item) => interpolateJson(item, scope));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateJson(item, scope)]),
    );
  }
  return value;
}

/** Every reference inside a JSON value's strings. */
export function jsonReferences(value: unknown): string[] {
  if (typeof value === 'string') return variableReferences(value);
  if (Array.isArray(value)) return value.flatMap(jsonReferences);
  if (value !== null && typeof value === 'object')
    return Object.values(value).flatMap(jsonReferences);
  return [];
}
