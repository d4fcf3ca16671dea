/**
 * The pure half of editing `routes.yaml`: text in, edited text out, validated by the facade's own
 * loader and compiler (the same checks a reload makes), or an error carrying their messages.
 */
import { parseRulesText } from '../rules/read-rules-file.js';
import { RulesEditRefusedError } from './rules-edit-errors.js';
import { createRulesEditor, type RulesEditor } from './rules-editor.js';
import { YamlTextEdit } from './yaml-text-edit.js';

export interface RulesEditResult {
  /** False when the edit left the text as it was (then nothing is written). */
  readonly changed: boolean;
  /** The new text (the old one when unchanged). */
  readonly text: string;
  /** The text before the edit. */
  readonly previousText: string;
  /** True when the layout could not be kept exactly (comments and key order still are). */
  readonly reformatted: boolean;
}

/**
 * Applies `edit` to `text` and validates the result.
 * @throws UnknownRuleError, InvalidEditError (from the editor operations) and
 *   RulesEditRefusedError (the edited file would not load; `errors` are `file:line:col` messages)
 */
export function editRulesText(
  text: string,
  sourceName: string,
  edit: (editor: RulesEditor) => void,
): RulesEditResult {
  const yamlEdit = new YamlTextEdit(text);
  edit(createRulesEditor(yamlEdit, sourceName));
  const result = yamlEdit.result();
  if (result.text === text) {
    return { changed: false, text, previousText: text, reformatted: false };
  }
  const checked = parseRulesText(result.text, sourceName, {});
  if (!checked.ok) throw new RulesEditRefusedError(checked.errors, result.text);
  return { changed: true, text: result.text, previousText: text, reformatted: result.reformatted };
}
