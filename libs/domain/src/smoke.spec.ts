import { describe, it, expect } from '@jest/globals';
import { DOMAIN_VERSION } from '#domain';
describe('smoke', () => { it('loads', () => { expect(DOMAIN_VERSION).toBe(1); }); });
