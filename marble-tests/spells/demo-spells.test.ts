/** Marble specs of the demo's spells (spells/validate-order, enrich-order, total-by-customer). */
import { spellTests } from '../../src/testing.js';

spellTests('spells/validate-order.test.yaml');
spellTests('spells/enrich-order.test.yaml');
spellTests('spells/total-by-customer.test.yaml');
