/**
 * The value checks of schema.ts, as a user meets them: config text in, the problems (line, message,
 * fix) out. These values reach file globs, git and docker, so the refusals are the security
 * boundary of issue 9 (items 1, 3, 6 and 8).
 */
import { CONFIG_FILE as FILE, problemsOf, yaml } from '../../testing/config-text';
import { parseConfigText } from './load';

const PATH_RULE = 'allowed: letters, digits, ".", "_", "-" and "/" only; a relative path, not starting with "-", with no ".." parts';

describe('paths in config.yaml: a safe character set, refused at load with the line', () => {
  it('refuses shell syntax in a configs source (it used to reach a shell through an Nx runtime input)', () => {
    const problems = problemsOf(
      yaml([
        'services:',
        '  a:',
        '    repo: a.git',
        '    configs:',
        '      - source: "x;touch /tmp/pwned;echo"',
        '        dest: ok.py',
        '      - { source: "`touch /tmp/pwned`", dest: ok.py }',
        '      - { source: "$(id).py", dest: ok.py }',
      ]),
    );
    expect(problems).toEqual([
      {
        file: FILE,
        line: 5,
        message: `services.a.configs.0.source: "x;touch /tmp/pwned;echo" contains ";", a space; ${PATH_RULE}`,
        fix: 'write it like configs/health_secrets.py',
      },
      {
        file: FILE,
        line: 7,
        message: `services.a.configs.1.source: "\`touch /tmp/pwned\`" contains "\`", a space; ${PATH_RULE}`,
        fix: 'write it like configs/health_secrets.py',
      },
      {
        file: FILE,
        line: 8,
        message: `services.a.configs.2.source: "$(id).py" contains "$", "(", ")"; ${PATH_RULE}`,
        fix: 'write it like configs/health_secrets.py',
      },
    ]);
  });

  it('refuses a dest, dockerfile or source that a program would read as an option, and glob characters', () => {
    const problems = problemsOf(
      yaml(['services:', '  a:', '    repo: a.git', '    dockerfile: -f', '    configs:', '      - { source: "*.py", dest: --output }']),
    );
    expect(problems.map((problem) => [problem.line, problem.message.split('; allowed: ')[0]])).toEqual([
      [4, 'services.a.dockerfile: "-f" starts with "-" (a program would read it as an option)'],
      [6, 'services.a.configs.0.source: "*.py" contains "*"'],
      [6, 'services.a.configs.0.dest: "--output" starts with "-" (a program would read it as an option)'],
    ]);
  });

  it('refuses a dockerfile outside repos_docker_files/ (it copied /etc/passwd into the clone)', () => {
    const problems = problemsOf(yaml(['services:', '  a:', '    repo: a.git', '    workers:', '      w:', '        dockerfile: ../../../../etc/passwd']));
    expect(problems).toEqual([
      {
        file: FILE,
        line: 6,
        message: `services.a.workers.w.dockerfile: "../../../../etc/passwd" has a ".." part (it would leave its folder); ${PATH_RULE}`,
        fix: 'write it like api.dev.Dockerfile',
      },
    ]);
  });

  it('refuses a dest inside .git at load, however it is spelled', () => {
    const problems = problemsOf(
      yaml([
        'services:',
        '  a:',
        '    repo: a.git',
        '    configs:',
        '      - { source: hook, dest: .git/hooks/post-checkout }',
        '      - { source: x, dest: ./.git/x }',
        '      - { source: x, dest: a/../.git/x }',
        '      - { source: x, dest: vendor/lib/.GIT/config }',
        '      - { source: x, dest: .github/workflows/ok.yml }',
        '      - { source: x, dest: .gitignore }',
      ]),
    );
    expect(problems.map((problem) => [problem.line, problem.message.split('; allowed: ')[0]])).toEqual([
      [5, 'services.a.configs.0.dest: ".git/hooks/post-checkout" points into a .git folder (a file there, e.g. a hook, would run as code)'],
      [6, 'services.a.configs.1.dest: "./.git/x" points into a .git folder (a file there, e.g. a hook, would run as code)'],
      [7, 'services.a.configs.2.dest: "a/../.git/x" has a ".." part (it would leave its folder)'],
      [8, 'services.a.configs.3.dest: "vendor/lib/.GIT/config" points into a .git folder (a file there, e.g. a hook, would run as code)'],
    ]);
    expect(problems[0].fix).toBe('write it like app/app/secrets.py');
  });

  it('keeps the paths people write working', () => {
    const model = parseConfigText(
      yaml([
        'services:',
        '  a:',
        '    repo: git@github.com:company/a-api.git',
        '    branch: feature/JIRA-12_login.v2',
        '    dir: a-api.v2',
        '    dockerfile: dev/a_api.dev.Dockerfile',
        '    configs:',
        '      - { source: configs/debug-configs/a/.env.local, dest: ./app/.env }',
      ]),
      FILE,
    );
    expect(model.services[0]).toMatchObject({ dir: 'a-api.v2', dockerfile: 'dev/a_api.dev.Dockerfile' });
    expect(model.repos[0]).toMatchObject({
      branch: 'feature/JIRA-12_login.v2',
      configs: [{ source: 'debug-configs/a/.env.local', dest: './app/.env', required: false }],
    });
  });

  it('refuses a clone folder that is not one plain folder name', () => {
    const problems = problemsOf(yaml(['services:', '  a:', '    repo: a.git', '    dir: -rf', '  b:', '    repo: b.git', '    dir: "b c"']));
    expect(problems).toEqual([
      expect.objectContaining({
        line: 4,
        message: expect.stringMatching(/^services\.a\.dir: "-rf" does not start with a letter or digit; allowed: one folder name/),
        fix: 'write it like health-api',
      }),
      expect.objectContaining({ line: 7, message: expect.stringMatching(/^services\.b\.dir: "b c" contains a space/) }),
    ]);
  });
});

