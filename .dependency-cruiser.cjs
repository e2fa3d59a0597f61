// The import rules of src/ (DESIGN.md: imports run downward, with no circles), checked by
// `npm run check:imports` in CI. A new circle or a new upward import fails it.
//
// Layers, lowest first. A folder may import its own layer and the ones below, never above.
// CAPABILITIES stands for every folder not named in another layer (experiments, surveys, a new
// one…): they share one layer and may use each other's doors, but never in a circle.
const CAPABILITIES = '*';
const LAYERS = [
  ['errors'],
  ['events'],
  ['store'],
  ['identity', 'profiles', 'auth', 'api', 'ingest', 'config'],
  ['pipeline'],
  [CAPABILITIES],
  ['simulate', 'web'],
  ['cli', 'server', 'pipeline-worker'],
];

// Upward imports that are still there, each with the reason and what removes it. Do not add to
// this list: move the code instead (CONTRIBUTING.md says where it goes).
const KNOWN_UPWARD_IMPORTS = [];

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const NAMED = LAYERS.flat().filter((name) => name !== CAPABILITIES);
const anyFolder = (names) => `(${names.join('|')})(/|\\.ts$)`;
// The pattern of a list of layer entries: named folders, or every folder not named anywhere.
const folders = (names) => {
  const named = names.filter((name) => name !== CAPABILITIES);
  const parts = named.length ? [anyFolder(named)] : [];
  if (names.includes(CAPABILITIES)) parts.push(`(?!${anyFolder(NAMED)})[^/]+/`);
  return `^src/(${parts.join('|')})`;
};
const exact = (paths) => `^(${paths.map(escape).join('|')})$`;
const nameOf = (layer, index) => (layer.length === 1 && layer[0] !== CAPABILITIES ? layer[0] : `layer-${index}`);

function upwardRules() {
  const rules = [];
  LAYERS.forEach((layer, index) => {
    const above = LAYERS.slice(index + 1).flat();
    if (above.length === 0) return;
    const excepted = [...new Set(KNOWN_UPWARD_IMPORTS.filter(([from]) => from.match(folders(layer))).map(([from]) => from))];
    rules.push({
      name: `no-upward-import-from-${nameOf(layer, index)}`,
      comment: `${layer.join(', ')} may not import ${above.join(', ')} (layers in .dependency-cruiser.cjs; * is every capability)`,
      severity: 'error',
      from: { path: folders(layer), ...(excepted.length ? { pathNot: exact(excepted) } : {}) },
      to: { path: folders(above) },
    });
    for (const file of excepted) {
      const allowed = KNOWN_UPWARD_IMPORTS.filter(([from]) => from === file).map(([, to]) => to);
      rules.push({
        name: 'no-upward-import-beyond-known',
        comment: `${file} has known upward imports (KNOWN_UPWARD_IMPORTS); no others`,
        severity: 'error',
        from: { path: exact([file]) },
        to: { path: folders(above), pathNot: exact(allowed) },
      });
    }
  });
  return rules;
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Imports run one way: a circle means a piece sits in the wrong folder.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-admin-api-route-files',
      comment:
        'Outside the composition roots, api/ is only what the admin API shares: strictBody and the client. ' +
        'Access checks live in auth/, the error schema in errors/.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(api/|server\\.ts$|cli/)' },
      to: { path: '^src/api/', pathNot: '^src/api/(strict-body|admin-client)\\.ts$' },
    },
    {
      name: 'event-reader-not-from-pipeline',
      comment: 'Reading events needs only the store (EventReader sits beside the EventStore interface).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(pipeline/|server\\.ts$|cli/|api/)' },
      to: { path: '^src/pipeline/(rpc|host)\\.ts$' },
    },
    ...upwardRules(),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|web/dist)' },
    // Type-only imports count: a circle through types still ties the folders together.
    tsPreCompilationDeps: true,
    // TypeScript 7's compiler has no JavaScript API for dependency-cruiser to use; swc parses.
    parser: 'swc',
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js'] },
  },
};
