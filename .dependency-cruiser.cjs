/**
 * Sanctum's layering, checked on every `npm test`: dependencies point one way,
 * cli → runtime → {runes, spellcraft, storage, observe, parallel} → core → (rxjs, …).
 */
const layer = (name, mayImport) => ({
  name: `${name}-layering`,
  comment: `src/${name} may import only: ${mayImport.join(', ') || 'nothing of Sanctum'}`,
  severity: 'error',
  from: { path: `^src/${name}/` },
  to: { path: '^src/', pathNot: [`^src/${name}/`, ...mayImport.map((m) => `^src/${m}`)] },
});

module.exports = {
  forbidden: [
    layer('core', []),
    layer('spellcraft', ['core/']),
    layer('storage', ['core/']),
    layer('observe', ['core/']),
    layer('runes', ['core/', 'spellcraft/']),
    layer('parallel', ['core/', 'spellcraft/']),
    layer('runtime', ['core/', 'spellcraft/', 'storage/', 'observe/', 'runes/']),
    layer('testing', ['core/', 'spellcraft/', 'runtime/', 'runes/', 'storage/']),
    {
      name: 'no-cli-from-below',
      comment: 'nothing below the CLI imports it',
      severity: 'error',
      from: { path: '^src/(?!cli/)' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'no-circular',
      comment: 'no import cycles, type-only imports included: two modules that need each other are one concept or need an interface between them',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.build.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
