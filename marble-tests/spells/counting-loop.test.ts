/** Marble spec of spells/counting-loop.lua: the cases live in the YAML next to the spell. */
import { spellTests } from '../../src/testing.js';

spellTests('spells/counting-loop.test.yaml');
