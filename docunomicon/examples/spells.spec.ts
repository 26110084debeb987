// spells.spec.ts: the YAML spell tests of the examples, as vitest tests (one test per case).
import { spellTests } from 'sanctum-streams/testing';

spellTests('examples/dedup.test.yaml');
spellTests('examples/order-lines.test.yaml');
