import { MemoryLinkStore } from '@linkpulse/core';
import { describeLinkStore } from '@linkpulse/core/testing';

describeLinkStore('MemoryLinkStore', () => new MemoryLinkStore());
