import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DockerfileError, parseDockerfile, stagesFor } from './dockerfile.js';
import { expand } from './expand.js';

const DF = `# a comment
ARG BASE=busybox
FROM \${BASE} AS build
ENV A=1 B="two words"
RUN echo hi && \\
    echo there
RUN ["sh", "-c", "echo json"]
FROM scratch AS other
COPY --from=build /bin/busybox /bin/
FROM build
COPY --from=build --chown=1:2 a b /dst/
LABEL x=y "k w"=v
HEALTHCHECK --interval=5s CMD true
CMD echo done
`;

test('stages, instructions with line numbers, exec and shell forms, flags and properties', () => {
  const df = parseDockerfile(DF);
  assert.deepEqual(
    df.globalArgs.map((a) => a.props),
    [[['BASE', 'busybox']]],
  );
  assert.deepEqual(
    df.stages.map((s) => [s.name, s.from, s.fromLine]),
    [
      ['build', '${BASE}', 3],
      ['other', 'scratch', 8],
      [undefined, 'build', 10],
    ],
  );
  const [env, run1, run2] = df.stages[0].instructions;
  assert.deepEqual(env.props, [
    ['A', '1'],
    ['B', 'two words'],
  ]);
  assert.equal(run1.line, 5);
  assert.equal(run1.json, undefined);
  assert.match(run1.args, /^echo hi && +echo there$/);
  assert.deepEqual(run2.json, ['sh', '-c', 'echo json']);
  const copy = df.stages[2].instructions[0];
  assert.deepEqual(copy.flags, { from: 'build', chown: '1:2' });
  assert.equal(copy.args, 'a b /dst/');
  assert.deepEqual(df.stages[2].instructions[2].flags, { interval: '5s' });
});

test('targets pull in only the stages they need', () => {
  const df = parseDockerfile(DF);
  assert.deepEqual(
    stagesFor(df).map((s) => s.index),
    [0, 2],
  );
  assert.deepEqual(
    stagesFor(df, 'other').map((s) => s.index),
    [0, 1],
  );
  assert.deepEqual(
    stagesFor(df, 'build').map((s) => s.index),
    [0],
  );
  assert.throws(() => stagesFor(df, 'nope'), /target stage "nope" not found/);
});

test('syntax errors name the line', () => {
  const cases: Array<[string, RegExp]> = [
    ['FROM busybox\nFROBNICATE x\n', /line 2: unknown instruction: FROBNICATE/],
    ['RUN true\nFROM busybox\n', /line 1: RUN before the first FROM/],
    ['# nothing\n', /no FROM instruction/],
    ['FROM a b\n', /line 1: FROM takes IMAGE \[AS NAME\]/],
    ['FROM busybox\nCOPY --bogus=1 a b\n', /line 2: unknown flag --bogus for COPY/],
    ['FROM a AS x\nFROM b AS x\n', /line 2: duplicate stage name "x"/],
  ];
  for (const [text, re] of cases)
    assert.throws(
      () => parseDockerfile(text),
      (e: Error) => e instanceof DockerfileError && re.test(e.message),
      text,
    );
});

test('variable substitution follows Docker', () => {
  const vars = new Map([
    ['A', 'x'],
    ['EMPTY', ''],
  ]);
  assert.equal(expand('$A ${A} ${A:-d} ${B:-d} ${A:+alt} ${B:+alt} \\$A $', vars), 'x x x d alt  $A $');
  assert.equal(expand('${EMPTY:-fallback}/$B/end', vars), 'fallback//end');
  assert.throws(() => expand('${A', vars), /missing }/);
  assert.throws(() => expand('${1bad}', vars), /bad substitution/);
});
