// suite.spec.ts: a spell suite written in TypeScript instead of YAML (the keys are camelCase).
import { spellTests } from 'sanctum-streams/testing';

spellTests({
  spell: 'examples/parse-price.lua',
  cases: [
    {
      name: 'parses a price',
      input: 'a|',
      values: { a: { sku: 'tea', price: '4.50 EUR' } },
      output: 'x|',
      expect: { x: { sku: 'tea', price: { cents: 450, currency: 'EUR' } } },
    },
    {
      name: 'dead-letters a price it cannot parse',
      input: 'a|',
      values: { a: { sku: 'mug', price: 'twelve' } },
      output: '-|',
      deadLetters: 'd|',
      deadLetterValues: { d: { code: 'SPELL_RUNTIME', message: "cannot parse price 'twelve'" } },
    },
  ],
});
