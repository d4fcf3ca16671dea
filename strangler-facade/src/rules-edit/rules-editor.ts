/**
 * The operations the CLI, the admin API and the rollout controller make on `routes.yaml`, by rule
 * name. Each one goes through `YamlTextEdit`, so the user's comments and layout survive; what the
 * result means is checked afterwards by the facade's own loader (`edit-rules-text.ts`).
 */
import { isMap, isSeq } from 'yaml';

import type { StickyByConfig } from '../rules/rule-schema.js';
import { InvalidEditError, UnknownRuleError } from './rules-edit-errors.js';
import type { YamlPath, YamlTextEdit } from './yaml-text-edit.js';

export interface TrafficSplit {
  /** Name of an entry under `upstreams`. */
  readonly upstream: string;
  /** 0..100, decimals allowed. */
  readonly percent: number;
}

export interface RulesEditor {
  /** Rule names in file order, then the default rule's name. */
  readonly ruleNames: readonly string[];
  /** The primary upstream of a rule (or of the default rule, by its name). */
  setUpstream(rule: string, upstream: string): void;
  /** Adds `canary`, or sets its upstream and percent (keeping `stickyBy`, `rollout`). */
  setCanary(rule: string, canary: TrafficSplit): void;
  /** Sets the percent of an existing canary. */
  setCanaryPercent(rule: string, percent: number): void;
  /**
   * Sets the sticky key of an existing canary (`{header: x-user-id}`, `{bearerToken: {regex}}`,
   * ...; the loader checks it), or removes it with null: the canary then uses `settings.stickyBy`.
   */
  setCanaryStickyBy(rule: string, stickyBy: StickyByConfig | null): void;
  /** Removes `canary` (nothing happens when there is none). */
  clearCanary(rule: string): void;
  /** Adds `shadow`, or sets its upstream and percent (keeping `compare` and the rest). */
  setShadow(rule: string, shadow: TrafficSplit): void;
  /** Removes `shadow` (nothing happens when there is none). */
  clearShadow(rule: string): void;
}

export function createRulesEditor(edit: YamlTextEdit, sourceName: string): RulesEditor {
  /** Rule name → path of its map, in file order, the default rule last. */
  const rulePaths = (): Map<string, YamlPath> => {
    const paths = new Map<string, YamlPath>();
    const rules: unknown = edit.get(['rules']);
    if (isSeq(rules)) {
      rules.items.forEach((item, index) => {
        const name: unknown = isMap(item) ? item.get('name') : undefined;
        if (typeof name === 'string' && !paths.has(name)) paths.set(name, ['rules', index]);
      });
    }
    const fallback: unknown = edit.get(['default']);
    if (isMap(fallback)) {
      const name: unknown = fallback.get('name') ?? 'default';
      if (typeof name === 'string' && !paths.has(name)) paths.set(name, ['default']);
    }
    return paths;
  };
  const rulePath = (rule: string): YamlPath => {
    const paths = rulePaths();
    const path = paths.get(rule);
    if (!path) throw new UnknownRuleError(rule, [...paths.keys()], sourceName);
    return path;
  };
  const checkName = (what: string, value: unknown): void => {
    if (typeof value !== 'string' || value.trim() === '') {
      throw new InvalidEditError(`${what} must be a non-empty name, got ${JSON.stringify(value)}`);
    }
  };
  const checkPercent = (value: unknown): void => {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new InvalidEditError(`percent must be a number, got ${JSON.stringify(value)}`);
    }
  };
  /** The path of a rule that may carry a canary or shadow: not the default rule. */
  const splitRulePath = (rule: string, key: 'canary' | 'shadow'): YamlPath => {
    const path = rulePath(rule);
    if (path[0] === 'default') {
      throw new InvalidEditError(
        `${sourceName}: "${rule}" is the default rule, which only names where unmatched ` +
          `requests go and has no ${key}; to split them, add a rule before it ` +
          `(match: { prefix: / }) and give that rule the ${key}`,
      );
    }
    return path;
  };
  const setSplit = (rule: string, key: 'canary' | 'shadow', split: TrafficSplit): void => {
    checkName(`${key} upstream`, split.upstream);
    checkPercent(split.percent);
    edit.set([...splitRulePath(rule, key), key], {
      upstream: split.upstream,
      percent: split.percent,
    });
  };
  const existingCanaryPath = (rule: string): YamlPath => {
    const path = [...splitRulePath(rule, 'canary'), 'canary'];
    if (!isMap(edit.get(path))) {
      throw new InvalidEditError(
        `${sourceName}: rule "${rule}" has no canary (set one with an upstream first)`,
      );
    }
    return path;
  };

  return {
    get ruleNames(): readonly string[] {
      return [...rulePaths().keys()];
    },
    setUpstream(rule, upstream) {
      checkName('upstream', upstream);
      edit.set([...rulePath(rule), 'upstream'], upstream);
    },
    setCanary(rule, canary) {
      setSplit(rule, 'canary', canary);
    },
    setCanaryPercent(rule, percent) {
      checkPercent(percent);
      edit.set([...existingCanaryPath(rule), 'percent'], percent);
    },
    setCanaryStickyBy(rule, stickyBy) {
      const path = [...existingCanaryPath(rule), 'stickyBy'];
      // Replaced whole: a new kind of key must not be merged into the old one's map.
      edit.delete(path);
      if (stickyBy !== null) edit.set(path, stickyBy);
    },
    clearCanary(rule) {
      edit.delete([...rulePath(rule), 'canary']);
    },
    setShadow(rule, shadow) {
      setSplit(rule, 'shadow', shadow);
    },
    clearShadow(rule) {
      edit.delete([...rulePath(rule), 'shadow']);
    },
  };
}
