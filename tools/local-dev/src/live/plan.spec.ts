import type { LiveSettings } from '../config/model';
import { type FileChange, type LiveAction, type LiveService, isNeverSynced, MAX_REBUILD_REASONS, planLiveChanges } from './plan';

/** The sample's Django API: app/ into /app/app, requirements.txt means a new image. */
const api: LiveService = {
  name: 'demo-api',
  live: { sync: [{ from: 'app', to: '/app/app' }], restart: false, rebuildOn: ['requirements.txt'], ignore: ['**/*.pyc', '**/__pycache__'] },
};

function service(name: string, live: Partial<LiveSettings>): LiveService {
  return { name, live: { sync: [], restart: false, rebuildOn: [], ignore: [], ...live } };
}

const write = (path: string): FileChange => ({ path, kind: 'write' });
const remove = (path: string): FileChange => ({ path, kind: 'delete' });
const none: ReadonlySet<string> = new Set();

function sync(serviceName: string, writes: [string, string][], deletes: string[] = [], restart = false): LiveAction {
  return { service: serviceName, kind: 'sync', writes: writes.map(([source, target]) => ({ source, target })), deletes, restart };
}

describe('planLiveChanges: what an edit in the clone does to each service', () => {
  it.each<[string, FileChange[], LiveAction[]]>([
    ['an edited view is written below sync.to', [write('app/views.py')], [sync('demo-api', [['app/views.py', '/app/app/views.py']])]],
    [
      'a save-all of the same files twice is one sync of each file, once',
      [write('app/a.py'), write('app/b.py'), write('app/a.py'), write('app/b.py')],
      [
        sync('demo-api', [
          ['app/a.py', '/app/app/a.py'],
          ['app/b.py', '/app/app/b.py'],
        ]),
      ],
    ],
    [
      'a new file in a new folder keeps its folder',
      [write('app/api/v2/routes.py')],
      [sync('demo-api', [['app/api/v2/routes.py', '/app/app/api/v2/routes.py']])],
    ],
    ['a deleted file is deleted in the container', [remove('app/old.py')], [sync('demo-api', [], ['/app/app/old.py'])]],
    [
      'a rename is a delete of the old name and a write of the new one',
      [remove('app/old_name.py'), write('app/new_name.py')],
      [sync('demo-api', [['app/new_name.py', '/app/app/new_name.py']], ['/app/app/old_name.py'])],
    ],
    ['a rename out of app/ only deletes', [remove('app/notes.py'), write('docs/notes.py')], [sync('demo-api', [], ['/app/app/notes.py'])]],
    ['a rename into app/ only writes', [remove('scratch/x.py'), write('app/x.py')], [sync('demo-api', [['app/x.py', '/app/app/x.py']])]],
    [
      'a deleted folder is one delete, not one per file in it',
      [remove('app/legacy/a.py'), remove('app/legacy/b.py'), remove('app/legacy')],
      [sync('demo-api', [], ['/app/app/legacy'])],
    ],
    [
      'a file written, then its folder deleted, in one burst: only the delete (the file is gone)',
      [write('app/tmp/x.py'), remove('app/tmp')],
      [sync('demo-api', [], ['/app/app/tmp'])],
    ],
    [
      'a folder deleted, then made again with a file: the delete, then the new file',
      [remove('app/pkg'), write('app/pkg/__init__.py')],
      [sync('demo-api', [['app/pkg/__init__.py', '/app/app/pkg/__init__.py']], ['/app/app/pkg'])],
    ],
    [
      "a file written then deleted (an editor's temporary file) is a delete only",
      [write('app/.views.py.swp'), remove('app/.views.py.swp')],
      [sync('demo-api', [], ['/app/app/.views.py.swp'])],
    ],
    [
      'a file deleted then written again is a write only',
      [remove('app/views.py'), write('app/views.py')],
      [sync('demo-api', [['app/views.py', '/app/app/views.py']])],
    ],
    ['a dot file under app/ is synced like any file', [write('app/.env.example')], [sync('demo-api', [['app/.env.example', '/app/app/.env.example']])]],
    ['a path under no sync.from is left alone', [write('README.md'), write('tests/test_views.py')], []],
    ['"apple/" is not under "app"', [write('apple/x.py')], []],
    ['deleting the synced folder itself deletes sync.to', [remove('app')], [sync('demo-api', [], ['/app/app'])]],
    ['.pyc files are ignored', [write('app/views.cpython-312.pyc')], []],
    ['a glob naming a folder ignores what is in it', [write('app/__pycache__/views.cpython-312.pyc'), write('app/__pycache__/x')], []],
    [
      'an ignored file beside an edited one: the edit alone',
      [write('app/views.pyc'), write('app/views.py')],
      [sync('demo-api', [['app/views.py', '/app/app/views.py']])],
    ],
    ['requirements.txt → one rebuild', [write('requirements.txt')], [{ service: 'demo-api', kind: 'rebuild', because: ['requirements.txt'] }]],
    [
      'rebuild-on beats sync: a view and requirements.txt → the rebuild only',
      [write('app/views.py'), write('requirements.txt'), write('app/urls.py')],
      [{ service: 'demo-api', kind: 'rebuild', because: ['requirements.txt'] }],
    ],
    ['deleting requirements.txt → a rebuild too', [remove('requirements.txt')], [{ service: 'demo-api', kind: 'rebuild', because: ['requirements.txt'] }]],
    ['nothing changed → nothing to do', [], []],
  ])('%s', (_case, changes, expected) => {
    expect(planLiveChanges(changes, [api], none)).toEqual(expected);
  });

  it('a git checkout touching a thousand files is one sync per service, each file once', () => {
    const changes = Array.from({ length: 1000 }, (_, i) => write(`app/module_${String(i).padStart(4, '0')}.py`));
    const [action, ...others] = planLiveChanges([...changes, ...changes.slice(0, 10)], [api], none);
    expect(others).toEqual([]);
    expect(action).toMatchObject({ service: 'demo-api', kind: 'sync', deletes: [], restart: false });
    expect(action.kind === 'sync' && action.writes.length).toBe(1000);
    expect(action.kind === 'sync' && action.writes[999]).toEqual({ source: 'app/module_0999.py', target: '/app/app/module_0999.py' });
  });

  it('a git checkout that also changes requirements.txt is one rebuild, naming the first few reasons', () => {
    const svc = service('demo-api', { sync: [{ from: 'app', to: '/app/app' }], rebuildOn: ['requirements*.txt', 'docker/**'] });
    const changes = [
      ...Array.from({ length: 500 }, (_, i) => write(`app/m${i}.py`)),
      write('requirements.txt'),
      write('requirements-dev.txt'),
      write('docker/entry.sh'),
      write('docker/wait.sh'),
    ];
    const actions = planLiveChanges(changes, [svc], none);
    expect(actions).toEqual([{ service: 'demo-api', kind: 'rebuild', because: ['requirements.txt', 'requirements-dev.txt', 'docker/entry.sh'] }]);
    expect(MAX_REBUILD_REASONS).toBe(3);
  });

  it('restart: true is carried on the sync', () => {
    const catalog = service('demo-catalog', { sync: [{ from: 'catalog', to: '/srv/catalog' }], restart: true });
    expect(planLiveChanges([write('catalog/views.py')], [catalog], none)).toEqual([
      sync('demo-catalog', [['catalog/views.py', '/srv/catalog/views.py']], [], true),
    ]);
  });

  it('from "" (from: . in config.yaml) syncs the whole clone', () => {
    const whole = service('health-api', { sync: [{ from: '', to: '/app' }] });
    expect(planLiveChanges([write('server.js'), write('lib/db.js'), remove('old.js')], [whole], none)).toEqual([
      sync(
        'health-api',
        [
          ['lib/db.js', '/app/lib/db.js'],
          ['server.js', '/app/server.js'],
        ],
        ['/app/old.js'],
      ),
    ]);
  });

  it('a file as from syncs just that file, to exactly sync.to', () => {
    const single = service('health-api', { sync: [{ from: 'server.js', to: '/app/server.js' }] });
    expect(planLiveChanges([write('server.js'), write('server.json'), write('server.js.map')], [single], none)).toEqual([
      sync('health-api', [['server.js', '/app/server.js']]),
    ]);
  });

  it('several sync entries may match one path: it goes to each', () => {
    const svc = service('web', {
      sync: [
        { from: '', to: '/srv' },
        { from: 'static', to: '/var/www/static' },
      ],
    });
    expect(planLiveChanges([write('static/site.css')], [svc], none)).toEqual([
      sync('web', [
        ['static/site.css', '/srv/static/site.css'],
        ['static/site.css', '/var/www/static/site.css'],
      ]),
    ]);
  });

  it('a worker sharing the clone with different sync gets its own action, in the order of the services', () => {
    const orders = service('demo-orders', { sync: [{ from: 'cmd/api', to: '/src/cmd/api' }], restart: true, rebuildOn: ['go.mod'] });
    const worker = service('demo-orders-worker', {
      sync: [
        { from: 'cmd/worker', to: '/src/cmd/worker' },
        { from: 'internal', to: '/src/internal' },
      ],
      restart: true,
    });
    const changes = [write('internal/db/db.go'), write('cmd/api/main.go')];
    expect(planLiveChanges(changes, [orders, worker], none)).toEqual([
      sync('demo-orders', [['cmd/api/main.go', '/src/cmd/api/main.go']], [], true),
      sync('demo-orders-worker', [['internal/db/db.go', '/src/internal/db/db.go']], [], true),
    ]);
    // go.mod rebuilds the api only: the worker has no rebuild-on, and go.mod is under none of its froms.
    expect(planLiveChanges([write('go.mod'), write('internal/x.go')], [worker, orders], none)).toEqual([
      sync('demo-orders-worker', [['internal/x.go', '/src/internal/x.go']], [], true),
      { service: 'demo-orders', kind: 'rebuild', because: ['go.mod'] },
    ]);
  });

  it("one service's ignore does not hide the file from another", () => {
    const a = service('a', { sync: [{ from: '', to: '/a' }], ignore: ['*.log'] });
    const b = service('b', { sync: [{ from: '', to: '/b' }] });
    expect(planLiveChanges([write('out.log')], [a, b], none)).toEqual([sync('b', [['out.log', '/b/out.log']])]);
  });

  it('an ignored path does not trigger a rebuild either', () => {
    const svc = service('a', { sync: [{ from: '', to: '/a' }], rebuildOn: ['vendor'], ignore: ['vendor/cache/**'] });
    expect(planLiveChanges([write('vendor/cache/x')], [svc], none)).toEqual([]);
    expect(planLiveChanges([write('vendor/lib/x')], [svc], none)).toEqual([{ service: 'a', kind: 'rebuild', because: ['vendor/lib/x'] }]);
  });
});