describe('repo and branch cannot smuggle options to git', () => {
  it('refuses a branch git would read as an option or a range, and names the rules', () => {
    const problems = problemsOf(
      yaml([
        'services:',
        '  a:',
        '    repo: a.git',
        '    branch: -b',
        '  b:',
        '    repo: b.git',
        '    branch: main..evil',
        '  c:',
        '    repo: c.git',
        "    branch: 'x;id'",
      ]),
    );
    expect(problems.map((problem) => [problem.line, problem.message.split('; allowed: ')[0]])).toEqual([
      [4, 'services.a.branch: "-b" starts with "-" (git would read it as an option)'],
      [7, 'services.b.branch: "main..evil" is not a branch name git accepts'],
      [10, 'services.c.branch: "x;id" contains ";"'],
    ]);
    expect(problems[1].message).toContain('no "..", "//" or "/."');
    expect(problems[0].fix).toBe('write it like main or feature/login-form');
  });

  it('refuses a repo that starts with "-" or uses a remote helper such as ext::', () => {
    const problems = problemsOf(yaml(['services:', '  a:', '    repo: --upload-pack=touch /tmp/pwned', '  b:', '    repo: "ext::sh -c touch% /tmp/pwned"']));
    expect(problems.map((problem) => [problem.line, problem.message.split('; allowed: ')[0]])).toEqual([
      [3, 'services.a.repo: "--upload-pack=touch /tmp/pwned" starts with "-" (git would read it as an option)'],
      [
        5,
        'services.b.repo: "ext::sh -c touch% /tmp/pwned" uses the git remote helper "ext::", which local-dev does not allow (helpers such as ext:: run commands)',
      ],
    ]);
  });

  it('keeps every ordinary kind of repo address working', () => {
    const repos = [
      'https://github.com/company/a.git',
      'ssh://git@host:2222/x/b.git',
      'git@github.com:company/c.git',
      'file:///srv/git/d.git',
      '../e',
      '/srv/git/f.git',
    ];
    const model = parseConfigText(yaml(['services:', ...repos.flatMap((repo, index) => [`  s${index}:`, `    repo: ${repo}`])]), FILE);
    expect(model.repos.map((repo) => repo.url)).toEqual(repos);
  });
});

