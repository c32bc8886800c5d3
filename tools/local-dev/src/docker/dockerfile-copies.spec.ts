import { baseImageReferences, landingPaths, parseInstructions, substitute } from './dockerfile-copies';

describe('parseInstructions', () => {
  it('joins continuation lines, drops comments, and reads the escape directive', () => {
    const text = '# syntax=docker/dockerfile:1\n# escape=`\nFROM busybox:1.36\n# a comment\nRUN echo a `\n  && echo b\ncopy . /app\n';
    const { instructions, escape } = parseInstructions(text);
    expect(escape).toBe('`');
    expect(instructions).toEqual([
      { keyword: 'FROM', args: 'busybox:1.36', line: 3 },
      { keyword: 'RUN', args: 'echo a  && echo b', line: 5 },
      { keyword: 'COPY', args: '. /app', line: 7 },
    ]);
  });
});

describe('substitute', () => {
  it('replaces $NAME and ${NAME}, and gives up on an unknown variable', () => {
    expect(substitute('golang:${GO}-$OS', { GO: '1.22', OS: 'bookworm' })).toBe('golang:1.22-bookworm');
    expect(substitute('golang:${GO}', {})).toBeUndefined();
    expect(substitute('golang:${GO:-1.22}', { GO: '1' })).toBeUndefined();
  });
});

describe('baseImageReferences', () => {
  it('lists the images stages start from: ARGs before the first FROM (overridden by build args), not scratch, not earlier stages', () => {
    const text = [
      'ARG GO_VERSION=1.22',
      'ARG BASE',
      'FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build',
      'RUN go build',
      'FROM build AS test',
      'FROM scratch AS empty',
      'FROM ${BASE}',
      'FROM debian:bookworm-slim',
      'COPY --from=build /out /app',
    ].join('\n');
    expect(baseImageReferences(text, {})).toEqual(['debian:bookworm-slim', 'golang:1.22']);
    expect(baseImageReferences(text, { GO_VERSION: '1.23', BASE: 'busybox:1.36' })).toEqual(['busybox:1.36', 'debian:bookworm-slim', 'golang:1.23']);
  });
});

describe('landingPaths (where a clone file lands in the image)', () => {
  const file = 'config/.env';
  it.each<[string, string, string[]]>([
    ['COPY . with WORKDIR', 'FROM busybox\nWORKDIR /app\nCOPY . .\n', ['/app/config/.env']],
    ['COPY . /app', 'FROM busybox\nCOPY . /app\n', ['/app/config/.env']],
    ['COPY of its folder', 'FROM busybox\nCOPY config/ /etc/app/\n', ['/etc/app/.env']],
    ['COPY of the file to a file', 'FROM busybox\nCOPY config/.env /srv/settings.env\n', ['/srv/settings.env']],
    ['COPY of the file into a folder', 'FROM busybox\nWORKDIR /srv\nCOPY config/.env conf/\n', ['/srv/conf/.env']],
    ['two sources into a folder', 'FROM busybox\nCOPY a.txt config/.env /srv\n', ['/srv/.env']],
    ['JSON form, flags, a relative WORKDIR', 'FROM busybox\nWORKDIR /srv\nWORKDIR app\nCOPY --link ["./", "./"]\n', ['/srv/app/config/.env']],
    ['two places', 'FROM busybox\nCOPY config /etc/cfg\nCOPY . /app\n', ['/etc/cfg/.env', '/app/config/.env']],
    ['never copied', 'FROM busybox\nCOPY src/ /app/src/\nCOPY configuration /x\n', []],
    ['COPY --chown of other files only', 'FROM busybox\nCOPY --chown=1:1 src/ /app/src/\nCOPY . /app\n', ['/app/config/.env']],
    ['a wildcard that cannot reach it', 'FROM busybox\nCOPY *.py /app/\n', []],
    ['from a parent stage', 'FROM busybox AS base\nWORKDIR /app\nCOPY . .\nFROM base\nRUN true\n', ['/app/config/.env']],
    [
      'COPY --from a stage that never held it',
      'FROM golang AS build\nCOPY src/ /src/\nFROM busybox\nCOPY --from=build /out /app\nCOPY . /app\n',
      ['/app/config/.env'],
    ],
  ])('%s', (_what, dockerfile, at) => {
    expect(landingPaths(dockerfile, {}, file)).toEqual({ at });
  });

  it.each<[string, string, RegExp]>([
    ['ADD', 'FROM busybox\nADD . /app\n', /ADD copies config\/\.env .*line 2: ADD \. \/app/],
    ['a wildcard reaching it', 'FROM busybox\nCOPY conf* /app/\n', /a wildcard source reaches config\/\.env \(line 2/],
    ['a variable source', 'FROM busybox\nARG SRC=.\nCOPY $SRC /app\n', /a source is a variable/],
    ['a variable destination', 'FROM busybox\nCOPY . $APP\n', /the destination is a variable/],
    ['a relative destination without WORKDIR', 'FROM python:3.12\nCOPY . .\n', /relative destination with no WORKDIR/],
    [
      'COPY --from a stage that holds it',
      'FROM busybox AS build\nCOPY . /src\nFROM busybox\nCOPY --from=build /src /app\n',
      /copies from build stage build, which holds config\/\.env/,
    ],
    [
      'another build stage copying it',
      'FROM busybox AS build\nCOPY . /src\nRUN make\nFROM busybox\nCOPY --from=build /src/out /app\n',
      /copies from build stage build/,
    ],
    [
      'a build stage the image does not use copying it',
      'FROM busybox AS tools\nCOPY . /src\nFROM busybox\nCOPY src /app\n',
      /build stage tools \(line 1\) copies config\/\.env, and may need it while building/,
    ],
    ['no FROM', 'COPY . /app\n', /no FROM line/],
    [
      'COPY --chown carrying it',
      'FROM busybox\nCOPY --chown=1000:1000 . /app\n',
      /COPY --chown: local-dev cannot yet copy the secret with that owner \(line 2/,
    ],
    [
      'COPY --chmod carrying it',
      'FROM busybox\nWORKDIR /app\nCOPY --chmod=0644 ["./", "./"]\n',
      /COPY --chmod: local-dev cannot yet copy the secret with that mode/,
    ],
  ])('not known: %s', (_what, dockerfile, reason) => {
    const landing = landingPaths(dockerfile, {}, file);
    expect(landing.at).toBeUndefined();
    expect(landing).toMatchObject({ reason: expect.stringMatching(reason) });
  });
});
