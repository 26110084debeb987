/** Marble specs of the bundled time spells, in virtual time: the cases live in the YAML next to each spell. */
import { spellTests } from '../../src/testing.js';

spellTests('spells/session.test.yaml');
spellTests('spells/window-count.test.yaml');
spellTests('spells/dedup.test.yaml');
spellTests('spells/throttle.test.yaml');
spellTests('spells/heartbeat.test.yaml');
