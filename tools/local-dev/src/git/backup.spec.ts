import { ignoredFilesInTheWay } from './backup';

describe('ignoredFilesInTheWay', () => {
  it('finds the ignored files a checkout of the target tree would overwrite, and only those', () => {
    const ignored = ['.env', 'settings.local', 'build/out.js', 'cache', 'logs/debug.log', 'node_modules/x/index.js'];
    const target = ['.env', 'build', 'cache/keep.txt', 'src/main.py'];
    // .env: tracked by the target; build/out.js: target has a file "build"; cache: target has a folder "cache".
    expect(ignoredFilesInTheWay(ignored, target)).toEqual(['.env', 'build/out.js', 'cache']);
  });

  it('is empty when the target tracks none of them', () => {
    expect(ignoredFilesInTheWay(['debug.log'], ['README.md', 'src/debug.py'])).toEqual([]);
  });
});
