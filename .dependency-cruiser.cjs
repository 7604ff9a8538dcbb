/**
 * The layering of DESIGN.md §2, made executable: a layer imports only layers
 * below it. Runs with the tests (`npm run lint:layers`).
 */
const layers = ['common', 'format', 'backend', 'repository', 'source', 'engine', 'catalog', 'jobs', 'app', 'http', 'cli', 'main'];

const upward = layers.map((layer, i) => ({
  name: `${layer}-imports-only-lower-layers`,
  comment: `src/${layer} may import only ${layers.slice(0, i).join(', ') || 'nothing of ours'} (DESIGN.md §2)`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: `^src/(${layers.slice(i + 1).join('|') || '$^'})/` },
}));

// backend/ stores opaque files: it must not know the format or the repository (restic's depguard rule).
const backendIsOpaque = {
  name: 'backend-knows-no-format',
  severity: 'error',
  from: { path: '^src/backend/' },
  to: { path: '^src/(format|repository)/' },
};

module.exports = {
  forbidden: [
    ...upward,
    backendIsOpaque,
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    { name: 'src-never-imports-tests', severity: 'error', from: { path: '^src/' }, to: { path: '^(test|bench)/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
