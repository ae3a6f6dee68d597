import { MemoryStore } from './memory-store.js';
import { describeDecodedAppend, describeEventStoreConformance } from './store-conformance.js';

describeEventStoreConformance('MemoryStore', () => MemoryStore.open());
describeDecodedAppend('MemoryStore', () => MemoryStore.open());
