import { baseImageReferences, parseInstructions, substitute } from './dockerfile-copies';

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
