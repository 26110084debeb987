/** The memory adapter through the shared Storage conformance suite. */
import { openMemoryStorage } from '../../src/storage/memory.js';
import { storageConformance } from './conformance.js';
import { openWithFaults } from './faults.js';

storageConformance('memory', (options) => openWithFaults((now) => openMemoryStorage({ now }), options));
