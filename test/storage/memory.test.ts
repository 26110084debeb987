/** The memory adapter through the shared Storage conformance suite. */
import { openMemoryStorage } from '../../src/storage/memory.js';
import { storageConformance } from './conformance.js';

storageConformance('memory', (options) => openMemoryStorage(options));
