/** Where config.yaml lives, relative to the workspace root. Kept apart so light modules need not load the parser. */
export const CONFIG_PATH = 'repos_docker_files/config.yaml';
