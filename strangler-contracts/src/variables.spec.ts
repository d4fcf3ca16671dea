import {
  interpolate,
  interpolateJson,
  jsonReferences,
  UnknownVariableError,
  variableReferences,
  type VariableScope,
} from './variables.js';

const scope: VariableScope = {
  values: new Map<string, unknown>([
    ['cardId', 'c-1'],
    ['count', 3],
    ['tags', ['a', 'b']],
    ['slashy', 'a/b c'],
  ]),
  env: { TOKEN: 'from-env' },
};

describe('variables', () => {
  it.each([
    ['/cards/${cardId}', '/cards/c-1'],
    ['${ cardId }-${count}', 'c-1-3'],
    ['Bearer ${env.TOKEN}', 'Bearer from-env'],
    ['literal $${cardId}', 'literal ${cardId}'],
    ['tags ${tags}', 'tags ["a","b"]'],
    ['no references', 'no references'],
  ])('interpolates %s', (template, expected) => {
    expect(interpolate(template, scope)).toBe(expected);
  });

  it('encodes substituted values (paths), not the template', () => {
    expect(interpolate('/x/${slashy}?q=1', scope, encodeURIComponent)).toBe('/x/a%2Fb%20c?q=1');
  });

  it.each([
    ['${missing}', 'unknown variable ${missing}'],
    ['${env.NOPE}', 'environment variable NOPE is not set'],
    ['${a b}', '${a b} is not a variable reference'],
  ])('%s throws UnknownVariableError', (template, message) => {
    expect(() => interpolate(template, scope)).toThrow(UnknownVariableError);
    expect(() => interpolate(template, scope)).toThrow(message);
  });

  it('keeps the JSON type of a whole-string reference in a body', () => {
    expect(
      interpolateJson(
        { n: '${count}', text: 'n=${count}', list: ['${tags}', '${cardId}'], keep: null },
        scope,
      ),
    ).toEqual({ n: 3, text: 'n=3', list: [['a', 'b'], 'c-1'], keep: null });
  });

  it('lists references in order, without escapes', () => {
    expect(variableReferences('${a}/$${b}/${env.C}')).toEqual(['a', 'env.C']);
    expect(jsonReferences({ x: ['${a}', { y: 'z ${b}' }], n: 1 })).toEqual(['a', 'b']);
  });
});
