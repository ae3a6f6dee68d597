import { MemoryStore } from './memory-store.js';
import { describeEventStoreConformance } from './store-conformance.js';
import { describeStoreFastPaths } from './store-fast-paths-conformance.js';

describeEventStoreConformance('MemoryStore', () => MemoryStore.open());
describeStoreFastPaths('MemoryStore', () => MemoryStore.open());
