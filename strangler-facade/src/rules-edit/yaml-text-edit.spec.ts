import { parseDocument } from 'yaml';

import { YamlTextEdit } from './yaml-text-edit.js';

function run(text: string, edit: (yaml: YamlTextEdit) => void) {
  const yaml = new YamlTextEdit(text);
  edit(yaml);
  return yaml.result();
}

describe('YamlTextEdit', () => {
  it('no edit returns the text untouched', () => {
    expect(run('a:  1 #x\n\n\nb: [1,2]\n', () => undefined)).toEqual({
      text: 'a:  1 #x\n\n\nb: [1,2]\n',
      reformatted: false,
    });
  });

  it('splices scalars and keeps odd spacing, blank lines and compact flow sequences', () => {
    const text = 'a:   1   #  note\n\n\nb: [1,2]\nc: {d: "x"}\n';
    const result = run(text, (yaml) => {
      yaml.set(['a'], 2);
      yaml.set(['c', 'd'], 'y');
    });
    expect(result).toEqual({
      text: 'a:   2   #  note\n\n\nb: [1,2]\nc: {d: "y"}\n',
      reformatted: false,
    });
  });

  it('setting a value that is already there changes nothing, whatever its spelling', () => {
    const text = 'a: 5.0\nb: "x"\n';
    expect(
      run(text, (yaml) => {
        yaml.set(['a'], 5);
        yaml.set(['b'], 'x');
      }).text,
    ).toBe(text);
  });

  it('merges an object into an existing map key by key', () => {
    const text = 'r:\n  c:\n    u: a # u\n    keep: [x]\n';
    const result = run(text, (yaml) => yaml.set(['r', 'c'], { u: 'b', p: 3 }));
    expect(result.text).toBe('r:\n  c:\n    u: b # u\n    keep: [x]\n    p: 3\n');
  });

  it('deletes a nested block with everything inside it, and nothing else', () => {
    const text = 'r:\n  a: 1\n  c: # gone\n    u: a\n    # inner\n    p: 3\n  z: 2 # stays\n';
    expect(run(text, (yaml) => yaml.delete(['r', 'c'])).text).toBe('r:\n  a: 1\n  z: 2 # stays\n');
    expect(run(text, (yaml) => yaml.delete(['r', 'missing'])).text).toBe(text);
  });

  it('falls back to re-serialising when a removed key opens a list item, keeping comments', () => {
    const text = '# head\nrules:\n  - c: 1 # c\n    name: a # the name\n';
    const result = run(text, (yaml) => yaml.delete(['rules', 0, 'c']));
    expect(result.reformatted).toBe(true);
    expect(parseDocument(result.text).toJS()).toEqual({ rules: [{ name: 'a' }] });
    expect(result.text).toContain('# head');
    expect(result.text).toContain('# the name');
  });

  it('keeps quote styles of replaced scalars and quotes values that need it', () => {
    const text = 'a: \'x\'\nb: "y"\nc: z\n';
    const result = run(text, (yaml) => {
      yaml.set(['a'], "it's");
      yaml.set(['b'], 'q"q');
      yaml.set(['c'], 'true');
    });
    expect(result.text).toBe('a: \'it\'\'s\'\nb: "q\\"q"\nc: "true"\n');
    expect(parseDocument(result.text).toJS()).toEqual({ a: "it's", b: 'q"q', c: 'true' });
  });
});