describe('what is never synced', () => {
  const whole = service('health-api', { sync: [{ from: '', to: '/app' }], rebuildOn: ['**/*.lock', 'config/**'] });
  const injected = new Set(['config/secrets.py', '.vscode/launch.json', 'api.dev.Dockerfile']);

  it.each<[string, FileChange[]]>([
    ['an injected secret edited', [write('config/secrets.py')]],
    ['an injected secret deleted', [remove('config/secrets.py')]],
    ['the injected dev Dockerfile and IDE config', [write('api.dev.Dockerfile'), write('.vscode/launch.json')]],
    ['a folder holding an injected file deleted (rm -rf would take the secret)', [remove('config')]],
    ['.git/ (a commit, a checkout)', [write('.git/index'), write('.git/refs/heads/main'), remove('.git/index.lock')]],
    ['node_modules/ at the top', [write('node_modules/left-pad/index.js')]],
    ['node_modules/ at any depth', [write('web/node_modules/x/package.lock'), remove('packages/ui/node_modules')]],
    ['a .git folder of a nested repo', [write('vendor/lib/.git/HEAD')]],
  ])('%s: no sync and no rebuild', (_case, changes) => {
    expect(planLiveChanges(changes, [whole], injected)).toEqual([]);
  });

  it('the files beside an injected one still sync', () => {
    expect(planLiveChanges([write('config/secrets.py'), write('settings.py')], [whole], injected)).toEqual([
      sync('health-api', [['settings.py', '/app/settings.py']]),
    ]);
  });

  it.each([
    ['.git', true],
    ['.git/HEAD', true],
    ['a/node_modules', true],
    ['a/node_modules/b/c.js', true],
    ['config/secrets.py', true],
    ['.gitignore', false],
    ['my.git/x', false],
    ['node_modules_backup/x', false],
    ['config/secrets.py.bak', false],
    ['app/views.py', false],
  ])('isNeverSynced(%s) is %s', (clonePath, expected) => {
    expect(isNeverSynced(clonePath, injected)).toBe(expected);
  });
});

describe('a sync never writes outside sync.to', () => {
  it.each(['app/../../etc/passwd', '../etc/passwd', '/etc/passwd', 'app//x', 'app/./x', './app/x', '', 'app/'])(
    'a change path "%s" is refused, not planned',
    (clonePath) => {
      expect(() => planLiveChanges([write(clonePath)], [api], none)).toThrow(/live plan invariant broken/);
    },
  );

  it('a to that is not a clean absolute path is refused before anything is written there', () => {
    const bad = service('x', { sync: [{ from: 'app', to: '/srv/../etc' }] });
    expect(() => planLiveChanges([write('app/x')], [bad], none)).toThrow(/outside \/srv\/\.\.\/etc/);
  });
});
