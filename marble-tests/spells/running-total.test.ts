/** Marble spec of spells/running-total.lua (a spell with durable state): cases in the YAML next to it. */
import { spellTests } from '../../src/testing.js';

spellTests('spells/running-total.test.yaml');
