/**
 * Comment-preserving, validated, atomic edits of `routes.yaml`, for the CLI, the admin API and
 * the rollout controller.
 */
export {
  editRulesFile,
  type EditRulesFileOptions,
  type RulesFileEditResult,
} from './edit-rules-file.js';
export { editRulesText, type RulesEditResult } from './edit-rules-text.js';
export { type RulesEditor, type TrafficSplit } from './rules-editor.js';
export {
  InvalidEditError,
  RulesEditRefusedError,
  RulesFileChangedError,
  RulesFileLockedError,
  UnknownRuleError,
} from './rules-edit-errors.js';
export { writeFileAtomic, type AtomicWriteOptions } from './write-file-atomic.js';
export { lockPathOf, withEditLock, type EditLockOptions } from './edit-lock.js';
