import { describe, it, expect } from 'vitest';
import type { EventValue } from '../../src/index.js';
import { castAll } from '../helpers.js';

function kvLibrary() {
  const store = new Map<string, EventValue>();
  return {
    store,
    libraries: {
      kv: {
        get: ([key]: EventValue[]) => store.get(String(key)),
        put: ([key, value]: EventValue[]) => {
          if (typeof key !== 'string') throw new Error(`kv.put: the key must be a string, got ${typeof key}`);
          store.set(key, value!);
          return undefined;
        },
      },
    },
  };
}

describe('host libraries', () => {
  it('lets a spell call JS synchronously, with event values both ways', async () => {
    const { store, libraries } = kvLibrary();
    const r = await castAll(
      `local s = {}
       function s.cast(e)
         local seen = kv.get(e.user) or { count = 0, tags = sanctum.array() }
         seen.count = seen.count + 1
         table.insert(seen.tags, e.tag)
         kv.put(e.user, seen)
         return { user = e.user, count = seen.count, missing = kv.get("nobody") == nil }
       end
       return s`,
      [
        { user: 'ada', tag: 'x' },
        { user: 'ada', tag: 'y' },
        { user: 'bob', tag: 'z' },
      ],
      { libraries },
    );
    expect(r.dead).toEqual([]);
    expect(r.out).toEqual([
      { user: 'ada', count: 1, missing: true },
      { user: 'ada', count: 2, missing: true },
      { user: 'bob', count: 1, missing: true },
    ]);
    expect(store.get('ada')).toEqual({ count: 2, tags: ['x', 'y'] });
  });

  it('turns a thrown error into a Lua error at the spell line', async () => {
    const { libraries } = kvLibrary();
    const r = await castAll('local s = {}\nfunction s.cast(e)\n  kv.put(42, e)\nend\nreturn s', [{}], { libraries });
    expect(r.dead[0]!.error.code).toBe('SPELL_RUNTIME');
    expect(r.dead[0]!.error.line).toBe(3);
    expect(r.dead[0]!.error.luaMessage).toBe('kv.put: the key must be a string, got number');
  });

  it('works from inside coroutines, and the spell can catch its errors', async () => {
    const { libraries } = kvLibrary();
    const r = await castAll(
      `local s = {}
       function s.cast(e)
         local co = coroutine.wrap(function() kv.put("k", e) return kv.get("k") end)
         local ok, err = pcall(kv.put, 1, 2)
         return { back = co(), caught = err }
       end
       return s`,
      [{ v: 1 }],
      { libraries },
    );
    expect(r.out).toEqual([{ back: { v: 1 }, caught: 'kv.put: the key must be a string, got number' }]);
  });
});
