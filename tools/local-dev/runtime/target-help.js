// `metadata.help.command` of every inferred target (nx graph and Nx Console run it): prints what an
// executor does and its options. The argument is one of our executor names, never config text.
process.stdout.write(
  require('./compiled')
    .load('src/plugin/target-docs')
    .helpText(process.argv[2] ?? ''),
);