describe('ports: ranges and addresses checked, with a human message', () => {
  it('refuses out-of-range ports and impossible addresses, each on its own line', () => {
    const problems = problemsOf(
      yaml([
        'services:',
        '  a:',
        '    repo: a.git',
        '    ports:',
        '      - "70000:3000"',
        '      - "0:3001"',
        '      - "999.999.999.999:3002:3002"',
        '      - "3003:65536"',
        '      - 70000',
      ]),
    );
    expect(problems).toEqual([
      { file: FILE, line: 5, message: 'services.a.ports.0: host port 70000 in "70000:3000" is out of range', fix: 'ports are 1 to 65535' },
      { file: FILE, line: 6, message: 'services.a.ports.1: host port 0 in "0:3001" is out of range', fix: 'ports are 1 to 65535' },
      {
        file: FILE,
        line: 7,
        message: 'services.a.ports.2: host address 999.999.999.999 in "999.999.999.999:3002:3002" is not an IPv4 address (each of its 4 numbers is 0–255)',
        fix: 'use an address of this machine, e.g. "127.0.0.1:8000:8000", or leave it out',
      },
      { file: FILE, line: 8, message: 'services.a.ports.3: container port 65536 in "3003:65536" is out of range', fix: 'ports are 1 to 65535' },
      { file: FILE, line: 9, message: 'services.a.ports.4: must be a port from 1 to 65535', fix: undefined },
    ]);
  });

  it('says what a valid port spec looks like instead of printing a regular expression', () => {
    const problems = problemsOf(yaml(['services:', '  a:', '    repo: a.git', '    ports: ["80:80:80", "abc"]']));
    const validForms =
      'valid forms: "8000:8000" (host:container, published on 127.0.0.1 only), "8000", "0.0.0.0:8000:8000" (host address first; 0.0.0.0: every interface, other machines too) or "8000:8000/udp"';
    expect(problems).toEqual([
      {
        file: FILE,
        line: 4,
        message: `services.a.ports.0: "80:80:80" is not a port spec; ${validForms}`,
        fix: 'write "host port:container port", each from 1 to 65535, e.g. "8000:8000"',
      },
      {
        file: FILE,
        line: 4,
        message: `services.a.ports.1: "abc" is not a port spec; ${validForms}`,
        fix: 'write "host port:container port", each from 1 to 65535, e.g. "8000:8000"',
      },
    ]);
    expect(problems.map((problem) => problem.message).join('\n')).not.toMatch(/\\d|pattern/);
  });

  it('keeps the compose short forms working, at the ends of the ranges', () => {
    const model = parseConfigText(
      yaml(['services:', '  a:', '    repo: a.git', '    ports: ["8000:8000", "8001", "127.0.0.1:8002:8002", "8003:8003/udp", "0.0.0.0:65535:1", 1]']),
      FILE,
    );
    expect(model.services[0].ports).toEqual([
      { hostIp: undefined, host: 8000, container: 8000, protocol: 'tcp' },
      { hostIp: undefined, host: 8001, container: 8001, protocol: 'tcp' },
      { hostIp: '127.0.0.1', host: 8002, container: 8002, protocol: 'tcp' },
      { hostIp: undefined, host: 8003, container: 8003, protocol: 'udp' },
      { hostIp: '0.0.0.0', host: 65535, container: 1, protocol: 'tcp' },
      { hostIp: undefined, host: 1, container: 1, protocol: 'tcp' },
    ]);
  });
});

describe('environment and build-args values', () => {
  it('explains a mapping, a list or an empty value, with the fix', () => {
    const problems = problemsOf(
      yaml([
        'services:',
        '  a:',
        '    repo: a.git',
        '    environment:',
        '      JSON_CONFIG: {debug: true}',
        '      EMPTY:',
        '    build-args:',
        '      LIST: [1, 2]',
      ]),
    );
    expect(problems).toEqual([
      {
        file: FILE,
        line: 5,
        message: 'services.a.environment.JSON_CONFIG: must be a string, number or boolean, not a mapping',
        fix: "quote it to pass it as text: JSON_CONFIG: '...'",
      },
      {
        file: FILE,
        line: 6,
        message: 'services.a.environment.EMPTY: must be a string, number or boolean, not empty',
        fix: 'give it a value, or write EMPTY: "" for an empty one',
      },
      {
        file: FILE,
        line: 8,
        message: 'services.a.build-args.LIST: must be a string, number or boolean, not a list',
        fix: "quote it to pass it as text: LIST: '...'",
      },
    ]);
  });
});

