// The fast tier: only test/unit, tests that need no kernel, no root, no engine
// and no tmux (they may load the addon, which reads constants, never BPF).
// `npm run test:unit`; the main jest.config.js still runs these with the rest.
import base from './jest.config.js';

export default { ...base, roots: ['<rootDir>/test/unit'], testTimeout: 20000 };
