import { describe, it, expect } from 'vitest';
// @ts-expect-error -- a plain .mjs build script without types
import { compileBridge } from '../../scripts/build-bridge.mjs';
import { BRIDGE_WASM_BASE64 } from '../../src/spellcraft/bridge-wasm.js';

describe('the WASM bridge helpers', () => {
  it('bridge-wasm.ts is compiled from bridge.wat (run `node scripts/build-bridge.mjs` after editing it)', async () => {
    expect(await (compileBridge as () => Promise<string>)()).toBe(BRIDGE_WASM_BASE64);
  });
});
