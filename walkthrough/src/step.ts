/**
 * One step of the walkthrough: what it does and why (the pattern's name), the exact change it
 * makes, how it is applied, how the toolkit's own checks verify it, and how it is undone.
 */
import type { CliIo } from '../../cli/cli-io.js';

/** Where the running example is and how to reach it. */
export interface WalkthroughTarget {
  /** The facade's data plane, e.g. http://127.0.0.1:8080. */
  readonly facadeUrl: string;
  /** The facade's admin plane, e.g. http://127.0.0.1:8081. */
  readonly adminUrl: string;
  /** Its bearer token: STRANGLER_ADMIN_TOKEN, or the stack's `.strangler/admin-token`. */
  readonly adminToken?: string | undefined;
  /** legacy-monolith, reached directly (contract tests). */
  readonly legacyUrl: string;
  /** cards-service, reached directly (contract tests). */
  readonly cardsServiceUrl: string;
  /** search-service (the read model of step 10), reached directly (contract tests). */
  readonly searchServiceUrl: string;
  /** The legacy, cards and search databases (sync checks, test data). */
  readonly legacyDatabaseUrl: string;
  readonly cardsDatabaseUrl: string;
  readonly searchDatabaseUrl: string;
  /** The routes.yaml the facade serves and watches. */
  readonly routesFile: string;
  /** Secret of the example's bearer tokens. */
  readonly authTokenSecret: string;
}

export interface StepContext {
  readonly target: WalkthroughTarget;
  readonly repoRoot: string;
  readonly io: CliIo;
  /** One line of progress under the current step. */
  readonly note: (line: string) => void;
}

/** The change a step makes, shown before it is applied. */
export interface StepChange {
  /** What changes, in one line ("routes.yaml: cards-get-by-id shadows to cards-service"). */
  readonly summary: string;
  /** Text shown as is (a pipeline file, a command); optional. */
  readonly show?: string;
  /** For a routes.yaml change: the file before and after (shown as a line diff). */
  readonly routes?: { readonly before: string; readonly after: string };
}

export interface VerifyResult {
  readonly ok: boolean;
  /** What was checked and what was seen, one line each. */
  readonly lines: readonly string[];
}

export interface WalkthroughStep {
  readonly id: string;
  readonly title: string;
  /** The pattern this step applies, by its name. */
  readonly pattern: string;
  /** Plain words: what this step does and why. */
  readonly explain: string;
  /** False: the toolkit cannot do this step yet; it is explained, not run. */
  readonly available: boolean;
  /** For an unavailable step: what is missing. */
  readonly missing?: string;
  /** The change this step would make now (nothing is written). */
  change?(context: StepContext): Promise<StepChange>;
  /** Makes the change; returns the routes.yaml text before it when it edited the file. */
  apply?(context: StepContext): Promise<{ routesBefore?: string }>;
  verify?(context: StepContext): Promise<VerifyResult>;
  /** Runs before `--undo` puts the routes back (e.g. let a sync drain first). */
  beforeUndo?(context: StepContext): Promise<void>;
}