describe('live: a sync reads only the clone and writes only below its `to`', () => {
  const FROM_RULE = `allowed: "." (the whole clone) or ${PATH_RULE.replace('allowed: ', '')}`;
  const TO_RULE = 'allowed: an absolute path in the container (not "/" itself): letters, digits, ".", "_", "-" and "/" only, with no ".." parts';
  const GLOB_RULE = 'allowed: a glob relative to the clone (*, **, ?, {a,b}, [abc]); not absolute, with no ".." parts';
  const live = (...lines: string[]) => yaml(['services:', '  a:', '    repo: a.git', '    live:', ...lines.map((line) => `      ${line}`)]);
  const said = (text: string) => problemsOf(text).map((problem) => [problem.line, problem.message, problem.fix]);

  it.each([
    ['../secrets', 'has a ".." part (it would leave its folder)'],
    ['app/../../etc', 'has a ".." part (it would leave its folder)'],
    ['/etc', 'is an absolute path'],
    ['-rf', 'starts with "-" (a program would read it as an option)'],
    ['app/*.py', 'contains "*"'],
    ['""', 'is empty'],
  ])('refuses from: %s', (from, why) => {
    expect(said(live(`sync: [{ from: ${from}, to: /app }]`))).toEqual([
      [5, `services.a.live.sync.0.from: "${from === '""' ? '' : from}" ${why}; ${FROM_RULE}`, 'write it like app/ or . (the whole clone)'],
    ]);
  });

  it.each([
    ['/', "is the container's root (a sync would write anywhere)"],
    ['//', "is the container's root (a sync would write anywhere)"],
    ['/.', "is the container's root (a sync would write anywhere)"],
    ['/./', "is the container's root (a sync would write anywhere)"],
    ['app', 'is not an absolute path in the container'],
    ['./app', 'is not an absolute path in the container'],
    ['/app/../etc', 'has a ".." part (a sync would write outside it)'],
    ['/app/..', 'has a ".." part (a sync would write outside it)'],
    ['"/app/$HOME"', 'contains "$"'],
    ['"/app/a b"', 'contains a space'],
  ])('refuses to: %s', (to, why) => {
    expect(said(live(`sync: [{ from: app/, to: ${to} }]`))).toEqual([
      [5, `services.a.live.sync.0.to: "${to.replace(/^"|"$/g, '')}" ${why}; ${TO_RULE}`, 'write it like /app/app/'],
    ]);
  });

  it('refuses an empty sync list and a live without sync, with what to write', () => {
    expect(said(live('sync: []'))).toEqual([
      [5, 'services.a.live.sync: needs at least one { from, to }', 'add an entry such as { from: app/, to: /app/app/ }, or remove live: (no live mode)'],
    ]);
    expect(said(live('restart: true'))).toEqual([[4, 'services.a.live.sync is missing', 'add "sync:"']]);
  });

  it('refuses rebuild-on and ignore globs that leave the clone or carry shell characters, each on its line', () => {
    const text = live(
      'sync: [{ from: ., to: /app }]',
      'rebuild-on: ["req$(id).txt", /go.mod, ../go.sum]',
      'ignore:',
      '  - "**/*.pyc"',
      '  - "a b"',
      '  - "x;y"',
    );
    expect(said(text)).toEqual([
      [6, `services.a.live.rebuild-on.0: "req$(id).txt" contains "$", "(", ")"; ${GLOB_RULE}`, 'write it like requirements.txt or go.mod'],
      [6, `services.a.live.rebuild-on.1: "/go.mod" is an absolute path; ${GLOB_RULE}`, 'write it like requirements.txt or go.mod'],
      [6, `services.a.live.rebuild-on.2: "../go.sum" has a ".." part (it would leave the clone); ${GLOB_RULE}`, 'write it like requirements.txt or go.mod'],
      [9, `services.a.live.ignore.1: "a b" contains a space; ${GLOB_RULE}`, 'write it like **/*.pyc'],
      [10, `services.a.live.ignore.2: "x;y" contains ";"; ${GLOB_RULE}`, 'write it like **/*.pyc'],
    ]);
  });

  it('refuses a restart that is not true or false (a worker’s too)', () => {
    const text = yaml(['services:', '  a:', '    repo: a.git', '    workers:', '      w:', '        live: { sync: [{ from: ., to: /src }], restart: "yes" }']);
    expect(said(text)).toEqual([[6, 'services.a.workers.w.live.restart: Invalid input: expected boolean, received string', 'write true or false here']]);
  });

  it('keeps the paths people write working', () => {
    const text = live(
      'sync:',
      '  - { from: app/, to: /app/app/ }',
      '  - { from: ., to: /srv }',
      '  - { from: ./, to: /opt/all }',
      '  - { from: server.js, to: /app/server.js }',
      '  - { from: .config/app.toml, to: /root/.config/app.toml }',
      'rebuild-on: [requirements.txt, "requirements/*.txt", go.mod, "**/package-lock.json", "{Gemfile,Gemfile.lock}", "docker/[a-z]*.sh"]',
      'ignore: ["**/*.pyc", "**/__pycache__", .venv, "!keep"]',
    );
    expect(() => parseConfigText(text, FILE)).not.toThrow();
  });
});
