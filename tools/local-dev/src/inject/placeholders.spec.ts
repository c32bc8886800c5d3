import { renderPlaceholders } from './placeholders';

const ports = new Map([
  ['api', { hostPort: 5726, containerPort: 5678 }],
  ['worker', { hostPort: 5727, containerPort: 5679 }],
]);

describe('renderPlaceholders', () => {
  it("fills local-dev's placeholders and leaves the IDE's own variables alone", () => {
    const text =
      '{"port": {{debugHostPort}}, "w": {{ debugHostPort:worker }}, "c": {{debugContainerPort}}, "ns": "{{namespace}}", "cwd": "${workspaceFolder}", "p": "$PROJECT_DIR$"}';
    expect(renderPlaceholders(text, 'f', { owner: 'api', ports }, 's3')).toEqual({
      content: '{"port": 5726, "w": 5727, "c": 5678, "ns": "s3", "cwd": "${workspaceFolder}", "p": "$PROJECT_DIR$"}',
      problems: [],
    });
  });

  it('names file:line for unknown placeholders and ports that do not exist', () => {
    const text = 'a\n{{debugPort}}\n{{debugHostPort:nope}}\n{{debugHostPort}}';
    const result = renderPlaceholders(text, 'configs/s1/debug-configs/x/launch.json', { owner: 'other', ports }, 's1');
    expect(result.problems).toEqual([
      'configs/s1/debug-configs/x/launch.json:2: unknown placeholder {{debugPort}} (known: {{debugHostPort}}, {{debugHostPort:<service>}}, {{debugContainerPort}}, {{namespace}})',
      'configs/s1/debug-configs/x/launch.json:3: {{debugHostPort:nope}} cannot be filled in: service "nope" of this clone has no debug-port (set debug-port in repos_docker_files/config.yaml)',
      'configs/s1/debug-configs/x/launch.json:4: {{debugHostPort}} cannot be filled in: several services of this clone have one (api, worker); name it: {{debugHostPort:api}}',
    ]);
  });
});
