import { secretArchiveEntries } from './secrets-at-up';

describe('secretArchiveEntries', () => {
  it('names one entry per place each file lands, relative to the container root', () => {
    expect(
      secretArchiveEntries([
        { file: 'config/.env', to: ['/app/config/.env', '/etc/app/.env'] },
        { file: 'secrets.py', to: ['/srv//x/../secrets.py'] },
      ]),
    ).toEqual([
      { name: 'app/config/.env', source: 'config/.env' },
      { name: 'etc/app/.env', source: 'config/.env' },
      { name: 'srv/secrets.py', source: 'secrets.py' },
    ]);
  });
  it('refuses a target that is not an absolute file path (an invariant of dockerfile-copies)', () => {
    expect(() => secretArchiveEntries([{ file: 'a', to: ['app/a'] }])).toThrow(/not an absolute file path/);
    expect(() => secretArchiveEntries([{ file: 'a', to: ['/'] }])).toThrow(/not an absolute file path/);
  });
});
