import { MemoryStore } from './memory-store.js';
import { describeStoreFastPaths, describeEventStoreConformance } from './store-conformance.js';

describeEventStoreConformance('MemoryStore', () => MemoryStore.open());
describeStoreFastPaths('MemoryStore', () => MemoryStore.open());
