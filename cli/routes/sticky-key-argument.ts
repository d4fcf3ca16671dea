/**
 * A canary's sticky key on the command line, in the rule schema's own words:
 * `header:x-user-id`, `cookie:uid`, `bearerUser`, `bearerToken:^(.+)\.`, `clientAddress`,
 * and, for `routes sticky`, `default` (the rule's own key removed: `settings.stickyBy` applies).
 * Only the form is checked here; the facade's loader checks the value (a bad regex, header name)
 * with the rest of the file before anything is written.
 */
import { InvalidArgumentError } from 'commander';

import type { StickyByConfig } from '../../strangler-facade/src/rules/rule-schema.js';

export const STICKY_KEY_HELP =
  'header:<name> | cookie:<name> | bearerUser (JWT sub) | bearerToken:<regex> (first group of ' +
  'the token) | clientAddress';

/** The key as `stickyBy`, or null for `default`. */
export function parseStickyKey(text: string): StickyByConfig | null {
  const colon = text.indexOf(':');
  const kind = (colon < 0 ? text : text.slice(0, colon)).trim().toLowerCase();
  const value = colon < 0 ? '' : text.slice(colon + 1).trim();
  const needsValue = (): string => {
    if (value === '') throw new InvalidArgumentError(`"${kind}:" needs a value after the colon`);
    return value;
  };
  switch (kind) {
    case 'header':
      return { header: needsValue() };
    case 'cookie':
      return { cookie: needsValue() };
    case 'bearertoken':
      return { bearerToken: { regex: needsValue() } };
    case 'beareruser':
      return { bearerUser: true };
    case 'clientaddress':
      return { clientAddress: true };
    case 'default':
      return null;
    default:
      throw new InvalidArgumentError(`expected ${STICKY_KEY_HELP}, or default`);
  }
}

/** `parseStickyKey` where `default` makes no sense (`routes weight --sticky-by`). */
export function parseStickyKeyOption(text: string): StickyByConfig {
  const key = parseStickyKey(text);
  if (key === null) throw new InvalidArgumentError(`expected ${STICKY_KEY_HELP}`);
  return key;
}
